"""The seed record: Part 3's recipe over seeds, resumable, reproducible, summarised."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def test_a_record_resumes_reproduces_and_summarises(tmp_path, use_mirror):
    from course_utils import seed_record

    out = tmp_path / "record.json"
    lines: list[str] = []
    kwargs = dict(profile="quick", image_size=(64, 96), limit=4, log=lines.append)
    seed_record.record_seeds(out, models=["encoder_decoder"], seeds=[0, 1], **kwargs)
    record = json.loads(out.read_text())
    assert [(r["model"], r["seed"]) for r in record["runs"]] == [
        ("encoder_decoder", 0),
        ("encoder_decoder", 1),
    ]
    run = record["runs"][0]
    assert run["steps"] == 2 and not run["encoder_copied"]
    assert set(run["test"]["per_class_iou"]) >= {"Sky", "Pole", "Bicyclist"}
    assert record["machine"]["precision"] and record["versions"]["tensorflow"]
    assert "median_frequency" in record["loss"]
    assert len(lines) == 2 and "test mIoU" in lines[0]

    # Resuming keeps what is there and adds only what is missing; presets and budgets merge.
    seed_record.record_seeds(out, models=["unet"], seeds=[0], **kwargs)
    record = json.loads(out.read_text())
    assert len(record["runs"]) == 3 and len(lines) == 3
    assert set(record["budgets"]) == set(record["presets"]) == {"encoder_decoder", "unet"}
    seed_record.record_seeds(out, models=["encoder_decoder"], seeds=[0, 1], **kwargs)
    assert len(lines) == 3, "runs already recorded are not trained again"
    stats = seed_record.summary(record, "val")
    assert stats["encoder_decoder"]["n"] == 2 and stats["unet"]["n"] == 1
    assert seed_record.seed_scores(record, "encoder_decoder") == [
        r["test"]["miou"] for r in record["runs"][:2]
    ]
    band = seed_record.seed_scores(record, "encoder_decoder", score="band_miou")
    assert band == [r["test"]["band_miou"] for r in record["runs"][:2]]
    assert all(0 <= b <= 1 for b in band)
    assert seed_record.seed_scores(record, "encoder_decoder", "val", "band_miou") == []

    # The same seed trains the same model: a second record of seed 0 repeats it exactly.
    again = tmp_path / "again.json"
    seed_record.record_seeds(again, models=["encoder_decoder"], seeds=[0], **kwargs)
    assert json.loads(again.read_text())["runs"][0]["val"] == record["runs"][0]["val"]

    with pytest.raises(ValueError, match="another file"):
        seed_record.record_seeds(out, models=["unet"], seeds=[0], profile="quick", limit=8)
    with pytest.raises(FileNotFoundError, match="--profile quick"):
        seed_record.load_record(tmp_path / "seed_record_quick.json")
