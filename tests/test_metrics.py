from __future__ import annotations

import numpy as np
import pytest

from course_utils.metrics import confusion_matrix, segmentation_report


def test_confusion_matrix_by_hand():
    y_true = np.array([[0, 0, 1], [1, 2, 9]])
    y_pred = np.array([[0, 1, 1], [1, 2, 0]])
    cm = confusion_matrix(y_true, y_pred, num_classes=3, ignore_index=9)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 0], [0, 0, 1]])


def test_report_by_hand():
    cm = np.array([[1, 1, 0], [0, 2, 0], [0, 0, 1]])
    r = segmentation_report(cm, ["a", "b", "c"])
    assert r.pixel_accuracy == pytest.approx(4 / 5)
    np.testing.assert_allclose(r.iou, [1 / 2, 2 / 3, 1.0])
    assert r.miou == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    np.testing.assert_allclose(r.dice, [2 / 3, 4 / 5, 1.0])
    np.testing.assert_allclose(r.class_accuracy, [1 / 2, 1.0, 1.0])
    assert r.mean_class_accuracy == pytest.approx(5 / 6)
    assert r.fwiou == pytest.approx(2 / 5 * 1 / 2 + 2 / 5 * 2 / 3 + 1 / 5 * 1)
    assert "mIoU 0.722" in str(r)


def test_absent_class_is_skipped_not_zero():
    cm = np.array([[3, 0, 0], [0, 1, 0], [0, 0, 0]])
    r = segmentation_report(cm, ["a", "b", "absent"])
    assert np.isnan(r.iou[2]) and r.miou == pytest.approx(1.0)
    assert r.as_dict()["per_class"]["absent"]["iou"] is None


def test_scores_are_argmaxed_and_errors_are_clear():
    y_true = np.array([[[0], [1]]])
    scores = np.array([[[2.0, -1.0], [0.0, 3.0]]])
    np.testing.assert_array_equal(confusion_matrix(y_true, scores, 2), [[1, 0], [0, 1]])
    with pytest.raises(ValueError, match=r"labels \[255\].*pass ignore_index"):
        confusion_matrix(np.array([0, 255]), np.array([0, 1]), 2)
    with pytest.raises(ValueError, match="same pixels"):
        confusion_matrix(np.zeros(3), np.zeros(4), 2)
    with pytest.raises(ValueError, match="empty"):
        segmentation_report(np.zeros((2, 2)), ["a", "b"])


def test_keras_metric_matches_numpy_and_keras_meaniou():
    import keras

    from course_utils.metrics import MeanIoU

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 5, (4, 16, 16, 1))  # 4 = void
    logits = rng.normal(size=(4, 16, 16, 4)).astype("float32")
    logits[..., 0] += 1.0
    ours = MeanIoU(num_classes=4, ignore_index=4)
    for i in range(4):  # accumulate over batches, like an epoch
        ours.update_state(y_true[i : i + 1], logits[i : i + 1])
    cm = confusion_matrix(y_true, logits.argmax(-1), 4, ignore_index=4)
    expected = segmentation_report(cm, list("abcd")).miou
    assert float(ours.result()) == pytest.approx(expected, rel=1e-6)

    reference = keras.metrics.MeanIoU(num_classes=5, ignore_class=4, sparse_y_pred=False)
    reference.update_state(
        y_true, np.concatenate([logits, np.full_like(logits[..., :1], -1e9)], -1)
    )
    # keras averages over ids with a non-empty union, so the empty void id does not count.
    assert float(reference.result()) == pytest.approx(expected, rel=1e-5)
    ours.reset_state()
    assert float(ours.result()) == 0.0


def test_keras_metric_in_compile_and_fit():
    import keras

    from course_utils.metrics import MeanIoU

    x = np.random.default_rng(1).random((8, 8, 8, 3)).astype("float32")
    y = (x[..., :1] > 0.5).astype("int32")
    y[:, 0, 0, 0] = 2  # a void pixel per image
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 1)])
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2),
        metrics=[MeanIoU(num_classes=2, ignore_index=2)],
    )
    history = model.fit(x, y, batch_size=2, epochs=20, verbose=0)
    assert history.history["miou"][-1] > 0.8
    config = MeanIoU(num_classes=2, ignore_index=2).get_config()
    assert config["ignore_index"] == 2 and MeanIoU.from_config(config).num_classes == 2


