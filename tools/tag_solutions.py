"""Tag every hidden exercise solution ``solution``, the tag the student edition removes.

    python tools/tag_solutions.py             # tag the notebooks in notebooks/
    python tools/tag_solutions.py --check     # change nothing; exit 1 if a tag is missing
    python tools/tag_solutions.py a.ipynb     # only these notebooks

A solution is a Markdown cell whose source starts with ``<details><summary><b>Solution</b>``
(``course_utils.cli.notebook_rules.is_solution``). Those cells get the tag in
``metadata.tags``; a cell that carries the tag without being one loses it. Nothing else
changes, and a notebook whose tags are right is not written at all. Notebooks are
written as the repository keeps them: ``json.dumps(nb, indent=1, ensure_ascii=False)``
and a trailing newline. ``course run-notebooks`` tags them too when it saves a notebook,
and the hygiene check (``tools/check_notebooks.py``) reports a missing tag.

It needs only the standard library.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

try:
    from course_utils.cli import notebook_rules
except ImportError:  # a checkout whose package is not installed: use its source
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from course_utils.cli import notebook_rules

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def tagged(raw: str) -> str:
    """The notebook text ``raw`` with its solution tags set (``raw`` itself when they are)."""
    nb = json.loads(raw)
    return notebook_rules.dumps(nb) if notebook_rules.tag_solutions(nb) else raw


def problems(paths: list[Path]) -> list[str]:
    """The solution cells without their tag, and the other cells with it.

    Args:
        paths: the notebook files.

    Returns:
        One line per wrong cell, saying what to run (empty when every tag is right).
    """
    found = []
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        found += notebook_rules.solution_tag_problems(nb, path.name)
    return found


def write(paths: list[Path]) -> list[Path]:
    """Set the solution tags of each notebook whose tags are not right.

    Args:
        paths: the notebook files.

    Returns:
        The notebooks written (the others are not touched).
    """
    return notebook_rules.rewrite_notebooks(paths, lambda raw, _path: tagged(raw))


def main(argv: list[str] | None = None) -> int:
    """Tag (or with ``--check``, check) the solutions of the notebooks named, or of all."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if wrong")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    args = parser.parse_args(argv)
    paths = args.notebooks or notebook_rules.notebook_paths(NOTEBOOKS)
    if args.check:
        found = problems(paths)
        for line in found:
            print(line)
        return 1 if found else 0
    for path in write(paths):
        print(f"{path.name}: solution tags written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
