"""The student edition: every notebook without its exercise solutions, for a class.

    course student                          # notebooks/ -> build/student/
    course student --out DIR a.ipynb        # only these notebooks, into DIR
    course student --ref my-class --repository https://github.com/me/course

Each notebook goes through these steps, in this order:

1. :class:`SolutionBlockPreprocessor` cuts every ``<details><summary><b>Solution</b>...
   </details>`` block out of the cells tagged ``solution``. A cell with text after its
   block (a remark, a sentence later cells rely on) keeps that text, loses the tag and
   gets the slide type of what is left; a cell with nothing else keeps the tag.
2. nbconvert's ``TagRemovePreprocessor`` removes the cells still tagged ``solution``.
3. :class:`ExerciseOutputPreprocessor` clears the outputs of the exercise cells (code
   cells that call ``exercises.check_...``). The committed outputs are the checkers'
   answers to the empty placeholders in the teacher's copy, and those name the expected
   value ("want 2400", "the module has 163,696"). Every other output stays, so the
   student edition still reads well (figures, tables, model summaries) before it is run.
4. The setup cell gets :data:`HIDE_ANSWERS` after its ``course_utils.setup(...)`` line: from
   then on the checkers say what is wrong and hint, but never print the expected value
   (``course_utils.exercises.hide_answers``). It is a line of the notebook, so it works the
   same on Colab, in a local JupyterLab and under nbgrader.
5. The "Open in Colab" badge and the Colab install cell point at the student copies (the
   cell is rewritten whole, from :func:`course_utils.cli.notebook_links.install_cell`).

**Where the student copies live.** The student edition of release ``v<version>`` is the git
tag ``v<version>-student`` of the course's repository (``[project.urls] Repository``): the
release's tree with ``notebooks/`` replaced by this command's output (one place:
:meth:`course_utils.cli.notebook_links.Release.student_edition`). A student notebook's
badge opens ``notebooks/<name>`` at that tag, and its install cell is the notebooks' own
Colab cell (:func:`course_utils.cli.notebook_links.install_cell`) with that tag: it installs
the course (the same package as the release) from ``v<version>-student``, or from the default
branch when that tag is not published yet (``course_utils.colab.install`` then says so), and
installs what the runtime lacks. To publish it, from a clone::

    course student --out build/student
    git worktree add --detach ../student-edition v0.1.0
    cp build/student/*.ipynb ../student-edition/notebooks/
    git -C ../student-edition commit -qam "Student edition of v0.1.0"
    git -C ../student-edition tag v0.1.0-student && git push origin v0.1.0-student

A class with its own repository (a fork) passes ``--repository`` and ``--ref``.

**The output folder.** ``--out`` is created when missing. A folder that is not empty is
written into only when this command made it (it holds :data:`MARKER`); any other non-empty
folder is refused, and ``--force`` writes into it anyway, replacing files of the same
names. Nothing else in it is touched.

The exercise cells stay as they are: the checkers live in ``course_utils.exercises``, which
the notebooks import. The tags must be right first (``python tools/tag_solutions.py``): a
notebook with an untagged solution is refused rather than published with it.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nbconvert.preprocessors import ClearOutputPreprocessor, Preprocessor, TagRemovePreprocessor

from course_utils import paths
from course_utils.cli import notebook_links, notebook_rules, slides

#: A hidden solution: from its ``<details>`` opening to the first ``</details>`` after it.
SOLUTION_BLOCK = re.compile(re.escape(notebook_rules.SOLUTION_START) + r".*?</details>", re.S)
#: A call of an exercise checker in a code cell.
CHECKER_CALL = re.compile(r"\bexercises\.(check_\w+)\(")
#: The line the student edition adds to the setup cell, after ``course_utils.setup(...)``.
HIDE_ANSWERS = (
    "course_utils.exercises.hide_answers()  # student edition: the checkers never print the answer"
)
#: The file that marks a folder this command wrote (see the module docstring).
MARKER = ".course-student"


class StudentEditionError(ValueError):
    """A notebook cannot be published as it is, or the output folder cannot be written;
    the message says what to do."""


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
    """Cut the solution blocks out of the cells tagged ``solution`` (module doc, step 1)."""

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
    """Clear the outputs (and execution count) of exercise cells only (step 3)."""

    def preprocess_cell(self, cell, resources, index):
        """Clear one cell when it is an exercise."""
        if is_exercise(cell):
            return super().preprocess_cell(cell, resources, index)
        return cell, resources


def without_solutions(nb: Any, name: str = "notebook") -> Any:
    """Steps 1 to 3 of the module docstring, in place: no solution, no exercise output.

    Raises:
        StudentEditionError: when a solution cell lacks its tag.
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


def with_answers_hidden(nb: Any, name: str = "notebook") -> Any:
    """Step 4, in place: :data:`HIDE_ANSWERS` after the setup cell's ``course_utils.setup``.

    Idempotent. A notebook without exercises and without a setup call is left as it is.

    Raises:
        StudentEditionError: when the notebook has exercises but no code cell that calls
            ``course_utils.setup(...)`` (the line needs ``course_utils`` imported).
    """
    for cell in nb.cells:
        if cell.cell_type != "code" or "course_utils.setup(" not in cell.source:
            continue
        if HIDE_ANSWERS in cell.source:
            return nb
        lines = cell.source.split("\n")
        end = _statement_end(cell.source, "course_utils.setup(")
        lines.insert(end, HIDE_ANSWERS)
        cell.source = "\n".join(lines)
        return nb
    if any(is_exercise(cell) for cell in nb.cells):
        raise StudentEditionError(
            f"{name}: it has exercises but no code cell calls course_utils.setup(), after "
            "which the student edition hides the checkers' answers: add the usual setup cell "
            "(import course_utils; env = course_utils.setup())"
        )
    return nb