def test_keras_metric_ignores_a_void_id_inside_the_class_range():
    from course_utils.metrics import MeanIoU

    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 3, (2, 8, 8, 1))
    logits = rng.normal(size=(2, 8, 8, 3)).astype("float32")
    metric = MeanIoU(num_classes=3, ignore_index=0)
    metric.update_state(y_true, logits)
    cm = confusion_matrix(y_true, logits, 3, ignore_index=0)
    assert cm[0].sum() == 0
    assert float(metric.result()) == pytest.approx(
        segmentation_report(cm, list("abc")).miou, rel=1e-6
    )


def test_keras_metric_refuses_the_wrong_number_of_channels():
    from course_utils.metrics import MeanIoU

    with pytest.raises(ValueError, match="12 channels.*one output per class"):
        MeanIoU(num_classes=11, ignore_index=11).update_state(
            np.zeros((1, 4, 4, 1)), np.zeros((1, 4, 4, 12), "float32")
        )


def test_confusion_matrix_refuses_ambiguous_predictions():
    y_true = np.array([[[0], [1]], [[1], [1]]])
    with pytest.raises(ValueError, match="fractional"):
        confusion_matrix(y_true, np.array([[[0.2], [0.9]], [[0.7], [0.6]]]), 2)
    with pytest.raises(ValueError, match="3 channels, but num_classes is 2"):
        confusion_matrix(y_true, np.zeros((2, 2, 3)), 2)
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(np.array([0, 1]), np.array([0, 5]), 2)
    # Whole-number floats are ids, and a normalised matrix gives the same scores.
    np.testing.assert_array_equal(
        confusion_matrix(np.array([0, 1]), np.array([0.0, 1.0]), 2), np.eye(2)
    )
    normalised = segmentation_report(np.eye(2) / 2, ["a", "b"])
    np.testing.assert_allclose(normalised.iou, [1.0, 1.0])


def test_boundary_band_by_hand_and_against_scipy():
    from scipy import ndimage

    from course_utils.metrics import boundary_band

    mask = np.zeros((6, 7), np.int64)
    mask[:, 4:] = 2  # one vertical edge between columns 3 and 4
    band0 = boundary_band(mask, width=0)
    assert band0[:, 3:5].all() and band0.sum() == 12, "both sides of the edge, nothing else"
    band1 = boundary_band(mask[None, ..., None], width=1)
    assert band1.shape == (1, 6, 7) and band1[0, :, 2:6].all() and band1.sum() == 24
    assert not boundary_band(np.full((5, 5), 3), width=2).any(), "one label: no boundary"

    rng = np.random.default_rng(0)
    masks = rng.integers(0, 3, (2, 20, 30)) * (rng.random((2, 20, 30)) < 0.05)
    for width in (0, 1, 3):
        ours = boundary_band(masks, width)
        square = np.ones((1, 2 * width + 1, 2 * width + 1), bool)
        expected = ndimage.binary_dilation(boundary_band(masks, 0), structure=square)
        np.testing.assert_array_equal(ours, expected)
    with pytest.raises(ValueError, match="width must be"):
        boundary_band(mask, -1)
    with pytest.raises(ValueError, match=r"\(H, W\) or \(B, H, W\)"):
        boundary_band(np.zeros(5), 1)


def test_evaluate_near_boundaries_scores_only_the_band():
    from course_utils.metrics import evaluate

    masks = np.zeros((1, 8, 8), np.int64)
    masks[0, :, 4:] = 1
    masks[0, 0, 0] = 9  # void next to class 0: a boundary too, but never scored
    wrong_inside = np.eye(2)[masks.clip(0, 1)].astype("float32")
    wrong_inside[0, :, 0] = [0, 1]  # column 0 (far from the edge but for the void) wrong

    class Model:
        def predict_on_batch(self, images):
            return wrong_inside

    dataset = [(np.zeros((1, 8, 8, 3)), masks[..., None])]
    everywhere = evaluate(Model(), dataset, 2, ignore_index=9)
    near = evaluate(Model(), dataset, 2, ignore_index=9, boundary_width=1)
    assert everywhere.pixel_accuracy == pytest.approx(56 / 63), "7 of 63 labelled pixels wrong"
    # the band: columns 2-5 (32 pixels) and 5 labelled pixels around the void; 2 are wrong
    assert near.pixel_accuracy == pytest.approx(35 / 37)
