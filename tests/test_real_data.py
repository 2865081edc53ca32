"""The real datasets, through the real code path, from the offline mirror."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import data


def test_camvid_from_mirror(use_mirror):
    folder = data.fetch("camvid", progress=False)
    assert len(list((folder / "train").glob("*.png"))) == 367
    val = data.arrays("camvid", "val", image_size=(90, 120), limit=12)
    assert val.images.shape == (12, 90, 120, 3) and val.images.dtype == np.uint8
    assert val.targets.shape == (12, 90, 120)
    assert set(np.unique(val.targets)) <= set(range(12)), "ids 0..10 and void 11 only"
    # Road and Sky dominate CamVid: a check that labels are read as ids, not colours.
    counts = np.bincount(val.targets.ravel(), minlength=12)
    assert {int(np.argmax(counts[:11]))} <= {0, 1, 3}


def test_camvid_pipeline_batches_and_augments_pairs(use_mirror):
    import tensorflow as tf

    ds = data.load("camvid", "train", image_size=(64, 80), batch_size=4, augment=True, limit=8)
    images, masks = next(iter(ds))
    assert images.shape == (4, 64, 80, 3) and images.dtype == tf.float32
    assert masks.shape == (4, 64, 80, 1) and masks.dtype == tf.int32
    assert float(tf.reduce_min(images)) >= 0.0 and float(tf.reduce_max(images)) <= 1.0
    assert set(np.unique(masks.numpy())) <= set(range(12)), "augmentation must not invent labels"


def test_paired_flip_moves_image_and_mask_together():
    import tensorflow as tf

    from course_utils.data.pipeline import Augment, _augment_pair

    image = tf.constant(np.linspace(0, 1, 16 * 16 * 3, dtype=np.float32).reshape(16, 16, 3))
    mask = tf.constant(
        (np.arange(16)[None, :, None] >= 8).astype(np.int32) * np.ones((16, 16, 1), np.int32)
    )
    aug = Augment(hflip=True, scale=(1.0, 1.0), brightness=0.0, contrast=(1.0, 1.0))
    seen = set()
    for seed in range(12):
        tf.random.set_seed(seed)
        out_image, out_mask = _augment_pair(image, mask, aug, (16, 16))
        flipped = bool(out_mask[0, 0, 0] == 1)
        seen.add(flipped)
        expected = tf.image.flip_left_right(image) if flipped else image
        np.testing.assert_allclose(out_image.numpy(), expected.numpy())
    assert seen == {True, False}


@pytest.mark.parametrize(
    "aug",
    [
        {"hflip": True, "vflip": True, "rot90": True, "scale": (1.0, 1.5)},
        {"hflip": False, "rot90": True, "scale": (1.0, 1.0)},
        {"hflip": False, "scale": (1.3, 1.6)},
    ],
)
def test_augmentation_moves_every_pixel_of_image_and_mask_together(aug):
    """Encode each pixel's coordinates in both image and mask; after any augmentation the
    coordinates read from the image must match those read from the mask."""
    import tensorflow as tf

    from course_utils.data.pipeline import Augment, _augment_pair

    h = w = 32
    yy, xx = np.mgrid[0:h, 0:w]
    image = tf.constant(
        np.stack([yy / (h - 1), xx / (w - 1), np.zeros((h, w))], -1).astype("float32")
    )
    mask = tf.constant((yy * w + xx)[..., None].astype("int32"))
    augment = Augment(**aug, brightness=0.0, contrast=(1.0, 1.0))
    for seed in range(20):
        tf.random.set_seed(seed)
        out_image, out_mask = _augment_pair(image, mask, augment, (h, w))
        m = out_mask.numpy()[..., 0]
        iy = out_image.numpy()[..., 0] * (h - 1)
        ix = out_image.numpy()[..., 1] * (w - 1)
        inner = (slice(2, -2), slice(2, -2))  # bilinear vs nearest differ by < 1 px inside
        assert np.abs(m // w - iy)[inner].max() < 1.0 and np.abs(m % w - ix)[inner].max() < 1.0


def test_augment_settings_are_checked():
    from course_utils.data import Augment

    with pytest.raises(ValueError, match="1 <= min <= max"):
        Augment(scale=(0.8, 1.2))


def test_cached_arrays_are_read_only(use_mirror):
    first = data.arrays("isbi2012", "val")
    with pytest.raises(ValueError, match="read-only"):
        first.images[0, 0, 0, 0] = 7
    again = data.arrays("isbi2012", "val")
    assert again is not first  # a new object for every caller,
    assert np.shares_memory(again.images, first.images)  # around the one cached copy


def test_isbi_splits_and_labels(use_mirror):
    train = data.arrays("isbi2012", "train")
    val = data.arrays("isbi2012", "val")
    assert train.images.shape == (24, 512, 512, 1) and val.images.shape == (6, 512, 512, 1)
    membrane = float((val.targets == 0).mean())
    assert 0.1 < membrane < 0.35, f"membrane share {membrane:.2f}, the dataset has about 0.22"
    test = data.load("isbi2012", "test", image_size=128, batch_size=5)
    assert next(iter(test)).shape == (5, 128, 128, 1)


def test_mnist_test_split_from_mirror(use_mirror):
    arrays = data.arrays("mnist", "test")
    assert arrays.images.shape == (10000, 28, 28, 1)
    assert arrays.targets[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first test labels


@pytest.mark.slow
def test_cifar10_jpeg_copy_from_mirror(use_mirror):
    arrays = data.arrays("cifar10_jpeg", "test", limit=500)
    assert arrays.images.shape == (500, 32, 32, 3)
    assert "JPEG copy" in arrays.source
    assert len(np.unique(arrays.targets)) == 10, "classes must be interleaved, not sorted"


@pytest.mark.slow
def test_cifar10_jpeg_limits_and_offsets_share_one_read(use_mirror):
    head = data.arrays("cifar10_jpeg", "train", limit=1000)
    tail = data.arrays("cifar10_jpeg", "train", offset=45_000, limit=500)
    assert head.images.shape == (1000, 32, 32, 3) and tail.images.shape == (500, 32, 32, 3)
    assert head.images.base is not None and head.images.base is tail.images.base, "one cached copy"
