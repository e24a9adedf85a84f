"""scripts/make_robustness.py: the one way to make docs/robustness.md and the README's section
"What the answer depends on" (checked against each other here; figures stay in the doc)."""

import importlib.util
import re

import pytest

from simulator.cli.main import main

from .conftest import ROOT
from .test_robustness import _tiny


def _script():
    spec = importlib.util.spec_from_file_location("make_robustness", ROOT / "scripts" / "make_robustness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sections(doc: str) -> list[tuple[str, str]]:
    """Each scenario's part of docs/robustness.md: (scenario name, text), in order."""
    heads = list(re.finditer(r"^## What P\(China stays\) depends on: (\S+)$", doc, re.M))
    return [(m.group(1), doc[m.start(): heads[i + 1].start() if i + 1 < len(heads) else len(doc)])
            for i, m in enumerate(heads)]


@pytest.fixture(scope="module")
def tiny_parts(tmp_path_factory):
    """robustness.md of two tiny --all designs (three drawn parameters each)."""
    base = tmp_path_factory.mktemp("mr")
    parts = []
    for name, extra in (("baseline", []), ("other", ["--seed", "7"])):
        assert main(_tiny(base / name, *extra)) == 0
        parts.append((name, (base / name / "robustness.md").read_text()))
    return parts


def test_doc_holds_both_rankings_demoted_with_the_command_and_no_date(tiny_parts):
    mr = _script()
    doc = mr.build_doc(tiny_parts, mr.script_command(None, None))
    assert doc.startswith("# What the answer depends on\n")
    assert "```bash\npython scripts/make_robustness.py\n```" in doc
    sections = _sections(doc)
    assert [name for name, _ in sections] == ["baseline", "baseline"]   # both tiny runs are of the baseline
    for (_, text), (_, part) in zip(tiny_parts, sections):
        assert mr.top_parameters(part) == mr.top_parameters(text)
        assert "### The parameters that decide P(stays)" in part and "python run.py sensitivity" in part
        assert text.split("\n\n")[1].strip() in doc             # the plain-words paragraph, in short
    assert not re.search(r"20\d\d-\d\d-\d\d|\d\d:\d\d:\d\d", doc)
    assert mr.script_command(4, 100) == "python scripts/make_robustness.py --samples 4 --runs 100"


def test_readme_section_names_the_leaders_in_order_without_figures(tiny_parts):
    mr = _script()
    section = mr.readme_section([("baseline", tiny_parts[0][1]), ("secondary_sanctions", tiny_parts[1][1])])
    for (_, text), lead in zip(tiny_parts, ("In the baseline", "Under broad secondary sanctions")):
        top = mr.top_parameters(text)
        assert len(top) == 3
        sentence = next(s for s in section.split(". ") if s.startswith(lead))
        assert [sentence.index(f"`{p}`") for p in top] == sorted(sentence.index(f"`{p}`") for p in top)
    outside_code = re.sub(r"`[^`]*`", "", section)
    assert not re.search(r"\d\.\d|\d%", outside_code)


def test_write_readme_replaces_only_the_generated_section(tmp_path, monkeypatch):
    mr = _script()
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{mr.BEGIN}\nold text\n{mr.END}\nafter\n")
    monkeypatch.setattr(mr, "README", readme)
    mr.write_readme("new text")
    assert readme.read_text() == f"before\n{mr.BEGIN}\nnew text\n{mr.END}\nafter\n"
    readme.write_text("no markers\n")
    with pytest.raises(SystemExit):
        mr.write_readme("x")


def test_committed_doc_and_readme_agree():
    """docs/robustness.md is the script's output and the README's section follows from it."""
    mr = _script()
    doc = (ROOT / "docs" / "robustness.md").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "```bash\npython scripts/make_robustness.py" in doc
    assert "[docs/robustness.md](docs/robustness.md)" in readme and "## What the answer depends on" in readme
    sections = _sections(doc)
    assert [name for name, _ in sections] == ["baseline", "secondary_sanctions"]
    generated = readme.split(mr.BEGIN, 1)[1].split(mr.END, 1)[0].strip()
    assert generated == mr.readme_section(sections)
    for name, part in sections:
        assert f"python run.py sensitivity scenarios/{name}.yaml --all" in part


@pytest.mark.slow
def test_script_runs_both_scenarios_end_to_end(tmp_path):
    mr = _script()
    output = tmp_path / "robustness.md"
    assert mr.main(["--samples", "1", "--runs", "10", "--out", str(tmp_path / "res"), "--output", str(output),
                    "--no-readme", "--workers", "1"]) == 0
    doc = output.read_text()
    assert [name for name, _ in _sections(doc)] == ["baseline", "secondary_sanctions"]
    assert "python scripts/make_robustness.py --samples 1 --runs 10" in doc
    for name in ("baseline", "secondary_sanctions"):
        assert (tmp_path / "res" / name / "robustness.md").read_text().split("\n\n")[1] in doc
