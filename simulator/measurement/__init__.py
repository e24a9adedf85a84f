"""Measurement layer: what the model's rungs and levels look like in the data history records
(trade values, barrels, yes/no), and the observed data themselves (``data/history/*.csv``).

It sits above the model: it imports ``simulator.model`` and ``simulator.scenario`` only.
"""
