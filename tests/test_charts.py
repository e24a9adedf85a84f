"""Charts a policy reader can trust: checked on the Figure objects (artists, limits, labels,
legends clear of the data)."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from simulator.analysis.summary import bands, summarize
from simulator.charts.run_charts import china_rung_figure, splits, theatres_figure
from simulator.charts.style import calendar
from simulator.experiment.ensemble import run_ensemble
from simulator.scenario import load_scenario

from .conftest import SCENARIOS

CALENDAR = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def legends_clear_of_axes(fig) -> None:
    """Every legend lies outside every visible axes that holds data."""
    fig.canvas.draw()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert legends, "no legend"
    for legend in legends:
        box = legend.get_window_extent()
        for ax in fig.axes:
            if ax.get_visible() and ax.axison and (ax.lines or ax.collections or ax.patches):
                assert not box.overlaps(ax.get_window_extent()), (legend.get_texts()[0].get_text(), ax.get_title())


def calendar_ticks(ax) -> list[str]:
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(CALENDAR.match(t) for t in labels), labels
    return labels


@pytest.fixture(scope="module")
def sanctions():
    ens = run_ensemble(load_scenario(SCENARIOS / "secondary_sanctions.yaml"), runs=400)
    return bands(ens), summarize(ens)


def test_china_rung_shows_mean_with_bands_for_russia_iran_and_north_korea(sanctions):
    b, summary = sanctions
    fig = china_rung_figure(b, summary, {"git": "abc"})
    top = [ax for ax in fig.axes if ax.get_title().startswith("China's support to")]
    assert [ax.get_title() for ax in top] == ["China's support to Russia", "China's support to Iran",
                                              "China's support to North Korea"]
    for ax, series in zip(top, ("china_rung", "china_iran_rung", "china_nk_rung")):
        mean = [line for line in ax.lines if line.get_label() == "mean rung over runs"]
        assert len(mean) == 1
        expected = b[b["series"] == series].sort_values("month")["mean"].to_numpy()
        assert np.allclose(mean[0].get_ydata(), expected)
        assert not any("median" in line.get_label() for line in ax.lines)   # no flipping median line
    legends_clear_of_axes(fig)
    plt.close(fig)


def test_split_months_are_marked_where_runs_divide_between_two_rungs():
    shares = np.array([[0.0, 0.0, 0.0], [0.1, 0.45, 0.2], [0.9, 0.55, 0.8], [0.0, 0.0, 0.0], [0, 0, 0]])
    assert splits(shares).tolist() == [False, True, False]


def test_time_charts_use_calendar_months_and_mark_every_event(sanctions):
    b, summary = sanctions
    events = summary["events"]
    assert events and all(ev["month"] == 1 for ev in events)
    for fig in (china_rung_figure(b, summary, {"git": "abc"}), theatres_figure(b, summary, {"git": "abc"})):
        timed = [ax for ax in fig.axes if ax.get_xticklabels() and ax.lines]
        for ax in timed:
            lines = [line for line in ax.lines if line.get_gid() == "event"]
            assert [line.get_xdata()[0] for line in lines] == [1], ax.get_title()
            assert "months from" not in ax.get_xlabel()
        calendar_ticks(timed[-1])
        caption = [t for t in fig.texts if t.get_gid() == "events-caption"]
        assert len(caption) == 1
        assert f"E1 {calendar(summary['start'], 1)}: broad threat to Chinese banks (+3 more)" in caption[0].get_text()
        plt.close(fig)


def test_theatres_define_the_index_and_keep_legends_off_the_data(sanctions):
    b, summary = sanctions
    fig = theatres_figure(b, summary, {"git": "abc"})
    axes = [ax for ax in fig.axes if ax.lines]
    assert axes[0].get_ylabel() == "index (0-1)"
    for ax in axes:
        assert re.search(r"0 = .+, 1 = .+", ax.get_title()), ax.get_title()
        assert ax.get_ylim() == (0.0, 1.0)
    legends_clear_of_axes(fig)
    plt.close(fig)


def _doc_script():
    import importlib.util

    from .conftest import ROOT
    spec = importlib.util.spec_from_file_location("make_doc_charts", ROOT / "scripts" / "make_doc_charts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_charts_and_doc_pictures_are_drawn_at_150_dpi_or_more():
    from simulator.charts import style
    assert style.DPI >= 150 and _doc_script().DPI >= 150


def test_doc_pictures_refuse_uncommitted_code(monkeypatch, capsys):
    from simulator.experiment import provenance
    script = _doc_script()
    monkeypatch.setattr(provenance, "git_hash", lambda: "abc123-dirty")
    monkeypatch.setattr(script, "build", lambda work: pytest.fail("must not draw"))
    assert script.main([]) == 2
    assert "commit first" in capsys.readouterr().err


def test_china_rung_can_show_russia_alone_for_narrow_pages(sanctions):
    b, summary = sanctions
    fig = china_rung_figure(b, summary, {"git": "abc"}, partners=("russia",))
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["China's support to Russia"]
    legends_clear_of_axes(fig)
    caption = next(t for t in fig.texts if t.get_gid() == "events-caption")
    fig.canvas.draw()
    box = caption.get_window_extent()
    assert not any(box.overlaps(legend.get_window_extent()) for legend in fig.legends)
    plt.close(fig)
