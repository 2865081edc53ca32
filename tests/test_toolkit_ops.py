"""The encoder-decoder toolkit's reference ops, each checked against Keras or TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import ops


def _single_channel(layer, x):
    return np.asarray(layer(x[None, :, :, None].astype("float32")))[0, :, :, 0]


@pytest.mark.parametrize("factor", [2, 3])
@pytest.mark.parametrize("method", ["nearest", "bilinear"])
def test_upsample_matches_keras(keras, factor, method):
    x = np.random.default_rng(factor).normal(size=(4, 5)).astype("float32")
    layer = keras.layers.UpSampling2D(factor, interpolation=method, dtype="float32")
    np.testing.assert_allclose(
        ops.upsample(x, factor, method), _single_channel(layer, x), atol=1e-5
    )


def test_upsample_rejects_unknown_method():
    with pytest.raises(ValueError, match="nearest"):
        ops.upsample(np.zeros((2, 2)), 2, "cubic")


@pytest.mark.parametrize("k, stride", [(3, 2), (4, 2), (2, 2), (3, 1)])
def test_conv_transpose2d_matches_keras(keras, k, stride):
    rng = np.random.default_rng(k * 10 + stride)
    x = rng.normal(size=(4, 5)).astype("float32")
    kernel = rng.normal(size=(k, k)).astype("float32")
    layer = keras.layers.Conv2DTranspose(
        1, k, strides=stride, padding="valid", use_bias=False, dtype="float32"
    )
    layer.build((1, 4, 5, 1))
    layer.set_weights([kernel[:, :, None, None]])
    np.testing.assert_allclose(
        ops.conv_transpose2d(x, kernel, stride), _single_channel(layer, x), atol=1e-5
    )


def test_transposed_conv_is_the_transpose_of_the_conv_matrix_in_2d():
    """<C x, y> == <x, C^T y>: the defining property, with the 2-D ops on both sides."""
    rng = np.random.default_rng(1)
    x, kernel = rng.normal(size=(7, 7)), rng.normal(size=(3, 3))
    y = rng.normal(size=(3, 3))
    lhs = (ops.conv2d(x, kernel, stride=2) * y).sum()
    rhs = (x * ops.conv_transpose2d(y, kernel, stride=2)).sum()
    assert lhs == pytest.approx(rhs, rel=1e-5)


def test_bilinear_kernel_interpolates_in_the_interior():
    x = np.random.default_rng(2).normal(size=(5, 6)).astype("float32")
    for factor in (2, 4):
        out = ops.conv_transpose2d(x, ops.bilinear_kernel(factor), factor)
        cropped = ops.crop_to(out, (5 * factor, 6 * factor))
        reference = ops.upsample(x, factor, "bilinear")
        inner = slice(factor, -factor)
        np.testing.assert_allclose(cropped[inner, inner], reference[inner, inner], atol=1e-5)
        assert not np.allclose(cropped, reference)  # the zero-padded border differs


def test_checkerboard_comes_from_uneven_overlap():
    ones = np.ones((6, 6))
    uneven = ops.crop_to(ops.conv_transpose2d(ones, np.ones((3, 3)), 2), (12, 12))
    even = ops.crop_to(ops.conv_transpose2d(ones, np.ones((4, 4)), 2), (12, 12))
    assert set(np.unique(uneven[2:-2, 2:-2])) == {1.0, 2.0, 4.0}
    assert np.unique(even[2:-2, 2:-2]).tolist() == [4.0]


def test_unpool_places_values_on_a_grid():
    out = ops.unpool(np.array([[1, 2], [3, 4]]), 2)
    assert out.tolist() == [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]]


@pytest.mark.parametrize("separable", [False, True])
def test_conv_costs_match_keras(keras, separable):
    layer_cls = keras.layers.SeparableConv2D if separable else keras.layers.Conv2D
    inputs = keras.Input((12, 16, 32))
    model = keras.Model(inputs, layer_cls(48, 3, padding="same")(inputs))
    from course_utils.models import count_flops

    costs = ops.conv_costs(3, 32, 48, (12, 16), separable=separable)
    assert costs["params"] == model.count_params()
    assert 2 * costs["mult_adds"] == count_flops(model)


def test_receptive_field_paths_agree_with_the_receptive_field():
    stacks = [
        [(3, 1, 1)] * 3,
        [(3, 1, 2)] * 3,
        [(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1)],
        [(3, 2, 1), (3, 1, 4)],
    ]
    for layers in stacks:
        paths = ops.receptive_field_paths(layers)
        assert len(paths) == ops.receptive_field(layers)[-1][0]
        assert paths.sum() == np.prod([k for k, _, _ in layers])  # one path per choice of taps
    assert ops.receptive_field_paths([(3, 1, 1)] * 3).tolist() == [1, 3, 6, 7, 6, 3, 1]
    assert (ops.receptive_field_paths([(3, 1, 2)] * 3)[1::2] == 0).all()  # gridding


def test_receptive_field_paths_match_the_gradient_of_a_keras_stack(keras):
    """The paths are what backpropagation sees: d(centre output)/d(input) with all-ones kernels."""
    import tensorflow as tf

    layers = [(3, 1, 2), (3, 2, 1), (3, 1, 1)]
    field = ops.receptive_field(layers)[-1][0]
    convs = [
        keras.layers.Conv2D(
            1, k, strides=s, dilation_rate=d, use_bias=False, kernel_initializer="ones"
        )
        for k, s, d in layers
    ]
    model = keras.Sequential([keras.Input((field, field, 1)), *convs])
    x = tf.Variable(np.zeros((1, field, field, 1), "float32"))
    with tf.GradientTape() as tape:
        out = model(x)
        assert out.shape[1:3] == (1, 1)
    grad = tape.gradient(out, x).numpy()[0, :, :, 0]
    paths = ops.receptive_field_paths(layers)
    np.testing.assert_allclose(grad, np.outer(paths, paths))


def test_atrous_strides_keep_the_rate_on_the_unit_that_loses_its_stride():
    # as TF-slim's stack_blocks_dense: the unit that loses its stride keeps the current rate
    assert ops.atrous_strides([2, 2, 2, 2, 1], 8) == [(2, 1), (2, 1), (2, 1), (1, 1), (1, 2)]
    assert ops.atrous_strides([2, 2, 2, 2, 2], 32) == [(2, 1)] * 5
