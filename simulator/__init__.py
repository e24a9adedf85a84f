"""axis-sim: an agent-based model of the China-Russia-Iran-North Korea alignment.

Layers (imports only go downwards in this list):
scenario -> model -> experiment -> analysis -> charts -> cli -> api
"""

__version__ = "0.1.0"

#: The Python API (docs/api.md).  It loads on first use, so that `import simulator` and
#: `run.py --help` stay fast.
__all__ = ["run", "compare", "sweep", "explain", "load", "bundled", "Result", "Comparison", "SweepResult"]


def __getattr__(name: str):
    if name in __all__:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
