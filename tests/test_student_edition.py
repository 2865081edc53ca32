"""The student edition: every solution tagged (tools/tag_solutions.py), and the edition built
from the committed notebooks (``course student``, course_utils/cli/student.py) holds no
solution, keeps every exercise and its checker, hides the checkers' answers, points its badges
and install cells at the student copies, and is valid nbformat."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from course_utils import exercises
from course_utils.cli import notebook_links, notebook_rules
from course_utils.cli import student as student_edition
from course_utils.cli.main import main as course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebook_rules.notebook_paths(ROOT / "notebooks")
FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.S)


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tag_solutions = _tool("tag_solutions")
STUDENT_RELEASE = notebook_links.release().student_edition()


def _text(cell) -> str:
    return "".join(cell["source"])


def _md(text: str, **metadata) -> dict:
    return {"cell_type": "markdown", "metadata": metadata, "source": text}


SOLUTION = (
    "<details><summary><b>Solution</b> (click to reveal)</summary>\n\n"
    "```python\nx = 42\n```\n</details>"
)


# --- the tags ---------------------------------------------------------------------------


def test_every_solution_is_tagged_and_nothing_else():
    """The check mode of tools/tag_solutions.py; fix with `python tools/tag_solutions.py`."""
    assert tag_solutions.problems(NOTEBOOKS) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_tagging_keeps_the_repository_format_and_changes_only_tags(path):
    raw = path.read_text(encoding="utf-8")
    assert notebook_rules.dumps(json.loads(raw)) == raw, "a no-op write is byte-identical"
    new = tag_solutions.tagged(raw)
    assert tag_solutions.tagged(new) == new, "idempotent"
    before, after = json.loads(raw), json.loads(new)
    for cell in before["cells"] + after["cells"]:
        cell.get("metadata", {}).pop("tags", None)
    assert before == after, "only metadata.tags changes"


def test_tags_are_added_removed_and_checked():
    nb = {
        "cells": [
            _md(SOLUTION, slideshow={"slide_type": "notes"}),
            _md("Prose", tags=["solution", "keep"]),
            _md("More prose", tags=["solution"]),
            _md("\n  " + SOLUTION),  # blank space first: still a solution
        ]
    }
    found = notebook_rules.solution_tag_problems(nb, "x.ipynb")
    assert len(found) == 4 and "cell 0 is an exercise solution without" in found[0]
    assert notebook_rules.tag_solutions(nb) == 4
    assert nb["cells"][0]["metadata"] == {
        "slideshow": {"slide_type": "notes"},
        "tags": ["solution"],
    }
    assert list(nb["cells"][0]["metadata"]) == ["slideshow", "tags"]
    assert nb["cells"][1]["metadata"] == {"tags": ["keep"]}
    assert nb["cells"][2]["metadata"] == {}
    assert nb["cells"][3]["metadata"] == {"tags": ["solution"]}
    assert notebook_rules.tag_solutions(nb) == 0
    assert notebook_rules.solution_tag_problems(nb) == []


def test_a_solution_block_after_other_text_is_reported():
    nb = {"cells": [_md(f"*Exercise 1.* Do it.\n\n{SOLUTION}")]}
    assert notebook_rules.tag_solutions(nb) == 0
    assert "after other text" in notebook_rules.solution_tag_problems(nb)[0]


def test_run_notebooks_cleaning_tags_solutions_and_the_hygiene_check_wants_the_tag():
    nb = {"metadata": {"kernelspec": {"name": "python3"}}, "cells": [_md(SOLUTION)]}
    assert "without the 'solution' tag" in " ".join(notebook_rules.problems(nb, "x.ipynb"))
    assert notebook_rules.problems(notebook_rules.clean(nb), "x.ipynb") == []


def test_the_tag_tool_checks_and_writes_from_the_command_line(tmp_path):
    path = tmp_path / "01_x.ipynb"
    path.write_text(notebook_rules.dumps({"cells": [_md(SOLUTION)], "metadata": {}}))
    tool = [sys.executable, "-S", str(ROOT / "tools" / "tag_solutions.py")]  # stdlib only
    check = subprocess.run([*tool, "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 1 and "01_x.ipynb: cell 0" in check.stdout, check.stderr
    subprocess.run([*tool, str(path)], check=True, capture_output=True)
    assert json.loads(path.read_text())["cells"][0]["metadata"] == {"tags": ["solution"]}
    assert subprocess.run([*tool, "--check", str(path)], capture_output=True).returncode == 0


# --- the edition ------------------------------------------------------------------------


def test_a_solution_block_goes_and_the_text_after_it_stays():
    text = f"{SOLUTION}\n\nThe same, by code:"
    assert student_edition.strip_solutions(text) == "The same, by code:"
    assert student_edition.strip_solutions(SOLUTION) == ""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(SOLUTION, metadata={"tags": ["solution"]}),
        nbformat.v4.new_markdown_cell(text, metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("f = 1\nexercises.check_x(f)", execution_count=3),
        nbformat.v4.new_code_cell("print(2)", execution_count=4),
    ]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="Not yet: want 42")]
    nb.cells[3].outputs = [nbformat.v4.new_output("stream", text="2")]
    nb.cells[1].metadata["slideshow"] = {"slide_type": "notes"}
    out = student_edition.student_notebook(nb, hide_answers=False)
    assert [c.cell_type for c in out.cells] == ["markdown", "code", "code"]
    assert out.cells[0].source == "The same, by code:"
    assert out.cells[0].metadata == {"slideshow": {"slide_type": "-"}}
    assert out.cells[1].outputs == [] and out.cells[1].execution_count is None
    assert out.cells[2].outputs[0]["text"] == "2", "other outputs stay"
    nbformat.validate(out)


def test_an_untagged_solution_is_refused():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(SOLUTION)]
    with pytest.raises(student_edition.StudentEditionError, match="tag_solutions"):
        student_edition.student_notebook(nb, "x.ipynb")


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("student")
    return {path.name: path for path in student_edition.build(NOTEBOOKS, out / "edition")}


def _solution_only_lines(cells) -> set[str]:
    """The lines of the solutions' code blocks that appear nowhere else in the notebook."""
    solutions = [
        block
        for cell in cells
        if cell["cell_type"] == "markdown"
        for block in student_edition.SOLUTION_BLOCK.findall(_text(cell))
    ]
    code = {
        line.strip() for block in solutions for fence in FENCE.findall(block)
        for line in fence.splitlines() if line.strip()
    }  # fmt: skip
    elsewhere = {
        line.strip()
        for cell in cells
        for line in student_edition.strip_solutions(_text(cell)).splitlines()
    }
    return code - elsewhere


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_student_edition_has_no_solution_and_every_checker(path, edition):
    original = nbformat.read(path, as_version=4)
    student = nbformat.read(edition[path.name], as_version=4)
    nbformat.validate(student)
    page = edition[path.name].read_text(encoding="utf-8")
    assert "<summary><b>Solution" not in page and "</details>" not in page
    hidden = _solution_only_lines(original.cells)
    assert bool(hidden) == (not path.name.startswith("00_")), "every lesson has solutions"
    lines = {line.strip() for cell in student.cells for line in _text(cell).splitlines()}
    assert not hidden & lines, f"solution lines left: {sorted(hidden & lines)[:5]}"

    def calls(nb) -> Counter:
        return Counter(
            name
            for cell in nb.cells
            if cell.cell_type == "code"
            for name in student_edition.CHECKER_CALL.findall(_text(cell))
        )

    assert calls(student) == calls(original)
    assert all(callable(getattr(exercises, name, None)) for name in calls(student))
    for cell in student.cells:
        if student_edition.is_exercise(cell):
            assert cell.outputs == [], "an exercise's stored feedback gives the answer away"
    kept_after = [
        rest
        for cell in original.cells
        if notebook_rules.is_solution(cell)
        for rest in [student_edition.strip_solutions(_text(cell))]
        if rest
    ]
    markdown = [_text(c) for c in student.cells if c.cell_type == "markdown"]
    assert all(rest in markdown for rest in kept_after), "text after a solution stays"
    dropped = sum(notebook_rules.is_solution(c) for c in original.cells) - len(kept_after)
    assert len(student.cells) == len(original.cells) - dropped
    others = [
        c.outputs
        for c in original.cells
        if c.cell_type == "code" and not student_edition.is_exercise(c)
    ]
    kept = [
        c.outputs
        for c in student.cells
        if c.cell_type == "code" and not student_edition.is_exercise(c)
    ]
    assert kept == others, "every other output stays"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_student_edition_hides_answers_and_points_at_the_student_copies(path, edition):
    student = nbformat.read(edition[path.name], as_version=4)
    code = [c for c in student.cells if c.cell_type == "code"]
    markdown = [c for c in student.cells if c.cell_type == "markdown"]
    tag = f"v{STUDENT_RELEASE.version}-student"
    assert STUDENT_RELEASE.target == tag
    assert f'@{tag}"' in code[0].source and "google.colab" in code[0].source
    # the notebooks' own Colab cell (tag, else the default branch; then colab.install) at the
    # student tag: only the tag differs from the teacher's copy's cell
    assert code[0].source == notebook_links.install_cell(STUDENT_RELEASE)
    teacher = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert code[0].source == teacher.source.replace(
        f'"{{course}}@v{STUDENT_RELEASE.version}"', f'"{{course}}@{tag}"'
    )
    assert f"/blob/{tag}/notebooks/{path.name})" in markdown[0].source
    # the badge line's GitHub and download links open the student copy too, never the teacher's
    assert notebook_links.badge(STUDENT_RELEASE, path.name) in markdown[0].source.split("\n")
    assert (
        f"[Download notebook](https://raw.githubusercontent.com/{STUDENT_RELEASE.slug}/{tag}/"
        in (markdown[0].source)
    )
    assert f"/v{STUDENT_RELEASE.version}/" not in markdown[0].source
    page = edition[path.name].read_text(encoding="utf-8")
    assert f'@v{STUDENT_RELEASE.version}\\"' not in page, "no link to the teacher's copies"
    setup = [c for c in code if "course_utils.setup(" in c.source]
    lines = setup[0].source.split("\n")
    at = lines.index(student_edition.HIDE_ANSWERS)
    assert "course_utils.setup(" in lines[at - 1]
    assert page.count("hide_answers()") == 1


