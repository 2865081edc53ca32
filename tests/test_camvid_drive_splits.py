"""CamVid regrouped by drive: ``tune_val`` is a drive never seen in ``tune_train``, as test's
Seq05VD is never seen in ``train``; read through the real fetch code from the mirror."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from course_utils import data
from course_utils.data.readers import CAMVID_DRIVE_SPLITS

SIZE = (24, 32)  # small: these tests compare frames, not pixels


@pytest.fixture(scope="module")
def splits(tmp_path_factory: pytest.TempPathFactory, mirror: Path) -> dict[str, data.Arrays]:
    from course_utils.data import pipeline

    cache = tmp_path_factory.mktemp("camvid-drives")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_DATA_DIR", str(cache))
        patch.setenv("COURSE_DATA_MIRROR", str(mirror))
        pipeline._arrays.cache_clear()
        names = ("train", "val", "tune_train", "tune_val")
        return {name: data.arrays("camvid", name, image_size=SIZE) for name in names}


def _drives(list_file: Path) -> list[str]:
    return [Path(line.split()[0]).name[:6] for line in list_file.read_text().splitlines() if line]


def test_tune_val_is_drive_0006R0_and_tune_train_the_other_frames(splits, mirror):
    drives = np.array(_drives(mirror / "camvid" / "train.txt"))
    in_val = drives == "0006R0"
    assert in_val.sum() == 101 and set(drives[~in_val]) == {"0001TP", "0016E5"}
    train, val = splits["train"], splits["val"]
    np.testing.assert_array_equal(splits["tune_val"].images, train.images[in_val])
    np.testing.assert_array_equal(splits["tune_val"].targets, train.targets[in_val])
    expected = np.concatenate([train.images[~in_val], val.images])
    np.testing.assert_array_equal(splits["tune_train"].images, expected)
    assert set(_drives(mirror / "camvid" / "val.txt")) == {"0016E5"}


def test_the_catalog_sizes_match_what_is_read(splits):
    sizes = data.info("camvid").split_sizes
    for name in CAMVID_DRIVE_SPLITS:
        assert len(splits[name].images) == sizes[name] == len(splits[name].targets)
    assert sizes["tune_train"] + sizes["tune_val"] == sizes["train"] + sizes["val"]


def test_load_takes_the_drive_splits_and_their_limits(splits):
    batch = next(iter(data.load("camvid", "tune_val", batch_size=4, image_size=SIZE, limit=4)))
    np.testing.assert_allclose(batch[0].numpy() * 255, splits["tune_val"].images[:4], atol=0.01)


def test_tune_train_is_shuffled_as_train_is(splits):
    """A training split in the drive's frame order would give batches of near-identical
    consecutive frames: ``tune_train`` shuffles by default, as ``train`` does."""
    for name in ("train", "tune_train"):
        ds = data.load("camvid", name, image_size=SIZE, batch_size=None, limit=40, seed=3)
        seen = np.stack([image.numpy() for image, _ in ds])
        in_order = splits[name].images[:40].astype(np.float32) / 255
        assert seen.shape == in_order.shape and not np.allclose(seen, in_order), name
    val = data.load("camvid", "tune_val", image_size=SIZE, batch_size=None, limit=8)
    np.testing.assert_allclose(  # validation keeps its order
        np.stack([image.numpy() for image, _ in val]) * 255,
        splits["tune_val"].images[:8],
        atol=0.01,
    )
