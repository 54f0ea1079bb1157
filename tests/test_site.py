"""The course site (docs/, ``make site``): its helpers, and a built site.

The helpers are tested on small inputs. The built-site tests read
``docs/_build/$SITE_PROFILE/html`` (ci by default), built by ``make site
COURSEWORK_PROFILE=ci`` (warnings as errors); without a build they skip and say
how to build, unless ``SITE_REQUIRED=1`` (``make test``, which builds the ci
site first), where they fail.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
pytest.importorskip("sphinx", reason="the site extra: pip install -e '.[site]'")

import coursesite  # noqa: E402

# The profile whose built site is checked: ci unless $SITE_PROFILE says.
SITE_PROFILE = os.environ.get("SITE_PROFILE", "ci")
SITE = ROOT / "docs" / "_build" / SITE_PROFILE / "html"
# make test builds the site first; there a missing site fails instead of skipping.
SITE_REQUIRED = os.environ.get("SITE_REQUIRED", "") == "1"
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


# --- helpers ---------------------------------------------------------------


def _notebook(first_markdown: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "[![Open In Colab](https://colab.research.google.com/assets/colab-badge"
            ".svg)](https://colab.research.google.com/github/o/r/blob/main/"
            "solutions/09_demo.ipynb)"
        ),
        nbformat.v4.new_markdown_cell(first_markdown),
        nbformat.v4.new_code_cell("x = 1"),
    ]
    return nb


def test_site_notebook_links_the_student_notebook(tmp_path):
    source = tmp_path / "solutions" / "09_demo.ipynb"
    source.parent.mkdir()
    nbformat.write(_notebook("# 09 · Demo\n\nText."), source)
    lecture_dir = coursesite.ROOT / "docs" / "lectures"
    nb = coursesite.site_notebook(source, lecture_dir, package="abc")
    text = nb.cells[0].source
    assert len(nb.cells) == 2  # the solution's badge cell is gone
    assert "solutions/" not in text
    assert text.startswith("# 09 · Demo\n\n[Open the exercise notebook in Colab](")
    assert coursesite.colab_url("notebooks/09_demo.ipynb") in text
    download = "<../../notebooks/09_demo.ipynb>`"
    assert "{download}`Download the exercise notebook " + download in text
    assert nb.cells[1].source == "x = 1"
    assert nb.metadata.kernelspec["coursework"] == {"package": "abc"}


def test_site_notebook_without_a_title_says_what_to_do(tmp_path):
    source = tmp_path / "09_demo.ipynb"
    nbformat.write(_notebook("No heading here."), source)
    with pytest.raises(ValueError, match="no '# Title' line"):
        coursesite.site_notebook(source, tmp_path, package="abc")


def test_package_hash_follows_executed_code_only():
    digest = coursesite.package_hash()
    assert re.fullmatch(r"[0-9a-f]{16}", digest)
    assert digest == coursesite.package_hash()
    assert "build.py" in coursesite.NOT_EXECUTED  # editing the build runs nothing


def test_stale_api_pages_of_removed_modules_are_dropped(tmp_path):
    kept = ["coursework.rst", "coursework.runtime.rst", "coursework.grading.rst"]
    stale = ["coursework.grading.isolation.rst", "coursework.nowhere.rst"]
    for name in kept + stale:
        (tmp_path / name).write_text("x")
    removed = coursesite.drop_stale_api_pages(tmp_path)
    assert removed == sorted(Path(n).stem for n in stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


def test_docstring_formula_blocks_become_literal_blocks():
    lines = [
        "Draw samples of shape (*shape, 2) from (**kwargs).",
        "",
        "Minimising",
        "",
        "    E = sum (I_x u)^2 + alpha^2 |grad u|^2",
        "",
        "gives the update:",
        "",
        "    u <- u_bar",
        "Heads:",
        "    ``frame``: per frame;",
        "        the mean over frames.",
        "after",
        ":param x: a value:",
        "    continued",
    ]
    assert coursesite.plain_text_docstring(lines) == [
        r"Draw samples of shape (\*shape, 2) from (\*\*kwargs).",
        "",
        "Minimising ::",
        "",
        "    E = sum (I_x u)^2 + alpha^2 |grad u|^2",
        "",
        "gives the update::",
        "",
        "    u <- u_bar",
        "",
        "Heads::",
        "",
        "    ``frame``: per frame;",
        "        the mean over frames.",
        "",
        "after",
        ":param x: a value:",
        "    continued",
    ]


def test_fresh_metrics_are_stored_under_the_notebooks_cache_key(tmp_path):
    run, store = tmp_path / "run", tmp_path / "store"
    run.mkdir()
    store.mkdir()
    notebook = tmp_path / "09_demo.ipynb"
    nbformat.write(_notebook("# 09 · Demo"), notebook)
    assert not coursesite.store_fresh_metrics(run, store, "09_demo", notebook)
    assert not list(store.iterdir())
    (run / "09_demo.json").write_text('{"acc": 0.5}')
    assert coursesite.store_fresh_metrics(run, store, "09_demo", notebook)
    key = coursesite.cache_key(notebook)
    assert (store / f"{key}.json").read_text() == '{"acc": 0.5}'


def test_timing_report_says_where_the_build_time_went():
    text = coursesite.timing_report(
        {"read": 100.4, "write": 20.2},
        {
            "01_a": {"method": "cache", "runtime": 30.0},
            "02_b": {"method": "cache", "runtime": None},
            "03_c": {"method": "unchanged"},
            "04_d": {"method": "execute", "runtime": 70.25},
            "05_e": None,
        },
    )
    lines = text.splitlines()
    assert lines[0] == (
        "total 121 s: read 100 s (of which notebook executions 70 s), write 20 s"
    )
    assert lines[1].split() == ["01_a", "30.0", "s", "from", "the", "cache"]
    assert lines[2].split()[:2] == ["02_b", "?"]
    assert "page not re-read" in lines[3]
    assert lines[4].split()[:3] == ["04_d", "70.2", "s"] and "executed" in lines[4]
    assert lines[5].split() == ["05_e", "not", "executed"]


def test_timing_report_tells_a_notebook_run_now_from_one_served_by_the_cache():
    """In cache mode myst-nb says ``cache`` for both: the record's time decides."""
    start = 1_000_000.0
    text = coursesite.timing_report(
        {"read": 50.0, "write": 5.0},
        {
            "01_a": {"method": "cache", "runtime": 12.0, "mtime": start + 3},
            "02_b": {"method": "cache", "runtime": 40.0, "mtime": start - 86400},
        },
        since=start,
    )
    lines = text.splitlines()
    assert "notebook executions 12 s" in lines[0]
    assert lines[1].split()[:3] == ["01_a", "12.0", "s"] and "executed" in lines[1]
    assert lines[2].split() == ["02_b", "40.0", "s", "from", "the", "cache"]


