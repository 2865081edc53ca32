"""Every committed notebook is clean (tools/check_notebooks.py) and follows the lesson template."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from course_utils import exercises

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
_spec = importlib.util.spec_from_file_location(
    "check_notebooks", ROOT / "tools" / "check_notebooks.py"
)
check_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_notebooks)


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no NN_name.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path):
    assert check_notebooks.problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_follows_the_lesson_template(path):
    cells = json.loads(path.read_text())["cells"]
    first = "".join(cells[0]["source"])
    assert first.startswith("# ") and "Learning objectives" in first
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    assert "google.colab" in code[0], "the first code cell installs the course on Colab only"
    assert "course_utils.setup(" in code[1], "the next code cell calls course_utils.setup()"
    last = "".join(cells[-1]["source"])
    assert "## Summary" in last


@pytest.mark.parametrize(
    "path", [p for p in NOTEBOOKS if not p.name.startswith("00_")], ids=lambda p: p.name
)
def test_every_lesson_has_two_exercises_with_checkers_and_solutions(path):
    cells = json.loads(path.read_text())["cells"]
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    markdown = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    checked = {
        name
        for name in dir(exercises)
        if name.startswith("check_") and f"exercises.{name}(" in code
    }
    assert len(checked) >= 2, f"{path.name} calls {sorted(checked)}"
    assert markdown.count("<details><summary><b>Solution</b>") >= 2


def test_checker_finds_problems(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps({
        "metadata": {"widgets": {}},
        "cells": [{"cell_type": "code", "execution_count": 3, "source": "", "outputs": [
            {"output_type": "error", "ename": "ValueError", "evalue": "", "traceback": []},
            {"output_type": "stream", "name": "stderr", "text": "findfont: Failed to find\n"}]}],
    }))  # fmt: skip
    found = " ".join(check_notebooks.problems(bad))
    assert (
        "kernelspec" in found and "widget state" in found and "1..N" in found and "error" in found
    )
    assert "stderr text in a stored output (findfont: Failed to find)" in found


def test_the_tool_checks_the_rules_that_run_notebooks_applies():
    """One set of rules: the checker is a thin wrapper of course_utils.cli.notebook_rules,
    which the CLI's run-notebooks cleaning uses too."""
    from course_utils.cli import notebook_rules, notebook_runner

    assert check_notebooks.problems is notebook_rules.file_problems
    assert notebook_runner.notebook_rules is notebook_rules


def _dirty_notebook() -> dict:
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/plain": "W"}
    return {
        "metadata": {"kernelspec": {"name": "python3"}, "widgets": {"state": {}}},
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": [
            {"cell_type": "markdown", "source": "# t", "metadata": {}},
            {"cell_type": "code", "execution_count": 4, "source": "1", "metadata": {"execution": {
                "iopub.execute_input": "2026-12-03T06:50:00.270187Z"}},
             "outputs": [{"output_type": "execute_result", "execution_count": 4,
                          "data": {"text/plain": "1"}, "metadata": {}}]},
            {"cell_type": "code", "execution_count": None, "source": "w", "metadata": {},
             "outputs": [{"output_type": "display_data", "data": view, "metadata": {}}]},
        ],
    }  # fmt: skip


def test_cleaning_fixes_every_rule_it_can():
    from course_utils.cli import notebook_rules

    nb = _dirty_notebook()
    found = " ".join(notebook_rules.problems(nb, "dirty.ipynb"))
    assert "widget state" in found and "1..N" in found and "widget view" in found
    assert "execution timestamps in 1 cells" in found
    assert "cells [0, 1, 2] have no id" in found
    assert notebook_rules.problems(notebook_rules.clean(nb), "dirty.ipynb") == []
    ids = [cell["id"] for cell in nb["cells"]]
    assert len(set(ids)) == 3 and [c["id"] for c in notebook_rules.clean(nb)["cells"]] == ids
    assert nb["cells"][1]["metadata"] == {}
    assert nb["cells"][1]["outputs"][0]["execution_count"] == 1
    assert nb["cells"][2]["outputs"][0]["data"] == {"text/plain": "W"}


def test_a_result_numbered_unlike_its_cell_is_found(tmp_path):
    """run-notebooks numbers each result like its cell; the checker holds hand edits to it."""
    from course_utils.cli import notebook_rules

    nb = notebook_rules.clean(_dirty_notebook())
    nb["cells"][1]["outputs"][0]["execution_count"] = 7
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    assert "holds a result numbered 7" in " ".join(check_notebooks.problems(path))


def test_the_tool_runs_on_its_own_from_any_folder(tmp_path):
    """pre-commit runs `python tools/check_notebooks.py <files>`: it must work without the
    package installed (-S: no site-packages) and from another folder."""
    import subprocess
    import sys

    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps(_dirty_notebook()))
    good = tmp_path / "good.ipynb"
    from course_utils.cli import notebook_rules

    good.write_text(json.dumps(notebook_rules.clean(_dirty_notebook())))
    tool = str(ROOT / "tools" / "check_notebooks.py")
    run = subprocess.run(
        [sys.executable, "-S", tool, str(bad), str(good)],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert "bad.ipynb: saved widget state" in run.stdout and "good.ipynb" not in run.stdout


def test_a_figure_needs_a_caption_right_after_it():
    from course_utils.cli import notebook_rules

    figure = {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "outputs": [{"output_type": "display_data", "data": {"image/png": "iVBOR"}}],
        "source": "plt.plot([1, 2])",
    }
    caption = {"cell_type": "markdown", "metadata": {}, "source": "*Figure: a rising line.*"}
    prose = {"cell_type": "markdown", "metadata": {}, "source": "The line rises."}
    assert notebook_rules.caption_problems({"cells": [figure, caption]}) == []
    for cells in ([figure], [figure, prose], [figure, prose, caption]):
        (problem,) = notebook_rules.caption_problems({"cells": cells}, "x.ipynb")
        assert "cell 0 has no caption" in problem and "*Figure:" in problem
    assert notebook_rules.caption_problems({"cells": [prose, caption]}) == []
