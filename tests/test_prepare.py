"""``course prepare``: which notebooks save runs, in order, resuming, notebooks untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from course_utils import runs
from course_utils.cli import main, prepare

pytestmark = pytest.mark.slow  # every test starts Jupyter kernels


def _notebook(path: Path, code: str) -> None:
    cell = {"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": None,
            "outputs": [], "source": code}  # fmt: skip
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = {"cells": [cell], "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb, indent=1) + "\n")


SAVE = """import course_utils, keras
from course_utils import runs
env = course_utils.setup()
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
runs.save_run(model, "{name}", env.profile, {{"val_miou": 0.5}})
"""


@pytest.fixture
def course(tmp_path, empty_data_dir):
    """Three notebooks, two of which save a run; the runs go to an empty data folder."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "00_intro.ipynb", "print('no runs here')")
    _notebook(folder / "03_encoder.ipynb", SAVE.format(name="tiny_encoder"))
    _notebook(folder / "06_model.ipynb", SAVE.format(name="tiny_model"))
    return folder


def test_the_plan_is_read_from_the_notebooks_in_order(course):
    steps = prepare.plan(course, "quick")
    assert [(s.path.name, s.runs, s.done) for s in steps] == [
        ("03_encoder.ipynb", ("tiny_encoder",), False),
        ("06_model.ipynb", ("tiny_model",), False),
    ]


def test_the_real_notebooks_save_the_runs_later_notebooks_reuse():
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    saved = {p.name[:2]: prepare.saved_runs(p) for p in sorted(folder.glob("*.ipynb"))}
    assert saved["03"] == ("vgg11_cifar10_encoder",)
    for number, name in [("06", "encoder_decoder"), ("07", "fcn8s"), ("08", "segnet"),
                         ("09", "unet")]:  # fmt: skip
        assert name in saved[number], number
    # 10 names its ImageNet run through a constant: found all the same, so prepare runs 10
    # while that run is missing
    assert saved["10"] == ("deeplabv3plus_lite0",)


def test_prepare_runs_what_is_missing_then_resumes(course, capsys, tmp_path):
    before = {p.name: p.read_text() for p in course.iterdir()}
    timings = tmp_path / "timings.json"
    args = ["prepare", "--profile", "quick", "--folder", str(course), "--timings", str(timings)]
    assert main([*args, "--column", "quick, float32"]) == 0
    out = capsys.readouterr().out
    assert "[1/2] 03_encoder.ipynb: trains tiny_encoder" in out
    assert "[2/2] 06_model.ipynb: trains tiny_model" in out
    assert runs.has_run("tiny_encoder", "quick") and runs.has_run("tiny_model", "quick")
    assert {p.name: p.read_text() for p in course.iterdir()} == before  # untouched
    record = json.loads(timings.read_text())  # the wall time and memory of what ran
    assert set(record["seconds"]["quick, float32"]) == {"03_encoder.ipynb", "06_model.ipynb"}
    assert all(s > 0 for s in record["seconds"]["quick, float32"].values())
    assert all(mb > 50 for mb in record["peak_mb"]["quick, float32"].values())

    (runs.runs_dir("quick") / "tiny_model.json").write_text("{cut short")  # a crashed save
    assert main(["prepare", "--profile", "quick", "--folder", str(course)]) == 0
    out = capsys.readouterr().out
    assert "03_encoder.ipynb: kept" in out
    assert "[1/1] 06_model.ipynb: trains tiny_model" in out


def test_a_failing_notebook_stops_and_says_how_to_resume(course, capsys):
    _notebook(
        course / "07_broken.ipynb", 'raise RuntimeError("boom")\nruns.save_run(m, "x", "q", {})'
    )
    assert main(["prepare", "--profile", "quick", "--folder", str(course)]) == 1
    assert "resume" in capsys.readouterr().err


FAKE_SAVE = """from course_utils import runs
folder = runs.runs_dir("quick")
(folder / "{name}.keras").write_bytes(b"model")
(folder / "{name}.json").write_text('{{"train_seconds": 1.5}}')
# runs.save_run(model, "{name}", env.profile, scores)
"""


@pytest.mark.parametrize(
    ("code", "timeout", "what"),
    [
        ('import os\nos._exit(1)\nruns.save_run(m, "lost", "q", {})', 600, "kernel died"),
        ('import time\ntime.sleep(60)\nruns.save_run(m, "lost", "q", {})', 2, "timed out"),
    ],
)
def test_a_dead_kernel_or_a_timeout_says_how_to_resume_and_keeps_timings(
    tmp_path, empty_data_dir, capsys, code, timeout, what
):
    """Not only a cell's error: a kernel killed (for memory) or a cell over the time limit
    stops prepare with the resume hint, and the timings of what finished are kept."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "03_fine.ipynb", FAKE_SAVE.format(name="fine"))
    _notebook(folder / "06_dies.ipynb", code)
    timings = tmp_path / "timings.json"
    args = ["prepare", "--profile", "quick", "--folder", str(folder), "--timeout", str(timeout)]
    assert main([*args, "--timings", str(timings)]) == 1
    err = capsys.readouterr().err
    assert "06_dies.ipynb" in err and what in err, err
    assert "Run `course prepare` again to resume" in err and "Traceback" not in err
    record = json.loads(timings.read_text())
    assert list(record["seconds"]["quick"]) == ["03_fine.ipynb"]
    assert record["trained"]["quick"] == {"03_fine.ipynb": {"fine": 1.5}}
