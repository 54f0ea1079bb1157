"""The course site's Sphinx extension: lectures, links, results, home gallery.

What it does, in build order:

1. ``config-inited``: copies every ``solutions/NN_topic.ipynb`` (found by glob,
   never listed) to ``docs/lectures/``, replacing the solution's Colab badge by
   links to the *student* notebook (Colab and download), and adding a hash of
   the package to the kernelspec so that jupyter-cache (which hashes code cells
   and kernelspec only) re-executes a notebook when its code or the package it
   runs changes; the cache folder is one per profile. It points the kernels at
   a fresh metrics folder (``$COURSEWORK_METRICS``) and at an IPython profile
   whose only line switches ``tqdm.auto`` to text bars, which myst-nb's stream
   merging reduces to one finished line. Widgets become the figures their
   saved state holds (``doctree-read``).
2. ``env-updated``: copies the metrics each executed notebook just wrote into
   a store keyed by its cache hash, so a notebook served from the cache keeps
   exactly the figures of the run whose outputs the page shows.
3. ``doctree-resolved``: fills the results page (one table per notebook: each
   metric in words with its unit and better direction, this build's value, and
   the course's band from ``coursework/bands/<profile>.json``) and the home
   page's gallery (one figure per lecture) from those.
Every image output's alt text comes from its output metadata
(``{"image/png": {"alt": ...}}``, which :mod:`coursework.plot.alttext` writes for
each figure): myst-nb reads only width and height from there, so
:func:`render_image_with_alt` wraps its image renderer.

4. ``build-finished``: copies MathJax 2 from the ``jupyter-server-mathjax``
   wheel into ``_static/mathjax``, so no page loads anything from another host,
   and writes ``docs/_build/<profile>/executions.txt``: where the build's time
   went (reading, which includes executing the notebooks, and writing) and
   each lecture's execution, run now or taken from the cache.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx
from sphinx.util import logging

from coursework.bands import BANDS_DIR, fmt, load_bands
from coursework.bands.descriptions import describe
from coursework.build import BRANCH, REPOSITORY, SETUP_SOURCE
from coursework.runtime import METRICS_ENV, PROFILE_ENV

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
STUDENT = ROOT / "notebooks"
PACKAGE = ROOT / "coursework"
LECTURES = "lectures"
ONLY_ENV = "SITE_LECTURES"
# Parts of the package no notebook executes: editing them re-executes nothing.
NOT_EXECUTED = ("grading/", "build.py", "__main__.py")
_BADGE = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)\s*$")
_TQDM_TEXT = """\
# Written by docs/_ext/coursesite.py for the site build: text progress bars
# (a static page cannot draw tqdm's widget; myst-nb keeps the finished line).
c.InteractiveShellApp.exec_lines = [
    "import tqdm.auto, tqdm.std",
    "tqdm.auto.tqdm, tqdm.auto.trange = tqdm.std.tqdm, tqdm.std.trange",
]
"""


def lecture_sources() -> list[Path]:
    """The solution notebooks, in lecture order: ``solutions/NN_*.ipynb``.

    ``$SITE_LECTURES`` (e.g. ``03,05``) keeps only the lectures whose names start
    with one of its items, for a quick look at one lecture in a long profile.
    """
    found = sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
    keep = [k.strip() for k in os.environ.get(ONLY_ENV, "").split(",") if k.strip()]
    if keep:
        found = [p for p in found if p.stem.startswith(tuple(keep))]
        if not found:
            raise ValueError(f"${ONLY_ENV}={keep} matches no solutions/NN_*.ipynb")
    return found


def all_lecture_sources() -> list[Path]:
    """Every solution notebook, whatever ``$SITE_LECTURES`` says."""
    return sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))


def colab_url(path: str) -> str:
    """Colab's address for ``path`` (e.g. ``notebooks/03_vae.ipynb``) on GitHub."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{path}"


