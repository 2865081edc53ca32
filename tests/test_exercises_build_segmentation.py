"""Checkers of the build-a-block exercises (``course_utils/exercises/build_segmentation.py``):
each with the right answer a notebook's solution shows and the wrong answers its hints name."""

from __future__ import annotations

from pathlib import Path

import pytest

from course_utils.exercises import build_segmentation as checkers


@pytest.fixture(scope="module")
def layers(keras):
    return keras.layers


def test_skip_decoder_step_checker(layers):
    def decoder_step(x, skip, filters):
        x = layers.UpSampling2D(2)(x)
        x = layers.Concatenate()([x, skip])
        return layers.Conv2D(filters, 3, padding="same", activation="relu")(x)

    right = checkers.check_skip_decoder_step(decoder_step)
    assert right, right
    assert right.hint is None and "6,928 parameters" in right.message

    def learned_up(x, skip, filters):
        x = layers.Conv2DTranspose(x.shape[-1], 2, strides=2)(x)
        x = layers.Concatenate()([x, skip])
        return layers.Conv2D(filters, 3, padding="same", activation="relu")(x)

    assert checkers.check_skip_decoder_step(learned_up)

    def conv(x, filters=None, size=3):
        return layers.Conv2D(filters, size, padding="same", activation="relu")(x)

    ignored = checkers.check_skip_decoder_step(lambda x, s, f: conv(layers.UpSampling2D(2)(x), f))
    assert not ignored and "skip is unused" in ignored.message
    assert "Concatenate()([x, skip])" in ignored.hint
    not_up = checkers.check_skip_decoder_step(lambda x, s, f: conv(layers.Concatenate()([x, s]), f))
    assert not not_up and "raised" in not_up.message and "UpSampling2D(2)" in not_up.hint
    added = checkers.check_skip_decoder_step(
        lambda x, s, f: conv(layers.Add()([layers.UpSampling2D(2)(x), s]), f)
    )
    assert not added and "raised" in added.message and "Add needs equal channels" in added.hint

    def projected(x, skip, filters):
        x = layers.Conv2D(skip.shape[-1], 1)(layers.UpSampling2D(2)(x))
        return conv(layers.Add()([x, skip]), filters)

    adding = checkers.check_skip_decoder_step(projected)  # a skip, but FCN's, not U-Net's
    assert not adding and "it adds them" in adding.message and "U-Net" in adding.hint
    fixed = checkers.check_skip_decoder_step(lambda x, s, f: decoder_step(x, s, 16))
    assert not fixed and "filters=6" in fixed.message and "`filters` argument" in fixed.hint
    one_by_one = checkers.check_skip_decoder_step(
        lambda x, s, f: conv(layers.Concatenate()([layers.UpSampling2D(2)(x), s]), f, size=1)
    )
    assert not one_by_one and "784 parameters" in one_by_one.message
    assert "6,928" in one_by_one.message and "Conv2D(filters, 3" in one_by_one.hint


def _bilinear_x2(keras, x, num_classes):
    from course_utils.models.layers import BilinearUpsampling

    return keras.layers.Conv2DTranspose(
        num_classes, 4, strides=2, padding="same", use_bias=False,
        kernel_initializer=BilinearUpsampling(2),
    )(x)  # fmt: skip


