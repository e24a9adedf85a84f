"""One index of results: `run` with several scenarios writes index.html, index.md and
summary.csv at the top of --out; `plot` on a folder of folders redraws each and rewrites the
index; compare reports link their scenarios' reports; --format csv writes runs and points."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from simulator.cli.main import main

from .conftest import BASELINE, SCENARIOS

SS = SCENARIOS / "secondary_sanctions.yaml"
SHORT = ["--set", "horizon_months=12", "--quiet"]


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (tag, name) in (("a", "href"), ("img", "src")):
                self.links.append(value)


def html_links(path: Path) -> list[str]:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.links


def md_links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return re.findall(r"\]\(([^)]+)\)", text) + re.findall(r'src="([^"]+)"', text)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("index") / "results"
    assert main(["run", str(BASELINE), str(SS), "--runs", "150", "--seed", "3", "--out", str(out), *SHORT]) == 0
    return out


def test_run_with_several_scenarios_writes_an_index(results):
    assert {"index.html", "index.md", "summary.csv"} <= {p.name for p in results.iterdir()}
    table = pd.read_csv(results / "summary.csv")
    assert table["scenario"].tolist() == ["baseline", "secondary_sanctions"]
    for _, row in table.iterrows():
        summary = json.loads((results / row["folder"] / "summary.json").read_text())
        stays = summary["outcomes"]["china_stays"]
        assert row["runs"] == summary["runs"] == 150
        assert row["p_stays"] == pytest.approx(stays["probability"])
        assert [row["p_stays_ci95_low"], row["p_stays_ci95_high"]] == pytest.approx(stays["ci95"])
        assert row["median_rung"] == summary["outcomes"]["china_rung"]["median"]
        assert row["china_cost"] == pytest.approx(summary["outcomes"]["china_cost"]["mean"])


def test_index_links_every_report_and_thumbnail(results):
    html_targets = html_links(results / "index.html")
    assert {"baseline/report.html", "secondary_sanctions/report.html", "baseline/china_rung.png",
            "secondary_sanctions/china_rung.png", "summary.csv"} <= set(html_targets)
    md_targets = md_links(results / "index.md")
    assert {"baseline/report.md", "secondary_sanctions/report.md", "baseline/china_rung.png"} <= set(md_targets)
    for target in html_targets + md_targets:
        assert (results / target).exists(), target
    text = (results / "index.html").read_text()
    p = pd.read_csv(results / "summary.csv").iloc[1]
    assert f"{p['p_stays']:.3f} [{p['p_stays_ci95_low']:.3f}, {p['p_stays_ci95_high']:.3f}]" in text


def test_one_scenario_writes_no_index(tmp_path):
    assert main(["run", str(BASELINE), "--runs", "50", "--out", str(tmp_path / "one"), "--no-charts", *SHORT]) == 0
    assert not (tmp_path / "one" / "index.html").exists() and (tmp_path / "one" / "summary.json").exists()


def test_plot_redraws_every_folder_below_and_rewrites_the_index(results, capsys):
    assert main(["compare", str(BASELINE), str(SS), "--runs", "100", "--out", str(results / "cmp"),
                 "--no-charts", *SHORT]) == 0
    for stale in (results / "baseline" / "china_rung.png", results / "index.md", results / "summary.csv"):
        stale.unlink()
    capsys.readouterr()
    assert main(["plot", str(results)]) == 0
    printed = capsys.readouterr().out.split()
    assert (results / "baseline" / "china_rung.png").exists()
    assert (results / "cmp" / "compare_pstays.png").exists()          # the compare folder is redrawn too
    assert str(results / "index.md") in printed and str(results / "cmp" / "report.html") in printed
    assert pd.read_csv(results / "summary.csv")["scenario"].tolist() == ["baseline", "secondary_sanctions"]
    assert "cmp/report.html" in html_links(results / "index.html")      # listed after the table


def test_plot_on_a_folder_without_results_is_bad_input(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["plot", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no run, compare or sweep folder" in err
    assert list((tmp_path / "empty").iterdir()) == []


def test_compare_report_links_its_scenarios_reports(tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", str(BASELINE), str(SS), "--runs", "80", "--out", str(out), "--no-charts", *SHORT]) == 0
    targets = html_links(out / "report.html")
    assert {"baseline/report.html", "secondary_sanctions/report.html"} <= set(targets)
    assert {"baseline/report.md", "secondary_sanctions/report.md"} <= set(md_links(out / "report.md"))
    for target in targets:
        assert (out / target).exists(), target


def test_sweep_format_csv_writes_points(tmp_path):
    out = tmp_path / "sw"
    assert main(["sweep", str(BASELINE), "--param", "policies.secondary_sanctions.intensity=0:1:3", "--runs", "40",
                 "--block", "40", "--out", str(out), "--no-charts", "--format", "csv", *SHORT]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "points.csv"), pd.read_parquet(out / "points.parquet"),
                                  check_dtype=False)
    assert main(["sweep", str(BASELINE), "--param", "policies.secondary_sanctions.intensity=0:1:3", "--runs", "40",
                 "--block", "40", "--out", str(tmp_path / "sw2"), "--no-charts", *SHORT]) == 0
    assert not (tmp_path / "sw2" / "points.csv").exists()