def test_terminal_text_keeps_the_last_state_of_each_line():
    bars = "\rfit:   0%|  | 0/6\rfit:  50%|# | 3/6\rfit: 100%|##| 6/6\r"
    assert coursesite.terminal_text(bars + "\ndone\n") == "fit: 100%|##| 6/6\ndone\n"
    assert coursesite.terminal_text("a\nb") == "a\nb"


def test_widget_snapshot_shows_the_saved_outputs():
    png = "iVBORw0KGgo="
    state = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_out",
                                                                  "IPY_MODEL_s"]}},
        "s": {"model_name": "FloatSliderModel", "state": {}},
        "out": {
            "model_name": "OutputModel",
            "state": {"outputs": [
                {"output_type": "display_data", "data": {"image/png": png},
                 "metadata": {"image/png": {"alt": 'Two "curves"'}}},
                {"output_type": "stream", "name": "stdout", "text": "a < b\n"},
            ]},
        },
    }
    html = coursesite.widget_snapshot("box", state)
    assert f'src="data:image/png;base64,{png}" alt="Two &quot;curves&quot;"' in html
    assert "<pre>a &lt; b\n</pre>" in html
    assert "run the notebook" in html
    assert "<img" not in coursesite.widget_snapshot("missing", state)


def test_image_outputs_get_the_alt_text_of_their_metadata():
    """myst-nb's image renderer, wrapped: the output's alt becomes <img alt>."""
    from types import SimpleNamespace

    from docutils import nodes

    def original(self, data):
        return [nodes.image(uri="x.png")]

    render = coursesite.render_image_with_alt(original)
    data = SimpleNamespace(
        mime_type="image/png",
        output_metadata={"image/png": {"alt": " A bar\n chart "}},
    )
    (image,) = render(None, data)
    assert image["alt"] == "A bar chart"
    data.output_metadata = {}
    assert "alt" not in render(None, data)[0]
    coursesite.patch_image_alt()
    coursesite.patch_image_alt()  # once only
    from myst_nb.core.render import NbElementRenderer

    assert NbElementRenderer.render_image.coursework_alt


