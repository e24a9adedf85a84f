"""The explorer in a real browser: Playwright driving Debian's chromium.

Install what they need with ``apt-get install -y chromium`` and ``pip install -e '.[test]'``
(``.ci/run`` does both); without them these tests skip and say so.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

INSTALL = "apt-get install -y chromium && pip install -e '.[test]'"


def _chromium() -> str | None:
    for name in (os.environ.get("AXIS_SIM_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
        import solara  # noqa: F401
    except ModuleNotFoundError as exc:
        return f"{exc.name} is not installed: {INSTALL}"
    if _chromium() is None:
        return f"no chromium browser found: {INSTALL}"
    return None


if _missing():
    pytest.skip(_missing(), allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

from simulator.cli.explore import core  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`run.py explore` on a free loopback port, started in a scratch folder (where it saves)."""
    folder = tmp_path_factory.mktemp("explore")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "explore", "--no-browser", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"explorer did not start: {proc.stdout.read()}")
            time.sleep(0.5)
        yield {"url": url, "folder": folder, "proc": proc}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        yield b
        b.close()


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("[data-testid=chosen-pstays]", timeout=90_000)
    return page, errors


def _count(page, which="chosen") -> int:
    return int(page.get_attribute(f"[data-testid={which}-pstays]", "data-count"))


def _wait_for_count_change(page, before: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _count(page)
        if now != before:
            return now
        time.sleep(0.02)
    raise AssertionError("P(stays) did not change")


def test_page_loads_with_title_and_address(server, browser):
    page, errors = _open(browser, server["url"])
    assert "axis-sim" in page.title()
    assert _count(page) == _count(page, "baseline")      # the baseline opens unchanged
    assert page.locator("[role=slider]").count() == len(core.SLIDERS)
    first = core.sliders(core.load(core.View()))[0]
    page.locator(".slider-row").first.hover()                  # source and range on hover
    tip = page.get_by_text(first.tooltip[:40])
    tip.wait_for(state="visible", timeout=10_000)
    assert first.source[:30] in tip.inner_text()
    page.close()
    assert errors == []


def test_slider_changes_pstays_to_what_the_library_computes_then_save_and_rerun(server, browser, tmp_path):
    page, errors = _open(browser, server["url"])
    before = _count(page)
    thumb = page.locator("[role=slider]").first          # the most influential parameter
    thumb.focus()
    t0 = time.perf_counter()
    thumb.press("End")                                   # to the top of its range
    after = _wait_for_count_change(page, before)
    seconds = time.perf_counter() - t0
    page.wait_for_function("() => !document.body.innerText.includes('updating')", timeout=30_000)
    after = _count(page)
    server_seconds = float(page.get_attribute("[data-testid=timing]", "data-seconds"))
    print(f"\nexplorer update after a slider move: {seconds:.2f} s in the browser, "
          f"{server_seconds:.2f} s to compute and draw {core.DEFAULT_RUNS} runs")
    # the URL holds the state; the library gives the same number for it
    view = core.View.from_query(page.url.split("?", 1)[1])
    assert dict(view.values) == {core.SLIDERS[0]: core.sliders(core.load(core.View()))[0].high}
    import simulator
    expected = simulator.run(core.load(view), runs=view.runs, seed=view.seed, fixed=view.fixed)
    assert after == expected.summary["outcomes"]["china_stays"]["count"] != before   # simulator.run's number
    assert seconds < 10          # responsive (the figure measured here is in the output above)

    # a link reproduces the view
    other, other_errors = _open(browser, page.url)
    assert _count(other) == after
    other.close()

    # save as scenario, then the command line reproduces the page's numbers
    page.get_by_role("button", name="Save as scenario").click()
    page.wait_for_selector(".save-message", timeout=30_000)
    message = page.inner_text(".save-message")
    assert message.startswith("saved "), message
    saved = Path(message.split()[1].rstrip(";"))
    assert saved.parent == server["folder"] and saved.exists()
    r = run_cli("run", saved, "--out", tmp_path / "out", "--no-charts", "--quiet")
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["outcomes"]["china_stays"]["count"] == after
    assert summary["runs"] == view.runs
    page.close()
    assert errors == [] and other_errors == []


def test_dragging_never_leaves_a_stale_result(server, browser):
    """Ten quick slider steps: stale updates are cancelled and the page ends on the last value."""
    page, errors = _open(browser, server["url"] + "?scenario=baseline&runs=500")
    thumb = page.locator("[role=slider]").nth(1)
    thumb.focus()
    for _ in range(10):
        thumb.press("ArrowLeft")
    deadline = time.monotonic() + 60
    while True:
        view = core.View.from_query(page.url.split("?", 1)[1])
        settled = "updating" not in page.inner_text("[data-testid=timing]")
        if settled and len(view.values) == 1:
            expected = core.compute(core.load(view), view.runs, view.seed, view.fixed).stays["count"]
            if _count(page) == expected:
                break
        assert time.monotonic() < deadline, "the page did not settle on the last slider value"
        time.sleep(0.2)
    slider = core.sliders(core.load(core.View()))[1]
    assert dict(view.values)[slider.path] < slider.value          # it moved, and the number is the last one
    page.close()
    assert errors == []
