"""explain / plot / report / the alignment network on real output folders."""

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import FancyArrowPatch

from simulator.analysis.inputs import month_label
from simulator.analysis.report import important_parameters
from simulator.charts.network import network_figure
from simulator.charts.style import DPI
from simulator.scenario import load_scenario
from simulator.cli.main import main

from .conftest import BASELINE, SCENARIOS

CREDIBILITY = "policies.secondary_sanctions.credibility"
RUN_CHARTS = ("china_rung", "theatres", "network", "explain_terms", "explain_waterfall")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("analysis") / "run"
    assert main(["run", str(BASELINE), "--runs", "300", "--seed", "3", "--out", str(out), "--quiet",
                 "--set", "horizon_months=12"]) == 0
    return out


def test_run_folder_gets_network_data_chart_and_report(run_dir):
    for name in ("links.parquet", "network.png", "network.svg", "report.md", "report.html"):
        assert (run_dir / name).stat().st_size > 0, name
    links = pd.read_parquet(run_dir / "links.parquet")
    assert set(links["month"]) == set(range(13))
    assert len(links[links["month"] == 0]) == 13                # 12 axis links + South Korea -> Ukraine
    china = links[(links["source"] == "china") & (links["target"] == "russia")].set_index("month")
    start = load_scenario(BASELINE).scenario.states["china"].support["russia"]
    assert china.loc[0, "mean_rung"] == pytest.approx(start)    # the scenario's initial rung
    bands = pd.read_parquet(run_dir / "bands.parquet")
    for month in (1, 6, 12):
        shares = [bands[(bands["series"] == f"share_russia_rung{k}") & (bands["month"] == month)]["mean"].item()
                  for k in range(5)]
        assert china.loc[month, "mean_rung"] == pytest.approx(float(np.dot(shares, range(5))), abs=1e-9)
    assert links["commitment"].between(0, 1).all()


def test_network_figure_draws_both_blocs_every_link_and_shares(run_dir):
    links = pd.read_parquet(run_dir / "links.parquet")
    rungs = pd.read_parquet(run_dir / "link_rungs.parquet")
    summary = json.loads((run_dir / "summary.json").read_text())
    fig = network_figure(links, summary, {"git": "abc"}, months=[0, 12], rungs=rungs)
    nets = [ax for ax in fig.axes if ax.get_title().endswith(")") and "month" in ax.get_title()]
    assert len(nets) == 2
    for ax, month in zip(nets, (0, 12)):
        arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
        assert len(arrows) == 13                                 # 12 axis links + South Korea -> Ukraine
        assert ax.get_title() == f"{month_label('2024-11', month)} (month {month})"
        texts = {t.get_text() for t in ax.texts}
        assert {"Russia", "China", "Iran", "North\nKorea", "US", "Europe", "Ukraine", "the axis",
                "the West"} <= texts
        assert not any(t.get_text().replace(".", "").isdigit() for t in ax.texts)   # no numbers on arrows
    # arrow colour follows the mean rung on a continuous scale, not rounded: 2.6 is not 'components'
    from simulator.charts.network import RUNG_CMAP
    assert RUNG_CMAP(2.6 / 4) != RUNG_CMAP(3 / 4)
    shares_ax = next(ax for ax in fig.axes if ax.get_title().startswith("How sure is each link?"))
    labels = [t.get_text() for t in shares_ax.get_yticklabels()]
    assert len(labels) == 13 and labels[0] == "China -> Russia"
    per_link = rungs.groupby(["source", "target"])["share"].sum()
    assert np.allclose(per_link.to_numpy(), 1.0)
    china = rungs[(rungs["source"] == "china") & (rungs["target"] == "russia")].sort_values("rung")
    runs = pd.read_parquet(run_dir / "runs.parquet")
    observed = np.bincount(runs["china_rung"], minlength=5) / len(runs)
    assert np.allclose(china["share"].to_numpy(), observed)     # the bars are the runs' own rungs
    assert "Who backs whom" in fig._suptitle.get_text()
    # the report's chart (the horizon only): node labels at least 12 px high in a 1100 px wide page
    fig = network_figure(links, summary, {"git": "abc"}, rungs=rungs)
    scale = min(1.0, 1100 / (fig.get_size_inches()[0] * DPI))
    smallest = min(t.get_fontsize() for ax in fig.axes for t in ax.texts if t.get_text() in ("Russia", "China"))
    assert smallest * DPI / 72 * scale >= 12
    assert len(fig.axes) == 3                                    # network, colour bar, shares: no empty panel


