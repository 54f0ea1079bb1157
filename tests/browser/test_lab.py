"""The notebooks in JupyterLab, in a real (headless) Chromium.

Run with ``make browser``. For every solution notebook: "Run All Cells" gives
no error output, every widget renders, and moving a slider changes what its
widget shows. Every student notebook stops at its first exercise with the
one-line message. Notebooks are copied to a temporary folder first, so that
JupyterLab's autosave never touches the committed ones.

Skips, saying why, where Chromium or Playwright is missing
(``apt-get install chromium``, ``pip install playwright``); nothing is
downloaded.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
STUDENT = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TOKEN = "coursework-browser-test"
# Chromium's own network traffic is refused on a closed network; keep it quiet.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_problem() -> str | None:
    """Why the browser cannot run here, found by starting it, or None."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            browser.new_page().set_content("<p>ok</p>")
            browser.close()
    except Exception as exc:
        return f"Chromium at {CHROMIUM} does not start: {exc}"
    return None


pytestmark = [
    pytest.mark.skipif(
        (problem := _browser_problem()) is not None, reason=str(problem)
    ),
    pytest.mark.timeout(1800),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback over copies of the notebooks."""
    folder = tmp_path_factory.mktemp("lab")
    for sub in ("solutions", "notebooks"):
        (folder / sub).mkdir()
        for nb in (ROOT / sub).glob("[0-9][0-9]_*.ipynb"):
            shutil.copy(nb, folder / sub / nb.name)
    port = _free_port()
    # JupyterLab renders only the cells in view unless windowing is off; the
    # news prompt would cover outputs
    settings = folder / "settings" / "@jupyterlab"
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none"}'
    )
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false"}'
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(
        COURSEWORK_PROFILE="ci", JUPYTERLAB_SETTINGS_DIR=str(folder / "settings")
    )
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={folder}",
        f"--LabApp.workspaces_dir={folder / 'workspaces'}",
    ]
    if os.getuid() == 0:
        command.append("--allow-root")
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start within 120 s")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser, url
        browser.close()
    server.terminate()
    server.wait(30)


def _run_all(browser, url: str, path: str, timeout_s: float = 1500):
    """Open a notebook, run all its cells, wait until the kernel is done."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # ``reset``: a fresh layout with this notebook alone, whatever was open before
    page.goto(f"{url}/lab/tree/{path}?reset&token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_selector(
        ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000
    )
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt")
    # "Run All Cells" does nothing until the notebook is the current widget:
    # click again until the first cell is queued or has run
    for _ in range(10):
        time.sleep(3)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        time.sleep(2)
        first = prompts.first.inner_text()
        if "*" in first or any(ch.isdigit() for ch in first):
            break
    else:
        pytest.fail(f"Run All Cells did not start {path}")
    # done when the first cell has run, no cell is queued or running ("[*]"),
    # and the kernel is idle: after the last cell, or after the first error,
    # which stops "Run All"
    indicator = page.locator(".jp-Notebook-ExecutionIndicator")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        texts = prompts.all_inner_texts()
        started = bool(texts) and any(ch.isdigit() for ch in texts[0])
        running = any("*" in t for t in texts)
        if started and not running and indicator.get_attribute("data-status") == "idle":
            break
        time.sleep(1)
    else:
        shot = Path(os.environ.get("TMPDIR", "/tmp")) / f"lab-{Path(path).stem}.png"
        page.screenshot(path=str(shot), full_page=True)
        pytest.fail(f"{path} still running after {timeout_s:.0f} s; see {shot}")
    time.sleep(2)  # outputs and widget views arrive just after the kernel idles
    return page


def _errors(page) -> list[str]:
    return page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ).all_inner_texts()


@pytest.mark.parametrize("nb", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solution_notebook_runs_and_its_widgets_work(lab, nb):
    browser, url = lab
    page = _run_all(browser, url, f"solutions/{nb.name}")
    assert not _errors(page), f"error or stderr output: {_errors(page)[:2]}"
    unfinished = page.locator(".jp-InputPrompt", has_text="[*]").count()
    assert unfinished == 0
    views = page.locator(".jp-OutputArea-output .jupyter-widgets").count()
    broken = page.get_by_text("Error displaying widget").count()
    assert broken == 0
    loading = page.get_by_text("Loading widget...").count()
    assert loading == 0, "a widget never rendered"
    sliders = page.locator(".widget-slider .noUi-handle, .widget-slider input")
    if sliders.count() == 0:
        pytest.skip(f"{nb.stem} has no slider ({views} widget views rendered)")
    assert views > 0
    widget = page.locator(".jp-OutputArea-output .widget-vbox").first
    widget.scroll_into_view_if_needed()
    before = widget.inner_html()
    handle = sliders.first
    handle.focus()
    handle.press("ArrowRight")
    handle.press("ArrowRight")
    deadline = time.monotonic() + 60
    while widget.inner_html() == before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert widget.inner_html() != before, "moving the slider changed nothing"
    page.close()


@pytest.mark.parametrize("nb", STUDENT, ids=[p.stem for p in STUDENT])
def test_student_notebook_stops_at_its_first_exercise(lab, nb):
    import nbformat

    first = next(
        c.metadata["exercise"]
        for c in nbformat.read(nb, as_version=4).cells
        if "exercise" in c.metadata
    )
    browser, url = lab
    page = _run_all(browser, url, f"notebooks/{nb.name}")
    errors = _errors(page)
    assert len(errors) == 1, errors
    message = errors[0].strip()
    assert f"exercise {first} is not done yet" in message
    assert len(message.splitlines()) == 1, message
    page.close()