def test_fcn_fusion_checker(keras, layers):
    def fuse(coarse, pool4, num_classes):
        scores = layers.Conv2D(num_classes, 1, kernel_initializer="zeros")(pool4)
        up = layers.UpSampling2D(2, interpolation="bilinear")(coarse)
        return layers.Add()([up, scores])

    right = checkers.check_fcn_fusion(fuse)
    assert right, right
    assert "165 parameters" in right.message

    def learned(coarse, pool4, num_classes):
        scores = layers.Conv2D(num_classes, 1, kernel_initializer="zeros")(pool4)
        return layers.Add()([_bilinear_x2(keras, coarse, num_classes), scores])

    assert checkers.check_fcn_fusion(learned)

    def random_start(coarse, pool4, num_classes):
        scores = layers.Conv2D(num_classes, 1)(pool4)
        return layers.Add()([layers.UpSampling2D(2, interpolation="bilinear")(coarse), scores])

    random_start = checkers.check_fcn_fusion(random_start)
    assert not random_start and "pool4 at initialisation" in random_start.message
    assert "kernel_initializer='zeros'" in random_start.hint

    def concatenated(coarse, pool4, num_classes):
        scores = layers.Conv2D(num_classes, 1, kernel_initializer="zeros")(pool4)
        up = layers.UpSampling2D(2, interpolation="bilinear")(coarse)
        return layers.Concatenate()([up, scores])

    concatenated = checkers.check_fcn_fusion(concatenated)
    assert not concatenated and "(None, 8, 8, 10)" in concatenated.message
    assert "Add()" in concatenated.hint
    unscored = checkers.check_fcn_fusion(
        lambda c, p, k: layers.Add()([layers.UpSampling2D(2, interpolation="bilinear")(c), p])
    )
    assert not unscored and "raised" in unscored.message and "score pool4 first" in unscored.hint
    not_up = checkers.check_fcn_fusion(
        lambda c, p, k: layers.Add()([c, layers.Conv2D(k, 1, kernel_initializer="zeros")(p)])
    )
    assert not not_up and "raised" in not_up.message and "up-sample it x2" in not_up.hint

    def nearest(coarse, pool4, num_classes):
        scores = layers.Conv2D(num_classes, 1, kernel_initializer="zeros")(pool4)
        return layers.Add()([layers.UpSampling2D(2)(coarse), scores])

    nearest = checkers.check_fcn_fusion(nearest)
    assert not nearest and "bilinearly" in nearest.message

    def frozen(coarse, pool4, num_classes):
        scores = layers.Conv2D(num_classes, 1, kernel_initializer="zeros", trainable=False)
        up = layers.UpSampling2D(2, interpolation="bilinear")(coarse)
        return layers.Add()([up, scores(pool4)])

    frozen = checkers.check_fcn_fusion(frozen)
    assert not frozen and "did not lower the loss" in frozen.message
    assert "do not freeze it" in frozen.hint


def test_segnet_decoder_stage_checker(layers):
    from course_utils.models.layers import MaxUnpool

    def decoder_stage(x, indices, like, filters):
        x = MaxUnpool()([x, indices, like])
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.ReLU()(x)

    right = checkers.check_segnet_decoder_stage(decoder_stage)
    assert right, right
    assert "(None, 8, 8, 8)" in right.message

    def conv_bn_relu(x, filters):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        return layers.ReLU()(layers.BatchNormalization()(x))

    nearest = checkers.check_segnet_decoder_stage(
        lambda x, i, like, f: conv_bn_relu(layers.UpSampling2D(2)(x), f)
    )
    assert not nearest and "UpSampling2D" in nearest.message
    assert "only where the maximum was" in nearest.hint
    forgot = checkers.check_segnet_decoder_stage(lambda x, i, like, f: conv_bn_relu(x, f))
    assert not forgot and "(None, 4, 4, 8)" in forgot.message and "like's size" in forgot.hint
    fixed = checkers.check_segnet_decoder_stage(lambda x, i, like, f: decoder_stage(x, i, like, 8))
    assert not fixed and "filters=6" in fixed.message and "`filters` argument" in fixed.hint
    no_relu = checkers.check_segnet_decoder_stage(
        lambda x, i, like, f: layers.BatchNormalization()(
            layers.Conv2D(f, 3, padding="same", use_bias=False)(MaxUnpool()([x, i, like]))
        )
    )
    assert not no_relu and "negative" in no_relu.message and "ReLU()" in no_relu.hint
    unlisted = checkers.check_segnet_decoder_stage(  # MaxUnpool takes one list of three
        lambda x, i, like, f: conv_bn_relu(MaxUnpool()(x, i, like), f)
    )
    assert not unlisted and "raised" in unlisted.message


