from __future__ import annotations

import json

import nbformat

from course_utils import cli


def test_cache_lists_sizes(empty_data_dir, capsys):
    (empty_data_dir / "camvid").mkdir(parents=True)
    (empty_data_dir / "camvid" / "x.png").write_bytes(b"0" * 2048)
    assert cli.main(["cache"]) == 0
    out = capsys.readouterr().out
    assert "camvid" in out and "1 files" in out and "2.0 KB" in out


def test_fetch_reports_failure_and_exit_code(empty_data_dir, capsys):
    assert cli.main(["fetch", "nonexistent"]) == 1
    assert "Unknown dataset" in capsys.readouterr().err
    assert cli.main(["fetch"]) == 2


def test_fetch_from_mirror(use_mirror, capsys):
    assert cli.main(["fetch", "isbi2012"]) == 0
    assert "isbi2012: ready" in capsys.readouterr().out


def test_run_notebooks_executes_in_order_and_cleans(tmp_path, capsys):
    for i, code in enumerate(["import os\nprint(os.environ['COURSE_PROFILE'])", "x = 1\nx + 1"]):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(code)]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.metadata["widgets"] = {"state": {}}
        nbformat.write(nb, tmp_path / f"0{i}_demo.ipynb")
    timings = tmp_path / "t.json"
    timings.write_text('{"machine": "m", "seconds": {"default": {"00_demo.ipynb": 9.0}}}')
    args = [
        "run-notebooks",
        "--profile",
        "quick",
        "--folder",
        str(tmp_path),
        "--timings",
        str(timings),
    ]
    assert cli.main(args) == 0
    first = nbformat.read(tmp_path / "00_demo.ipynb", as_version=4)
    assert first.cells[0].outputs[0]["text"].strip() == "quick"
    assert first.cells[0].execution_count == 1 and "widgets" not in first.metadata
    record = json.loads(timings.read_text())
    assert set(record["seconds"]["quick"]) == {"00_demo.ipynb", "01_demo.ipynb"}
    assert record["seconds"]["default"] == {"00_demo.ipynb": 9.0} and record["machine"] == "m"


def test_run_notebooks_stops_on_error(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    nbformat.write(nb, tmp_path / "00_bad.ipynb")
    assert cli.main(["run-notebooks", "--folder", str(tmp_path), "--profile", "quick"]) == 1


def test_the_teachers_guide_shows_the_measured_timings():
    """docs/teaching.md's table is generated from docs/timings.json, never typed."""
    import json
    from pathlib import Path

    from course_utils.cli import TIMINGS_END, TIMINGS_START, timings_table

    root = Path(__file__).resolve().parents[1]
    record = json.loads((root / "docs" / "timings.json").read_text())
    guide = (root / "docs" / "teaching.md").read_text()
    table = guide.split(TIMINGS_START, 1)[1].split(TIMINGS_END, 1)[0].strip()
    assert table == timings_table(record, root / "notebooks"), (
        "run: python -m course_utils timings-table --write docs/teaching.md"
    )
    assert "| `11_comparison` |" in table