def test_report_assembles_summary_charts_scenario_and_sources(run_dir):
    md = (run_dir / "report.md").read_text()
    html = (run_dir / "report.html").read_text()
    for part in ("## Summary", "P(China stays)", "![", "china_rung.png", "network.png",
                 "## Provenance of the parameters that matter most", "## Resolved scenario", "## Provenance",
                 "git"):
        assert part in md, part
    assert "<table>" in html and "<img src=\"china_rung.png\"" in html
    method, params = important_parameters(run_dir)
    assert params and "correlation" in method
    scores = [abs(s) for _, s in params]
    assert scores == sorted(scores, reverse=True)
    top = params[0][0]
    resolved = (run_dir / "scenario.resolved.yaml").read_text()
    node = __import__("yaml").safe_load(resolved)
    for part in top.split("."):
        node = node[part]
    assert f"| {top} |" in md and str(node["source"]).replace("|", "\\|") in md


def test_explain_command_writes_text_json_and_charts(run_dir, capsys):
    assert main(["explain", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "China's median support to Russia" in out and "Net utility difference" in out
    assert "What separates the" in out and "runs that end below '2 + dual-use'" in out
    data = json.loads((run_dir / "explain.json").read_text())
    # recomputed from the folder's own tables, without the analysis code: the median rung from
    # the rung shares, its first change (or, if none, the last month against one rung lower),
    # and each term's push as its mean at the new rung minus at the old rung in that month
    bands = pd.read_parquet(run_dir / "bands.parquet")
    shares = np.array([bands[bands["series"] == f"share_russia_rung{k}"].sort_values("month")["mean"]
                       for k in range(5)]).T
    median = (np.cumsum(shares, axis=1) < 0.5 - 1e-12).sum(axis=1)
    moves = [m for m in range(1, len(median)) if median[m] != median[m - 1]]
    if moves:
        expected = ("change", moves[0], int(median[moves[0] - 1]), int(median[moves[0]]))
    else:
        last = len(median) - 1
        expected = ("hold", last, int(median[last]) - 1 if median[last] > 0 else 1, int(median[last]))
    assert (data["kind"], data["month"], data["from_rung"], data["to_rung"]) == expected
    terms = pd.read_parquet(run_dir / "terms.parquet")
    at = terms[terms["month"] == expected[1]].set_index(["term", "rung"])["mean"]
    push = {t: at[(t, expected[3])] - at[(t, expected[2])] for t in data["push"]}
    assert data["push"] == pytest.approx(push, abs=1e-12)
    utility = {k: at[at.index.get_level_values("rung") == k].sum() for k in (expected[2], expected[3])}
    assert data["net"] == pytest.approx(utility[expected[3]] - utility[expected[2]], abs=1e-12)
    assert f"{data['net']:+.3f}" in out
    for name in ("explain_terms.png", "explain_terms.svg", "explain_waterfall.png", "explain_waterfall.svg"):
        assert (run_dir / name).exists()
    assert "## Why China moved" in (run_dir / "report.md").read_text()
    assert main(["explain", str(run_dir), "--month", "99"]) == 2
    assert "outside" in capsys.readouterr().err


def test_plot_redraws_every_chart_of_a_run_folder(run_dir, capsys):
    import matplotlib.image as mpimg
    from simulator.charts.network import default_months
    assert main(["explain", str(run_dir)]) == 0                  # the explain charts exist too
    before = {stem: (run_dir / f"{stem}.png").read_bytes() for stem in RUN_CHARTS}
    for stem in RUN_CHARTS:
        (run_dir / f"{stem}.png").unlink()
    (run_dir / "report.html").unlink()
    capsys.readouterr()
    assert main(["plot", str(run_dir), "--network-months", "0,12"]) == 0
    printed = capsys.readouterr().out.splitlines()
    html = (run_dir / "report.html").read_text()
    for stem in RUN_CHARTS:
        assert str(run_dir / f"{stem}.png") in printed and str(run_dir / f"{stem}.svg") in printed, stem
        assert f'<img src="{stem}.png"' in html, stem
    # redrawn from the folder's data alone: the same pixels, byte for byte ...
    for stem in set(RUN_CHARTS) - {"network"}:
        assert (run_dir / f"{stem}.png").read_bytes() == before[stem], stem
    # ... except the network, now with the two months asked for instead of the default ones
    n_default = len(default_months(12))
    assert n_default != 2
    width_before = mpimg.imread(__import__("io").BytesIO(before["network"])).shape[1]
    width_after = mpimg.imread(run_dir / "network.png").shape[1]
    links, rungs = pd.read_parquet(run_dir / "links.parquet"), pd.read_parquet(run_dir / "link_rungs.parquet")
    summary = json.loads((run_dir / "summary.json").read_text())
    sizes = [network_figure(links, summary, {}, months=m, rungs=rungs).get_size_inches()[0]
             for m in ([0, 12], None)]
    assert sizes[0] > sizes[1]                                   # one more network panel
    assert width_after / width_before == pytest.approx(sizes[0] / sizes[1], rel=0.05)
    assert main(["plot", str(run_dir), "--network-months", "0,99"]) == 2
    assert "outside 0..12" in capsys.readouterr().err


def test_rerun_with_force_drops_stale_analyses(tmp_path):
    out = tmp_path / "r"
    args = ["run", str(BASELINE), "--runs", "100", "--out", str(out), "--quiet", "--no-charts",
            "--set", "horizon_months=6"]
    assert main(args) == 0
    assert main(["explain", str(out)]) == 0
    assert (out / "explain.json").exists()
    assert main([*args, "--force"]) == 0
    assert not (out / "explain.json").exists() and not (out / "explain_terms.png").exists()
    assert (out / "report.md").exists() and not (out / "network.png").exists()    # --no-charts


class _Page(__import__("html.parser").parser.HTMLParser):
    """Headings, tables (rows of cell texts) and image sources of a report.html."""

    def __init__(self, text: str):
        super().__init__()
        self.headings, self.tables, self.images, self.links = [], [], [], []
        self._text = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("h1", "h2", "h3", "td", "th"):
            self._text = ""
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag == "a":
            self.links.append(attrs["href"])

    def handle_data(self, data):
        if self._text is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3"):
            self.headings.append((tag, self._text))
        elif tag in ("td", "th"):
            self.tables[-1][-1].append(self._text)
        if tag in ("h1", "h2", "h3", "td", "th"):
            self._text = None


def _ci(entry, digits=3):
    return f"{entry['probability']:.{digits}f} [{entry['ci95'][0]:.{digits}f}, {entry['ci95'][1]:.{digits}f}]"


def _images_exist(page, folder):
    assert page.images
    for src in page.images:
        assert (folder / src).is_file() and (folder / src).with_suffix(".svg").is_file(), src
        assert src.endswith(".png") and src.replace(".png", ".svg") in page.links, src


def test_plot_and_report_on_compare_and_sweep_folders(tmp_path, capsys):
    cmp_dir = tmp_path / "cmp"
    assert main(["compare", str(BASELINE), str(SCENARIOS / "ukraine_stalemate.yaml"), "--runs", "100",
                 "--out", str(cmp_dir), "--quiet", "--no-charts", "--set", "horizon_months=6"]) == 0
    assert not (cmp_dir / "compare_pstays.png").exists()
    assert main(["plot", str(cmp_dir)]) == 0
    for path in (cmp_dir / "compare_pstays.png", cmp_dir / "compare_rung.svg",
                 cmp_dir / "baseline" / "china_rung.png", cmp_dir / "ukraine_stalemate" / "network.png"):
        assert path.exists(), path
    page = _Page((cmp_dir / "report.html").read_text())
    assert page.headings[0] == ("h1", "Which scenario keeps China aligned with Russia? baseline vs ukraine_stalemate")
    assert [t for h, t in page.headings if h == "h2"][:3] == ["Summary", "Scenarios", "Charts"]
    assert "Provenance" in [t for _, t in page.headings]
    assert {"compare_pstays.png", "compare_rung.png"} <= set(page.images)
    _images_exist(page, cmp_dir)
    header, *rows = page.tables[0]
    assert header[:4] == ["scenario", "runs", "P(stays) [95% CI]", "difference vs baseline [95% CI]"]
    assert [r[0] for r in rows] == ["baseline", "ukraine_stalemate"]
    for row in rows:                     # every number is the one in the scenario's own summary.json
        o = json.loads((cmp_dir / row[0] / "summary.json").read_text())["outcomes"]
        assert row[1] == "100" and row[2] == _ci(o["china_stays"]), row
        assert row[4:] == [f"{o['china_stays_throughout']['probability']:.3f}",
                           f"{o['china_weapons_ever']['probability']:.3f}", f"{o['china_rung']['median']:.0f}",
                           f"{o['front']['mean']:.2f}", f"{o['china_cost']['mean']:.2f}"], row
    a, b = (pd.read_parquet(cmp_dir / n / "runs.parquet")["china_stays"].to_numpy(float)
            for n in ("baseline", "ukraine_stalemate"))
    d = b - a                            # paired, run by run
    half = 1.959963984540054 * d.std(ddof=1) / np.sqrt(d.size)
    assert rows[0][3] == "(reference)"
    assert rows[1][3] == f"{d.mean():+.3f} [{d.mean() - half:+.3f}, {d.mean() + half:+.3f}]"

    sweep = tmp_path / "sweep"
    assert main(["sweep", str(BASELINE), "--param", "policies.secondary_sanctions.credibility=0.2:1:2",
                 "--runs", "50", "--out", str(sweep), "--quiet", "--no-charts",
                 "--set", "horizon_months=6"]) == 0
    capsys.readouterr()
    assert main(["plot", str(sweep)]) == 0
    printed = capsys.readouterr().out
    assert str(sweep / "sweep_response.png") in printed.splitlines()
    md = (sweep / "report.md").read_text()
    assert "2 design points over 1 parameter(s)" in md and "P(stays)" in md
    (sweep / "report.html").unlink()
    assert main(["report", str(sweep)]) == 0
    page = _Page((sweep / "report.html").read_text())
    assert page.headings[0] == ("h1", "baseline: which assumptions decide whether China stays? (sweep)")
    assert [t for h, t in page.headings if h == "h2"][:2] == ["Summary", "Charts"]
    assert "sweep_response.png" in page.images
    _images_exist(page, sweep)
    points = pd.read_parquet(sweep / "points.parquet")
    header, *rows = page.tables[0]
    assert header == ["parameter values", "P(stays) [95% CI]"]
    expected = [[f"policies.secondary_sanctions.credibility={p[CREDIBILITY]:.4g}",
                 f"{p['p_stays']:.3f} [{p['p_stays_ci95_low']:.3f}, {p['p_stays_ci95_high']:.3f}]"]
                for _, p in points.iterrows()]
    assert sorted(rows) == sorted(expected)
    assert sorted(points[CREDIBILITY]) == [0.2, 1.0]


@pytest.mark.parametrize("command", ["plot", "explain", "report"])
def test_commands_refuse_a_folder_without_manifest(tmp_path, capsys, command):
    assert main([command, str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no manifest.json" in err and len(err.strip().splitlines()) == 1


def test_explain_refuses_a_compare_folder(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "compare", "scenarios": []}))
    assert main(["explain", str(tmp_path)]) == 2
    assert "run folder" in capsys.readouterr().err
