"""The nbgrader export: the student edition as an nbgrader course folder.

    course nbgrader [--out DIR] [--points N] [NOTEBOOKS ...]    # default: build/nbgrader/

writes ``DIR/source/<notebook>/<notebook>.ipynb`` (one assignment per notebook, nbgrader's
``source`` layout) and ``DIR/nbgrader_config.py``. In each notebook:

- every exercise cell is split in two: its **answer** (the code before the checker call: the
  course's placeholder, then the solution between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``, taken from the hidden solution after the exercise) is an autograded
  answer cell (``solution: true``); its **test**, the checker call as
  ``exercises.check_...(...).assert_correct()``, is an autograded test cell (``grade: true``,
  ``--points`` points, locked), which raises unless the answer is right;
- every other cell is locked (read-only), and the solutions are cut and the answers hidden
  as in the student edition (``course_utils.cli.student``).

A teacher then runs ``nbgrader generate_assignment <notebook>`` in ``DIR``: the release
keeps the placeholder and drops the solution; ``nbgrader_config.py`` sets an empty code stub
(nbgrader's default, ``raise NotImplementedError()``, would stop the notebook at the
placeholder). ``nbgrader autograde`` runs the tests; a student sees the checkers' feedback,
without the expected values. The output folder follows ``course student``'s rule: a
non-empty folder this command did not write is refused unless ``--force``.

nbgrader itself is not needed to export; it is in the ``teacher`` extra
(``pip install 'segmentation-course[teacher]'``).
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from course_utils.cli import notebook_links, notebook_rules, student

#: nbgrader's cell-metadata schema version that this export writes.
SCHEMA_VERSION = 3
#: The marks around a solution in an answer cell.
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
#: The first fenced Python block of a hidden solution.
FENCE = re.compile(r"```python\n(.*?)```", re.S)
#: The marker file of a folder this command wrote.
MARKER = ".course-nbgrader"
CONFIG = """\
# nbgrader's configuration for the course (written by `course nbgrader`).
c = get_config()  # noqa: F821 - nbgrader provides it
# The answer cells keep the course's placeholder above the solution, so the solution is
# removed without a stub (the default stub raises NotImplementedError).
c.ClearSolutions.code_stub = {"python": ""}
"""


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False,
          locked: bool = False, points: int | None = None) -> dict[str, Any]:  # fmt: skip
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
    }
    if points is not None:
        meta["points"] = points
    return meta


def split_exercise(source: str) -> tuple[str, str]:
    """An exercise cell's source as ``(answer, checker call)``: the call is its last
    statement, ``exercises.check_...(...)``.

    Raises:
        ValueError: when the last statement is not a checker call.
    """
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body else None
    if not (isinstance(last, ast.Expr) and student.CHECKER_CALL.match(ast.unparse(last))):
        raise ValueError("its last statement is not an exercises.check_...(...) call")
    lines = source.split("\n")
    answer = "\n".join(lines[: last.lineno - 1]).rstrip()
    return answer, "\n".join(lines[last.lineno - 1 : last.end_lineno])


def solution_code(cells: list[Any], after: int, name: str) -> str:
    """The code of the hidden solution that follows the exercise cell ``after``.

    Raises:
        student.StudentEditionError: when no solution cell follows before the next exercise.
    """
    for cell in cells[after + 1 :]:
        if student.is_exercise(cell):
            break
        if notebook_rules.is_solution(cell):
            found = FENCE.search(cell.source)
            if found:
                return found.group(1).rstrip()
    raise student.StudentEditionError(
        f"{name}: the exercise in cell {after} has no hidden solution with a ```python block "
        "after it; nbgrader needs the solution to grade it"
    )


def nbgrader_notebook(
    nb: Any, name: str, release: notebook_links.Release | None = None, points: int = 1
) -> Any:
    """The nbgrader source version of one notebook (see the module docstring), in place.

    Raises:
        student.StudentEditionError: when a notebook cannot be exported (the message says why).
    """
    import nbformat

    cells: list[Any] = []
    number = 0
    for index, cell in enumerate(nb.cells):
        if not student.is_exercise(cell):
            cells.append(cell)
            continue
        number += 1
        try:
            answer, call = split_exercise(cell.source)
        except (SyntaxError, ValueError) as err:
            raise student.StudentEditionError(f"{name}: exercise cell {index}: {err}") from err
        solved = f"{answer}\n\n{BEGIN}\n{solution_code(nb.cells, index, name)}\n{END}".lstrip()
        checker = student.CHECKER_CALL.search(call).group(1)  # type: ignore[union-attr]
        answer_cell = nbformat.v4.new_code_cell(solved, id=f"{cell.id}-answer"[:64])
        answer_cell.metadata = copy.deepcopy(cell.metadata)
        answer_cell.metadata["nbgrader"] = _meta(f"ex{number}-answer", solution=True)
        test = nbformat.v4.new_code_cell(f"{call}.assert_correct()", id=f"{cell.id}-test"[:64])
        test.metadata["nbgrader"] = _meta(
            f"ex{number}-{checker}", grade=True, locked=True, points=points
        )
        cells += [answer_cell, test]
    nb.cells = cells
    nb = student.student_notebook(nb, name, release)
    for cell in nb.cells:
        if "nbgrader" not in cell.metadata:
            cell.metadata["nbgrader"] = _meta(f"cell-{cell.id}", locked=True)
    return nb


def export(
    notebooks: Iterable[Path],
    out: Path,
    release: notebook_links.Release | None = None,
    points: int = 1,
    force: bool = False,
) -> list[Path]:
    """Write the nbgrader course folder ``out`` (see the module docstring).

    Returns:
        The notebooks written, ``out/source/<stem>/<name>``.

    Raises:
        student.StudentEditionError: when a notebook cannot be exported or ``out`` is
            refused; nothing is written then.
    """
    import nbformat

    release = release or notebook_links.release().student_edition()
    made = []
    for path in sorted(Path(p) for p in notebooks):
        nb = nbgrader_notebook(nbformat.read(path, as_version=4), path.name, release, points)
        made.append((nb, path))
    out = student.prepare_out(out, marker=MARKER, force=force)
    (out / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    return [student.write_notebook(nb, out / "source" / path.stem / path.name) for nb, path in made]


def cmd_nbgrader(args: argparse.Namespace) -> int:
    """``course nbgrader``: write the nbgrader course folder ``args.out``; 1 on an error."""
    chosen = [Path(p) for p in args.notebooks] or notebook_rules.notebook_paths(Path(args.folder))
    if not chosen:
        print(f"ERROR: no notebooks (NN_*.ipynb) in {args.folder}/: pass --folder", file=sys.stderr)
        return 1
    try:
        written = export(chosen, Path(args.out), points=args.points, force=args.force)
    except (student.StudentEditionError, ValueError) as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    print(
        f"{len(written)} notebooks in {args.out}/source/: run `nbgrader generate_assignment "
        f"<name>` there (nbgrader: pip install 'segmentation-course[teacher]')"
    )
    return 0