def test_metric_rows_name_each_metric_beside_its_band():
    entry = {"metrics": {"fd_wgan_gp": {"low": 40.0, "high": 48.0},
                         "sampling_seconds_ddpm": {"low": 2.0, "high": 3.0}}}
    rows = coursesite.metric_rows(
        "04_gan", {"fd_wgan_gp": 44.125, "ring_modes_gan": 8.0}, entry
    )
    assert rows == [
        ("Fréchet distance, WGAN-GP", "44.12", "40 to 48", "lower is better",
         "fd_wgan_gp"),
        ("Modes of the ring covered, DCGAN (non-saturating) (of 8)", "8",
         "no band yet", "higher is better", "ring_modes_gan"),
    ]
    timed = coursesite.metric_rows("07_diffusion", {"sampling_seconds_ddpm": 2.5},
                                   entry)
    assert timed[0][2] == "2 to 3 (a time: depends on the machine)"
    assert "No band for the cpu profile yet" in coursesite.band_provenance(None, "cpu")


def test_instructors_page_takes_over_the_readme_list():
    """The README keeps a summary and links the page, which has the headings."""
    page = (ROOT / "docs" / "instructors.md").read_text()
    headings = re.findall(r"^## (.+)$", page, re.M)
    for needed in ("Edit and build", "Grade", "Hidden checks", "cluster",
                   "threat model"):
        assert any(needed.lower() in h.lower() for h in headings), needed
    assert "generated/coursework.grading" in page  # the full model, not a copy
    assert "instructors" in (ROOT / "docs" / "index.md").read_text()
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## For instructors", 1)[1].split("\n## ", 1)[0]
    assert "(docs/instructors.md)" in section
    assert len(section.strip().splitlines()) < 20  # a summary, not the manual


def test_lecture_pages_are_the_notebook_sources(monkeypatch):
    """A new notebook (07 and later) becomes a page with no edit to docs/."""
    from coursework.build import sources

    monkeypatch.delenv(coursesite.ONLY_ENV, raising=False)
    pages = [p.stem for p in coursesite.lecture_sources()]
    assert pages == [p.stem for p in sources()]
    assert "07_diffusion" in pages


def test_lecture_filter(monkeypatch):
    monkeypatch.setenv(coursesite.ONLY_ENV, "03")
    assert [p.stem for p in coursesite.lecture_sources()] == [
        p.stem for p in SOLUTIONS if p.stem.startswith("03")
    ]
    monkeypatch.setenv(coursesite.ONLY_ENV, "99")
    with pytest.raises(ValueError, match="matches no"):
        coursesite.lecture_sources()


# --- the built site ----------------------------------------------------------


def _check_site_built(site: Path, required: bool) -> None:
    """Skip (or, where ``required``, fail) when ``site`` has no built index page."""
    if (site / "index.html").exists():
        return
    how = f"`make site COURSEWORK_PROFILE={SITE_PROFILE}`"
    if required:
        pytest.fail(f"no built site at {site} although SITE_REQUIRED=1: {how}")
    pytest.skip(f"no {SITE_PROFILE} site: {how}")


@pytest.fixture
def built_site() -> Path:
    _check_site_built(SITE, SITE_REQUIRED)
    return SITE


needs_site = pytest.mark.usefixtures("built_site")


def test_a_missing_site_skips_or_fails_where_required(tmp_path):
    with pytest.raises(pytest.skip.Exception, match="no .* site"):
        _check_site_built(tmp_path, required=False)
    with pytest.raises(pytest.fail.Exception, match="SITE_REQUIRED=1"):
        _check_site_built(tmp_path, required=True)
    (tmp_path / "index.html").write_text("<html></html>")
    _check_site_built(tmp_path, required=True)