def test_crop_and_concat_checker(layers):
    from course_utils.models.layers import ResizeLike

    def crop_and_concat(skip, up):
        dh, dw = skip.shape[1] - up.shape[1], skip.shape[2] - up.shape[2]
        crop = ((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2))
        return layers.Concatenate()([layers.Cropping2D(crop)(skip), up])

    right = checkers.check_crop_and_concat(crop_and_concat)
    assert right, right
    assert "(None, 8, 8, 5)" in right.message

    def concat_up_first(skip, up):  # the course's U-Net puts the up-sampled map first
        dh, dw = skip.shape[1] - up.shape[1], skip.shape[2] - up.shape[2]
        crop = ((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2))
        return layers.Concatenate()([up, layers.Cropping2D(crop)(skip)])

    assert checkers.check_crop_and_concat(concat_up_first)  # either order

    def crop_at(skip, up, top, left):
        h, w = up.shape[1:3]
        bottom, right = skip.shape[1] - h - top, skip.shape[2] - w - left
        cropped = layers.Cropping2D(((top, bottom), (left, right)))(skip)
        return layers.Concatenate()([cropped, up])

    corner = checkers.check_crop_and_concat(lambda s, u: crop_at(s, u, 0, 0))
    assert not corner and "top-left" in corner.message and "centre" in corner.hint
    extra_on_top = checkers.check_crop_and_concat(
        lambda s, u: crop_at(s, u, -(-(s.shape[1] - 8) // 2), -(-(s.shape[2] - 8) // 2))
    )
    assert not extra_on_top and "13, 11" in extra_on_top.message
    assert "starts at (3, 2)" in extra_on_top.message and "odd difference" in extra_on_top.hint
    resized = checkers.check_crop_and_concat(
        lambda s, u: layers.Concatenate()([ResizeLike()([s, u]), u])
    )
    assert not resized and "not even skip's pixels" in resized.message and "resize" in resized.hint
    fixed = checkers.check_crop_and_concat(
        lambda s, u: layers.Concatenate()([layers.Cropping2D(2)(s), u])
    )
    assert not fixed and "raised" in fixed.message and "fixed crop" in fixed.hint
    no_concat = checkers.check_crop_and_concat(lambda s, u: crop_and_concat(s, u)[..., :2])
    assert not no_concat and "(None, 8, 8, 2)" in no_concat.message
    assert "Concatenate the cropped skip and up" in no_concat.hint


def test_image_pooling_branch_checker(layers):
    from course_utils.models.layers import ResizeLike

    def pooled(x, filters, **conv):
        y = layers.GlobalAveragePooling2D(keepdims=True)(x)
        y = layers.Conv2D(filters, 1, use_bias=False, **conv)(y)
        return layers.ReLU()(layers.BatchNormalization()(y))

    def image_pooling(x, filters):
        return ResizeLike()([pooled(x, filters), x])

    right = checkers.check_image_pooling_branch(image_pooling)
    assert right, right
    assert "160 parameters" in right.message
    by_upsampling = checkers.check_image_pooling_branch(
        lambda x, f: layers.UpSampling2D(size=tuple(x.shape[1:3]))(pooled(x, f))
    )
    assert by_upsampling, by_upsampling

    no_resize = checkers.check_image_pooling_branch(pooled)
    assert not no_resize and "(None, 1, 1, 8)" in no_resize.message
    assert "ResizeLike()([y, x])" in no_resize.hint
    no_pooling = checkers.check_image_pooling_branch(
        lambda x, f: layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f, 1)(x)))
    )
    assert not no_pooling and "varies over the image" in no_pooling.message
    assert "average it first" in no_pooling.hint
    no_keepdims = checkers.check_image_pooling_branch(
        lambda x, f: layers.Conv2D(f, 1)(layers.GlobalAveragePooling2D()(x))
    )
    assert not no_keepdims and "raised" in no_keepdims.message and "keepdims" in no_keepdims.hint
    zeros = checkers.check_image_pooling_branch(
        lambda x, f: ResizeLike()([pooled(x, f, kernel_initializer="zeros"), x])
    )
    assert not zeros and "same for two different images" in zeros.message
    fixed_size = checkers.check_image_pooling_branch(
        lambda x, f: layers.UpSampling2D(size=(6, 8))(pooled(x, f))
    )
    assert not fixed_size and "(None, 5, 7, 6)" in fixed_size.message
    assert "x.shape" in fixed_size.hint