def package_hash() -> str:
    """SHA-256 of the package files a notebook can execute or print.

    The stored bands count: a summary cell prints a run beside them.
    """
    digest = hashlib.sha256()
    files = list(PACKAGE.rglob("*.py")) + list(BANDS_DIR.glob("*.json"))
    for path in sorted(files):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(NOT_EXECUTED):
            continue
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def links_markdown(stem: str, lecture_dir: Path) -> str:
    """The line under a lecture's title: the student notebook in Colab, a download."""
    student = STUDENT / f"{stem}.ipynb"
    rel = Path(os.path.relpath(student, lecture_dir)).as_posix()
    return (
        f"[Open the exercise notebook in Colab]({colab_url(f'notebooks/{stem}.ipynb')})"
        f" · {{download}}`Download the exercise notebook <{rel}>`"
    )


def site_notebook(
    source: Path, lecture_dir: Path, package: str
) -> nbformat.NotebookNode:
    """The solution notebook as the site shows it.

    The Colab badge (which opens the *solution*) is dropped, and the links to the
    student notebook go under the first heading. The kernelspec gets the package
    hash, which jupyter-cache includes in its key (the cache folder is per
    profile).

    Raises:
        ValueError: the notebook has no markdown heading to put the links under.
    """
    nb = nbformat.read(source, as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines = [ln for ln in cell.source.split("\n") if not _BADGE.match(ln)]
            if not "".join(lines).strip():
                continue
            cell.source = "\n".join(lines)
        cells.append(cell)
    nb.cells = cells
    links = links_markdown(source.stem, lecture_dir)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.split("\n")
        for i, line in enumerate(lines):
            if line.startswith("# "):
                lines[i + 1 : i + 1] = ["", links, ""]
                cell.source = "\n".join(lines)
                break
        else:
            continue
        break
    else:
        raise ValueError(
            f"{source}: no '# Title' line in a markdown cell to put the Colab and "
            "download links under; start the notebook with a '# NN · Topic' cell."
        )
    nb.metadata.setdefault("kernelspec", {})["coursework"] = {"package": package}
    return nb


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` unless ``path`` holds it already (keeps Sphinx's mtimes)."""
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def sync_lectures(srcdir: Path) -> list[str]:
    """Write ``<srcdir>/lectures/*.ipynb`` from ``solutions/``; remove stale ones.

    The copies are the same in every profile, so builds of two profiles can
    share them.
    """
    lecture_dir = srcdir / LECTURES
    lecture_dir.mkdir(exist_ok=True)
    package = package_hash()
    stems = []
    for source in all_lecture_sources():
        nb = site_notebook(source, lecture_dir, package)
        write_if_changed(lecture_dir / source.name, nbformat.writes(nb) + "\n")
        stems.append(source.stem)
    for old in lecture_dir.glob("*.ipynb"):
        if old.stem not in stems:
            old.unlink()
    return stems


def cache_key(path: Path) -> str:
    """jupyter-cache's hash of a notebook (its code cells and kernelspec)."""
    from jupyter_cache.cache.main import JupyterCacheBase

    nb = nbformat.read(path, as_version=4)
    return JupyterCacheBase.create_hashed_notebook(None, nb)[1]  # type: ignore[arg-type]


_HEADER = re.compile(r"[A-Z][A-Za-z ]*:")
_STAR_ARG = re.compile(r"(?<=[(\[ ])\*{1,2}(?=[A-Za-z_])")


def plain_text_docstring(lines: list[str]) -> list[str]:
    """Docstring text written for the source, made valid reStructuredText.

    The package's docstrings set formulas as indented blocks after a blank line,
    and tables of choices under a header such as ``Heads:``, and write
    star-arguments as ``(*shape, 2)``; as rST the first would be a quote (where
    ``|x|`` is a substitution), the second a definition list and the third an
    unclosed emphasis. Such blocks become literal blocks (monospace, as in the
    source), and a star before a name in running text is escaped.
    """
    out: list[str] = []
    literal_indent: int | None = None
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None and line.strip() and indent <= literal_indent:
            literal_indent = None
            if out and out[-1].strip():
                out.append("")
        if literal_indent is None and line.strip():
            line = _STAR_ARG.sub(lambda m: "\\*" * len(m.group()), line)
        out.append(line)
        stripped = line.strip()
        if literal_indent is not None or not stripped or stripped.endswith("::"):
            continue
        if stripped.startswith((":", "..", ">>>")):
            continue
        rest = lines[i + 1 :]
        following = next((ln for ln in rest if ln.strip()), "")
        if len(following) - len(following.lstrip()) <= indent:
            continue
        blank_after = bool(rest) and not rest[0].strip()
        if blank_after or _HEADER.fullmatch(stripped):
            # "text:" -> "text::" (shown as "text:"); "text" -> "text ::" (shown bare)
            out[-1] = line + (":" if stripped.endswith(":") else " ::")
            if not blank_after:
                out.append("")
            literal_indent = indent
    return out


def on_process_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    lines[:] = plain_text_docstring(lines)


_WIDGET_VIEW = re.compile(
    r'<script type="application/vnd.jupyter.widget-view\+json">(.*?)</script>', re.S
)
_REMOTE_STYLESHEET = re.compile(r'<link rel="stylesheet"\s+href="https?://[^"]*">\s*')


def output_alt(output_metadata: dict, mime: str) -> str | None:
    """The alt text an image output carries in its metadata, if any."""
    text = " ".join(str(output_metadata.get(mime, {}).get("alt") or "").split())
    return text or None


def _output_html(output: dict) -> str:
    """One saved output of an Output widget as HTML (figure, HTML or text)."""
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            text = output_alt(output.get("metadata", {}), mime) or ""
            return (
                f'<img src="data:{mime};base64,{data[mime].strip()}" '
                f'alt="{html.escape(text, quote=True)}">'
            )
    if "image/svg+xml" in data:
        return data["image/svg+xml"]
    if "text/html" in data:
        return data["text/html"]
    text = output.get("text") or data.get("text/plain", "")
    return f"<pre>{html.escape(''.join(text))}</pre>" if text else ""


def widget_snapshot(model_id: str, state: dict) -> str:
    """A widget as a static page can show it: the outputs its Output widgets held.

    Sliders need a kernel; the figures the explorer drew at its initial values
    are saved in the notebook's widget state, so the page shows those.
    """
    found: list[str] = []
    seen: set[str] = set()

    def walk(mid: str) -> None:
        if mid in seen or mid not in state:
            return
        seen.add(mid)
        model = state[mid]
        if model.get("model_name") == "OutputModel":
            found.extend(_output_html(o) for o in model["state"].get("outputs", []))
        for child in model["state"].get("children", []):
            walk(str(child).removeprefix("IPY_MODEL_"))

    walk(model_id)
    note = (
        '<p class="course-widget-note">An interactive explorer: run the notebook to '
        "move its controls. Shown here at its starting values.</p>"
    )
    return '<div class="course-widget">' + note + "".join(found) + "</div>"


def terminal_text(text: str) -> str:
    """What a terminal shows for ``text``: each line's last carriage-return state.

    A text progress bar redraws its line with ``\\r``; a page shows the final
    state only (``"\\r 0%\\r 50%\\r100%\\n"`` -> ``"100%\\n"``).
    """
    lines = []
    for line in text.split("\n"):
        states = [part for part in line.split("\r") if part]
        lines.append(states[-1] if states else "")
    return "\n".join(lines)


def merge_streams(doctree: nodes.document) -> None:
    """Each cell's stdout, and its stderr, as one block of what a terminal shows."""
    for output in list(doctree.findall(nodes.container)):
        if "cell_output" not in output["classes"]:
            continue
        first: dict[str, nodes.literal_block] = {}
        texts: dict[str, list[str]] = {}
        for child in list(output.children):
            if not isinstance(child, nodes.literal_block):
                continue
            kinds = [c for c in ("stream", "stderr") if c in child["classes"]]
            if not kinds:
                continue
            kind = kinds[0]
            texts.setdefault(kind, []).append(child.astext())
            if kind in first:
                output.remove(child)
            else:
                first[kind] = child
        for kind, block in first.items():
            text = terminal_text("".join(texts[kind])).strip("\n")
            new = nodes.literal_block(text, text, **block.attributes)
            block.replace_self(new)


def drop_setup_cell(doctree: nodes.document) -> None:
    """Remove the Colab install cell (it does nothing here; the links say how)."""
    for cell in list(doctree.findall(nodes.container)):
        if "cell" not in cell["classes"]:
            continue
        code = next(iter(cell.findall(nodes.literal_block)), None)
        if code is not None and code.astext().strip() == SETUP_SOURCE.strip():
            cell.parent.remove(cell)


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    """Streams merged, widgets to their saved figures, no remote stylesheet."""
    docname = app.env.docname
    if not docname.startswith(f"{LECTURES}/"):
        return
    stem = docname.split("/", 1)[1]
    run, store = _paths(app)
    store_fresh_metrics(run, store, stem, Path(app.srcdir) / f"{docname}.ipynb")
    drop_setup_cell(doctree)
    merge_streams(doctree)
    js_files = getattr(app.env, "nb_metadata", {}).get(docname, {}).get("js_files", {})
    saved = js_files.pop("ipywidgets_state", None)
    state = json.loads(saved[1]["body"])["state"] if saved else {}
    for raw in list(doctree.findall(nodes.raw)):
        text = raw.astext()
        new = _REMOTE_STYLESHEET.sub("", text)
        view = _WIDGET_VIEW.search(new)
        if view:
            new = widget_snapshot(json.loads(view.group(1))["model_id"], state)
        if new != text:
            raw.replace_self(nodes.raw("", new, format="html"))


class _Placeholder(nodes.General, nodes.Element):
    """Where the results tables or the gallery go once every notebook has run."""


class ResultsDirective(Directive):
    """``.. course-results::``: one table per notebook of its recorded metrics."""

    def run(self) -> list[nodes.Node]:
        return [_Placeholder(kind="results")]


class GalleryDirective(Directive):
    """``.. course-gallery::``: every lecture with its title and one figure."""

    def run(self) -> list[nodes.Node]:
        return [_Placeholder(kind="gallery")]


def _paths(app: Sphinx) -> tuple[Path, Path]:
    """This run's metrics folder, and the store of metrics by cache key."""
    base = Path(app.outdir).parent
    profile = app.config.coursework_profile
    return base / "metrics-run" / profile, base / "metrics" / profile


def drop_stale_api_pages(generated: Path) -> list[str]:
    """Remove autosummary's pages of modules that no longer exist (it never does).

    A page left from a removed or renamed module fails the build (its import
    fails, and the page is in no toctree). Returns the removed names.
    """
    removed = []
    for page in sorted(generated.glob("coursework*.rst")):
        parts = page.stem.split(".")
        base = PACKAGE.parent.joinpath(*parts)
        if not (base.with_suffix(".py").exists() or (base / "__init__.py").exists()):
            page.unlink()
            removed.append(page.stem)
    return removed


def render_image_with_alt(original):
    """myst-nb's ``render_image``, also setting the alt text from the output's
    metadata (``{"image/png": {"alt": ...}}``) when the cell sets none."""

    def render_image(self, data) -> list[nodes.Element]:
        found = original(self, data)
        text = output_alt(data.output_metadata, data.mime_type)
        for node in found:
            if isinstance(node, nodes.image) and text and not node.get("alt"):
                node["alt"] = text
        return found

    render_image.coursework_alt = True
    return render_image


def patch_image_alt() -> None:
    """Make myst-nb's image renderer carry each output's alt text (idempotent)."""
    from myst_nb.core.render import NbElementRenderer

    current = NbElementRenderer.render_image
    if not getattr(current, "coursework_alt", False):
        NbElementRenderer.render_image = render_image_with_alt(current)


def on_config_inited(app: Sphinx, config) -> None:
    app.coursework_clock = {"start": time.monotonic(), "epoch": time.time()}
    drop_stale_api_pages(Path(app.srcdir) / "generated")
    profile = config.coursework_profile  # conf.py: $COURSEWORK_PROFILE or cpu
    os.environ[PROFILE_ENV] = profile
    # jupyter-cache keys on code only: one cache per profile.
    base = Path(app.outdir).parent
    config.nb_execution_cache_path = str(base / "jupyter_cache" / profile)
    sync_lectures(Path(app.srcdir))
    app.coursework_lectures = [p.stem for p in lecture_sources()]
    for source in all_lecture_sources():
        if source.stem not in app.coursework_lectures:
            config.exclude_patterns.append(f"{LECTURES}/{source.name}")
    run, store = _paths(app)
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    store.mkdir(parents=True, exist_ok=True)
    os.environ[METRICS_ENV] = str(run)
    ipython = Path(app.outdir).parent / "ipython"
    config_file = ipython / "profile_default" / "ipython_kernel_config.py"
    write_if_changed(config_file, _TQDM_TEXT)
    os.environ["IPYTHONDIR"] = str(ipython)


def on_env_get_outdated(app, env, added, changed, removed) -> list[str]:
    # The home and results pages show what the notebooks produced: always redo them.
    return [d for d in ("index", "results") if d in env.found_docs]


def on_env_before_read_docs(app: Sphinx, env, docnames: list[str]) -> None:
    app.coursework_clock["read_docs"] = set(docnames)


def store_fresh_metrics(run: Path, store: Path, stem: str, notebook: Path) -> bool:
    """Keep the metrics ``stem`` just wrote under its notebook's cache key.

    Called as each lecture is read (just after it executed), so a build that
    stops later (an error, a killed kernel) still leaves every executed
    notebook's metrics beside its cached outputs; the next build reuses both.
    Returns whether there were fresh metrics.
    """
    fresh = run / f"{stem}.json"
    if not fresh.exists():
        return False
    shutil.copyfile(fresh, store / f"{cache_key(notebook)}.json")
    return True


def on_env_updated(app: Sphinx, env) -> None:
    app.coursework_clock["read"] = time.monotonic()
    run, store = _paths(app)
    for stem in app.coursework_lectures:
        notebook = Path(app.srcdir) / LECTURES / f"{stem}.ipynb"
        store_fresh_metrics(run, store, stem, notebook)


def lecture_metrics(app: Sphinx) -> dict[str, dict[str, float] | None]:
    """Each lecture's metrics from the run its cached outputs come from."""
    _, store = _paths(app)
    found: dict[str, dict[str, float] | None] = {}
    for stem in app.coursework_lectures:
        key = cache_key(Path(app.srcdir) / LECTURES / f"{stem}.ipynb")
        path = store / f"{key}.json"
        found[stem] = json.loads(path.read_text()) if path.exists() else None
    return found


def _format(value: float) -> str:
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


def _table(
    rows: list[tuple[str, ...]], header: tuple[str, ...], widths: tuple[int, ...]
) -> nodes.table:
    table = nodes.table(classes=["course-metrics"])
    group = nodes.tgroup(cols=len(header))
    table += group
    group += [nodes.colspec(colwidth=w) for w in widths]
    head, body = nodes.thead(), nodes.tbody()
    group += [head, body]
    for part, cells in ((head, [header]), (body, rows)):
        for cell_texts in cells:
            row = nodes.row()
            for text in cell_texts:
                row += nodes.entry("", nodes.paragraph(text=text))
            part += row
    return table


def results_nodes(app: Sphinx, fromdocname: str) -> list[nodes.Node]:
    profile = app.config.coursework_profile
    out: list[nodes.Node] = [
        nodes.paragraph(
            text=f"Profile: {profile}. Every figure below was computed by the "
            "notebook on its page, in this profile, when the site was built, and "
            "stands beside the course's band: the range the same notebook spans "
            "over several seeds in this profile (coursework/bands). Units: a "
            "fraction runs from 0 to 1; nats and bits are of the test data's "
            "likelihood; s is seconds on the machine that built the page."
        )
    ]
    bands = load_bands(profile)
    for stem, metrics in lecture_metrics(app).items():
        docname = f"{LECTURES}/{stem}"
        title = app.env.titles[docname].astext() if docname in app.env.titles else stem
        section = nodes.section(ids=[f"results-{stem}"])
        section += nodes.title(text=title)
        ref = nodes.reference(
            "", "the lecture page", internal=True,
            refuri=app.builder.get_relative_uri(fromdocname, docname),
        )
        section += nodes.paragraph("", f"{stem} in the {profile} profile, from ", ref)
        if not metrics:
            logger.warning(
                f"{stem}: no metrics recorded; the notebook must call "
                f"record_metrics({stem!r}, ...) (issue of that notebook)",
                location=fromdocname,
            )
            section += nodes.paragraph(text="No metrics recorded.")
        else:
            entry = bands.get(stem)
            section += nodes.paragraph(text=band_provenance(entry, profile))
            rows = metric_rows(stem, metrics, entry)
            header = ("metric", profile, "course band", "better", "recorded as")
            section += _table(rows, header, (6, 2, 3, 2, 3))
        out.append(section)
    return out


def band_provenance(entry: dict | None, profile: str) -> str:
    """Where a notebook's bands come from, or that there are none."""
    if entry is None:
        return (
            f"No band for the {profile} profile yet: the course has not run this "
            "notebook over several seeds in it (make bench)."
        )
    seeds = ", ".join(map(str, entry["seeds"]))
    return (
        f"Course band: the lowest to the highest value over seeds {seeds} of "
        f"benchmarks/run.py ({entry['machine']}, {entry['date']})."
    )


def metric_rows(
    stem: str, metrics: dict[str, float], entry: dict | None
) -> list[tuple[str, ...]]:
    """One row per metric: words (unit), value, band, better direction, name."""
    banded = (entry or {}).get("metrics", {})
    rows = []
    for name, value in sorted(metrics.items()):
        info = describe(stem, name)
        band = banded.get(name)
        if band is None:
            span = "no band yet"
        elif fmt(band["low"]) == fmt(band["high"]):
            span = fmt(band["low"])
        else:
            span = f"{fmt(band['low'])} to {fmt(band['high'])}"
        if band is not None and info.timing:
            span += " (a time: depends on the machine)"
        rows.append((info.label, _format(value), span, info.direction, name))
    return rows


def _lecture_figure(doctree: nodes.document) -> nodes.image | None:
    """The first figure of a cell tagged ``site-figure``, else the first figure."""
    for cell in doctree.findall(nodes.container):
        tags = cell.get("cell_metadata", {}).get("tags", [])
        if "site-figure" in tags:
            for image in cell.findall(nodes.image):
                return image
    return next(iter(doctree.findall(nodes.image)), None)


def gallery_nodes(app: Sphinx, fromdocname: str) -> list[nodes.Node]:
    env = app.env
    grid = nodes.container(classes=["course-gallery"])
    for stem in app.coursework_lectures:
        docname = f"{LECTURES}/{stem}"
        title = env.titles[docname].astext()
        card = nodes.container(classes=["course-card"])
        uri = app.builder.get_relative_uri(fromdocname, docname)
        image = _lecture_figure(env.get_doctree(docname))
        if image is not None:
            figure = image.deepcopy()
            figure["alt"] = f"{title}: {image.get('alt') or 'a figure'}"
            figure.attributes.pop("width", None)
            figure.attributes.pop("height", None)
            link = nodes.reference("", "", internal=True, refuri=uri)
            link += figure
            card += nodes.paragraph("", "", link)
        card += nodes.paragraph(
            "", "", nodes.reference("", title, internal=True, refuri=uri)
        )
        grid += card
    return [grid]


def on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for node in list(doctree.findall(_Placeholder)):
        make = results_nodes if node["kind"] == "results" else gallery_nodes
        node.replace_self(make(app, docname))


def timing_report(
    seconds: dict[str, float],
    executions: dict[str, dict | None],
    since: float | None = None,
) -> str:
    """Where a build's time went: its phases, and each lecture's execution.

    ``seconds`` has ``read`` (parsing every page, executing the notebooks that
    are not cached, the API reference's imports) and ``write`` (HTML, images);
    ``executions`` is myst-nb's record per lecture (``runtime`` in seconds;
    ``method`` is ``cache`` in cache mode whether the notebook ran now or its
    outputs were served from jupyter-cache). ``since``, the build's start
    (seconds since the epoch), tells the two apart: a record whose ``mtime``
    is not older than it was executed by this build.
    """

    def executed(v: dict) -> bool:
        if v.get("method") == "unchanged":
            return False
        if v.get("method") == "cache":
            return since is not None and (v.get("mtime") or 0.0) >= since
        return True

    ran = {k: v for k, v in executions.items() if v and executed(v)}
    run_time = sum((v or {}).get("runtime") or 0.0 for v in ran.values())
    total = seconds["read"] + seconds["write"]
    lines = [
        f"total {total:.0f} s: read {seconds['read']:.0f} s (of which notebook "
        f"executions {run_time:.0f} s), write {seconds['write']:.0f} s"
    ]
    for stem, data in executions.items():
        if not data:
            lines.append(f"{stem:<22} not executed")
            continue
        runtime = data.get("runtime")
        how = (
            "executed"
            if executed(data)
            else {"cache": "from the cache", "unchanged": "page not re-read"}.get(
                data.get("method", ""), "executed"
            )
        )
        took = f"{runtime:7.1f} s" if runtime is not None else "      ? s"
        lines.append(f"{stem:<22} {took}  {how}")
    return "\n".join(lines) + "\n"


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    clock = getattr(app, "coursework_clock", {})
    if "read" in clock:
        from myst_nb.sphinx_ import NbMetadataCollector

        metadata = NbMetadataCollector.get_doc_data(app.env)
        read = clock.get("read_docs", set())
        executions = {
            stem: metadata.get(f"{LECTURES}/{stem}", {}).get("exec_data")
            if f"{LECTURES}/{stem}" in read else {"method": "unchanged"}
            for stem in app.coursework_lectures
        }
        seconds = {
            "read": clock["read"] - clock["start"],
            "write": time.monotonic() - clock["read"],
        }
        report = timing_report(seconds, executions, clock.get("epoch"))
        (Path(app.outdir).parent / "executions.txt").write_text(report)
    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    target = Path(app.outdir) / "_static" / "mathjax"
    if not (target / "MathJax.js").exists():
        shutil.copytree(source, target, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict[str, object]:
    patch_image_alt()
    app.add_config_value("coursework_profile", "cpu", "env")
    app.add_node(_Placeholder)
    app.add_directive("course-results", ResultsDirective)
    app.add_directive("course-gallery", GalleryDirective)
    app.connect("config-inited", on_config_inited)
    # After napoleon (priority 500) has turned Google sections into rST fields.
    app.connect("autodoc-process-docstring", on_process_docstring, priority=600)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("doctree-read", on_doctree_read)
    app.connect("env-before-read-docs", on_env_before_read_docs)
    app.connect("env-updated", on_env_updated)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("build-finished", on_build_finished)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
