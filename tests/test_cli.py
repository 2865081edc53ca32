from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from course_utils import cli
from course_utils.cli import notebook_rules, notebook_runner


def test_cache_lists_sizes(empty_data_dir, capsys):
    (empty_data_dir / "camvid").mkdir(parents=True)
    (empty_data_dir / "camvid" / "x.png").write_bytes(b"0" * 2048)
    assert cli.main(["cache"]) == 0
    out = capsys.readouterr().out
    assert "camvid" in out and "1 files" in out and "2.0 KB" in out


def test_fetch_reports_failure_and_exit_code(empty_data_dir, monkeypatch, capsys):
    with pytest.raises(SystemExit) as exit_:  # a usage error, as for any unknown argument
        cli.main(["fetch", "nonexistent"])
    assert exit_.value.code == 2
    assert "invalid choice: 'nonexistent' (choose from 'camvid'" in capsys.readouterr().err
    assert cli.main(["fetch"]) == 2

    from course_utils.data import SourceUnreachableError

    def unreachable(name):
        raise SourceUnreachableError(f"Could not download {name}: offline")

    monkeypatch.setattr("course_utils.data.fetch", unreachable)
    assert cli.main(["fetch", "isbi2012"]) == 1
    assert "isbi2012: FAILED: Could not download isbi2012: offline" in capsys.readouterr().err


def test_fetch_from_mirror(use_mirror, capsys):
    assert cli.main(["fetch", "isbi2012"]) == 0
    assert "isbi2012: ready" in capsys.readouterr().out


@pytest.mark.slow  # starts Jupyter kernels
def test_run_notebooks_executes_in_order_and_cleans(tmp_path, capsys):
    saves_a_run = (  # a run saved under a name held in a variable: recorded all the same
        "from course_utils import runs\nname = 'demo_run'\nfolder = runs.runs_dir('quick')\n"
        "(folder / f'{name}.keras').write_bytes(b'model')\n"
        "(folder / f'{name}.json').write_text('{\"train_seconds\": 1.5}')\nx = 1\nx + 1"
    )
    for i, code in enumerate(["import os\nprint(os.environ['COURSE_PROFILE'])", saves_a_run]):
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
    saved = [notebook_rules.file_problems(p) for p in sorted(tmp_path.glob("*.ipynb"))]
    assert saved == [[], []], "run-notebooks saves what the hygiene check accepts"
    record = json.loads(timings.read_text())
    assert set(record["seconds"]["quick"]) == {"00_demo.ipynb", "01_demo.ipynb"}
    # the kernel's memory was sampled: a Python kernel takes tens of MB at least
    assert all(mb > 20 for mb in record["peak_mb"]["quick"].values()), record["peak_mb"]
    assert record["seconds"]["default"] == {"00_demo.ipynb": 9.0} and record["machine"] == "m"
    assert record["trained"]["quick"] == {"01_demo.ipynb": {"demo_run": 1.5}}


def test_timings_columns_beyond_the_profiles_and_the_unmeasured_ones(tmp_path):
    from course_utils.cli.timings import timings_table

    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "00_demo.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "01_demo.ipynb")
    record = {
        "seconds": {
            "default, float32": {"00_demo.ipynb": 200.0},
            "default": {"00_demo.ipynb": 30.0, "01_demo.ipynb": 95.0},
        },
        "not_measured": ["GPU"],
        "peak_mb": {"default": {"00_demo.ipynb": 2300.0, "01_demo.ipynb": 700.0}},
    }
    assert timings_table(record, tmp_path).splitlines() == [
        "| notebook | default | default, float32 | GPU | peak memory, default |",
        "|---|---|---|---|---|",
        "| `00_demo` | 30 s | 3.3 min | not measured | 2.2 GB |",
        "| `01_demo` | 1.6 min | not measured | not measured | 700 MB |",
    ]


