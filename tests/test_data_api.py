"""The public signatures of ``course_utils.data`` say what they return."""

from __future__ import annotations

import inspect
import typing

import pytest

from course_utils import data


def test_load_declares_that_it_returns_a_tf_data_dataset():
    assert inspect.signature(data.load).return_annotation == "tf.data.Dataset"
    import tensorflow as tf

    hints = typing.get_type_hints(data.load, localns={"tf": tf})
    assert hints["return"] is tf.data.Dataset
    ds = data.load("shapes", "train", image_size=16, batch_size=2, limit=4)
    assert isinstance(ds, hints["return"])


def test_public_data_functions_are_annotated():
    for name in ("fetch", "load", "arrays", "info", "datasets", "shapes", "data_dir", "cached"):
        signature = inspect.signature(getattr(data, name))
        assert signature.return_annotation is not inspect.Signature.empty, name
        assert "Any" not in str(signature.return_annotation), f"{name} hides its return type"


def test_paths_are_shown_without_the_folders_of_one_machine(monkeypatch, tmp_path):
    from pathlib import Path

    from course_utils import data
    from course_utils.data import cache

    root = Path(cache.__file__).resolve().parents[2]  # the checkout these tests run from
    assert data.shown_path(root / "data" / "camvid") == "data/camvid"
    assert data.shown_path(root.parent / "shared" / "datasets") == "../shared/datasets"
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    assert data.shown_path(tmp_path / ".cache" / "x") == "~/.cache/x"


def test_spread_picks_examples_far_apart_first_and_last_included():
    import numpy as np

    from course_utils.data.readers import Arrays

    frames = Arrays(np.arange(101)[:, None, None, None], np.arange(101)[:, None, None], "video")
    picked = frames.spread(3)
    assert picked.images[:, 0, 0, 0].tolist() == [0, 50, 100]
    assert picked.targets[:, 0, 0].tolist() == [0, 50, 100]
    assert len(frames.spread(500).images) == 101  # never more than the split holds
    with pytest.raises(ValueError, match="at least one"):
        frames.spread(0)


def test_arrays_cannot_be_altered_for_the_next_caller():
    """The arrays are cached per process: what one caller does to its result must not
    reach what the next ``arrays`` or ``load`` of the same split returns."""
    import numpy as np
    import pytest

    first = data.arrays("shapes", "train", image_size=16, limit=4)
    original = first.images.copy()
    first.images = first.images / 255  # a learner rescales "their" copy
    first.targets = None
    again = data.arrays("shapes", "train", image_size=16, limit=4)
    assert again is not first
    assert again.images.dtype == np.uint8
    np.testing.assert_array_equal(again.images, original)
    assert again.targets is not None
    for array in (again.images, again.targets):
        with pytest.raises(ValueError, match="read-only"):
            array[0, 0, 0] = 1
        with pytest.raises(ValueError):
            array.flags.writeable = True  # a view of the cached array cannot be made writable
    np.testing.assert_array_equal(data.arrays("shapes", "train", 16, limit=4).images, original)
    batch = next(iter(data.load("shapes", "train", 16, batch_size=4, limit=4, shuffle=False)))
    np.testing.assert_allclose(batch[0].numpy(), original / 255, rtol=1e-6)
