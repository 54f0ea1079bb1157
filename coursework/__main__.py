"""Command line: ``python -m coursework build [--check]`` and ``... grade``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _build(args: argparse.Namespace) -> int:
    from coursework.build import build

    root = Path(args.root).resolve()
    problems = build(root, check=args.check)
    for p in problems:
        print(f"build: {p}", file=sys.stderr)
    if problems:
        return 1
    print(
        "build: notebooks in sync with their sources"
        if args.check
        else "build: notebooks written"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m coursework`` and the ``coursework`` script."""
    parser = argparse.ArgumentParser(prog="coursework", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser(
        "build", help="write solution and student notebooks from solutions/*.py"
    )
    p_build.add_argument(
        "--check",
        action="store_true",
        help="fail if a committed notebook is stale or leaks solutions",
    )
    p_build.add_argument(
        "--root", default=".", help="repository root (default: current folder)"
    )
    p_build.set_defaults(run=_build)
    p_grade = sub.add_parser(
        "grade", help="grade a folder (or zip) of submitted notebooks", add_help=False
    )
    p_grade.set_defaults(run=None)
    args, rest = parser.parse_known_args(argv)
    if args.command == "grade":
        from coursework.grading.cli import main as grade_main

        return grade_main(rest)
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
