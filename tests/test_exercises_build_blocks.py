"""Checkers of the build-a-block exercises (``course_utils/exercises/build_blocks.py``): each
with a right answer, the wrong answers its hints name, and an answer that raises."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from course_utils.exercises import build_blocks


@pytest.fixture
def layers(keras):
    return keras.layers


def _assert_wrong(feedback, words, where="hint"):
    assert not feedback, feedback
    assert words in getattr(feedback, where), (words, str(feedback))


def test_conv_head_checker(layers):
    def conv_head(features, num_classes):
        x = layers.Conv2D(num_classes, 1)(features)
        x = layers.GlobalAveragePooling2D()(x)
        return layers.Softmax()(x)

    right = build_blocks.check_conv_head(conv_head)
    assert right, right
    assert "650 parameters" in right.message and "Dense" not in right.message

    def pool_then_dense(features, num_classes):
        x = layers.GlobalAveragePooling2D()(features)
        return layers.Dense(num_classes, activation="softmax")(x)

    same = build_blocks.check_conv_head(pool_then_dense)
    assert same and "averaging commutes with a linear layer" in same.message, same

    def flatten_dense(features, num_classes):
        return layers.Dense(num_classes, activation="softmax")(layers.Flatten()(features))

    _assert_wrong(build_blocks.check_conv_head(flatten_dense), "weight per pixel")
    assert "40,970" in build_blocks.check_conv_head(flatten_dense).message

    def kernel3(features, num_classes):
        x = layers.Conv2D(num_classes, 3)(features)
        return layers.Softmax()(layers.GlobalAveragePooling2D()(x))

    _assert_wrong(build_blocks.check_conv_head(kernel3), "kernel_size=1")

    def no_pooling(features, num_classes):
        return layers.Softmax()(layers.Conv2D(num_classes, 1)(features))

    _assert_wrong(build_blocks.check_conv_head(no_pooling), "GlobalAveragePooling2D")

    def no_softmax(features, num_classes):
        return layers.GlobalAveragePooling2D()(layers.Conv2D(num_classes, 1)(features))

    _assert_wrong(build_blocks.check_conv_head(no_softmax), "softmax")

    def softmax_first(features, num_classes):
        x = layers.Conv2D(num_classes, 1, activation="softmax")(features)
        return layers.GlobalAveragePooling2D()(x)

    _assert_wrong(build_blocks.check_conv_head(softmax_first), "after the pooling")

    def max_pooling(features, num_classes):
        x = layers.GlobalMaxPooling2D()(layers.Conv2D(num_classes, 1)(features))
        return layers.Softmax()(x)

    _assert_wrong(build_blocks.check_conv_head(max_pooling), "not its maximum")

    def ten_classes(features, num_classes):
        return conv_head(features, 10)

    _assert_wrong(build_blocks.check_conv_head(ten_classes), "num_classes argument")

    def frozen(features, num_classes):
        x = layers.Conv2D(num_classes, 1, trainable=False)(features)
        return layers.Softmax()(layers.GlobalAveragePooling2D()(x))

    with pytest.warns(UserWarning, match="trainable weights"):
        _assert_wrong(build_blocks.check_conv_head(frozen), "does not fall", "message")

    def raising(features, num_classes):
        return layers.Conv2D(num_classes, 1)(features, undefined_argument=1)

    _assert_wrong(build_blocks.check_conv_head(raising), "raised", "message")
    returns_layer = build_blocks.check_conv_head(lambda f, n: layers.Conv2D(n, 1))
    _assert_wrong(returns_layer, "not a Keras tensor", "message")


def test_vgg_block_checker(layers):
    def vgg_block(x, filters):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        return layers.MaxPooling2D(2)(x)

    right = build_blocks.check_vgg_block(vgg_block)
    assert right and "2,768 parameters" in right.message, right

    def separate_relus(x, filters):
        x = layers.ReLU()(layers.Conv2D(filters, 3, padding="same")(x))
        x = layers.Activation("relu")(layers.Conv2D(filters, 3, padding="same")(x))
        return layers.MaxPooling2D(2)(x)

    assert build_blocks.check_vgg_block(separate_relus)

    def valid(x, filters):
        x = layers.Conv2D(filters, 3, activation="relu")(x)
        x = layers.Conv2D(filters, 3, activation="relu")(x)
        return layers.MaxPooling2D(2)(x)

    _assert_wrong(build_blocks.check_vgg_block(valid), "padding='same'")
    assert "(None, 14, 14, 16)" in build_blocks.check_vgg_block(valid).message

    def no_pooling(x, filters):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        return layers.Conv2D(filters, 3, padding="same", activation="relu")(x)

    _assert_wrong(build_blocks.check_vgg_block(no_pooling), "MaxPooling2D(2)")

    def one_conv(x, filters):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        return layers.MaxPooling2D(2)(x)

    _assert_wrong(build_blocks.check_vgg_block(one_conv), "Stack two convolutions")

    def hard_coded(x, filters):
        return vgg_block(x, 16)

    fixed = build_blocks.check_vgg_block(hard_coded)
    _assert_wrong(fixed, "`filters` argument")
    assert "filters=4" in fixed.message

    def no_relu(x, filters):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(filters, 3, padding="same")(x)
        return layers.MaxPooling2D(2)(x)

    def pool_between(x, filters):  # same parameters and output shape, wrong order
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
        return layers.Conv2D(filters, 3, padding="same", activation="relu")(x)

    _assert_wrong(build_blocks.check_vgg_block(pool_between), "conv, conv, then MaxPooling2D(2)")

    missing = build_blocks.check_vgg_block(no_relu)
    _assert_wrong(missing, "collapse into one linear map")
    assert "applies 1 ReLU" in missing.message

    def strided(x, filters):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        return layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)

    _assert_wrong(build_blocks.check_vgg_block(strided), "without MaxPooling2D", "message")
    _assert_wrong(build_blocks.check_vgg_block(lambda x, f: x @ x), "raised", "message")


def _residual(layers, bias, final_relu=True, shortcut=lambda layers, x: x, before=None):
    """A residual block; ``shortcut`` maps x to what is added, ``before`` moves the addition."""

    def residual_block(x, filters):
        y = layers.Conv2D(filters, 3, padding="same", use_bias=bias)(x)
        y = layers.ReLU()(layers.BatchNormalization()(y))
        y = layers.Conv2D(filters, 3, padding="same", use_bias=bias)(y)
        if before:
            y = layers.Add()([y, shortcut(layers, x)])
        y = layers.BatchNormalization()(y)
        if not before:
            y = layers.Add()([y, shortcut(layers, x)])
        return layers.ReLU()(y) if final_relu else y

    return residual_block


def test_residual_block_checker(layers):
    right = build_blocks.check_residual_block(_residual(layers, bias=False))
    assert right and "4,736 parameters" in right.message and "redundant" not in right.message
    biased = build_blocks.check_residual_block(_residual(layers, bias=True))
    assert biased and "4,768" in biased.message and "redundant" in biased.message, biased

    def no_add(x, filters):
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        y = layers.ReLU()(layers.BatchNormalization()(y))
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
        return layers.ReLU()(layers.BatchNormalization()(y))

    _assert_wrong(build_blocks.check_residual_block(no_add), "add the input back")
    projection = _residual(layers, False, shortcut=lambda layers, x: layers.Conv2D(16, 1)(x))
    _assert_wrong(build_blocks.check_residual_block(projection), "has no weights")
    _assert_wrong(
        build_blocks.check_residual_block(_residual(layers, False, final_relu=False)),
        "ReLU after the addition",
    )
    relu_x = _residual(layers, False, shortcut=lambda layers, x: layers.ReLU()(x))
    _assert_wrong(build_blocks.check_residual_block(relu_x), "not relu(x)")
    _assert_wrong(
        build_blocks.check_residual_block(_residual(layers, False, before=True)),
        "after the second BatchNormalization",
    )

    def no_batch_norm(x, filters):
        y = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        y = layers.Conv2D(filters, 3, padding="same")(y)
        return layers.ReLU()(layers.Add()([y, x]))

    _assert_wrong(build_blocks.check_residual_block(no_batch_norm), "BatchNormalization after")

    def one_relu(x, filters):
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(
            layers.BatchNormalization()(y)
        )
        return layers.ReLU()(layers.BatchNormalization()(y) + x)

    _assert_wrong(build_blocks.check_residual_block(one_relu), "after the first Batch")
    _assert_wrong(build_blocks.check_residual_block(lambda x, f: x + "one"), "raised", "message")


def _dense(keras, seed=0):
    """A Dense(5) built on flattened (3, 4, 6) maps, as the checker makes it."""
    dense = keras.layers.Dense(5)
    dense.build((None, 72))
    rng = np.random.default_rng(seed)
    dense.set_weights([rng.normal(size=(72, 5)), rng.normal(size=5)])
    return dense


def _conv(layers, units, kernel_size, input_shape, weights, **kwargs):
    conv = layers.Conv2D(units, kernel_size, **kwargs)
    conv.build((None, *input_shape))
    if weights is not None:
        conv.set_weights(weights)
    return conv


def test_dense_to_conv_checker(keras, layers):
    def dense_to_conv(dense, input_shape):
        h, w, c = input_shape
        kernel, bias = dense.get_weights()
        conv = layers.Conv2D(kernel.shape[1], kernel_size=(h, w))
        conv.build((None, h, w, c))
        conv.set_weights([kernel.reshape(h, w, c, -1), bias])
        return conv

    right = build_blocks.check_dense_to_conv(dense_to_conv)
    assert right and "score map" in right.message, right

    def wrong_order(dense, input_shape):
        h, w, c = input_shape
        kernel, bias = dense.get_weights()
        chw = kernel.reshape(c, h, w, -1).transpose(1, 2, 0, 3)
        return _conv(layers, kernel.shape[1], (h, w), input_shape, [chw, bias])

    _assert_wrong(build_blocks.check_dense_to_conv(wrong_order), "row-major")

    def no_bias(dense, input_shape):
        kernel = dense.get_weights()[0]
        conv = _conv(layers, 5, input_shape[:2], input_shape, None, use_bias=False)
        conv.set_weights([kernel.reshape(*input_shape, -1)])
        return conv

    _assert_wrong(build_blocks.check_dense_to_conv(no_bias), "Copy the bias")

    def not_copied(dense, input_shape):
        return _conv(layers, 5, input_shape[:2], input_shape, None)

    _assert_wrong(build_blocks.check_dense_to_conv(not_copied), "Copy the Dense layer's weights")

    def one_by_one(dense, input_shape):
        return _conv(layers, 5, 1, input_shape, None)

    _assert_wrong(build_blocks.check_dense_to_conv(one_by_one), "whole (h, w) window")

    def padded(dense, input_shape):
        kernel, bias = dense.get_weights()
        weights = [kernel.reshape(*input_shape, -1), bias]
        return _conv(layers, 5, input_shape[:2], input_shape, weights, padding="same")

    _assert_wrong(build_blocks.check_dense_to_conv(padded), "padding='valid'")
    unbuilt = build_blocks.check_dense_to_conv(lambda dense, shape: layers.Conv2D(5, shape[:2]))
    _assert_wrong(unbuilt, "not built", "message")
    tensor = build_blocks.check_dense_to_conv(lambda dense, shape: dense.kernel)
    _assert_wrong(tensor, "not a Keras layer", "message")

    def kernel_size_1(dense, input_shape):  # the Dense kernel does not fit a 1x1 kernel
        kernel, bias = dense.get_weights()
        return _conv(layers, 5, 1, input_shape, [kernel.reshape(*input_shape, -1), bias])

    _assert_wrong(build_blocks.check_dense_to_conv(kernel_size_1), "raised", "message")


def test_dense_to_conv_reference_is_dense_on_flatten(keras, layers):
    """The checker's reference (the Dense layer on each flattened window) is Keras' own:
    Flatten then Dense, applied window by window, gives what a right answer gives."""
    dense = _dense(keras)
    flat = keras.Sequential([layers.Flatten(), dense])
    conv = _conv(
        layers, 5, (3, 4), (3, 4, 6), [dense.kernel.numpy().reshape(3, 4, 6, 5), dense.bias]
    )
    x = np.random.default_rng(1).normal(size=(2, 5, 9, 6)).astype("float32")
    scores = np.asarray(conv(x))
    assert scores.shape == (2, 3, 6, 5)
    for i, j in [(0, 0), (2, 5), (1, 3)]:
        np.testing.assert_allclose(scores[:, i, j], flat(x[:, i : i + 3, j : j + 4]), atol=1e-4)


def test_separable_conv_checker(layers):
    def separable_conv(x, filters):
        x = layers.DepthwiseConv2D(3, padding="same")(x)
        return layers.Conv2D(filters, 1)(x)

    right = build_blocks.check_separable_conv(separable_conv)
    assert right and "368 parameters" in right.message and "2,336" in right.message, right
    one_layer = build_blocks.check_separable_conv(
        lambda x, filters: layers.SeparableConv2D(filters, 3, padding="same")(x)
    )
    assert one_layer and "360" in one_layer.message and "same factorisation" in one_layer.message
    plain = build_blocks.check_separable_conv(
        lambda x, filters: layers.Conv2D(filters, 3, padding="same")(x)
    )
    _assert_wrong(plain, "per-channel 3x3")
    assert "2,336" in plain.message
    depthwise_only = build_blocks.check_separable_conv(
        lambda x, filters: layers.DepthwiseConv2D(3, padding="same")(x)
    )
    _assert_wrong(depthwise_only, "sets their number")

    def pointwise_first(x, filters):
        return layers.DepthwiseConv2D(3, padding="same")(layers.Conv2D(filters, 1)(x))

    _assert_wrong(build_blocks.check_separable_conv(pointwise_first), "Depthwise first")

    def valid(x, filters):
        return layers.Conv2D(filters, 1)(layers.DepthwiseConv2D(3)(x))

    _assert_wrong(build_blocks.check_separable_conv(valid), "padding='same'")
    raising = build_blocks.check_separable_conv(lambda x, f: layers.DepthwiseConv2D(f, 3)(x))
    _assert_wrong(raising, "raised", "message")


def test_checkers_restore_the_notebook_precision(keras, layers):
    before = keras.config.dtype_policy().name
    keras.config.set_dtype_policy("mixed_float16")
    try:
        feedback = build_blocks.check_separable_conv(
            lambda x, filters: layers.SeparableConv2D(filters, 3, padding="same")(x)
        )
        assert feedback, feedback
        assert keras.config.dtype_policy().name == "mixed_float16"
    finally:
        keras.config.set_dtype_policy(before)


def test_every_checker_of_build_blocks_is_tested_here():
    source = Path(__file__).read_text()
    checkers = [name for name in dir(build_blocks) if name.startswith("check_")]
    assert len(checkers) == 5
    untested = [name for name in checkers if f"build_blocks.{name}(" not in source]
    assert not untested, "every checker needs a right and a wrong answer here"
