"""Observed data (data/history/*.csv): every row loads with its source; bad rows are one-line errors."""

import pytest

from simulator.cli.main import main
from simulator.measurement.data import COLUMNS, DATA_DIR, load_observations, series
from simulator.scenario import ScenarioError

HEADER = ",".join(COLUMNS) + "\n"
GOOD = '2024-03,china_exports_to_russia_yoy,-16,% y/y,China customs via Bloomberg,https://example.org/a\n'


def test_bundled_observations_load_each_with_a_source_and_a_url():
    obs = load_observations()
    assert {p.name for p in DATA_DIR.glob("*.csv")} >= {"china_russia.csv", "iran.csv", "north_korea.csv"}
    assert len(obs) >= 30
    for o in obs:
        assert o.source.strip() and o.url.strip() and o.unit.strip(), (o.file, o.line)
    # the figures the episodes are scored on are there, from their sources
    trade = {o.date: o.value for o in series(obs, "china_russia_trade_annual")}
    assert set(trade) >= {"2021-12", "2022-12", "2023-12", "2024-12"}
    assert trade["2023-12"] > trade["2022-12"] > trade["2021-12"]      # records in 2022 and 2023
    assert 0 < trade["2024-12"] / trade["2023-12"] - 1 < 0.05          # and, slightly, in 2024
    dip = {o.date: o.value for o in series(obs, "china_exports_to_russia_yoy")}
    assert dip["2024-03"] < -10 < 0 < dip["2024-06"]
    assert series(obs, "china_imports_from_nk_yoy")[0].value < -80
    iran = series(obs, "china_crude_imports_from_iran")
    assert iran[0].date == "2018-05" and iran[0].value == 660


@pytest.mark.parametrize("row, where, message", [
    ('2024-03,x_y,-16,% y/y,,https://example.org/a\n', ":3: source:", "is empty"),
    ('2024-03,x_y,-16,% y/y,Bloomberg,\n', ":3: url_or_citation:", "is empty"),
    ('2024-03,x_y,-16,,Bloomberg,https://a\n', ":3: unit:", "is empty"),
    ('2024-13,x_y,-16,%,Bloomberg,https://a\n', ":3: date:", "YYYY-MM"),
    ('March 2024,x_y,-16,%,Bloomberg,https://a\n', ":3: date:", "YYYY-MM"),
    ('2024-03,X Y,-16,%,Bloomberg,https://a\n', ":3: series:", "slug"),
    ('2024-03,x_y,lots,%,Bloomberg,https://a\n', ":3: value:", "a number"),
    ('2024-03,x_y,nan,%,Bloomberg,https://a\n', ":3: value:", "finite"),
    ('2024-03,x_y,1,%,Bloomberg\n', ":3: (top level):", "expected 6 columns"),
    ('2024-03,china_exports_to_russia_yoy,-15,%,B,https://a\n', ":3: series:", "given twice (first at"),
])
def test_a_bad_row_is_one_line_naming_file_line_and_column(tmp_path, row, where, message):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + GOOD + row, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_observations([path])
    text = err.value.format()
    assert text.startswith(f"{path}{where}") and message in text and "\n" not in text


def test_a_wrong_header_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("date,series,value\n2024-03,x,1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad.csv:1: header: expected the columns date,series"):
        load_observations([path])


def test_validate_command_checks_data_files_and_exits_2_on_a_row_without_source(tmp_path, capsys):
    assert main(["validate", str(DATA_DIR / "iran.csv")]) == 0
    out = capsys.readouterr().out
    n = len(load_observations([DATA_DIR / "iran.csv"]))
    assert f"iran.csv: ok ({n} observations" in out
    bad = tmp_path / "nosource.csv"
    bad.write_text(HEADER + GOOD.replace("China customs via Bloomberg", ""), encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"{bad}:2: source: is empty: every observation needs its unit, its source and where to read it"
