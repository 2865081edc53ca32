"""Elastic deformation and random crops: image and mask move together, labels stay labels."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.data.pipeline import Augment


@pytest.fixture(scope="module")
def tf():
    from course_utils._tf import import_tensorflow

    return import_tensorflow()


def _blocks(size=64):
    mask = np.zeros((size, size, 1), np.int32)
    mask[: size // 2, size // 2 :] = 1
    mask[size // 2 :, : size // 2] = 2
    mask[size // 4 : size // 2, : size // 4] = 3
    image = np.repeat(mask / 3.0, 3, axis=-1).astype(np.float32)  # the image shows the mask
    return image, mask


def _apply(tf, aug, seed):
    from course_utils.data.pipeline import _augment_pair

    tf.random.set_seed(seed)
    image, mask = _blocks()
    out_image, out_mask = _augment_pair(tf.constant(image), tf.constant(mask), aug, (64, 64))
    return out_image.numpy(), out_mask.numpy()


def test_elastic_moves_image_and_mask_together(tf):
    aug = Augment(hflip=False, scale=(1.0, 1.0), brightness=0.0, contrast=(1.0, 1.0), elastic=6.0)
    image, mask = _apply(tf, aug, seed=1)
    original_image, original_mask = _blocks()
    assert not np.array_equal(mask, original_mask)  # it did deform
    assert set(np.unique(mask)) <= {0, 1, 2, 3}  # nearest-neighbour: no invented labels
    agree = (np.round(image[..., 0] * 3) == mask[..., 0]).mean()
    assert agree > 0.95  # only pixels on a blurred boundary may differ
    still = _apply(
        tf, Augment(hflip=False, scale=(1.0, 1.0), brightness=0.0, contrast=(1.0, 1.0)), 1
    )
    np.testing.assert_array_equal(still[1], original_mask)


def test_crop_gives_patches_of_the_asked_size(tf):
    aug = Augment(hflip=False, scale=(1.0, 1.0), brightness=0.0, contrast=(1.0, 1.0), crop=24)
    image, mask = _apply(tf, aug, seed=2)
    assert image.shape == (24, 24, 3) and mask.shape == (24, 24, 1)
    assert (np.round(image[..., 0] * 3) == mask[..., 0]).all()
    with pytest.raises(ValueError, match="larger than the images"):
        _apply(tf, Augment(crop=128), seed=0)


def test_rectangular_crop_keeps_image_and_mask_aligned(tf):
    aug = Augment(scale=(1.0, 1.0), brightness=0.0, contrast=(1.0, 1.0), crop=(16, 24))
    assert aug.crop_size == (16, 24)
    image, mask = _apply(tf, aug, seed=3)
    assert image.shape == (16, 24, 3) and mask.shape == (16, 24, 1)
    assert (np.round(image[..., 0] * 3) == mask[..., 0]).all()


def test_load_with_elastic_and_crop_on_real_isbi_images(tf):
    from course_utils import data

    aug = Augment(vflip=True, rot90=True, elastic=10.0, crop=128)
    images, masks = next(iter(data.load("isbi2012", "train", augment=aug, batch_size=4, limit=4)))
    assert tuple(images.shape) == (4, 128, 128, 1) and tuple(masks.shape) == (4, 128, 128, 1)
    assert set(np.unique(masks.numpy())) <= {0, 1}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"elastic": -1.0}, "elastic >= 0"),
        ({"elastic_grid": 1}, "elastic_grid >= 2"),
        ({"crop": 4}, "at least 8"),
        ({"crop": (4, 32)}, "at least 8"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Augment(**kwargs)
