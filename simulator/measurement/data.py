"""Observed data: ``data/history/*.csv``, one row per observation.

Columns (in this order): ``date, series, value, unit, source, url_or_citation``.  ``date`` is the
calendar month the observation ends in (``YYYY-MM``); ``series`` is a slug naming what was
measured; ``value`` a finite number in ``unit``; ``source`` who measured it and where it was
reported; ``url_or_citation`` where to read it.  Nothing without a source is loaded: a row with an
empty ``source`` or ``url_or_citation`` is bad input, reported like a scenario error,
``FILE:LINE: column: message``.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from ..scenario import ScenarioError

COLUMNS = ("date", "series", "value", "unit", "source", "url_or_citation")
DATE = re.compile(r"^(\d{4})-(\d{2})$")
SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
#: Where the bundled observations live, relative to the project folder.
DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "history"
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Observation:
    date: str            # YYYY-MM
    series: str
    value: float
    unit: str
    source: str
    url: str
    file: str
    line: int

    @property
    def month_index(self) -> int:
        """Months since January of year 0 (for arithmetic on dates)."""
        return month_index(self.date)


def month_index(date: str) -> int:
    m = DATE.match(date)
    if not m:
        raise ValueError(f"not a YYYY-MM month: {date!r}")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def load_observations(paths=None) -> list[Observation]:
    """Every row of the given CSV files (default: all of ``data/history/*.csv``), validated."""
    if paths is None:
        paths = sorted(DATA_DIR.glob("*.csv"))
    out: list[Observation] = []
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for path in paths:
        for obs in _load_file(Path(path)):
            key = (obs.series, obs.date)
            if key in seen:
                f, ln = seen[key]
                raise ScenarioError(obs.file, obs.line, "series",
                                    f"{obs.series} at {obs.date} is given twice (first at {f}:{ln})")
            seen[key] = (obs.file, obs.line)
            out.append(obs)
    return out


def _load_file(path: Path) -> list[Observation]:
    name = str(path)
    if not path.is_file():
        raise ScenarioError(name, None, "", "file not found (or not a regular file)")
    if path.stat().st_size > MAX_BYTES:
        raise ScenarioError(name, None, "", f"file is larger than {MAX_BYTES:,} bytes")
    text = path.read_text(encoding="utf-8")
    if "\x00" in text:
        raise ScenarioError(name, None, "", "file contains a NUL byte")
    lines = text.splitlines()
    if not lines:
        raise ScenarioError(name, 1, "", "empty file: expected the header " + ",".join(COLUMNS))
    header = next(csv.reader([lines[0]]))
    if tuple(h.strip() for h in header) != COLUMNS:
        raise ScenarioError(name, 1, "header", f"expected the columns {','.join(COLUMNS)}, "
                            f"got {','.join(header)}")
    rows: list[Observation] = []
    reader = csv.reader(text.splitlines(keepends=True)[1:])
    last_line = 1
    for fields in reader:
        line = last_line + 1
        last_line = 1 + reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(COLUMNS):
            raise ScenarioError(name, line, "", f"expected {len(COLUMNS)} columns, got {len(fields)}")
        rec = dict(zip(COLUMNS, (f.strip() for f in fields)))
        if not DATE.match(rec["date"]) or not 1 <= int(rec["date"][5:7]) <= 12:
            raise ScenarioError(name, line, "date", f"expected a month YYYY-MM, got {rec['date']!r}")
        if not SLUG.match(rec["series"]):
            raise ScenarioError(name, line, "series",
                                f"expected a slug (lower-case letters, digits, _), got {rec['series']!r}")
        try:
            value = float(rec["value"])
        except ValueError:
            raise ScenarioError(name, line, "value", f"expected a number, got {rec['value']!r}") from None
        if not math.isfinite(value):
            raise ScenarioError(name, line, "value", f"expected a finite number, got {rec['value']!r}")
        for col in ("unit", "source", "url_or_citation"):
            if not rec[col]:
                raise ScenarioError(name, line, col, "is empty: every observation needs its unit, "
                                    "its source and where to read it")
        rows.append(Observation(rec["date"], rec["series"], value, rec["unit"], rec["source"],
                                rec["url_or_citation"], name, line))
    return rows


def series(observations: list[Observation], name: str) -> list[Observation]:
    """The observations of one series, in date order."""
    return sorted((o for o in observations if o.series == name), key=lambda o: o.month_index)
