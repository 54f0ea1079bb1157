"""Read what a student defined, without running it: definitions and reference use.

The checker process rebuilds the student's exercise functions from the
notebook's source rather than from the live kernel: every top-level
``import``, ``def`` and ``class`` of every code cell, plus the assignments
whose names those definitions read (constants, aliases), in notebook order.
Training runs, plots and the student's own ``check`` calls are left out, so
the rebuild takes a second, and nothing the notebook did at top level
(monkeypatching, redefining ``check``, printing "PASS") carries over.

The same parse finds an exercise that merely hands back the package's own
implementation: a name bound by importing or aliasing the reference, or a
function whose body calls it. Names are resolved through the student's
imports and aliases and compared by identity with the reference, importing
only modules of trusted packages.
"""

from __future__ import annotations

import ast
import importlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nbformat

TRUSTED_PACKAGES = ("coursework", "torch", "numpy", "math", "functools")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)


@dataclass
class Statement:
    """A top-level statement kept for the rebuild: cell, first and last line."""

    cell: int
    first: int
    last: int
    node: ast.stmt = field(repr=False)


@dataclass
class Definitions:
    """The student's top-level definitions and what could not be parsed."""

    statements: list[Statement]
    syntax_errors: dict[int, str]
    exercise_cells: dict[str, int]
    sources: dict[int, str]


def _cell_source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _to_python(source: str) -> str:
    """Turn IPython syntax (``%magic``, ``!shell``) into plain Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def _is_definition(node: ast.stmt) -> bool:
    if isinstance(node, (*_DEFS, *_IMPORTS, ast.Pass)):
        return True
    if isinstance(node, (ast.If, ast.Try)):
        blocks = [node.body, node.orelse]
        if isinstance(node, ast.Try):
            blocks += [h.body for h in node.handlers] + [node.finalbody]
        return all(_is_definition(s) for block in blocks for s in block)
    return False


def _targets(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    else:
        return set()
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _loads(node: ast.AST) -> set[str]:
    return {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def read_definitions(
    nb: nbformat.NotebookNode, names: set[str] | None = None
) -> Definitions:
    """Parse every code cell and keep the statements that define things.

    Args:
        nb: the submitted notebook.
        names: the exercise functions' names; assignments to them are kept too
            (``kl = my_kl``), so aliases are found.
    """
    parsed: list[tuple[int, str, ast.stmt]] = []
    errors: dict[int, str] = {}
    exercise_cells: dict[str, int] = {}
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        exercise = cell.get("metadata", {}).get("exercise")
        if isinstance(exercise, str):
            exercise_cells.setdefault(exercise, index)
        source = _to_python(_cell_source(cell))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            errors[index] = f"{type(exc).__name__}: {exc}"
            continue
        parsed += [(index, source, node) for node in tree.body]
    needed: set[str] = set(names or ())
    for _, _, node in parsed:
        if _is_definition(node):
            needed |= _loads(node)
    keep = [False] * len(parsed)
    for i in reversed(range(len(parsed))):
        node = parsed[i][2]
        if _is_definition(node):
            keep[i] = True
        elif _targets(node) & needed:
            keep[i] = True
            needed |= _loads(node)
    statements = [
        Statement(cell, _first_line(node), node.end_lineno or node.lineno, node)
        for (cell, _, node), k in zip(parsed, keep)
        if k
    ]
    sources = {cell: src for cell, src, _ in parsed}
    return Definitions(statements, errors, exercise_cells, sources)


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


# ------------------------------------------------------------ reference use


def _dotted(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def _resolve_path(path: str) -> Any:
    """Import ``a.b.c`` from a trusted package: a module or an attribute of one."""
    if path.split(".")[0] not in TRUSTED_PACKAGES:
        return None
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except Exception:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        return obj
    return None


class _Aliases:
    """What each top-level name refers to (a dotted path), from imports and aliases."""

    def __init__(self, statements: list[Statement]) -> None:
        self.paths: dict[str, str] = {}
        for st in statements:
            node = st.node
            if isinstance(node, ast.Import):
                for a in node.names:
                    name = a.asname or a.name.split(".")[0]
                    self.paths[name] = a.name if a.asname else name
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    self.paths[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Assign):
                path = self.path_of(node.value)
                for name in _targets(node):
                    if path:
                        self.paths[name] = path
                    else:
                        self.paths.pop(name, None)
            elif isinstance(node, _DEFS):
                self.paths.pop(node.name, None)

    def path_of(self, expr: ast.AST) -> str | None:
        parts = _dotted(expr)
        if not parts or parts[0] not in self.paths:
            return None
        return ".".join([self.paths[parts[0]], *parts[1:]])


def uses_reference(
    defs: Definitions, name: str, is_reference: Callable[[Any], bool]
) -> str | None:
    """How the student's ``name`` hands back the reference, or None if it does not.

    Args:
        defs: the student's definitions.
        name: the exercise's function name.
        is_reference: true for the reference object (compared by identity).
    """
    binding: Statement | None = None
    for st in defs.statements:
        node = st.node
        if isinstance(node, _DEFS) and node.name == name:
            binding = st
        elif isinstance(node, _IMPORTS) and any(
            (a.asname or a.name.split(".")[0]) == name for a in node.names
        ):
            binding = st
        elif name in _targets(node):
            binding = st
    if binding is None:
        return None
    aliases = _Aliases(defs.statements[: defs.statements.index(binding)])
    node = binding.node

    def points_at_reference(expr: ast.AST) -> bool:
        path = aliases.path_of(expr)
        return path is not None and is_reference(_resolve_path(path))

    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for a in node.names:
            if (a.asname or a.name) == name and is_reference(
                _resolve_path(f"{node.module}.{a.name}")
            ):
                return f"`{name}` is imported from the package ({node.module})"
        return None
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        if points_at_reference(node.value):
            return f"`{name}` is an alias of the package's implementation"
        node = node.value  # a lambda or a partial around the reference
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            candidates = [sub.func, *sub.args]
            if any(points_at_reference(c) for c in candidates):
                return f"`{name}` calls the package's own implementation"
    return None