def test_laptop_estimates_scale_the_avx2_time_by_the_measured_range(tmp_path):
    from course_utils.cli.timings import AVX2_COLUMN, LAPTOP_RATIO, laptop_table

    assert LAPTOP_RATIO == (2.5, 3.2)  # the numbers below are worked out with these
    _demo_notebook(tmp_path / "00_intro.ipynb", "print('trains nothing')")
    _demo_notebook(
        tmp_path / "03_enc.ipynb", 'runs.save_run(model, "vgg11_cifar10_encoder", p, {})'
    )
    _demo_notebook(tmp_path / "06_model.ipynb", 'runs.save_run(model, "segnet", p, {})')
    _demo_notebook(tmp_path / "07_other.ipynb", 'runs.save_run(model, "unet", p, {})')
    record = {
        "seconds": {
            AVX2_COLUMN: {"00_intro.ipynb": 30.0, "03_enc.ipynb": 60.0, "06_model.ipynb": 300.0}
        },
        # the whole time is scaled; the Part 3 training is shown beside it (the CIFAR-10
        # encoder is no Part 3 model)
        "trained": {
            AVX2_COLUMN: {
                "03_enc.ipynb": {"vgg11_cifar10_encoder": 50.0},
                "06_model.ipynb": {"segnet": 180.0},
            }
        },
    }
    assert laptop_table(record, tmp_path).splitlines() == [
        "| notebook | here (float32, AVX2) | of it, Part 3 training | estimated on the laptop |",
        "|---|---|---|---|",
        "| `00_intro` | 30 s | none | 1.2 min to 1.6 min |",
        "| `03_enc` | 60 s | none | 2.5 min to 3.2 min |",
        "| `06_model` | 5.0 min | 3.0 min (segnet) | 12.5 min to 16.0 min |",
    ]  # 07 has no time in the column: left out
    with pytest.raises(KeyError):
        laptop_table({"seconds": {}}, tmp_path)


def test_the_method_doc_shows_the_laptop_estimates():
    """docs/method.md's estimate table is generated from docs/timings.json, never typed."""
    from course_utils.cli.timings import LAPTOP_END, LAPTOP_START, laptop_table

    root = Path(__file__).resolve().parents[1]
    record = json.loads((root / "docs" / "timings.json").read_text())
    doc = (root / "docs" / "method.md").read_text()
    table = doc.split(LAPTOP_START, 1)[1].split(LAPTOP_END, 1)[0].strip()
    assert table == laptop_table(record, root / "notebooks"), (
        "run: python -m course_utils timings-table --write docs/method.md"
    )


