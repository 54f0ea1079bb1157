"""The course site in a real (headless) Chromium: every page, as a reader opens it.

Run with ``make browser``, which first builds the site in the ci profile
(``docs/_build/ci/html``; ``SITE_PROFILE=cpu`` checks the cpu build instead).
The site is served on loopback; every page must load with no console error,
every image must have loaded (``naturalWidth > 0``),
every link inside the site must lead to a file that exists (and to an element
with that id, for a ``#fragment``), the results page must list a metric from
every notebook, and no page may send a request to any other host: the site
serves everything it needs itself (MathJax included), so the allowed list of
other hosts is empty.

Skips, saying why, where Chromium, Playwright or the built site is missing.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

# The browser set-up of test_lab.py (Chromium's path, flags, the start check).
_spec = importlib.util.spec_from_file_location(
    "_lab_browser", Path(__file__).with_name("test_lab.py")
)
_lab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_lab)
CHROMIUM, FLAGS, _browser_problem = _lab.CHROMIUM, _lab.FLAGS, _lab._browser_problem

ROOT = Path(__file__).resolve().parents[2]
# The profile whose built site is checked: ci unless $SITE_PROFILE says.
SITE_PROFILE = os.environ.get("SITE_PROFILE", "ci")
SITE = ROOT / "docs" / "_build" / SITE_PROFILE / "html"
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
PAGES = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")) if (
    SITE.exists()
) else []
# Pages Sphinx writes for its own machinery, never linked as reading pages.
PAGES = [p for p in PAGES if not p.startswith("_static/")]
ALLOWED_HOSTS: set[str] = set()  # none: the site vendors what it loads

pytestmark = [
    pytest.mark.skipif(
        (problem := _browser_problem()) is not None, reason=str(problem)
    ),
    pytest.mark.skipif(
        not (SITE / "index.html").exists(),
        reason=f"no {SITE_PROFILE} site: `make site COURSEWORK_PROFILE={SITE_PROFILE}`"
        " (make browser builds the ci one)",
    ),
    pytest.mark.timeout(1800),
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site():
    """The built site on a loopback HTTP server, and a Chromium to read it."""
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser, f"http://127.0.0.1:{server.server_port}"
        browser.close()
    server.shutdown()


@functools.cache
def _ids(path: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', path.read_text()))


def _mathjax_blank_font(message) -> bool:
    """MathJax 2's placeholder font for glyphs its web fonts lack.

    Its HTML-CSS output declares ``@font-face {font-family: MathJax_Blank;
    src: url("about:blank")}``; Chromium refuses that URL and logs it as an
    error. No request leaves the page and the formula still renders.
    """
    blank = "'about:blank'" in message.text
    return blank or message.location.get("url") == "about:blank"


def _check_page(browser, base: str, page_path: str) -> dict[str, list[str]]:
    """Open one page; what went wrong, by kind."""
    host = urlsplit(base).netloc
    problems: dict[str, list[str]] = {"console": [], "remote": [], "failed": []}
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def route(r):
        url = r.request.url
        if url.startswith("data:") or urlsplit(url).netloc in {host, *ALLOWED_HOSTS}:
            r.continue_()
        else:
            problems["remote"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    def console(message):
        if message.type != "error" or _mathjax_blank_font(message):
            return
        problems["console"].append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: problems["console"].append(str(e)))
    page.on(
        "requestfailed",
        lambda r: urlsplit(r.url).netloc == host and problems["failed"].append(r.url),
    )
    page.on(
        "response",
        lambda r: r.status >= 400 and problems["failed"].append(f"{r.status} {r.url}"),
    )
    page.goto(f"{base}/{page_path}", wait_until="networkidle", timeout=120_000)
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => [e.src.slice(0, 80), e.complete, e.naturalWidth])"
    )
    problems["images"] = [src for src, done, w in images if not (done and w > 0)]
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    page.close()
    missing = []
    for link in links:
        parts = urlsplit(link)
        if parts.netloc != host:
            continue
        target = SITE / unquote(parts.path.lstrip("/"))
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            missing.append(link)
        elif parts.fragment and target.suffix == ".html":
            if unquote(parts.fragment) not in _ids(target):
                missing.append(link)
    problems["links"] = missing
    return problems


def test_every_page_loads_cleanly(site):
    browser, base = site
    assert any(p.startswith("lectures/") for p in PAGES)
    report = {}
    for page_path in PAGES:
        problems = {k: v for k, v in _check_page(browser, base, page_path).items() if v}
        if problems:
            report[page_path] = problems
    assert not report, "\n".join(f"{page}: {probs}" for page, probs in report.items())


def test_results_page_lists_a_metric_from_every_notebook(site):
    browser, base = site
    page = browser.new_page()
    page.goto(f"{base}/results.html", wait_until="networkidle")
    for solution in SOLUTIONS:
        section = page.locator(f"section#results-{solution.stem}")
        assert section.count() == 1, f"no results section for {solution.stem}"
        rows = section.locator("table tbody tr")
        assert rows.count() >= 1, f"no metric of {solution.stem}"
        name, value = rows.first.locator("td").all_inner_texts()
        assert name.strip()
        float(value)
    page.close()


def test_lecture_page_shows_math_and_figures(site):
    """MathJax (served by the site) typesets the lecture's formulas."""
    browser, base = site
    page = browser.new_page()
    page.goto(f"{base}/lectures/{SOLUTIONS[0].stem}.html", wait_until="networkidle")
    page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue"
                           " && MathJax.Hub.queue.pending === 0", timeout=60_000)
    assert page.locator(".MathJax, .MathJax_CHTML, .MathJax_Display").count() > 0
    assert page.locator(".cell_output img").count() > 0
    page.close()
