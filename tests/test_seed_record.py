"""The seed record: Part 3's recipe over seeds, resumable, reproducible, summarised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.mark.slow  # trains
def test_a_record_resumes_reproduces_and_summarises(tmp_path, use_mirror):
    from course_utils import seed_record, training
    from course_utils.cli import seed_record as recording

    out = tmp_path / "record.json"
    lines: list[str] = []
    kwargs = dict(profile="quick", image_size=(64, 96), limit=4, log=lines.append)
    recording.record_seeds(out, models=["encoder_decoder"], seeds=[0, 1], **kwargs)
    record = json.loads(out.read_text())
    assert [(r["model"], r["seed"]) for r in record["runs"]] == [
        ("encoder_decoder", 0),
        ("encoder_decoder", 1),
    ]
    run = record["runs"][0]
    assert run["steps"] == 2 and not run["encoder_copied"]
    assert set(run["test"]["per_class_iou"]) >= {"Sky", "Pole", "Bicyclist"}
    assert record["machine"]["precision"] and record["versions"]["tensorflow"]
    assert "median_frequency" in record["losses"]["encoder_decoder"] and run["start"] == "scratch"
    assert len(lines) == 2 and "test mIoU" in lines[0]
    # The per-image test confusions are kept beside the record, and they are the runs' own.
    stacks = seed_record.test_confusions(out, "encoder_decoder")
    assert [s.shape for s in stacks] == [(4, 11, 11)] * 2
    from course_utils import metrics

    for stack, recorded in zip(stacks, record["runs"], strict=True):
        assert float(metrics.miou(stack.sum(0))) == pytest.approx(recorded["test"]["miou"])
    band = seed_record.test_confusions(out, "encoder_decoder", band=True)
    for stack, recorded in zip(band, record["runs"], strict=True):
        assert float(metrics.miou(stack.sum(0))) == pytest.approx(recorded["test"]["band_miou"])
        assert stack.sum() < stacks[0].sum()  # the band is a part of the pixels
    with pytest.raises(KeyError, match="no run of 'unet'"):
        seed_record.test_confusions(out, "unet")

    # Resuming keeps what is there and adds only what is missing; presets and budgets merge.
    # The ImageNet start records its own start and loss.
    recording.record_seeds(out, models=["unet_lite0"], seeds=[0], **kwargs)
    record = json.loads(out.read_text())
    assert len(record["runs"]) == 3 and len(lines) == 3
    assert set(record["budgets"]) == set(record["presets"]) == {"encoder_decoder", "unet_lite0"}
    assert record["runs"][2]["start"] == "imagenet"
    assert "inverse_sqrt" in record["losses"]["unet_lite0"]
    assert len(seed_record.test_confusions(out, "unet_lite0")) == 1
    recording.record_seeds(out, models=["encoder_decoder"], seeds=[0, 1], **kwargs)
    assert len(lines) == 3, "runs already recorded are not trained again"
    # each model's peak learning rate, per run and per model: the ImageNet start has its own
    assert record["learning_rates"] == {
        "encoder_decoder": training.PART3_LEARNING_RATE,
        "unet_lite0": training.IMAGENET_LEARNING_RATE,
    }
    assert [r["learning_rate"] for r in record["runs"]] == [
        training.PART3_LEARNING_RATE, training.PART3_LEARNING_RATE,
        training.IMAGENET_LEARNING_RATE,
    ]  # fmt: skip
    # replace=True trains a recorded seed again and keeps one run per (model, seed)
    recording.record_seeds(out, models=["unet_lite0"], seeds=[0], replace=True, **kwargs)
    replaced = json.loads(out.read_text())
    assert len(lines) == 4 and len(replaced["runs"]) == 3
    assert [(r["model"], r["seed"]) for r in replaced["runs"]][-1] == ("unet_lite0", 0)
    assert len(seed_record.test_confusions(out, "unet_lite0")) == 1
    stats = seed_record.summary(record, "val")
    assert stats["encoder_decoder"]["n"] == 2 and stats["unet_lite0"]["n"] == 1
    assert seed_record.seed_scores(record, "encoder_decoder") == [
        r["test"]["miou"] for r in record["runs"][:2]
    ]
    band = seed_record.seed_scores(record, "encoder_decoder", score="band_miou")
    assert band == [r["test"]["band_miou"] for r in record["runs"][:2]]
    assert all(0 <= b <= 1 for b in band)
    assert seed_record.seed_scores(record, "encoder_decoder", "val", "band_miou") == []
    assert [r["seed"] for r in seed_record.model_runs(record, "encoder_decoder")] == [0, 1]
    assert seed_record.model_runs(record, "fcn8s") == []

    # The same seed trains the same model: a second record of seed 0 repeats it exactly.
    again = tmp_path / "again.json"
    recording.record_seeds(again, models=["encoder_decoder"], seeds=[0], **kwargs)
    assert json.loads(again.read_text())["runs"][0]["val"] == record["runs"][0]["val"]

    with pytest.raises(ValueError, match="another file"):
        recording.record_seeds(out, models=["unet"], seeds=[0], profile="quick", limit=8)
    with pytest.raises(FileNotFoundError, match="--profile quick"):
        seed_record.load_record(tmp_path / "seed_record_quick.json")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (dict(models=["unet", "unett"]), "'unett'"),
        (dict(models=["unet", "resnet"]), "'resnet'"),
        (dict(seeds=[0, -1]), "seed"),
        (dict(limit=0), "limit"),
        (dict(profile="fast"), "profile"),
    ],
)
def test_every_argument_is_checked_before_any_training(tmp_path, monkeypatch, arguments, message):
    """A misspelt model used to fail after the first model had trained, before the record
    was written: every argument is checked first, and nothing trains."""
    from course_utils import data, training
    from course_utils.cli import seed_record as recording

    class Trained(Exception):
        pass

    def train_part3(name, *args, **kwargs):
        raise Trained(f"{name} started training")

    monkeypatch.setattr(training, "train_part3", train_part3)
    monkeypatch.setattr(data, "load", lambda *args, **kwargs: None)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    kwargs = dict(profile="quick", models=["unet"], seeds=[0], limit=2, log=print)
    with pytest.raises(ValueError, match=message):
        recording.record_seeds(tmp_path / "record.json", **{**kwargs, **arguments})
    assert not (tmp_path / "record.json").exists()


def test_the_command_names_a_misspelt_model_before_training(
    tmp_path, monkeypatch, capsys, empty_data_dir
):
    from course_utils import cli, data, training

    monkeypatch.setattr(training, "train_part3", lambda *a, **k: pytest.fail("it trained"))
    monkeypatch.setattr(data, "load", lambda *a, **k: None)
    out = tmp_path / "record.json"
    assert cli.main(["seed-record", "--models", "unet", "Unet", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "'Unet'" in err and "unet_noskip" in err and "Traceback" not in err
    assert not out.exists()


def test_the_command_refuses_a_record_of_other_settings_before_training(
    tmp_path, monkeypatch, capsys, empty_data_dir
):
    from course_utils import cli, data, training

    monkeypatch.setattr(training, "train_part3", lambda *a, **k: pytest.fail("it trained"))
    monkeypatch.setattr(data, "load", lambda *a, **k: None)
    out = tmp_path / "record.json"
    other = {"runs": [{"model": "unet", "seed": 0}], "profile": "quick", "limit": 8}
    out.write_text(json.dumps(other))
    assert cli.main(["seed-record", "--models", "unet", "--seeds", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "another file" in err and "Traceback" not in err
    assert json.loads(out.read_text()) == other  # the learner's record is untouched


ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("profile", ["default", "quick"])
def test_the_records_ship_inside_the_package(profile):
    """Notebook 11 reads the record through ``default_path``: it must be a file of the
    package itself (a wheel has no docs/ folder), and the same bytes as the committed one."""
    import course_utils
    from course_utils import seed_record

    path = seed_record.default_path(profile)
    package = Path(course_utils.__file__).resolve().parent
    assert path.is_relative_to(package), f"{path} is not inside {package}"
    assert path.name == f"seed_record_{profile}.json"
    assert path.read_bytes() == (ROOT / "docs" / path.name).read_bytes(), (
        f"the packaged record differs from docs/{path.name}: after `course seed-record`, "
        f"copy it: cp docs/{path.name} {path.relative_to(ROOT)}"
    )
    confusions = seed_record.confusions_path(path)
    assert confusions.read_bytes() == (ROOT / "docs" / confusions.name).read_bytes(), (
        f"copy the per-image confusions too: "
        f"cp docs/{confusions.name} {path.parent.relative_to(ROOT)}/"
    )
    record = seed_record.load_record(path)
    assert record["profile"] == profile and record["test_scored_at"] == "native"
    for run in record["runs"]:  # every run's confusions are there
        assert len(seed_record.test_confusions(path, run["model"])) >= 1
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'"{path.parent.name}/*.json"' in pyproject, "declared as package data"
    assert f'"{path.parent.name}/*.npz"' in pyproject, "declared as package data"


def test_a_new_record_is_written_relative_to_the_current_folder(tmp_path, monkeypatch):
    from course_utils import seed_record
    from course_utils.cli import seed_record as recording

    monkeypatch.chdir(tmp_path)
    assert recording.output_path("quick") == Path("docs") / "seed_record_quick.json"
    assert seed_record.default_path("quick", root=tmp_path) == (
        tmp_path / "docs" / "seed_record_quick.json"
    )


def test_each_run_computes_in_the_precision_the_record_names(tmp_path, monkeypatch, use_mirror):
    """clear_session() resets Keras' precision policy: a record must not say bfloat16 while its
    runs trained in float32."""
    import keras

    from course_utils import training
    from course_utils.cli import seed_record as recording

    seen = []
    real = training.train_part3

    def spy(*args, **kwargs):
        seen.append(keras.mixed_precision.global_policy().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "train_part3", spy)
    monkeypatch.setenv("COURSE_PRECISION", "mixed_bfloat16")
    out = tmp_path / "record.json"
    recording.record_seeds(
        out, profile="quick", models=["encoder_decoder"], seeds=[0], image_size=(64, 96),
        limit=2, log=lambda line: None,
    )  # fmt: skip
    record = json.loads(out.read_text())
    assert seen == [record["machine"]["precision"]] == ["mixed_bfloat16"]
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.slow  # trains
def test_a_model_trained_on_crops_is_also_scored_with_test_time_augmentation(
    tmp_path, monkeypatch, use_mirror
):
    from course_utils import metrics, seed_record, training
    from course_utils.cli import seed_record as recording

    # the ImageNet start's frames, small: 64x96 frames in 32x64 crops, whole frames scored
    monkeypatch.setattr(
        training, "part3_frames", lambda model: training.Part3Frames((64, 96), (32, 64))
    )
    out = tmp_path / "record.json"
    recording.record_seeds(
        out, profile="quick", models=["unet_lite0"], seeds=[0], limit=2, log=lambda line: None
    )
    run = json.loads(out.read_text())["runs"][0]
    tta = training.IMAGENET_INFERENCE_AUGMENTATION
    assert run["test_tta"]["flip"] is tta.flip and run["test_tta"]["scales"] == list(tta.scales)
    (stack,) = seed_record.test_confusions(out, "unet_lite0", augmented=True)
    assert float(metrics.miou(stack.sum(0))) == pytest.approx(run["test_tta"]["miou"])
    (plain,) = seed_record.test_confusions(out, "unet_lite0")
    assert stack.sum() == plain.sum()  # the same pixels, scored another way
    record = seed_record.load_record(out)
    assert seed_record.summary(record, "test_tta")["unet_lite0"]["n"] == 1
    assert seed_record.seed_scores(record, "unet_lite0", "test_tta") == [run["test_tta"]["miou"]]


def test_a_summary_of_the_augmented_score_leaves_out_the_runs_without_one():
    from course_utils import seed_record

    record = {
        "runs": [
            {"model": "fcn8s", "seed": 0, "test": {"miou": 0.3}},
            {"model": "m_lite0", "seed": 0, "test": {"miou": 0.4}, "test_tta": {"miou": 0.5}},
            {"model": "m_lite0", "seed": 1, "test": {"miou": 0.42}, "test_tta": {"miou": 0.52}},
        ]
    }
    tta = seed_record.summary(record, "test_tta")
    assert list(tta) == ["m_lite0"] and tta["m_lite0"]["mean"] == pytest.approx(0.51)
    assert set(seed_record.summary(record, "test")) == {"fcn8s", "m_lite0"}


def test_a_class_mean_over_seeds_leaves_out_the_seeds_that_did_not_score_it():
    """``class_iou_mean``: a class a run did not score (``null``) is left out, not a 0."""
    import math

    from course_utils import seed_record

    def run(seed: int, pole: float | None) -> dict:
        return {"model": "m", "seed": seed, "test": {"per_class_iou": {"Pole": pole, "Sky": 0.9}}}

    record = {"runs": [run(1, 0.3), run(0, 0.1), run(2, None), {**run(0, 0.8), "model": "other"}]}
    assert seed_record.class_iou_mean(record, "m", "Pole") == pytest.approx(0.2)
    assert seed_record.class_iou_mean(record, "m", "Sky") == pytest.approx(0.9)
    assert math.isnan(seed_record.class_iou_mean(record, "nobody", "Pole"))