def test_flip_tta_checker(keras):
    ops = keras.ops

    def flip_tta(model):
        image = keras.Input(model.input_shape[1:])
        probs = ops.softmax(model(image), axis=-1)
        flipped = ops.softmax(model(ops.flip(image, axis=2)), axis=-1)
        return keras.Model(image, (probs + ops.flip(flipped, axis=2)) / 2)

    right = checkers.check_flip_tta(flip_tta)
    assert right, right
    assert "flipped back" in right.message

    def variant(flip_axis=2, back=True, softmax=True, average="probabilities"):
        def tta(model):
            image = keras.Input(model.input_shape[1:])
            logits = model(image)
            other = model(ops.flip(image, axis=flip_axis))
            other = ops.flip(other, axis=flip_axis) if back else other
            if average == "logits":
                return keras.Model(image, ops.softmax((logits + other) / 2, axis=-1))
            if softmax:
                logits, other = ops.softmax(logits, axis=-1), ops.softmax(other, axis=-1)
            return keras.Model(image, (logits + other) / 2)

        return checkers.check_flip_tta(tta)

    assert variant()  # the same answer, written the other way round
    not_back = variant(back=False)
    assert not not_back and "without flipping it back" in not_back.message
    assert "(i, W - 1 - j)" in not_back.hint
    logits = variant(average="logits")
    assert not logits and "average the logits" in logits.message
    assert "Average probabilities" in logits.hint
    vertical = variant(flip_axis=1)
    assert not vertical and "upside-down" in vertical.message and "left-right" in vertical.hint
    no_softmax = variant(softmax=False)
    assert not no_softmax and "sum to 1" in no_softmax.message and "softmax" in no_softmax.hint
    no_tta = checkers.check_flip_tta(lambda m: keras.Model(m.input, ops.softmax(m.output, axis=-1)))
    assert not no_tta and "from the reference" in no_tta.message
    not_model = checkers.check_flip_tta(lambda m: lambda x: m(x))
    assert not not_model and "not a Model" in not_model.message
    crashing = checkers.check_flip_tta(lambda m: keras.Model(m.input, ops.flip(m.input, axis=5)))
    assert not crashing and "raised" in crashing.message


def test_checkers_build_in_float32_under_mixed_precision(keras, layers):
    from course_utils.models.layers import MaxUnpool

    def fuse(coarse, pool4, num_classes):
        scores = layers.Conv2D(num_classes, 1, kernel_initializer="zeros")(pool4)
        return layers.Add()([layers.UpSampling2D(2, interpolation="bilinear")(coarse), scores])

    def decoder_stage(x, indices, like, filters):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(
            MaxUnpool()([x, indices, like])
        )
        return layers.ReLU()(layers.BatchNormalization()(x))

    def flip_tta(model):
        image = keras.Input(model.input_shape[1:])
        probs = keras.ops.softmax(model(image), axis=-1)
        flipped = keras.ops.softmax(model(keras.ops.flip(image, axis=2)), axis=-1)
        return keras.Model(image, (probs + keras.ops.flip(flipped, axis=2)) / 2)

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")  # as a notebook's setup() may choose
    try:
        results = [
            checkers.check_fcn_fusion(fuse),
            checkers.check_segnet_decoder_stage(decoder_stage),
            checkers.check_flip_tta(flip_tta),
        ]
        assert keras.config.dtype_policy().name == "mixed_float16"
    finally:
        keras.config.set_dtype_policy(before)
    assert all(results), results


def test_every_checker_here_is_tested():
    source = Path(__file__).read_text()
    names = [name for name in dir(checkers) if name.startswith("check_")]
    assert len(names) == 6
    untested = [name for name in names if f"checkers.{name}(" not in source]
    assert not untested, "every checker needs a right and a wrong answer here"
