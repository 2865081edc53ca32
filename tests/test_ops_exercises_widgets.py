"""Reference ops against Keras; the convolution explorer's logic, widget and static
fallback. (Part 1's exercise checkers are tested in test_exercises_part1.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import ops
from course_utils.widgets import ConvExplorer, conv_explorer_state


@pytest.mark.parametrize(
    "h, w, k, stride, padding, dilation",
    [
        (10, 13, 3, 1, "valid", 1),
        (10, 13, 3, 2, "same", 1),
        (11, 12, 3, 1, "same", 2),
        (9, 9, 5, 3, "valid", 1),
    ],
)
def test_conv2d_matches_keras(h, w, k, stride, padding, dilation):
    from course_utils._tf import import_tensorflow

    import_tensorflow()
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(h, w)).astype("float32")
    kernel = rng.normal(size=(k, k)).astype("float32")
    layer = keras.layers.Conv2D(
        1, k, strides=stride, padding=padding, dilation_rate=dilation, use_bias=False
    )
    layer.build((1, h, w, 1))
    layer.set_weights([kernel[:, :, None, None]])
    expected = np.asarray(layer(x[None, :, :, None]))[0, :, :, 0]
    np.testing.assert_allclose(
        ops.conv2d(x, kernel, stride, padding, dilation), expected, atol=1e-5
    )


def test_output_size_formula_and_errors():
    assert ops.conv_output_size(227, 11, 0, 4) == 55  # AlexNet's first layer
    assert ops.conv_output_size(32, 3, 1, 1) == 32
    assert ops.conv_output_size(28, 3, 0, 1, dilation=2) == 24
    with pytest.raises(ValueError, match="does not fit"):
        ops.conv_output_size(4, 3, 0, 1, dilation=3)
    assert ops.max_pool2d(np.arange(16.0).reshape(4, 4)).tolist() == [[5, 7], [13, 15]]


def test_conv_explorer_logic_responds_to_changes():
    image = np.random.default_rng(0).random((40, 50, 3))
    explorer = ConvExplorer({"noise": image})
    assert explorer.state().output_shape == (38, 48)
    assert explorer.set(stride=2).output_shape == (19, 24)
    assert explorer.set(padding="same").output_shape == (20, 25)
    assert explorer.set(stride=1, padding="valid", dilation=3).output_shape == (34, 44)
    identity = explorer.set(
        dilation=1, padding="same", kernel="custom", custom=[0, 0, 0, 0, 1, 0, 0, 0, 0]
    )
    np.testing.assert_allclose(identity.feature_map, image.mean(-1), atol=1e-6)
    assert "floor" in conv_explorer_state(image, ops.KERNELS["sharpen"]).formula
    with pytest.raises(ValueError, match="Unknown setting"):
        explorer.set(size=3)


def test_conv_explorer_widget_updates_and_has_a_static_fallback(show_recorded):
    explorer = ConvExplorer({"a": np.zeros((30, 30)), "b": np.ones((20, 24))})
    show_recorded(explorer)  # as a notebook does: builds the live view, sends it and a PNG
    before = explorer._size.value
    explorer.controls["stride"].value = 3
    assert explorer._size.value != before and "10 x 10" in explorer._size.value
    explorer.controls["image"].value = "b"
    assert "6 x 8" in explorer._size.value and explorer._picture.value[:4] == b"\x89PNG"


def test_receptive_field_of_vgg_and_dilated_stacks():
    three_3x3 = ops.receptive_field([(3, 1, 1)] * 3)
    assert three_3x3[-1] == (7, 1)
    # conv3, pool2, conv3, pool2: the classic textbook example
    assert ops.receptive_field([(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1)]) == [
        (3, 1),
        (4, 2),
        (8, 2),
        (10, 4),
    ]
    dilated = ops.receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])  # dilations 1, 2, 4
    assert dilated[-1] == (15, 1)


def test_conv_matrix_and_its_transpose_match_keras():
    import keras

    kernel = np.array([1.0, 2.0, -1.0], np.float32)
    x = np.arange(1, 9, dtype=np.float32)
    matrix = ops.conv_matrix(8, kernel, stride=2)
    assert matrix.shape == (3, 8)
    np.testing.assert_allclose(matrix @ x, ops.conv2d(x[None, :], kernel[None, :], stride=2)[0])
    y = np.array([1.0, -2.0, 0.5], np.float32)
    layer = keras.layers.Conv2DTranspose(
        1, (1, 3), strides=(1, 2), padding="valid", use_bias=False, dtype="float32"
    )
    layer.build((1, 1, 3, 1))
    layer.set_weights([kernel[None, :, None, None]])
    keras_out = np.asarray(layer(y[None, None, :, None]))[0, 0, :, 0]
    transposed = matrix.T @ y
    np.testing.assert_allclose(keras_out, transposed[: len(keras_out)], atol=1e-6)
    assert transposed[len(keras_out) :].tolist() == [0.0]  # the last input no window reached
    assert not np.allclose(matrix.T @ (matrix @ x), x), (
        "the transpose does not undo the convolution"
    )


def test_max_pool_indices_and_unpool_match_tensorflow():
    import tensorflow as tf

    rng = np.random.default_rng(3)
    image = rng.normal(size=(6, 8)).astype("float32")
    pooled, indices = ops.max_pool_with_indices(image)
    tf_pooled, tf_indices = tf.nn.max_pool_with_argmax(image[None, :, :, None], 2, 2, "VALID")
    np.testing.assert_allclose(pooled, tf_pooled.numpy()[0, :, :, 0])
    np.testing.assert_array_equal(indices, tf_indices.numpy()[0, :, :, 0])
    restored = ops.max_unpool(pooled, indices, image.shape)
    assert (restored != 0).sum() == pooled.size
    np.testing.assert_allclose(restored.ravel()[indices.ravel()], pooled.ravel())
