"""The ISBI 2012 Rand error on cell segments: a hand-computed merge, the direction of
precision and recall for merges and splits, agreement with scikit-image, and errors."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import metrics


def _two_cells() -> np.ndarray:
    """Two 10x9 cells (1) split by a vertical membrane (0) one pixel wide, in a membrane frame."""
    mask = np.zeros((12, 21), np.uint8)
    mask[1:11, 1:10] = 1
    mask[1:11, 11:20] = 1
    return mask


def _f_error(scores) -> float:
    p, r = scores.precision, scores.recall
    return 1 - 2 * p * r / (p + r)


def test_identical_masks_score_zero_error():
    truth = _two_cells()
    scores = metrics.rand_error(truth, truth.copy())
    assert scores.error == pytest.approx(0.0, abs=1e-12)
    assert (scores.precision, scores.recall) == (pytest.approx(1.0), pytest.approx(1.0))
    assert (scores.true_cells, scores.pred_cells) == (2, 2)
    assert metrics.rand_error(truth[..., None], truth[..., None]).error == pytest.approx(0.0)


def test_a_merge_by_hand():
    """Truth: two cells of 4 pixels, one membrane pixel between (ignored). Prediction: one
    cell over all nine. Pairs (ordered, distinct pixels): together in both 2 * 4 * 3 = 24,
    in one true cell 24, in one predicted cell (within the truth's cells) 8 * 7 = 56."""
    truth = np.array([[1, 1, 1, 1, 0, 1, 1, 1, 1]])
    scores = metrics.rand_error(truth, np.ones_like(truth))
    assert scores.recall == pytest.approx(1.0)
    assert scores.precision == pytest.approx(24 / 56)
    assert scores.error == pytest.approx(1 - 24 / ((24 + 56) / 2))  # 0.4
    assert (scores.true_cells, scores.pred_cells) == (2, 1)


def test_a_gap_in_a_membrane_merges_two_cells_and_costs_precision():
    truth = _two_cells()
    pred = truth.copy()
    pred[5:7, 10] = 1  # two pixels of the membrane missed: one cell where there are two
    scores = metrics.rand_error(truth, pred)
    assert scores.pred_cells == 1 and scores.true_cells == 2
    assert scores.error > 0.2, "two pixels of pixel error, a third of the pairs wrong"
    assert scores.recall == pytest.approx(1.0)  # every true pair is still together
    assert scores.precision < 0.6  # pairs across the two cells are put together
    assert scores.error == pytest.approx(_f_error(scores))


def test_a_false_membrane_splits_a_cell_and_costs_recall():
    truth = _two_cells()
    pred = truth.copy()
    pred[6, 1:10] = 0  # a membrane through the left cell
    scores = metrics.rand_error(truth, pred)
    assert (scores.true_cells, scores.pred_cells) == (2, 3)
    assert scores.precision == pytest.approx(1.0)  # nothing is put together wrongly
    assert scores.recall < 0.9
    assert scores.error > 0 and scores.error == pytest.approx(_f_error(scores))


def test_the_error_is_scikit_images_adapted_rand_error_on_cell_segments():
    from scipy import ndimage
    from skimage.metrics import adapted_rand_error

    truth = _two_cells()
    pred = truth.copy()
    pred[5:7, 10] = 1  # a merge
    pred[np.random.default_rng(0).random(pred.shape) < 0.1] = 1  # cell pixels on membranes
    # with no predicted membrane inside a true cell, scikit-image's label 0 and the
    # singletons are the same thing, so the two errors must be the same number
    assert not np.any((pred == 0) & (truth == 1))
    reference = adapted_rand_error(ndimage.label(truth)[0], ndimage.label(pred)[0])[0]
    assert metrics.rand_error(truth, pred).error == pytest.approx(reference)


def test_predicted_membrane_inside_a_cell_is_not_one_big_segment():
    """Thick predicted membranes lose pairs (recall) but merge nothing (precision 1)."""
    truth = _two_cells()
    pred = truth.copy()
    pred[1:11, 9] = 0  # the left cell's membrane predicted two pixels thick
    pred[1:11, 11] = 0  # and the right one's
    scores = metrics.rand_error(truth, pred)
    assert scores.precision == pytest.approx(1.0) and scores.recall < 1.0


@pytest.mark.parametrize(
    "truth, pred, message",
    [
        (np.ones((8, 8), int), np.ones((8, 9), int), "same shape"),
        (np.ones((2, 8, 8), int), np.ones((2, 8, 8), int), r"one \(H, W\) or \(H, W, 1\) mask"),
        (np.zeros((8, 8), int), np.ones((8, 8), int), "no pixel of class 1"),
        (np.ones((8, 8), int), np.full((8, 8), 0.9), "take the argmax"),
    ],
)
def test_bad_input_says_what_is_wrong(truth, pred, message):
    with pytest.raises(ValueError, match=message):
        metrics.rand_error(truth, pred)
