"""``explore``: the interactive explorer in the browser (Solara)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from ..scenario import load_scenario
from .common import UsageError, at_least

INSTALL = "pip install -e '.[explore]'"


def add_parser(sub) -> None:
    p = sub.add_parser("explore", help="interactive explorer in the browser (sliders, live charts)",
                       description="Serve the explorer: move the parameters that matter most and the "
                                   "policies, and watch P(stays), China's rung, the alignment network and "
                                   "the drivers update beside the baseline (common random numbers). "
                                   f"Needs the 'explore' extra: {INSTALL}")
    p.add_argument("scenario", nargs="?", default="baseline", metavar="SCENARIO",
                   help="bundled scenario name or scenario file to open (default: baseline)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    p.set_defaults(func=cmd_explore)


def cmd_explore(args) -> int:
    at_least(args.port, "--port", 1)
    if args.port > 65535:
        raise UsageError(f"--port must be at most 65535, got {args.port}")
    try:
        import solara  # noqa: F401
    except ModuleNotFoundError:
        raise UsageError(f"the explorer needs Solara, which is not installed: {INSTALL}") from None
    from .explore import core
    choice = args.scenario
    if choice not in core.bundled():
        choice = str(Path(choice).resolve())
    load_scenario(core.scenario_path(choice))            # bad input: one line, exit 2, before serving
    with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the server will
        try:
            s.bind((args.host, args.port))
            s.listen()
        except OSError as exc:
            raise UsageError(f"--port {args.port}: cannot listen on {args.host}:{args.port} ({exc.strerror}); "
                             f"choose another port") from None
    os.environ["AXIS_SIM_EXPLORE_SCENARIO"] = choice
    os.environ["AXIS_SIM_EXPLORE_SAVE_DIR"] = os.getcwd()
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"axis-sim explorer: http://{host}:{args.port}/  (Ctrl-C to stop)", flush=True)
    from solara.__main__ import run
    argv = ["simulator.cli.explore.app", "--host", args.host, "--port", str(args.port), "--production",
            "--no-open" if args.no_browser else "--open", "--log-level", "warning"]
    try:
        run.main(args=argv, standalone_mode=False, prog_name="solara run")
    except KeyboardInterrupt:
        pass
    return 0
