"""The documentation stays true to the code, the scenario files and the articles.

* docs/parameters.md is generated from scenarios/baseline.yaml and must be current;
* every parameter the baseline file gives has a source and a plausible range (a small
  known set is deliberately fixed);
* every article passage quoted in a scenario ``source`` (text in single quotes after
  "Schuman" or "Hadley") or in docs/model.md (``**ID** (Author): "..."``) has at most
  30 words and is an exact substring of the article (whitespace collapsed, curly quotes
  and dashes normalised).  The articles live in ../shared/seeds next to the repository
  (or $AXIS_SIM_SHARED/seeds); without them the substring checks are skipped, and under
  CI=true they fail, naming the missing folder.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache

import pytest
import yaml

from simulator.scenario import load_scenario

from .conftest import BASELINE, ROOT, SCENARIOS, SHARED, need

SEEDS = SHARED / "seeds"
CLAIMS = SHARED / "calibration" / "claims.md"
MODEL_MD = ROOT / "docs" / "model.md"
MAX_WORDS = 30

#: Parameters the baseline deliberately fixes (no range): a structural choice, not a number
#: to sample.  The redline is the rung that triggers broad sanctions (weapons, Hadley O17);
#: sweeping it is a scenario question (see scenarios/secondary_sanctions.yaml).
FIXED_WITHOUT_RANGE = {"policies.secondary_sanctions.redline_rung",
                       # a fact of the world the scenario describes, not an uncertain quantity: a
                       # full-scale war in Ukraine (1) since February 2022 (episodes before it set 0)
                       "theatres.ukraine.war",
                       # terms a kind of Western decision does not have (weight 0 by construction)
                       "decision.policy_weights.deterrence.prestige_cost",
                       "decision.policy_weights.strikes.prestige_cost", "decision.policy_weights.strikes.allies_cost",
                       "decision.policy_weights.resistance.prestige_cost",
                       "decision.policy_weights.resistance.allies_cost"}
#: State attributes the schema defaults to 0 and the baseline leaves unset for some states.
SCHEMA_DEFAULTS = {"prestige_stake", "gulf_oil_dependency", "decoupling_rate", "ambition", "sanction_exposure"}
#: Which article each author name refers to (file name prefix in the seeds folder).
ARTICLES = {"Schuman": "000_", "Hadley": "003_"}


def _generator():
    spec = importlib.util.spec_from_file_location("gen_parameters", ROOT / "scripts" / "gen_parameters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- parameters.md

def test_parameters_doc_is_current():
    gen = _generator()
    generated = gen.render(BASELINE)
    on_disk = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    if generated != on_disk:
        diff = "\n".join(gen.check(generated)[:30])
        pytest.fail("docs/parameters.md is out of date; run `python scripts/gen_parameters.py`\n" + diff)


def test_generator_check_mode_detects_a_stale_file(tmp_path):
    gen = _generator()
    text = gen.render(BASELINE)
    stale = tmp_path / "parameters.md"
    stale.write_text(text.replace("| 0.35 |", "| 0.36 |", 1), encoding="utf-8")
    assert gen.check(text, stale)                      # a one-cell change is reported
    stale.write_text(text, encoding="utf-8")
    assert gen.check(text, stale) == []


def test_generated_tables_follow_file_order_and_quote_sources_verbatim():
    text = _generator().render(BASELINE)
    resolved = load_scenario(BASELINE)
    for section in ("states", "theatres", "policies", "decision"):
        assert f"\n## {section}\n" in text
    lines = [ln for ln in text.splitlines() if ln.startswith("| `")]
    rows = [ln.split("`")[1] for ln in lines]
    given = [p for p in rows if tuple(p.split(".")) in resolved.origins and p in resolved.params]
    file_lines = [resolved.origins[tuple(p.split("."))][1] for p in given]
    assert file_lines == sorted(file_lines)
    for path in given:
        source = resolved.params[path].source
        assert source.replace("|", "\\|") in text, path


def test_every_baseline_parameter_has_a_source_and_a_range():
    resolved = load_scenario(BASELINE)
    given = {p: s for p, s in resolved.params.items() if tuple(p.split(".")) in resolved.origins}
    assert len(given) > 100
    no_source = [p for p, s in given.items() if not (s.source or "").strip()]
    assert not no_source, f"parameters without a source: {no_source}"
    no_range = {p for p, s in given.items() if s.range is None}
    assert no_range <= FIXED_WITHOUT_RANGE, f"parameters without a range: {sorted(no_range - FIXED_WITHOUT_RANGE)}"
    degenerate = [p for p, s in given.items() if s.range is not None and s.range[0] == s.range[1]]
    assert not degenerate, f"ranges of zero width (use no range instead): {degenerate}"
    # Parameters the file does not give are schema defaults of 0 (e.g. Europe's prestige stake).
    for path, spec in resolved.params.items():
        if path not in given:
            assert path.split(".")[-1] in SCHEMA_DEFAULTS and spec.value == 0.0, path


# ----------------------------------------------------------------------------- quotes

def normalise(text: str) -> str:
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'),
                 ("\u2014", "-"), ("\u2013", "-")):
        text = text.replace(a, b)
    return " ".join(text.split())


@lru_cache(maxsize=None)
def article(author: str) -> str:
    files = sorted(SEEDS.glob(f"{ARTICLES[author]}*.txt"))
    need(bool(files), f"the articles in {SEEDS} (set AXIS_SIM_SHARED to their folder's parent)")
    text = files[0].read_text(encoding="utf-8")
    if "<CONTENT>" in text:                 # cite the author's text, not the SUMMARY/HIGHLIGHTS
        text = text.split("<CONTENT>", 1)[1].split("</CONTENT>", 1)[0]
    return normalise(text)


@lru_cache(maxsize=None)
def claims() -> dict[str, tuple[str, str]]:
    """Claim ID -> (normalised quote, article file) from the calibration table."""
    need(CLAIMS.exists(), f"the calibration table {CLAIMS} (set AXIS_SIM_SHARED)")
    out = {}
    for line in CLAIMS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 4 and re.fullmatch(r"[NOMF]\d+[a-d]?", cells[1]) and cells[2].startswith('"'):
            out[cells[1]] = (normalise(cells[2][1:-1]), cells[3])
    return out


_AUTHOR = re.compile(r"\b(Schuman|Hadley)\b(?:\s*\(([^)]*)\))?")


def _is_word_char(c: str) -> bool:
    return c.isalnum()


def source_quotes(source: str) -> tuple[list[tuple[str, tuple[str, ...], str]], list[str]]:
    """Quoted passages after an author name: [(author, claim IDs, quote)] and problems.

    A quote opens with ' after a space or bracket and closes with ' not followed by a
    letter; an apostrophe between letters (Iran's) is part of the text.  Write a
    possessive after a plural s as in the article (regimes’ with a curly apostrophe).
    """
    mentions = list(_AUTHOR.finditer(source))
    if not mentions:
        return [], []
    quotes, problems = [], []
    i, n = mentions[0].start(), len(source)
    while i < n:
        c = source[i]
        if c != "'":
            i += 1
            continue
        prev, nxt = source[i - 1] if i else " ", source[i + 1] if i + 1 < n else " "
        if _is_word_char(prev) and _is_word_char(nxt):        # apostrophe inside a word
            i += 1
            continue
        if not (prev in " ([/\"" and not nxt.isspace()):
            problems.append(f"stray quote mark at column {i}: ...{source[max(0, i - 20):i + 20]}...")
            i += 1
            continue
        j = i + 1
        while j < n:
            if source[j] == "'" and not source[j - 1].isspace() and not (j + 1 < n and _is_word_char(source[j + 1])):
                break
            j += 1
        if j >= n:
            problems.append(f"unclosed quote at column {i}")
            break
        before = [m for m in mentions if m.start() < i]
        who = before[-1]
        ids = tuple(x.strip() for x in re.split(r"[/,;]", who.group(2) or "") if x.strip())
        quotes.append((who.group(1), ids, source[i + 1:j]))
        i = j + 1
    return quotes, problems


def _sources(node, found):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "source" and isinstance(v, str):
                found.append(v)
            else:
                _sources(v, found)
    elif isinstance(node, list):
        for v in node:
            _sources(v, found)
    return found


def yaml_quotes():
    out = []
    for file in sorted(SCENARIOS.glob("*.yaml")) + sorted(SCENARIOS.glob("history/*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        for source in _sources(data, []):
            quotes, problems = source_quotes(source)
            for author, ids, quote in quotes:
                out.append((file.name, source, author, ids, quote))
            for problem in problems:
                out.append((file.name, source, None, (), problem))
    return out


YAML_QUOTES = yaml_quotes()
_MODEL_CITE = re.compile(r"\*\*([NOMF]\d+[a-d]?)\*\*\s+\((Schuman|Hadley)\):")
_MODEL_QUOTE = re.compile(r"\*\*([NOMF]\d+[a-d]?)\*\*\s+\((Schuman|Hadley)\):\s+\"([^\"]+)\"")


def model_quotes():
    if not MODEL_MD.exists():
        return []
    return [(m.group(1), m.group(2), m.group(3)) for m in _MODEL_QUOTE.finditer(MODEL_MD.read_text("utf-8"))]


MODEL_QUOTES = model_quotes()


def _ids(items):
    return [f"{f}:{q[:40]}" for f, _, _, _, q in items]


def test_quote_parser():
    q, problems = source_quotes("Hadley (M21): a belief that 'a mortal threat to their regimes\u2019 "
                                "interests'; Schuman (N2): 'China buys almost all of Iran's oil exports'")
    assert [(a, i, t) for a, i, t in q] == [
        ("Hadley", ("M21",), "a mortal threat to their regimes\u2019 interests"),
        ("Schuman", ("N2",), "China buys almost all of Iran's oil exports")]
    assert not problems
    _, problems = source_quotes("Hadley (M21): 'their regimes' interests'")
    assert problems                                   # an ambiguous straight apostrophe is flagged
    assert source_quotes("assumption: it's a guess")[0] == []
    assert len(YAML_QUOTES) >= 20                     # the scenario files do quote the articles


@pytest.mark.parametrize("file,source,author,ids,quote", YAML_QUOTES, ids=_ids(YAML_QUOTES))
def test_yaml_source_quotes_are_short_and_exact(file, source, author, ids, quote):
    assert author is not None, f"{file}: {quote} in source {source!r}"
    words = len(quote.split())
    assert words <= MAX_WORDS, f"{file}: quote of {words} words (max {MAX_WORDS}): {quote!r}"
    text = article(author)
    assert normalise(quote) in text, f"{file}: not an exact passage of {author}: {quote!r}"


@pytest.mark.parametrize("file,source,author,ids,quote", [q for q in YAML_QUOTES if q[3]],
                         ids=_ids([q for q in YAML_QUOTES if q[3]]))
def test_yaml_source_claim_ids_match_their_quotes(file, source, author, ids, quote):
    table = claims()
    unknown = [i for i in ids if i not in table]
    assert not unknown, f"{file}: unknown claim ID(s) {unknown} in {source!r}"
    prefix = ARTICLES[author]
    assert all(table[i][1].startswith(prefix) for i in ids), f"{file}: {ids} are not from {author}"
    assert any(normalise(quote) in table[i][0] for i in ids), \
        f"{file}: {quote!r} is not part of the passage of claim {'/'.join(ids)}"


def test_model_doc_quotes_found():
    assert len(MODEL_QUOTES) >= 20
    # every citation of the form **ID** (Author): is followed by its quote
    cites = len(_MODEL_CITE.findall(MODEL_MD.read_text("utf-8")))
    assert cites == len(MODEL_QUOTES)


@pytest.mark.parametrize("cid,author,quote", MODEL_QUOTES, ids=[f"{c}:{q[:40]}" for c, _, q in MODEL_QUOTES])
def test_model_doc_quotes_are_short_exact_and_match_their_claim(cid, author, quote):
    words = len(quote.split())
    assert words <= MAX_WORDS, f"model.md: quote of {words} words (max {MAX_WORDS}): {quote!r}"
    assert normalise(quote) in article(author), f"model.md: not an exact passage of {author}: {quote!r}"
    table = claims()
    assert cid in table, f"model.md: unknown claim {cid}"
    assert table[cid][1].startswith(ARTICLES[author]), f"model.md: {cid} is not from {author}"
    assert normalise(quote) in table[cid][0], f"model.md: {quote!r} is not part of claim {cid}"
