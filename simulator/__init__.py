"""axis-sim: an agent-based model of the China-Russia-Iran-North Korea alignment.

Layers (imports only go downwards in this list):
scenario -> model -> experiment -> analysis -> charts -> cli
"""

__version__ = "0.1.0"