def test_the_hide_line_runs_and_hides_the_answers(monkeypatch):
    import course_utils

    monkeypatch.delenv("COURSE_ANSWERS", raising=False)
    exec(student_edition.HIDE_ANSWERS, {"course_utils": course_utils})
    assert not exercises.answers_shown()
    message = exercises.check_stacked_receptive_field(lambda n: 2 * n).message
    assert "3." not in message and "not the receptive field" in message


def test_a_notebook_with_exercises_but_no_setup_call_is_refused():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("exercises.check_x(f)")]
    with pytest.raises(student_edition.StudentEditionError, match="course_utils.setup"):
        student_edition.student_notebook(nb, "x.ipynb")


def test_course_student_refuses_a_folder_it_did_not_write_and_force_writes(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own notes")
    path = NOTEBOOKS[3]
    assert course(["student", "--out", str(out), str(path)]) == 1
    err = capsys.readouterr().err
    assert "not empty" in err and "--force" in err and "another --out" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"], "nothing written"
    assert course(["student", "--out", str(out), "--force", str(path)]) == 0
    assert (out / path.name).is_file() and (out / "notes.txt").read_text() == "my own notes"
    assert course(["student", "--out", str(out), str(path)]) == 0, "its own folder: no --force"


def test_course_student_takes_another_repository_and_ref(tmp_path):
    out = tmp_path / "class"
    path = NOTEBOOKS[3]
    repo = "https://github.com/a-teacher/our-class"
    assert course(["student", "--out", str(out), "--repository", repo, "--ref", "spring",
                   str(path)]) == 0  # fmt: skip
    page = (out / path.name).read_text()
    assert "github/a-teacher/our-class/blob/spring/notebooks/" in page
    student = nbformat.read(out / path.name, as_version=4)
    cell = next(c for c in student.cells if c.cell_type == "code").source
    assert 'course = "segmentation-course @ git+https://github.com/a-teacher/our-class"' in cell
    assert '!pip install -q --no-deps "{course}@spring" 2>/dev/null || ' in cell


def test_the_tool_and_make_student_run_course_student(tmp_path):
    out = tmp_path / "by-tool"
    tool = ROOT / "tools" / "student_edition.py"
    done = subprocess.run(
        [sys.executable, str(tool), "--out", str(out), str(NOTEBOOKS[3])],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (out / NOTEBOOKS[3].name).is_file()
    assert "-m course_utils student --out build/student" in (ROOT / "Makefile").read_text()
