"""Scoring at CamVid's own 360x480, and the frames each Part 3 model sees."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # trains models


@pytest.fixture
def training(keras):
    from course_utils import training

    return training


def _constant_model(keras, class_id: int, num_classes: int = 11):
    """A model of any input size that scores ``class_id`` highest at every pixel."""
    bias = np.full(num_classes, -5.0, "float32")
    bias[class_id] = 5.0
    inputs = keras.Input((None, None, 3))
    head = keras.layers.Conv2D(num_classes, 1, kernel_initializer="zeros",
                               bias_initializer=keras.initializers.Constant(bias))  # fmt: skip
    return keras.Model(inputs, head(inputs))


def test_native_scoring_counts_every_labelled_pixel_of_the_native_masks(
    training, keras, use_mirror
):
    from course_utils import data

    camvid = data.info("camvid")
    road = camvid.class_names.index("Road")
    native = data.arrays("camvid", "test", None, limit=3).targets
    labelled = (native != camvid.ignore_index).sum(axis=(1, 2))

    confusions = training.confusions_at_native_size(
        _constant_model(keras, road), "camvid", "test", (96, 128), batch_size=2, limit=3
    )
    assert confusions.shape == (3, 11, 11)
    np.testing.assert_array_equal(confusions.sum(axis=(1, 2)), labelled)  # every pixel, once
    assert (confusions[:, :, road].sum(axis=1) == labelled).all()  # all predicted Road
    truth_road = (native == road).sum(axis=(1, 2))
    np.testing.assert_array_equal(confusions[:, road, road], truth_road)

    band = training.confusions_at_native_size(
        _constant_model(keras, road), "camvid", "test", (96, 128), limit=3, boundary_width=3
    )
    assert 0 < band.sum() < confusions.sum()  # the band is a part of the labelled pixels
    both = training.confusions_with_band_at_native_size(
        _constant_model(keras, road), "camvid", "test", (96, 128), 3, limit=3
    )  # one pass of the model, the same two answers
    np.testing.assert_array_equal(both[0], confusions)
    np.testing.assert_array_equal(both[1], band)
    report = training.report_at_native_size(
        _constant_model(keras, road), "camvid", "test", (96, 128), limit=3
    )
    assert report.iou[road] == pytest.approx(truth_road.sum() / labelled.sum())


def test_native_scoring_refuses_a_dataset_with_no_native_size(training, keras):
    with pytest.raises(ValueError, match="no native size"):
        training.confusions_at_native_size(_constant_model(keras, 0), "voc2012", "val", (64, 64))


def test_the_imagenet_models_train_on_crops_of_larger_frames(training):
    scratch = training.part3_frames("unet")
    assert scratch.size == training.PART3_IMAGE_SIZE and scratch.crop is None
    assert scratch.input_shape == (*training.PART3_IMAGE_SIZE, 3) and scratch.augment() is True
    lite0 = training.part3_frames("deeplabv3plus_lite0")
    assert lite0.size == training.IMAGENET_FRAME_SIZE and lite0.crop == training.PART3_IMAGE_SIZE
    assert lite0.size[0] > lite0.crop[0] and lite0.size[1] > lite0.crop[1]
    assert all(side % 32 == 0 for side in lite0.size)  # the models need multiples of 32
    assert lite0.input_shape == (None, None, 3)
    assert lite0.augment().crop == lite0.crop and lite0.augment().hflip


@pytest.mark.parametrize("name", ["fcn8s_lite0", "unet_lite0", "deeplabv3plus_lite0"])
def test_the_imagenet_models_train_on_crops_and_predict_whole_frames(name, keras):
    """Built for any size, as their recipe needs: trained on one size, run on another."""
    from course_utils import models

    model = models.build(name, (None, None, 3), 11, preset="tiny")
    model.compile(
        optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    rng = np.random.default_rng(0)
    model.train_on_batch(
        rng.random((2, 64, 96, 3), np.float32), rng.integers(0, 11, (2, 64, 96, 1))
    )
    assert model.predict_on_batch(rng.random((1, 96, 128, 3), np.float32)).shape == (1, 96, 128, 11)
