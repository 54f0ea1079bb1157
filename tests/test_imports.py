"""The layering rule: no topic imports another topic.

A *topic* is a lecture's package (``coursework/video``, ``coursework/gan``,
..., and any new one such as ``coursework/diffusion``): every sub-package of
``coursework`` that is not a shared layer. Shared layers (``runtime``,
``data``, ``train``, ``metrics``, ``classifier``, ``plot``, ``widgets``,
``exercises``, ``grading``, ``bands``, ``build``) may import topics:
``plot/<topic>.py``, ``widgets/<topic>.py`` and ``exercises/<topic>.py`` are
that topic's modules of a shared layer. What two topics share lives in a shared layer.

Two rules, checked by parsing the sources with ``ast`` (imports inside
functions included):
* a module of ``coursework/<topic>/`` imports no other topic;
* a notebook source ``solutions/NN_<topic>.py`` imports no topic but its own,
  nor another topic's module of a shared layer (``coursework.plot.<other>``;
  ``coursework.data`` is split by kind of data, not by topic, so
  ``coursework.data.video`` serves every lecture that uses videos).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import coursework

PACKAGE = Path(coursework.__file__).resolve().parent
SOLUTIONS = PACKAGE.parent / "solutions"
SHARED_LAYERS = {"data", "plot", "widgets", "exercises", "grading", "bands"}
PER_TOPIC_LAYERS = {"plot", "widgets", "exercises"}  # a module per topic in each
# shared modules (runtime.py, train.py, metrics.py, classifier.py, build.py)
# are single files, so they are never mistaken for topics


def topics() -> list[str]:
    """Every sub-package of ``coursework`` that is not a shared layer."""
    return sorted(
        p.name
        for p in PACKAGE.iterdir()
        if (p / "__init__.py").is_file() and p.name not in SHARED_LAYERS
    )


def imported_modules(source: str, module: str = "") -> set[str]:
    """Dotted names a source imports, relative imports resolved against ``module``.

    ``from coursework import gan`` counts as importing ``coursework.gan``.
    """
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: -node.level]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def topic_of(name: str, known: list[str]) -> str | None:
    """``coursework.gan.losses`` -> ``gan``; None for shared layers and others."""
    parts = name.split(".")
    if len(parts) >= 2 and parts[0] == "coursework" and parts[1] in known:
        return parts[1]
    return None


def foreign_imports(source: str, own: str, module: str, known: list[str]) -> list:
    """Imports of a topic other than ``own`` (and of another topic's shared module)."""
    bad = []
    for name in sorted(imported_modules(source, module)):
        parts = name.split(".")
        topic = topic_of(name, known)
        if topic is None and len(parts) >= 3 and parts[0] == "coursework":
            # coursework.plot.<topic>: a topic's module of a shared layer
            per_topic = parts[1] in PER_TOPIC_LAYERS and parts[2] in known
            topic = parts[2] if per_topic else None
        if topic is not None and topic != own:
            bad.append(name)
    return bad


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_topics_are_discovered_not_listed() -> None:
    found = topics()
    assert {"video", "autoregressive", "vae", "gan", "pretext", "multimodal"} <= set(
        found
    )
    assert not SHARED_LAYERS & set(found)


@pytest.mark.parametrize("topic", topics())
def test_a_topic_package_imports_no_other_topic(topic: str) -> None:
    known = topics()
    problems = {}
    for path in sorted((PACKAGE / topic).rglob("*.py")):
        module = _module_name(path)
        # a topic's own modules reach shared layers only, so only the topic
        # part of each import matters here (coursework.plot.gan is shared)
        bad = [
            n
            for n in imported_modules(path.read_text(), module)
            if topic_of(n, known) not in (None, topic)
        ]
        if bad:
            problems[str(path.relative_to(PACKAGE.parent))] = sorted(bad)
    assert not problems, (
        f"topic {topic!r} imports other topics: {problems}. Move what they share "
        "into a shared layer (coursework.metrics, coursework.classifier, ...)."
    )


def _notebooks() -> list[Path]:
    return sorted(SOLUTIONS.glob("[0-9][0-9]_*.py"))


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_a_notebook_imports_only_its_own_topic(path: Path) -> None:
    known = topics()
    own = path.stem.split("_", 1)[1]
    bad = foreign_imports(path.read_text(), own, "", known)
    assert not bad, (
        f"{path.name} imports another lecture's code: {bad}. Import shared things "
        "from the shared layers (coursework.metrics, coursework.classifier, ...)."
    )


def test_the_rules_catch_every_kind_of_import() -> None:
    known = ["gan", "pretext", "video"]
    source = (
        "import coursework.gan.losses\n"
        "from coursework.video import metrics\n"
        "from coursework import pretext\n"
        "from coursework.plot.video import filmstrip\n"
        "from coursework.data.video import make_actions\n"
        "from coursework.metrics import accuracy\n"
        "def f():\n"
        "    from coursework.pretext.color import to_grey\n"
        "from .losses import x\n"
        "from ..video.layers import conv2d\n"
    )
    bad = foreign_imports(source, "gan", "coursework.gan.models", known)
    assert bad == [
        "coursework.plot.video",
        "coursework.plot.video.filmstrip",
        "coursework.pretext",
        "coursework.pretext.color",
        "coursework.pretext.color.to_grey",
        "coursework.video",
        "coursework.video.layers",
        "coursework.video.layers.conv2d",
        "coursework.video.metrics",
    ]
    assert foreign_imports(source.replace("video", "gan"), "gan", "", known) == [
        "coursework.pretext",
        "coursework.pretext.color",
        "coursework.pretext.color.to_grey",
    ]
