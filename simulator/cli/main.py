"""Entry point: ``python run.py COMMAND ...`` (or the ``axis-sim`` console script).

Exit status: 0 ok, 2 bad input (one line ``FILE:LINE: path: message`` on stderr),
1 internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

from .. import __version__
from ..experiment.store import FolderIncomplete, OutputExists, release_all
from ..scenario import ScenarioError, load_scenario
from ..scenario.schema import Scenario
from .common import EXIT_BAD_INPUT, EXIT_INTERNAL, UsageError, plural
from . import run_cmd


def _validate(args) -> int:
    for path in args.scenarios:
        if str(path).endswith(".csv"):
            from ..measurement.data import load_observations
            obs = load_observations([path])
            print(f"{path}: ok ({plural(len(obs), 'observation')} of "
                  f"{len({o.series for o in obs})} series, each with its source)")
            continue
        r = load_scenario(path, args.set)
        print(f"{path}: ok ({r.name}: {plural(len(r.params), 'parameter')}, "
              f"{sum(1 for p in r.params.values() if p.range is not None)} with ranges, "
              f"{plural(len(r.scenario.events), 'event')})")
    return 0


def _schema(args) -> int:
    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="run.py", description="axis-sim: does China stay in the alignment with "
                     "Russia, Iran and North Korea?  Monte Carlo scenarios of an agent-based model.")
    parser.add_argument("--version", action="version", version=f"axis-sim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    run_cmd.add_parser(sub)
    v = sub.add_parser("validate", help="check scenario files (and observed data) without running them",
                       description="Validate scenario files (extends, overrides, schema, events) and "
                       "observed-data files (data/history/*.csv: columns, dates, numbers, sources).")
    v.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    v.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    v.set_defaults(func=_validate)
    s = sub.add_parser("schema", help="print the scenario JSON Schema (for editors)",
                       description="Print the JSON Schema of scenario files.")
    s.set_defaults(func=_schema)
    for module in _extra_commands():
        module.add_parser(sub)
    return parser


def _extra_commands():
    mods = []
    import importlib
    for name in ("sweep_cmd", "analysis_cmds", "calibrate_cmd", "explore_cmd"):
        try:
            mods.append(importlib.import_module(f"{__package__}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
    return mods


def _terminate(signum, frame):
    raise KeyboardInterrupt          # SIGTERM (what supervisors send) ends a command like Ctrl-C


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)      # the command as given (for provenance)
    import signal
    import threading
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        print(exc.format(), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (UsageError, OutputExists, FolderIncomplete) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; finished outputs are kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - last resort: one line, details on request
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("AXIS_SIM_DEBUG"):
            traceback.print_exc()
        else:
            print("(set AXIS_SIM_DEBUG=1 for the traceback; please report it)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        release_all()


if __name__ == "__main__":
    sys.exit(main())