def test_run_notebooks_stops_on_error(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    nbformat.write(nb, tmp_path / "00_bad.ipynb")
    assert cli.main(["run-notebooks", "--folder", str(tmp_path), "--profile", "quick"]) == 1


def test_the_teachers_guide_shows_the_measured_timings():
    """docs/teaching.md's table is generated from docs/timings.json, never typed."""
    import json
    from pathlib import Path

    from course_utils.cli.timings import TIMINGS_END, TIMINGS_START, timings_table

    root = Path(__file__).resolve().parents[1]
    record = json.loads((root / "docs" / "timings.json").read_text())
    guide = (root / "docs" / "teaching.md").read_text()
    table = guide.split(TIMINGS_START, 1)[1].split(TIMINGS_END, 1)[0].strip()
    assert table == timings_table(record, root / "notebooks"), (
        "run: python -m course_utils timings-table --write docs/teaching.md"
    )
    assert "| `11_comparison` |" in table


def _demo_notebook(path, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_cache_tells_datasets_runs_and_rejected_files_apart(empty_data_dir, capsys):
    (empty_data_dir / "camvid").mkdir(parents=True)
    (empty_data_dir / "camvid" / "x.png").write_bytes(b"0" * 2048)
    quick = empty_data_dir / "runs" / "quick"
    quick.mkdir(parents=True)
    (quick / "unet.keras").write_bytes(b"0" * 3 * 1024)
    (quick / "unet.json").write_bytes(b"{}")
    (quick / ".fcn.partial.keras").write_bytes(b"half")  # a save in progress: not a run
    (empty_data_dir / "runs" / "default").mkdir()
    (empty_data_dir / "runs" / "default" / "segnet.json").write_bytes(b"{}")
    rejected = empty_data_dir / "_rejected" / "mnist"
    rejected.mkdir(parents=True)
    (rejected / "a.bin.20250101-120000").write_bytes(b"0" * 1024)

    assert cli.main(["cache"]) == 0
    out = capsys.readouterr().out
    datasets = out.split("datasets:")[1].split("trained runs")[0]
    assert "camvid" in datasets and "runs" not in datasets and "_rejected" not in datasets
    runs = out.split("trained runs")[1].split("rejected files")[0]
    lines = [line.split() for line in runs.splitlines()[1:]]
    assert lines[0][:2] == ["default", "segnet"] and "incomplete" in runs
    assert lines[1][:4] == ["quick", "unet", "3.0", "KB"], "profile, name and size"
    assert "fcn" not in runs
    rejected_part = out.split("rejected files")[1]
    assert "mnist/a.bin.20250101-120000" in rejected_part and "1.0 KB" in rejected_part
    assert "cache --clear-rejected" in rejected_part, "how to clear them"

    assert cli.main(["cache", "--clear-rejected"]) == 0
    assert "deleted 1 rejected file(s)" in capsys.readouterr().out
    assert not (empty_data_dir / "_rejected").exists()
    assert (quick / "unet.keras").is_file() and (empty_data_dir / "camvid" / "x.png").is_file()
    cli.main(["cache"])
    assert "rejected files" not in capsys.readouterr().out


def test_cache_of_an_empty_folder(empty_data_dir, capsys):
    assert cli.main(["cache"]) == 0
    assert "nothing fetched yet" in capsys.readouterr().out


def test_run_notebooks_leaves_the_profile_of_its_own_process_alone(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    _demo_notebook(tmp_path / "00_ok.ipynb", "import os\nprint(os.environ['COURSE_PROFILE'])")
    assert cli.main(["run-notebooks", "--profile", "quick", "--folder", str(tmp_path)]) == 0
    assert "COURSE_PROFILE" not in os.environ, "unset before, unset after"
    assert nbformat.read(tmp_path / "00_ok.ipynb", 4).cells[0].outputs[0]["text"].strip() == "quick"

    monkeypatch.setenv("COURSE_PROFILE", "full")
    _demo_notebook(tmp_path / "01_bad.ipynb", "raise RuntimeError('boom')")
    args = ["run-notebooks", "--profile", "quick", "--folder", str(tmp_path), "--only", "01_"]
    assert cli.main(args) == 1
    assert os.environ["COURSE_PROFILE"] == "full", "restored after a failure too"


@pytest.mark.slow  # starts Jupyter kernels
def test_run_notebooks_writes_no_expected_answer(tmp_path, monkeypatch):
    """The outputs run-notebooks writes are the repository's: a checker's feedback there says
    what is wrong without the answer; --no-save (timing only) leaves the switch alone."""
    monkeypatch.delenv("COURSE_ANSWERS", raising=False)
    wrong = (
        "from course_utils import exercises\n"
        "print(exercises.check_conv_output_size(lambda n, k, p, s, d: n).message)"
    )
    _demo_notebook(tmp_path / "00_wrong.ipynb", wrong)
    assert cli.main(["run-notebooks", "--profile", "quick", "--folder", str(tmp_path)]) == 0
    said = nbformat.read(tmp_path / "00_wrong.ipynb", 4).cells[0].outputs[0]["text"]
    assert "you return 32, which is not the right size" in said, said
    assert "the right size is 30" not in said
    assert "COURSE_ANSWERS" not in os.environ, "unset before, unset after"


def test_check_reports_a_mirror_that_is_gone(empty_data_dir, tmp_path, monkeypatch, capsys):
    from course_utils import env

    monkeypatch.setattr(env, "setup", lambda profile=None: None)  # no TensorFlow here
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "gone"))
    assert cli.main(["check"]) == 1
    assert "dataset mirror: PROBLEM: COURSE_DATA_MIRROR=" in capsys.readouterr().err
    monkeypatch.delenv("COURSE_DATA_MIRROR")
    assert cli.main(["check"]) == 0
    assert "none (downloads from the public URLs)" in capsys.readouterr().out


def test_slowest_cells_reads_nbclients_timestamps():
    def cell(source, began, ended, kind="code"):
        stamps = {"iopub.execute_input": began, "shell.execute_reply": ended}
        return {"cell_type": kind, "source": source, "metadata": {"execution": stamps}}

    nb = {
        "cells": [
            {"cell_type": "markdown", "source": "# title", "metadata": {}},
            cell("\nfit(model)  # long", "2026-12-03T10:00:00.000Z", "2026-12-03T10:02:05.500Z"),
            cell(["x = 1\n", "x"], "2026-12-03T10:02:06Z", "2026-12-03T10:02:06.250000Z"),
            cell("plot()", "2026-12-03T10:02:07+00:00", "2026-12-03T10:02:10+00:00"),
            {"cell_type": "code", "source": "never run", "metadata": {}},
        ]
    }
    assert notebook_runner.slowest_cells(nb, count=2) == [
        (1, "fit(model)  # long", 125.5),
        (3, "plot()", 3.0),
    ]
    assert [row[0] for row in notebook_runner.slowest_cells(nb, count=5)] == [1, 3, 2]


@pytest.mark.slow  # starts Jupyter kernels
def test_run_notebooks_names_the_slowest_cell(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in ("x = 1", "import time\ntime.sleep(1.5)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, tmp_path / "00_slow.ipynb")
    assert cli.main(["run-notebooks", "--profile", "quick", "--folder", str(tmp_path)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "slowest cells" in x)
    assert line.startswith("00_slow.ipynb: slowest cells: cell 1 (import time) 2 s"), line
    assert "execute_input" not in (tmp_path / "00_slow.ipynb").read_text()  # clean() drops them


@pytest.mark.parametrize(
    ("code", "timeout", "what"),
    [
        ("import os\nos._exit(1)", 600, "kernel died"),
        ("import time\ntime.sleep(60)", 2, "timed out"),
    ],
)
@pytest.mark.slow  # starts Jupyter kernels
def test_run_notebooks_reports_a_dead_kernel_or_a_timeout_and_keeps_timings(
    tmp_path, capsys, code, timeout, what
):
    """A kernel killed (for memory) or a cell over the limit is reported like a cell's error,
    and the timings of the notebooks that finished are written."""
    _demo_notebook(tmp_path / "00_fine.ipynb", "x = 1")
    _demo_notebook(tmp_path / "01_dies.ipynb", code)
    timings = tmp_path / "t.json"
    args = ["run-notebooks", "--profile", "quick", "--folder", str(tmp_path)]
    assert cli.main([*args, "--timeout", str(timeout), "--timings", str(timings)]) == 1
    err = capsys.readouterr().err
    assert "01_dies.ipynb: FAILED" in err and what in err and "Traceback" not in err, err
    assert list(json.loads(timings.read_text())["seconds"]["quick"]) == ["00_fine.ipynb"]
    assert nbformat.read(tmp_path / "00_fine.ipynb", as_version=4).cells[0].execution_count == 1


EDIT_WHILE_RUNNING = """import json, pathlib
path = pathlib.Path("00_edited.ipynb")
nb = json.loads(path.read_text())
nb["cells"][0]["source"] = "# the learner's edit, saved in JupyterLab meanwhile"
path.write_text(json.dumps(nb))
"""


def test_run_notebooks_never_overwrites_a_notebook_edited_while_it_ran(tmp_path, capsys):
    _demo_notebook(tmp_path / "00_edited.ipynb", EDIT_WHILE_RUNNING)
    _demo_notebook(tmp_path / "01_other.ipynb", "x = 1")
    assert cli.main(["run-notebooks", "--profile", "quick", "--folder", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "00_edited.ipynb" in captured.err and "changed since" in captured.err, captured.err
    edited = nbformat.read(tmp_path / "00_edited.ipynb", as_version=4)
    assert edited.cells[0].source.startswith("# the learner's edit"), "the edit is kept"
    assert nbformat.read(tmp_path / "01_other.ipynb", as_version=4).cells[0].execution_count == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00_edited.ipynb", "01_other.ipynb"]


def test_notebooks_are_written_atomically(tmp_path, monkeypatch):
    """A notebook is written to a temporary file then renamed: a failure half-way leaves
    the file as it was, and no temporary file behind."""
    path = tmp_path / "00_demo.ipynb"
    _demo_notebook(path, "x = 1")
    before = path.read_text()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(notebook_rules.os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        notebook_rules.rewrite_notebooks([path], lambda raw, _path: raw.replace("x = 1", "y"))
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["00_demo.ipynb"]
