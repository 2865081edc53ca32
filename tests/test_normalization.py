"""The fused batch norm gives what Keras' BatchNormalization gives, only faster."""

from __future__ import annotations

import numpy as np
import pytest


def _pair(keras, **kwargs):
    from course_utils.models.normalization import FusedBatchNormalization

    layers = keras.layers.BatchNormalization(**kwargs), FusedBatchNormalization(**kwargs)
    for layer in layers:
        layer.build((None, 6, 7, 5))
    layers[1].set_weights(layers[0].get_weights())
    return layers


@pytest.mark.parametrize(
    "kwargs", [{"momentum": 0.9}, {"momentum": 0.5, "center": False, "scale": False}]
)
def test_training_outputs_gradients_and_moving_averages_match_keras(keras, kwargs):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    reference, fused = _pair(keras, **kwargs)
    if kwargs.get("scale", True):
        gamma, beta = rng.normal(size=(2, 5)).astype("float32")
        for layer in (reference, fused):
            layer.gamma.assign(gamma)
            layer.beta.assign(beta)
    x = tf.constant(rng.normal(3.0, 2.0, size=(4, 6, 7, 5)).astype("float32"))
    outputs, grads = [], []
    for layer in (reference, fused):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * tf.range(5, dtype="float32"))
        outputs.append(y.numpy())
        grads.append(tape.gradient(loss, [x, *layer.trainable_weights]))
    np.testing.assert_allclose(outputs[1], outputs[0], atol=1e-4)
    for a, b in zip(grads[0], grads[1], strict=True):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-3)
    np.testing.assert_allclose(fused.moving_mean.numpy(), reference.moving_mean.numpy(), atol=1e-5)
    bessel = 4 * 6 * 7 / (4 * 6 * 7 - 1)
    m = kwargs["momentum"]
    expected_var = reference.moving_variance.numpy() + (1 - m) * (bessel - 1) * (
        (reference.moving_variance.numpy() - m) / (1 - m)
    )
    np.testing.assert_allclose(fused.moving_variance.numpy(), expected_var, rtol=1e-4)
    # inference uses the moving averages: equal up to the variance's n / (n - 1) (168 values here)
    inference = fused(x, training=False).numpy(), reference(x, training=False).numpy()
    np.testing.assert_allclose(*inference, rtol=5e-3, atol=1e-3)


def test_falls_back_to_keras_for_other_shapes_and_mixed_precision_works(keras):
    from course_utils.models.normalization import FusedBatchNormalization

    layer = FusedBatchNormalization()
    out = layer(np.ones((2, 3), "float32"), training=True)  # 2-D: Keras' own path
    assert tuple(out.shape) == (2, 3)
    bf16 = FusedBatchNormalization(dtype="mixed_bfloat16")
    y = bf16(np.random.default_rng(1).random((2, 4, 4, 3)).astype("float32"), training=True)
    assert keras.backend.standardize_dtype(y.dtype) == "bfloat16"


def test_saves_and_loads_inside_a_model(keras, tmp_path):
    from course_utils.models.normalization import FusedBatchNormalization

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, FusedBatchNormalization(momentum=0.9)(inputs))
    model.save(tmp_path / "bn.keras")
    restored = keras.models.load_model(tmp_path / "bn.keras")
    assert type(restored.layers[-1]).__name__ == "FusedBatchNormalization"
    assert restored.layers[-1].momentum == 0.9
