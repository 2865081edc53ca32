from __future__ import annotations

import numpy as np
import pytest

from course_utils import data


def test_shapes_is_deterministic_and_labelled():
    images, masks = data.shapes(20, 48, seed=3)
    again, masks_again = data.shapes(20, 48, seed=3)
    other, _ = data.shapes(20, 48, seed=4)
    assert images.shape == (20, 48, 48, 3) and images.dtype == np.float32
    assert masks.shape == (20, 48, 48, 1) and masks.dtype == np.int32
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(masks, masks_again)
    assert not np.array_equal(images, other)
    assert set(np.unique(masks)) == {0, 1, 2, 3}
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_shapes_rectangular_and_too_small():
    images, masks = data.shapes(2, (32, 64))
    assert images.shape == (2, 32, 64, 3)
    with pytest.raises(ValueError, match="at least 16"):
        data.shapes(1, 8)


def test_shapes_through_load():
    ds = data.load("shapes", "train", image_size=32, batch_size=4, limit=8, augment=True)
    images, masks = next(iter(ds))
    assert images.shape == (4, 32, 32, 3) and masks.shape == (4, 32, 32, 1)
    assert data.info("shapes").class_names == ("background", "circle", "triangle", "square")


def test_load_argument_errors():
    with pytest.raises(ValueError, match="no split 'test'"):
        data.load("shapes", "test")
    with pytest.raises(ValueError, match="vary in size"):
        data.arrays("voc2012", "train")
    with pytest.raises(ValueError, match="Unknown dataset"):
        data.info("kitti")


def test_offset_and_limit_split_a_set_without_overlap():
    head = data.arrays("shapes", "val", image_size=32, limit=150)
    tail = data.arrays("shapes", "val", image_size=32, offset=150)
    full = data.arrays("shapes", "val", image_size=32)
    assert len(head.images) == 150 and len(tail.images) == 50
    np.testing.assert_array_equal(np.concatenate([head.images, tail.images]), full.images)
    assert len(list(data.load("shapes", "val", image_size=32, offset=190, batch_size=None))) == 10
    with pytest.raises(ValueError, match="offset 200 is outside"):
        data.arrays("shapes", "val", offset=200)


def test_image_grid_titles():
    from course_utils import viz

    fig = viz.image_grid(np.zeros((5, 8, 8, 3)), titles=list("abcde"), cols=3)
    assert [ax.get_title() for ax in fig.axes if ax.images] == list("abcde")
