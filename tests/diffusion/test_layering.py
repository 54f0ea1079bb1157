"""coursework.diffusion and notebook 07 import no other topic package."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOPICS = {"video", "autoregressive", "vae", "gan", "pretext", "multimodal"}


def _imported_topics(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            for i, part in enumerate(parts[:-1]):
                if part == "coursework" and parts[i + 1] in TOPICS:
                    found.add(parts[i + 1])
            if (
                parts[0] in ("coursework",)
                and len(parts) > 2
                and parts[1]
                in (
                    "exercises",
                    "plot",
                    "widgets",
                )
            ):
                if parts[2] in TOPICS:
                    found.add(parts[2])
    return found


def test_package_and_notebook_import_no_other_topic():
    files = sorted((ROOT / "coursework" / "diffusion").glob("*.py"))
    files += [
        ROOT / "coursework" / "exercises" / "diffusion.py",
        ROOT / "solutions" / "07_diffusion.py",
        ROOT / "benchmarks" / "diffusion.py",
        ROOT / "benchmarks" / "diffusion_recipes.py",
    ]
    files += sorted((ROOT / "coursework" / "plot").glob("diffusion.py"))
    for path in files:
        assert path.exists(), path
        assert not _imported_topics(path), f"{path.name} imports a topic"