def _hrefs(page: Path) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]+)"', page.read_text())


@needs_site
@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_lecture_page_is_the_solution_notebook(solution):
    page = SITE / "lectures" / f"{solution.stem}.html"
    assert page.exists(), f"no page for {solution.name}: lectures are discovered"
    text = page.read_text()
    student = (ROOT / "notebooks" / solution.name).read_text()
    source = (ROOT / "solutions" / f"{solution.stem}.py").read_text()
    regions = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S)
    code_lines = [
        line.strip() for region in regions for line in region.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert code_lines, f"{solution.stem} has no solution code to look for"
    plain = re.sub(r"<[^>]+>", "", text).replace("&quot;", '"').replace("&#39;", "'")
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    missing = [line for line in code_lines if line not in plain]
    assert not missing, f"solution code missing from the page: {missing[:3]}"
    assert "NotImplementedError" not in plain or "NotImplementedError" in source
    assert "ExerciseIncomplete" not in plain or "ExerciseIncomplete" in source
    assert student != solution.read_text()
    assert "SetupFailed" not in plain  # the Colab install cell is left out


@needs_site
@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_lecture_links_point_at_the_student_notebook(solution):
    page = SITE / "lectures" / f"{solution.stem}.html"
    hrefs = _hrefs(page)
    colab = [h for h in hrefs if h.startswith("https://colab.research.google.com/")]
    assert colab == [coursesite.colab_url(f"notebooks/{solution.name}")]
    downloads = [h for h in hrefs if h.endswith(".ipynb") and "://" not in h]
    assert len(downloads) == 1, downloads
    served = SITE / unquote(urljoin("lectures/", downloads[0]))
    assert served.read_bytes() == (ROOT / "notebooks" / solution.name).read_bytes()
    assert not any("solutions/" in h for h in hrefs)


@needs_site
def test_results_page_has_every_notebooks_metrics():
    """Each metric in words, with unit and better direction, beside its band."""
    text = (SITE / "results.html").read_text()
    assert f"Profile: {SITE_PROFILE}." in text
    cell = r"<td[^>]*><p>([^<]+)</p></td>\s*"
    for solution in SOLUTIONS:
        section = re.search(
            rf'<section id="results-{solution.stem}">(.*?)</section>', text, re.S
        )
        assert section, f"no results for {solution.stem}"
        rows = re.findall(r"<tr[^>]*>\s*" + cell * 5, section.group(1))
        assert rows, f"no metric rows for {solution.stem}"
        for words, value, band, better, name in rows:
            float(value)
            assert words != name and "_" not in words, (words, name)
            assert better in ("higher is better", "lower is better", "a reference")
            assert band == "no band yet" or re.match(r"-?[\d.]", band), band
        if SITE_PROFILE == "ci":  # bands are stored for ci
            assert "Course band: the lowest to the highest value over seeds" in (
                section.group(1)
            )
            banded = [row for row in rows if row[2] != "no band yet"]
            assert len(banded) > len(rows) / 2


@needs_site
def test_no_page_loads_anything_from_another_host():
    remote = re.compile(r'<(?:script|img|link|iframe|source|audio|video)\b[^>]*'
                        r'(?:src|href)="(?:https?:)?//', re.I)
    pages = sorted(SITE.rglob("*.html"))
    assert len(pages) > len(SOLUTIONS) + 3
    offenders = [p.relative_to(SITE) for p in pages if remote.search(p.read_text())]
    assert not offenders, offenders
    assert (SITE / "_static" / "mathjax" / "MathJax.js").exists()


@needs_site
def test_progress_bars_are_one_finished_line():
    for solution in SOLUTIONS:
        text = (SITE / "lectures" / f"{solution.stem}.html").read_text()
        assert "\r" not in text
        assert "widget-view+json" not in text
        for bar in re.findall(r"\d+%\|[^|\n]*\|", text):
            assert bar.startswith("100%"), f"{solution.stem}: unfinished bar {bar}"


@needs_site
def test_home_page_shows_every_lecture_with_a_figure():
    text = (SITE / "index.html").read_text()
    cards = re.findall(r'<div class="course-card docutils container">(.*?)</div>',
                       text, re.S)
    assert len(cards) == len(SOLUTIONS)
    for card, solution in zip(cards, SOLUTIONS, strict=True):
        assert f'href="lectures/{solution.stem}.html"' in card
        image = re.search(r'<img [^>]*src="([^"]+)"', card)
        assert image and (SITE / unquote(image.group(1))).exists()


class _Refs(HTMLParser):
    """The ids of one page, and the addresses its links and assets point at."""

    ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src",
             "source": "src", "audio": "src", "video": "src", "iframe": "src"}

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        ref = values.get(self.ATTRS.get(tag, ""))
        if ref:
            self.refs.append(ref)