def _statement_end(source: str, call: str) -> int:
    """The number of the line after the statement holding ``call`` (0-based lines)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax (magics): the line of the call itself
        return next(i for i, line in enumerate(source.split("\n")) if call in line) + 1
    for statement in tree.body:
        if call in (ast.get_source_segment(source, statement) or ""):
            return statement.end_lineno or statement.lineno
    return len(source.split("\n"))


def with_student_links(nb: Any, release: notebook_links.Release, name: str) -> Any:
    """Step 5, in place: the badge and the install cell of ``release`` (the student copies).

    Raises:
        StudentEditionError: when the notebook has no Markdown cell or its first code cell
            is not the Colab install cell.
    """
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not markdown or not code or "google.colab" not in code[0].source:
        raise StudentEditionError(
            f"{name}: no Markdown cell for the Colab badge, or the first code cell is not the "
            "Colab install cell (see CONTRIBUTING.md; python tools/notebook_links.py writes it)"
        )
    markdown[0].source = notebook_links.with_badge(
        markdown[0].source, notebook_links.badge(release, name)
    )
    code[0].source = notebook_links.install_cell(release)
    return nb


def student_notebook(
    nb: Any,
    name: str = "notebook",
    release: notebook_links.Release | None = None,
    hide_answers: bool = True,
) -> Any:
    """The student edition of one notebook (an ``nbformat`` node), made in place.

    Args:
        nb: the notebook, as ``nbformat.read`` gives it.
        name: its file name (the badge links to it; errors name it).
        release: where the student copies are (step 5); ``None`` leaves the links alone.
        hide_answers: add :data:`HIDE_ANSWERS` to the setup cell (step 4).

    Returns:
        The same notebook, without solutions and without the exercises' outputs.

    Raises:
        StudentEditionError: when a solution cell lacks its tag (run
            ``python tools/tag_solutions.py``), or a step cannot be made (see each).
    """
    nb = without_solutions(nb, name)
    if hide_answers:
        nb = with_answers_hidden(nb, name)
    if release is not None:
        nb = with_student_links(nb, release, name)
    return nb


def prepare_out(out: Path, marker: str = MARKER, force: bool = False) -> Path:
    """Make ``out`` ready to be written: created when missing, refused when it is a
    non-empty folder that holds no ``marker`` (unless ``force``); the marker is written.

    Raises:
        StudentEditionError: when ``out`` is a file, or a non-empty folder this command did
            not make (the message names ``--force``).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise StudentEditionError(f"{out} is a file, not a folder: choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / marker).exists() and not force:
        raise StudentEditionError(
            f"{out} is not empty and was not written by this command, so nothing was written: "
            "choose another --out, empty the folder, or pass --force to write into it "
            "(files of the same names are replaced; nothing else is touched)"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / marker).write_text(
        "Written by the course's `course student` or `course nbgrader`: they may write here "
        "again.\n",
        encoding="utf-8",
    )
    return out


def write_notebook(nb: Any, target: Path) -> Path:
    """Validate ``nb`` and write it to ``target`` atomically, as the repository keeps notebooks."""
    import nbformat

    nbformat.validate(nb)
    text = nbformat.writes(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    notebook_rules.write_atomically(target, text if text.endswith("\n") else text + "\n")
    return target


def build(
    notebooks: Iterable[Path],
    out: Path,
    release: notebook_links.Release | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the student edition of each notebook into ``out``, under the same name.

    Args:
        notebooks: the ``.ipynb`` files.
        out: the folder to write (see :func:`prepare_out`).
        release: where the student copies are; by default the student edition of the
            release ``pyproject.toml`` names (:meth:`~notebook_links.Release.student_edition`).
        force: write into a non-empty folder this command did not make.

    Returns:
        The files written, each a valid notebook (checked with ``nbformat.validate``).

    Raises:
        StudentEditionError: when a notebook cannot be published, or ``out`` is refused;
            nothing is written then.
    """
    import nbformat

    release = release or notebook_links.release().student_edition()
    editions = []
    for path in sorted(Path(p) for p in notebooks):
        nb = student_notebook(nbformat.read(path, as_version=4), path.name, release)
        editions.append((nb, path.name))
    out = prepare_out(out, force=force)
    return [write_notebook(nb, out / name) for nb, name in editions]


def chosen_release(args: argparse.Namespace) -> notebook_links.Release:
    """The student copies' place from ``--repository`` and ``--ref`` (see the module doc)."""
    import dataclasses

    release = notebook_links.release().student_edition()
    if args.repository:
        release = dataclasses.replace(release, repository=args.repository.rstrip("/"))
    if args.ref:
        release = dataclasses.replace(release, ref=args.ref)
    return release


def cmd_student(args: argparse.Namespace) -> int:
    """``course student``: build the student edition into ``args.out``; 1 on an error."""
    chosen = [Path(p) for p in args.notebooks] or notebook_rules.notebook_paths(Path(args.folder))
    if not chosen:
        print(f"ERROR: no notebooks (NN_*.ipynb) in {args.folder}/: pass --folder", file=sys.stderr)
        return 1
    try:
        written = build(chosen, Path(args.out), chosen_release(args), force=args.force)
    except (StudentEditionError, ValueError) as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    print(f"{len(written)} notebooks without solutions in {args.out}/")
    return 0


def default_out() -> Path:
    """``build/student`` in the current folder."""
    return paths.build_dir() / "student"
