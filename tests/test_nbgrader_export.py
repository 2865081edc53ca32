"""The nbgrader export (``course nbgrader``, course_utils/cli/nbgrader_export.py): answer
cells, autograded checker tests and locked cells, checked by nbgrader's own metadata
validation on every notebook, by ``nbgrader generate_assignment`` on one course notebook,
and by nbgrader's validator, which runs a small exported notebook: the solution passes, the
placeholder fails with the checker's feedback and without the expected value.

nbgrader is in the ``teacher`` extra (the ``test`` extra includes it; nbgrader 0.9.6 needs
Python 3.11+, so on 3.10 those tests are skipped). Where it is missing the tests that need it
are skipped, saying so; in CI (``CI`` set) they fail instead, like the browser tests.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils.cli import nbgrader_export, notebook_rules, student
from course_utils.cli.main import main as course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebook_rules.notebook_paths(ROOT / "notebooks")


@pytest.fixture(scope="session")
def nbgrader():
    """nbgrader, or a skip (a failure in CI) that says how to install it."""
    if sys.version_info < (3, 11):
        pytest.skip("nbgrader 0.9.6 needs Python 3.11 or later (the teacher extra skips it)")
    try:
        import nbgrader as module
    except ImportError:
        message = "nbgrader is not installed: pip install -e '.[teacher]' (make test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return module


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    out = tmp_path_factory.mktemp("nbgrader") / "course"
    written = nbgrader_export.export(NOTEBOOKS, out)
    return out, {path.name: path for path in written}


def _meta(cell) -> dict:
    return cell.metadata["nbgrader"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_answers_tests_and_locked_cells(path, exported):
    out, written = exported
    assert written[path.name] == out / "source" / path.stem / path.name
    original = nbformat.read(path, as_version=4)
    nb = nbformat.read(written[path.name], as_version=4)
    nbformat.validate(nb)
    calls = [c for c in original.cells if student.is_exercise(c)]
    answers = [c for c in nb.cells if _meta(c)["solution"]]
    tests = [c for c in nb.cells if _meta(c)["grade"]]
    assert len(answers) == len(tests) == len(calls)
    ids = [_meta(c)["grade_id"] for c in nb.cells]
    assert len(ids) == len(set(ids)), "grade ids are unique"
    for answer, test, exercise in zip(answers, tests, calls, strict=True):
        assert nb.cells.index(test) == nb.cells.index(answer) + 1
        placeholder, call = nbgrader_export.split_exercise(exercise.source)
        assert answer.source.startswith(placeholder) and not _meta(answer)["locked"]
        assert nbgrader_export.BEGIN in answer.source and answer.source.endswith(
            nbgrader_export.END
        )
        assert test.source == f"{call}.assert_correct()" and test.outputs == []
        assert _meta(test)["locked"] and _meta(test)["points"] == 1
    others = [c for c in nb.cells if not (_meta(c)["solution"] or _meta(c)["grade"])]
    assert all(_meta(c)["locked"] and _meta(c)["schema_version"] == 3 for c in others)
    page = written[path.name].read_text()
    assert "<summary><b>Solution" not in page and page.count("hide_answers()") == 1


def test_nbgrader_validates_the_metadata_of_every_notebook(nbgrader, exported):
    from nbgrader.nbgraderformat import MetadataValidator

    for path in exported[1].values():
        MetadataValidator().validate_nb(nbformat.read(path, as_version=4))


def test_generate_assignment_keeps_the_placeholders_and_drops_the_solutions(nbgrader, exported):
    out, written = exported
    name = NOTEBOOKS[1]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", name.stem],
        cwd=out, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    release = nbformat.read(out / "release" / name.stem / name.name, as_version=4)
    source = nbformat.read(written[name.name], as_version=4)
    for before, after in zip(source.cells, release.cells, strict=True):
        if _meta(before)["solution"]:
            placeholder = before.source.split(nbgrader_export.BEGIN)[0].rstrip()
            assert after.source.strip() == placeholder
            assert "BEGIN SOLUTION" not in after.source
        else:
            assert after.source == before.source


def _tiny_course_notebook():
    """A course notebook in small: a setup cell (without TensorFlow), one exercise, its
    hidden solution."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A lesson"),
        nbformat.v4.new_code_cell(
            "import course_utils\nfrom course_utils import exercises\n\n"
            "course_utils.setup = lambda: None  # the test skips TensorFlow\n"
            "env = course_utils.setup()"
        ),
        nbformat.v4.new_code_cell(
            "def receptive_field(n):\n    # Your code here.\n    return 3\n\n\n"
            "exercises.check_stacked_receptive_field(receptive_field)"
        ),
        nbformat.v4.new_markdown_cell(
            "<details><summary><b>Solution</b> (click to reveal)</summary>\n\n```python\n"
            "def receptive_field(n):\n    return 2 * n + 1\n```\n</details>",
            metadata={"tags": ["solution"]},
        ),
    ]
    return nb


def test_nbgrader_validate_passes_the_solution_and_fails_the_placeholder(nbgrader, tmp_path):
    from nbgrader.preprocessors import ClearSolutions
    from nbgrader.validator import Validator

    source = nbgrader_export.nbgrader_notebook(_tiny_course_notebook(), "01_tiny.ipynb")
    (tmp_path / "solved.ipynb").write_text(nbformat.writes(source))
    released, _ = ClearSolutions(code_stub={"python": ""}).preprocess(
        nbformat.reads(nbformat.writes(source), as_version=4), {"language": "python"}
    )
    (tmp_path / "released.ipynb").write_text(nbformat.writes(released))

    validator = Validator()
    assert validator.validate(str(tmp_path / "solved.ipynb")) == {}, "the solution passes"
    failed = validator.validate(str(tmp_path / "released.ipynb"))["failed"]
    assert len(failed) == 1 and "assert_correct" in failed[0]["source"]
    error = failed[0]["raw_error"]
    assert "Not yet: for n=2 you return 3, which is not the receptive field." in error
    assert "5" not in error, "the student's copy never names the answer"
    validator.stream = io.StringIO()
    validator.validate_and_print(str(tmp_path / "released.ipynb"))
    printed = validator.stream.getvalue()
    print(printed)  # pytest -s shows what nbgrader's validation printed
    assert "VALIDATION FAILED ON 1 CELL(S)" in printed


def test_course_nbgrader_refuses_a_folder_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "grading"
    out.mkdir()
    (out / "gradebook.db").write_text("a teacher's grades")
    assert course(["nbgrader", "--out", str(out), str(NOTEBOOKS[3])]) == 1
    assert "--force" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["gradebook.db"]
    assert course(["nbgrader", "--out", str(out), "--force", str(NOTEBOOKS[3])]) == 0
    assert (out / "source" / NOTEBOOKS[3].stem / NOTEBOOKS[3].name).is_file()
    assert "code_stub" in (out / "nbgrader_config.py").read_text()
    assert (out / "gradebook.db").read_text() == "a teacher's grades"


def test_an_exercise_without_a_solution_is_refused():
    nb = _tiny_course_notebook()
    nb.cells = nb.cells[:3]
    with pytest.raises(student.StudentEditionError, match="no hidden solution"):
        nbgrader_export.nbgrader_notebook(nb, "x.ipynb")
