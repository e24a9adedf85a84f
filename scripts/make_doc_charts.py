#!/usr/bin/env python3
"""Regenerate the example charts of docs/charts.md and the README (docs/img/*.png).

Modest, fixed runs so that the pictures are reproducible in about a minute:

    python scripts/make_doc_charts.py            # writes docs/img/charts_*.png
    python scripts/make_doc_charts.py --keep DIR # also keep the output folders in DIR

The pictures are drawn by the same chart functions as the commands, at the resolution of
the commands' PNG charts (150 dpi, legible legends); the numbers in them come from these runs.
Commit the code first: the footers carry the git hash, and the script refuses to draw them
from uncommitted code (they would say "-dirty"; edits under docs/ do not count).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

IMG = ROOT / "docs" / "img"
SCENARIOS = ROOT / "scenarios"
DPI = 150
SEED = "20241105"


def _save(fig, name: str, prefix: str = "charts_") -> Path:
    path = IMG / f"{prefix}{name}.png"
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")
    return path


def _cli(*args: str) -> None:
    from simulator.cli.main import main
    code = main([*args])
    if code != 0:
        raise SystemExit(f"command failed ({code}): {' '.join(args)}")


def build(work: Path) -> None:
    import pandas as pd

    from simulator.analysis.discovery import Discovery
    from simulator.analysis.explain import explain_folder
    from simulator.analysis.inputs import read_json, read_manifest
    from simulator.charts.compare_charts import compare_figures
    from simulator.charts.discovery_charts import discovery_figure
    from simulator.charts.explain_charts import terms_figure, waterfall_figure
    from simulator.charts.network import network_figure
    from simulator.charts.run_charts import china_rung_figure, theatres_figure
    from simulator.charts.sensitivity_charts import sensitivity_figure

    IMG.mkdir(parents=True, exist_ok=True)
    quiet = ["--quiet", "--no-charts", "--seed", SEED]

    # One run: China's rung, the theatres, the alignment network, explain.
    run = work / "baseline"
    _cli("run", str(SCENARIOS / "baseline.yaml"), "--runs", "1000", "--out", str(run), "--force", *quiet)
    summary, manifest = read_json(run / "summary.json"), read_manifest(run)
    bands = pd.read_parquet(run / "bands.parquet")
    _save(china_rung_figure(bands, summary, manifest), "china_rung")
    _save(theatres_figure(bands, summary, manifest), "theatres")
    _save(network_figure(pd.read_parquet(run / "links.parquet"), summary, manifest,
                         rungs=pd.read_parquet(run / "link_rungs.parquet")), "network")
    ex = explain_folder(run)
    _save(terms_figure(ex, summary, manifest), "explain_terms")
    _save(waterfall_figure(ex, summary, manifest), "explain_waterfall")

    # compare: three scenarios on common random numbers.
    cmp_dir = work / "compare"
    _cli("compare", *(str(SCENARIOS / f"{s}.yaml") for s in ("baseline", "secondary_sanctions",
                                                               "hadley_strategy", "ukraine_stalemate")),
         "--runs", "1000", "--out", str(cmp_dir), "--force", *quiet)
    for stem, fig in compare_figures(cmp_dir).items():
        _save(fig, stem)

    # discover: where does China break under broad secondary sanctions?
    ss = work / "secondary_sanctions"
    _cli("run", str(SCENARIOS / "secondary_sanctions.yaml"), "--runs", "2000", "--out", str(ss), "--force",
         *quiet)
    _save(china_rung_figure(pd.read_parquet(ss / "bands.parquet"), read_json(ss / "summary.json"),
                            read_manifest(ss)), "readme_secondary_sanctions_rung", prefix="")
    _cli("discover", str(ss), "--target", "china_stays == 0")
    d = Discovery.from_dict(read_json(ss / "discovery.json"))
    _save(discovery_figure(d, read_json(ss / "summary.json"), read_manifest(ss)), "discovery")

    # sensitivity: Sobol' indices of P(stays) for three assumptions.
    sens = work / "sensitivity"
    _cli("sensitivity", str(SCENARIOS / "secondary_sanctions.yaml"),
         "--param", "decision.weights.sanction_cost=4:12", "--param", "decision.tie_floor_rung=1:3",
         "--param", "theatres.ukraine.axis_elasticity=0.2:1.2", "--method", "sobol", "--samples", "32",
         "--runs", "250", "--workers", "2", "--out", str(sens), "--force", *quiet)
    table = pd.read_parquet(sens / "sensitivity.parquet")
    notes = read_json(sens / "sensitivity.json").get("notes", [])
    _save(sensitivity_figure(table, read_manifest(sens), notes), "sensitivity")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR", help="keep the output folders in DIR")
    parser.add_argument("--allow-dirty", action="store_true",
                        help="draw from uncommitted code anyway (footers say -dirty)")
    args = parser.parse_args(argv)
    from simulator.experiment.provenance import git_hash
    if git_hash().endswith("-dirty") and not args.allow_dirty:
        print("error: uncommitted changes to the code; commit first so that the footers name a commit "
              "(or pass --allow-dirty)", file=sys.stderr)
        return 2
    if args.keep:
        build(Path(args.keep))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            build(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