@cache
def _parse(page: Path) -> _Refs:
    refs = _Refs()
    refs.feed(page.read_text())
    return refs


def broken_references(site: Path) -> dict[str, list[str]]:
    """Each page's local links and assets that lead to no file, or to no anchor.

    Addresses with a scheme or host (Colab, the theme's external links) are not
    followed; ``data:`` images are inline. A ``#fragment`` into an HTML page must
    name an element's id there.
    """
    broken: dict[str, list[str]] = {}
    for page in sorted(site.rglob("*.html")):
        if page.relative_to(site).parts[0] == "_static":
            continue  # the theme's and MathJax's own files, not reading pages
        for ref in _parse(page).refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:
                continue
            target = (page.parent / unquote(parts.path)) if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            ok = target.is_file()
            if ok and parts.fragment and target.suffix == ".html":
                ok = unquote(parts.fragment) in _parse(target).ids
            if not ok:
                broken.setdefault(page.relative_to(site).as_posix(), []).append(ref)
    return broken


def test_broken_references_are_found(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.html").write_text('<p id="here">b</p>')
    (tmp_path / "img.png").write_bytes(b"png")
    (tmp_path / "index.html").write_text(
        '<a href="sub/b.html#here">ok</a> <a href="sub/b.html#gone">no anchor</a>'
        ' <a href="missing.html">gone</a> <img src="img.png"> <img src="no.png">'
        ' <a href="https://colab.research.google.com/x">away</a>'
        ' <a href="#top">no id</a> <a href="sub/">a folder without index</a>'
        ' <img src="data:image/png;base64,AAAA">'
    )
    assert broken_references(tmp_path) == {
        "index.html": ["sub/b.html#gone", "missing.html", "no.png", "#top", "sub/"]
    }


@needs_site
def test_no_page_has_a_broken_link_or_asset():
    broken = broken_references(SITE)
    assert not broken, broken


# Alt texts that say nothing about the figure.
EMPTY_ALTS = {"", "figure", "image", "plot", "a figure", "an image", "output"}


def real_alt(tag: str) -> str | None:
    """The alt text of an ``<img>`` tag if it says something, else None."""
    import html as html_lib

    found = re.search(r'\balt="([^"]*)"', tag)
    text = " ".join(html_lib.unescape(found.group(1)).split()) if found else ""
    if text.lower() in EMPTY_ALTS or re.search(r"<?Figure size \d", text):
        return None
    if text.lower().startswith("no description has been provided"):
        return None
    return text


def test_real_alt_rejects_a_figure_repr_and_empty_text():
    assert real_alt('<img src="a.png" alt="Bar chart of accuracy: a 0.5">')
    figure_repr = "&lt;Figure size 640x480 with 1 Axes&gt;"
    assert real_alt(f'<img src="a.png" alt="{figure_repr}">') is None
    assert real_alt('<img src="a.png">') is None
    assert real_alt('<img src="a.png" alt=" Figure ">') is None


@needs_site
def test_every_image_on_the_site_has_a_real_alt_text():
    images, missing = 0, []
    for page in sorted(SITE.rglob("*.html")):
        for tag in re.findall(r"<img\b[^>]*>", page.read_text()):
            images += 1
            if real_alt(tag) is None:
                missing.append(f"{page.relative_to(SITE)}: {tag[:160]}")
    assert images >= len(SOLUTIONS), "the site shows almost no figure"
    assert not missing, f"{len(missing)} of {images} images lack alt: {missing[:5]}"
