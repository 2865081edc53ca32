"""Build the student edition: every notebook without its exercise solutions.

    python tools/student_edition.py                      # notebooks/ -> build/student/
    python tools/student_edition.py --out DIR a.ipynb    # only these notebooks, into DIR

Each notebook goes through three nbconvert preprocessors, in this order:

1. :class:`SolutionBlockPreprocessor` cuts every ``<details><summary><b>Solution</b>...
   </details>`` block out of the cells tagged ``solution``. A cell with text after its
   block (a remark, a sentence later cells rely on) keeps that text, loses the tag and
   gets the slide type of what is left; a cell with nothing else keeps the tag.
2. nbconvert's ``TagRemovePreprocessor`` removes the cells still tagged ``solution``.
3. :class:`ExerciseOutputPreprocessor` clears the outputs of the exercise cells (code
   cells that call ``exercises.check_...``). The committed outputs are the checkers'
   answers to the empty placeholders, and those say the expected value and give the
   hint ("want 2400", "the module has 163,696"): they would give the answer away.
   Every other output stays, so the student edition still reads well (figures,
   tables, the model summaries) before anything is run.

The exercise cells and the setup cell stay as they are: the checkers live in
``course_utils.exercises``, which the notebooks import, so they work the same in the
student edition. The tags must be right first (``python tools/tag_solutions.py``): a
notebook with an untagged solution is refused rather than published with it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nbconvert.preprocessors import ClearOutputPreprocessor, Preprocessor, TagRemovePreprocessor

from course_utils import paths
from course_utils.cli import notebook_rules, slides

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OUT = paths.build_dir(ROOT) / "student"
#: A hidden solution: from its ``<details>`` opening to the first ``</details>`` after it.
SOLUTION_BLOCK = re.compile(re.escape(notebook_rules.SOLUTION_START) + r".*?</details>", re.S)
#: A call of an exercise checker in a code cell.
CHECKER_CALL = re.compile(r"\bexercises\.(check_\w+)\(")


class StudentEditionError(ValueError):
    """A notebook cannot be published as it is; the message says what to run."""


def strip_solutions(text: str) -> str:
    """``text`` without its solution blocks, and without the blank lines they leave.

    Args:
        text: a Markdown cell's source.

    Returns:
        What is left, stripped of leading and trailing blank lines ("" when nothing is).
    """
    rest = SOLUTION_BLOCK.sub("", text).strip("\n")
    return rest if rest.strip() else ""


def is_exercise(cell: dict[str, Any]) -> bool:
    """Whether a cell is an exercise: a code cell that calls ``exercises.check_...``."""
    return cell.get("cell_type") == "code" and bool(CHECKER_CALL.search(_text(cell)))


def _text(cell: dict[str, Any]) -> str:
    return "".join(cell.get("source", ""))


class SolutionBlockPreprocessor(Preprocessor):
    """Cut the solution blocks out of the cells tagged ``solution`` (see the module doc)."""

    def preprocess_cell(self, cell, resources, index):
        """Cut the blocks out of one cell; untag it when text is left."""
        tags = list(cell.get("metadata", {}).get("tags", []))
        if notebook_rules.SOLUTION_TAG not in tags:
            return cell, resources
        rest = strip_solutions(_text(cell))
        if rest:
            cell.source = rest
            kept = [t for t in tags if t != notebook_rules.SOLUTION_TAG]
            if kept:
                cell.metadata["tags"] = kept
            else:
                cell.metadata.pop("tags", None)
            cell.metadata["slideshow"] = {"slide_type": slides.slide_type(cell)}
        return cell, resources


class ExerciseOutputPreprocessor(ClearOutputPreprocessor):
    """Clear the outputs (and execution count) of exercise cells only."""

    def preprocess_cell(self, cell, resources, index):
        """Clear one cell when it is an exercise."""
        if is_exercise(cell):
            return super().preprocess_cell(cell, resources, index)
        return cell, resources


def student_notebook(nb: Any, name: str = "notebook") -> Any:
    """The student edition of one notebook (an ``nbformat`` node), made in place.

    Args:
        nb: the notebook, as ``nbformat.read`` gives it.
        name: how to name it in errors (its file name).

    Returns:
        The same notebook, without solutions and without the exercises' outputs.

    Raises:
        StudentEditionError: when a solution cell lacks its tag (run
            ``python tools/tag_solutions.py``).
    """
    wrong = notebook_rules.solution_tag_problems(nb, name)
    if wrong:
        raise StudentEditionError("\n".join(wrong))
    resources: dict[str, Any] = {}
    steps = [
        SolutionBlockPreprocessor(),
        TagRemovePreprocessor(remove_cell_tags={notebook_rules.SOLUTION_TAG}),
        ExerciseOutputPreprocessor(),
    ]
    for step in steps:  # preprocess(), not __call__: a Preprocessor is disabled by default
        nb, resources = step.preprocess(nb, resources)
    return nb


def build(notebooks: Iterable[Path], out: Path = OUT) -> list[Path]:
    """Write the student edition of each notebook into ``out``, under the same name.

    Args:
        notebooks: the ``.ipynb`` files.
        out: the folder to write (created when missing).

    Returns:
        The files written, each a valid notebook (checked with ``nbformat.validate``).

    Raises:
        StudentEditionError: when a notebook has an untagged solution.
    """
    import nbformat

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(Path(p) for p in notebooks):
        nb = student_notebook(nbformat.read(path, as_version=4), path.name)
        nbformat.validate(nb)
        target = out / path.name
        text = nbformat.writes(nb)
        # complete or absent, never half written (a notebook open in JupyterLab meanwhile)
        notebook_rules.write_atomically(target, text if text.endswith("\n") else text + "\n")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Build the student edition of the notebooks named (default: all of ``notebooks/``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="default: build/student")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    args = parser.parse_args(argv)
    paths = args.notebooks or notebook_rules.notebook_paths(NOTEBOOKS)
    try:
        written = build(paths, args.out)
    except StudentEditionError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    print(f"{len(written)} notebooks without solutions in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
