"""Notebook 06's building blocks: the plain encoder-decoder, the losses and class weights.
(Its checkers are tested in test_exercises_part2.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.metrics import class_weights


@pytest.mark.parametrize("upsampling", ["transpose", "bilinear"])
def test_encoder_decoder_outputs_logits_at_input_resolution(keras, models, upsampling):
    model = models.encoder_decoder((48, 64, 3), 5, widths=(8, 16, 32), upsampling=upsampling)
    out = model(np.zeros((2, 48, 64, 3), "float32"))
    assert (
        tuple(out.shape) == (2, 48, 64, 5)
        and keras.backend.standardize_dtype(out.dtype) == "float32"
    )
    assert not any("concatenate" in layer.name for layer in model.layers)  # no skips


def test_encoder_decoder_refuses_sizes_it_cannot_take(models):
    with pytest.raises(ValueError, match="multiple of 16; got 100. Resize or crop to 96"):
        models.encoder_decoder((100, 64, 3), 3)
    with pytest.raises(ValueError, match="height, width, channels"):
        models.encoder_decoder((64, 64), 3)
    with pytest.raises(ValueError, match="upsampling"):
        models.encoder_decoder((64, 64, 3), 3, upsampling="nearest")


def _logits_for(labels, num_classes, confident=5.0):
    return np.eye(num_classes, dtype="float32")[labels] * confident


def test_weighted_cross_entropy_matches_keras_when_weights_are_equal(keras, models):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=(2, 6, 6, 1))
    y[0, :2] = 3  # void
    logits = rng.normal(size=(2, 6, 6, 3)).astype("float32")
    ours = float(models.WeightedCrossEntropy([1.0, 1.0, 1.0], ignore_index=3)(y, logits))
    ref = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3)(y, logits)
    assert ours == pytest.approx(float(ref), rel=1e-5)
    heavy = float(models.WeightedCrossEntropy([1.0, 10.0, 1.0], ignore_index=3)(y, logits))
    ce = -np.log(np.exp(logits) / np.exp(logits).sum(-1, keepdims=True))
    lab = y[..., 0]
    valid = lab != 3
    picked = np.take_along_axis(ce, np.where(valid, lab, 0)[..., None], -1)[..., 0][valid]
    w = np.array([1.0, 10.0, 1.0])[lab[valid]]
    assert heavy == pytest.approx((w * picked).sum() / w.sum(), rel=1e-5)


def test_dice_loss_is_low_for_right_and_high_for_wrong_predictions(models):
    y = np.array([[[0, 1], [2, 2]]])[..., None]
    dice = models.DiceLoss(3, ignore_index=None, smooth=1e-6)
    assert float(dice(y, _logits_for(y[..., 0], 3, 30.0))) < 1e-3
    wrong = _logits_for((y[..., 0] + 1) % 3, 3, 30.0)
    assert float(dice(y, wrong)) > 0.99
    # void pixels change nothing, whatever is predicted there
    y_void = np.array([[[0, 1], [2, 9]]])[..., None]
    a = models.DiceLoss(3, ignore_index=9)(y_void, _logits_for(np.array([[[0, 1], [2, 0]]]), 3))
    b = models.DiceLoss(3, ignore_index=9)(y_void, _logits_for(np.array([[[0, 1], [2, 1]]]), 3))
    assert float(a) == pytest.approx(float(b))


def test_losses_refuse_a_wrong_number_of_scores(models):
    with pytest.raises(ValueError, match="one score per class"):
        models.DiceLoss(4)(np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 3), "float32"))
    with pytest.raises(ValueError, match="one score per class"):
        models.WeightedCrossEntropy([1, 1])(np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 3)))


def test_losses_train_and_survive_saving(keras, models, tmp_path):
    rng = np.random.default_rng(1)
    x = rng.random((8, 16, 16, 3)).astype("float32")
    y = (x[..., :1] > 0.5).astype("int32")
    model = models.encoder_decoder((16, 16, 3), 2, widths=(4, 8))
    loss = models.WeightedCrossEntropy([1.0, 2.0], ignore_index=None)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
    first = model.fit(x, y, epochs=1, verbose=0).history["loss"][0]
    last = model.fit(x, y, epochs=15, verbose=0).history["loss"][-1]
    assert last < first
    model.compile(optimizer="adam", loss=models.DiceLoss(2, ignore_index=5))
    model.optimizer.build(model.trainable_variables)  # saved with its slots, as after fit()
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    assert restored.loss.get_config()["ignore_index"] == 5


def test_class_weights_median_frequency_by_hand():
    masks = np.zeros((2, 2, 4), int)
    masks[0] = [[0, 0, 0, 1], [0, 0, 0, 1]]  # class 1: 2 of 8 pixels, only in image 0
    masks[1] = [[0, 0, 2, 2], [0, 0, 2, 9]]  # class 2: 3 of 7 labelled pixels; 9 is void
    w = class_weights(masks, 3, ignore_index=9)
    freq = np.array([10 / 15, 2 / 8, 3 / 7])
    np.testing.assert_allclose(w, np.median(freq) / freq, rtol=1e-6)
    gentle = class_weights(masks, 4, method="inverse_sqrt")
    assert gentle[3] == 0 and gentle[:3].mean() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="method"):
        class_weights(masks, 3, method="log")


def test_every_model_export_is_a_builder_not_a_module(models):
    import types

    for name in models.__all__:
        assert not isinstance(getattr(models, name), types.ModuleType), name
