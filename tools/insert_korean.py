"""Put the Korean title and learning objectives under the English ones in every notebook.

    python tools/insert_korean.py           # write the Korean block into each notebook
    python tools/insert_korean.py --check   # exit 1 if a block is missing or out of date

The Korean text lives in ``docs/objectives.ko.json`` (``{"NN_name.ipynb": {"title": ...,
"objectives": [...]}}``, one string per English bullet). Each notebook's first Markdown
cell gets, at its end, a block between ``<!-- ko -->`` and ``<!-- /ko -->``; running the
tool again replaces that block, so it is idempotent, and nothing else in the notebook
changes. Notebooks are written as the repository keeps them:
``json.dumps(nb, indent=1, ensure_ascii=False)`` and a trailing newline.

``--check`` also reports a notebook whose English objectives list has a different number
of bullets than its Korean one: the translation is behind, update the JSON.
It needs only the standard library.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

try:
    from course_utils import paths
    from course_utils.cli import notebook_rules
except ImportError:  # a checkout whose package is not installed: use its source
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from course_utils import paths
    from course_utils.cli import notebook_rules

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OBJECTIVES = paths.docs_dir(ROOT) / "objectives.ko.json"
START = "<!-- ko -->"
END = "<!-- /ko -->"
HEADING = "**학습 목표.** 이 노트북을 마치면 다음을 할 수 있습니다."
_BLOCK = re.compile(r"\n*" + re.escape(START) + r".*?" + re.escape(END) + r"\n*", re.DOTALL)


def render_block(entry: dict[str, Any]) -> str:
    """The Korean block for one notebook, markers included."""
    lines = [START, f"**{entry['title']}**", "", HEADING, ""]
    lines += [f"- {objective}" for objective in entry["objectives"]]
    lines += ["", END]
    return "\n".join(lines)


def strip_block(text: str) -> str:
    """``text`` without its Korean block (and without the blank lines around it)."""
    return _BLOCK.sub("\n\n", text).strip("\n")


def with_block(text: str, entry: dict[str, Any]) -> str:
    """``text`` (a Markdown cell) ending with the Korean block of ``entry``, and only that."""
    return f"{strip_block(text)}\n\n{render_block(entry)}"


def english_objectives(text: str) -> list[str]:
    """The bullets of the English "**Learning objectives.**" list in ``text``."""
    lines = strip_block(text).splitlines()
    start = next((i for i, line in enumerate(lines) if "Learning objectives" in line), None)
    if start is None:
        return []
    bullets: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("- "):
            bullets.append(line[2:])
        elif line.startswith("  ") and bullets:  # a bullet continued on the next line
            bullets[-1] += " " + line.strip()
        elif bullets:  # a blank line or a paragraph after the list ends it
            break
    return bullets


def _source_lines(text: str) -> list[str]:
    """A cell's source as nbformat stores it: lines with their newline, the last without."""
    return text.splitlines(keepends=True)


def _first_markdown(nb: dict[str, Any], path: Path) -> dict[str, Any]:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            return cell
    raise SystemExit(f"{path}: no Markdown cell to put the Korean objectives in")


def updated(raw: str, entry: dict[str, Any], path: Path) -> str:
    """The notebook text ``raw`` with its Korean block written from ``entry``."""
    nb = json.loads(raw)
    cell = _first_markdown(nb, path)
    cell["source"] = _source_lines(with_block("".join(cell["source"]), entry))
    return notebook_rules.dumps(nb)


def problems(
    notebooks: Path = NOTEBOOKS, objectives: Path = OBJECTIVES, *, stale: bool = True
) -> list[str]:
    """What is missing or out of date, reading each file once.

    Args:
        notebooks: the folder of ``NN_name.ipynb`` files.
        objectives: the Korean titles and objectives (JSON).
        stale: also report Korean blocks that differ from the JSON.

    Returns:
        One line per problem: a notebook without a Korean entry, an entry without a
        notebook, a count of Korean objectives that differs from the English one, or (with
        ``stale``) a Korean block that differs from the JSON.
    """
    korean = json.loads(objectives.read_text(encoding="utf-8"))
    paths = notebook_rules.notebook_paths(notebooks)
    found = [
        f"{objectives.name}: {name} has no notebook in {notebooks}"
        for name in sorted(set(korean) - {p.name for p in paths})
    ]
    for path in paths:
        entry = korean.get(path.name)
        if entry is None:
            found.append(f"{path.name}: no Korean title and objectives in {objectives.name}")
            continue
        raw = path.read_text(encoding="utf-8")
        english = english_objectives("".join(_first_markdown(json.loads(raw), path)["source"]))
        if len(english) != len(entry["objectives"]):
            found.append(
                f"{path.name}: {len(english)} English objectives but "
                f"{len(entry['objectives'])} Korean ones: update {objectives.name}"
            )
        if stale and updated(raw, entry, path) != raw:
            found.append(
                f"{path.name}: the Korean block is missing or out of date: "
                "run python tools/insert_korean.py"
            )
    return found


def write(notebooks: Path = NOTEBOOKS, objectives: Path = OBJECTIVES) -> list[str]:
    """Write each notebook's Korean block from the JSON; return what it could not fix."""
    korean = json.loads(objectives.read_text(encoding="utf-8"))
    notebook_rules.rewrite_notebooks(
        [p for p in notebook_rules.notebook_paths(notebooks) if p.name in korean],
        lambda raw, path: updated(raw, korean[path.name], path),
    )
    return problems(notebooks, objectives, stale=False)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, check) the Korean block of every notebook."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help=argparse.SUPPRESS)
    parser.add_argument("--objectives", type=Path, default=OBJECTIVES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check:
        found = problems(args.notebooks, args.objectives)
    else:
        found = write(args.notebooks, args.objectives)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
