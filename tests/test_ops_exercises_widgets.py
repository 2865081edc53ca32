"""Reference ops against Keras; exercise checkers with right and wrong answers; the
convolution explorer's logic, widget and static fallback."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import exercises, ops
from course_utils.widgets import ConvExplorer, conv_explorer_state
from course_utils.widgets.display import figure_png, mimebundle


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


def _right_size(n, k, p, s, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def test_conv_output_size_checker():
    assert exercises.check_conv_output_size(_right_size).correct
    no_dilation = exercises.check_conv_output_size(lambda n, k, p, s, d: (n + 2 * p - k) // s + 1)
    assert not no_dilation and "dilation" in no_dilation.hint
    floats = exercises.check_conv_output_size(lambda n, k, p, s, d: (n + 2 * p - k) / s + 1)
    assert not floats and "n=" in floats.message
    crashing = exercises.check_conv_output_size(lambda *a: 1 / 0)
    assert not crashing and "ZeroDivisionError" in crashing.message


def _correlate(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = (image[r : r + kh, c : c + kw] * kernel).sum()
    return out


def test_cross_correlation_checker():
    assert exercises.check_cross_correlation(_correlate).correct
    flipped = exercises.check_cross_correlation(lambda im, k: _correlate(im, k[::-1, ::-1]))
    assert not flipped and "flipped" in flipped.message
    padded = exercises.check_cross_correlation(lambda im, k: np.pad(_correlate(im, k), 1))
    assert not padded and "(4, 5)" not in padded.message and "yours is (6, 7)" in padded.message
    off = exercises.check_cross_correlation(
        lambda im, k: _correlate(im, k) + (np.arange(20).reshape(4, 5) == 7)
    )
    assert not off and "output[1, 2]" in off.message
    assert "Not yet" in str(off) and "&#10008;" in off._repr_html_()


def test_param_count_checker():
    import keras

    model = keras.Sequential(
        [
            keras.Input((64, 64, 3)),
            keras.layers.Conv2D(32, 3, activation="relu", name="conv"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu", name="dense_1"),
            keras.layers.Dense(10, activation="softmax", name="dense_2"),
        ]
    )
    right = {
        "conv": 3 * 3 * 3 * 32 + 32,
        "dense_1": 31 * 31 * 32 * 128 + 128,
        "dense_2": 128 * 10 + 10,
    }
    assert exercises.check_param_counts(right, model).correct
    no_bias = exercises.check_param_counts({**right, "conv": 3 * 3 * 3 * 32}, model)
    assert not no_bias and "biases" in no_bias.hint
    wrong_flatten = exercises.check_param_counts(
        {**right, "dense_1": 62 * 62 * 32 * 128 + 128}, model
    )
    assert not wrong_flatten and "dense_1" in wrong_flatten.message
    assert "dense_2" in exercises.check_param_counts({"conv": 1, "dense_1": 1}, model).message


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


def test_conv_explorer_widget_updates_and_has_a_static_fallback():
    explorer = ConvExplorer({"a": np.zeros((30, 30)), "b": np.ones((20, 24))})
    widget = explorer.widget
    before = explorer._size.value
    explorer.controls["stride"].value = 3
    assert explorer._size.value != before and "10 x 10" in explorer._size.value
    explorer.controls["image"].value = "b"
    assert "6 x 8" in explorer._size.value and explorer._picture.value[:4] == b"\x89PNG"
    bundle = mimebundle(widget, figure_png(explorer.static_figure()), repr(explorer))
    assert "application/vnd.jupyter.widget-view+json" in bundle and "image/png" in bundle


def _stable_ce(logits, labels):
    z = logits - logits.max(1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels].mean()


def test_cross_entropy_checker():
    assert exercises.check_cross_entropy(_stable_ce).correct

    def naive(logits, labels):
        p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        return -np.log(p[np.arange(len(labels)), labels]).mean()

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        overflow = exercises.check_cross_entropy(naive)
    assert not overflow and "overflows" in overflow.message
    summed = exercises.check_cross_entropy(lambda z, y: _stable_ce(z, y) * len(y))
    assert not summed and "sum" in summed.message


def test_cross_entropy_checker_agrees_with_keras():
    import keras

    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, (6, 4)).astype("float32")
    labels = np.array([0, 3, 1, 1, 2, 0])
    keras_loss = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits))
    assert _stable_ce(logits.astype(float), labels) == pytest.approx(keras_loss, rel=1e-5)


def test_most_confused_checker():
    names = ["cat", "dog", "frog"]
    cm = np.array([[50, 30, 5], [10, 60, 2], [20, 1, 70]])
    assert exercises.check_most_confused("dog", cm, names, "cat").correct
    transposed = exercises.check_most_confused("frog", cm, names, "cat")
    assert not transposed and "Rows" in transposed.hint
    assert "not a class name" in exercises.check_most_confused("cow", cm, names, "cat").message


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
    assert ops.receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])[-1] == (
        15,
        1,
    )  # dilations 1, 2, 4


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
