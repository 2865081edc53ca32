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
            {"output_type": "error", "ename": "ValueError", "evalue": "", "traceback": []}]}],
    }))  # fmt: skip
    found = " ".join(check_notebooks.problems(bad))
    assert (
        "kernelspec" in found and "widget state" in found and "1..N" in found and "error" in found
    )
