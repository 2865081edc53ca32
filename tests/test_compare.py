from __future__ import annotations

import numpy as np
import pytest

from course_utils.metrics import (
    SEED_NOISE_MULTIPLE,
    class_subset_iou,
    confusion_matrix,
    mean_class_accuracy,
    miou,
    miou_from_confusion,
    paired_bootstrap,
    per_image_confusions,
    pixel_accuracy,
    seed_spread,
    segmentation_report,
    verdict,
)


def _masks(n_images: int, accuracy_a: float, accuracy_b: float, seed: int = 0, c: int = 4):
    """Truth with a void label ``c`` and two predictions right on about ``accuracy`` of pixels.

    The models err on independent pixels, but per image their accuracy moves together (some
    images are hard for both), which is what a paired bootstrap cancels out.
    """
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, c + 1, size=(n_images, 12, 16))  # c is void
    difficulty = rng.uniform(-0.2, 0.2, size=(n_images, 1, 1))
    wrong = (truth + rng.integers(1, c, size=truth.shape)) % c
    label = np.where(truth == c, 0, truth)
    pred_a = np.where(rng.uniform(size=truth.shape) < accuracy_a + difficulty, label, wrong)
    pred_b = np.where(rng.uniform(size=truth.shape) < accuracy_b + difficulty, label, wrong)
    return truth, pred_a, pred_b


def _confusions(n_images: int, accuracy_a: float, accuracy_b: float, seed: int = 0):
    truth, pred_a, pred_b = _masks(n_images, accuracy_a, accuracy_b, seed)
    return (
        per_image_confusions(truth, pred_a, 4, ignore_index=4),
        per_image_confusions(truth, pred_b, 4, ignore_index=4),
    )


def test_per_image_confusions_by_hand_and_sum_to_whole_set():
    y_true = np.array([[[0, 1], [9, 1]], [[2, 2], [0, 9]]])
    y_pred = np.array([[[0, 0], [2, 1]], [[2, 1], [0, 0]]])
    per = per_image_confusions(y_true, y_pred, 3, ignore_index=9)
    assert per.shape == (2, 3, 3) and per.dtype == np.int64
    np.testing.assert_array_equal(per[0], [[1, 0, 0], [1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(per[1], [[1, 0, 0], [0, 0, 0], [0, 1, 1]])

    np.testing.assert_array_equal(per_image_confusions(y_true[..., None], y_pred, 3, 9), per)
    np.testing.assert_array_equal(
        per_image_confusions(y_true[..., None], y_pred[..., None], 3, 9), per
    )

    truth, pred_a, _ = _masks(30, 0.7, 0.6)
    per = per_image_confusions(truth, pred_a, 4, ignore_index=4)
    whole = confusion_matrix(truth, pred_a, 4, ignore_index=4)
    assert whole.sum() < truth.size  # void pixels really were left out
    np.testing.assert_array_equal(per.sum(0), whole)


def test_per_image_confusions_accept_scores():
    truth, pred_a, _ = _masks(3, 0.7, 0.6)
    scores = np.eye(4)[pred_a] * 5.0  # one-hot scores whose argmax is pred_a
    np.testing.assert_array_equal(
        per_image_confusions(truth, scores, 4, ignore_index=4),
        per_image_confusions(truth, pred_a, 4, ignore_index=4),
    )


def test_per_image_confusions_errors_say_what_and_which_image():
    truth = np.zeros((3, 4, 4), int)
    with pytest.raises(ValueError, match=r"shape \(3, 4, 4\) but y_pred has shape \(3, 4, 5\)"):
        per_image_confusions(truth, np.zeros((3, 4, 5), int), 2)
    bad = truth.copy()
    bad[2, 0, 0] = 255
    with pytest.raises(ValueError, match=r"image 2: .*labels \[255\].*pass ignore_index"):
        per_image_confusions(bad, truth, 2)
    assert per_image_confusions(bad, truth, 2, ignore_index=255)[2].sum() == 15
    wild = truth.copy()
    wild[1, 3, 3] = 7
    with pytest.raises(ValueError, match=r"image 1: y_pred holds class ids outside \[0, 2\)"):
        per_image_confusions(truth, wild, 2)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        per_image_confusions(np.zeros(4, int), np.zeros(4, int), 2)


def test_miou_matches_segmentation_report_and_skips_absent_classes():
    cm = np.array([[3, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]])
    expected = segmentation_report(cm, list("abcd")).miou  # class 3 absent, class 2 IoU 0
    assert miou_from_confusion(cm) == pytest.approx(expected)
    assert miou_from_confusion(cm) == pytest.approx((3 / 5 + 2 / 3 + 0) / 3)
    stack = np.stack([cm, np.diag([1, 1, 1, 1])])
    np.testing.assert_allclose(miou(stack), [expected, 1.0])
    with pytest.raises(ValueError, match="empty"):
        miou_from_confusion(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        miou_from_confusion(np.zeros((2, 3)))


def test_class_subset_iou():
    cm = np.array([[3, 1, 0], [0, 2, 0], [1, 0, 1]])
    thin = class_subset_iou([1, 2], name="thin IoU")
    assert float(thin(cm)) == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert thin.__name__ == "thin IoU"
    assert np.isnan(class_subset_iou([2])(np.diag([1, 1, 0])))
    with pytest.raises(ValueError, match="only 3 classes"):
        class_subset_iou([5])(cm)
    with pytest.raises(ValueError, match="distinct"):
        class_subset_iou([1, 1])


def test_accuracy_scores_agree_with_segmentation_report():
    truth, pred_a, _ = _masks(10, 0.7, 0.6)
    stack = per_image_confusions(truth, pred_a, 4, ignore_index=4)
    whole = segmentation_report(stack.sum(0), list("abcd"))
    assert float(pixel_accuracy(stack.sum(0))) == pytest.approx(whole.pixel_accuracy)
    assert float(mean_class_accuracy(stack.sum(0))) == pytest.approx(whole.mean_class_accuracy)
    # vectorised over images, and by hand on a matrix whose class 2 never occurs in the truth
    assert pixel_accuracy(stack).shape == (10,)
    cm = np.array([[3, 1, 0], [1, 1, 0], [0, 0, 0]])
    assert float(pixel_accuracy(cm)) == pytest.approx(4 / 6)
    assert float(mean_class_accuracy(cm)) == pytest.approx((3 / 4 + 1 / 2) / 2)
    assert np.isnan(pixel_accuracy(np.zeros((3, 3)))) and np.isnan(
        mean_class_accuracy(np.zeros((3, 3)))
    )
    assert pixel_accuracy.__name__ == "pixel accuracy"
    # as a bootstrap score, for classification: each image is one "pixel"
    labels = np.array([0, 1, 2, 1, 0, 2, 1, 1])
    conf = per_image_confusions(labels[:, None], labels[:, None], 3)
    wrong = per_image_confusions(labels[:, None], (labels[:, None] + 1) % 3, 3)
    result = paired_bootstrap(conf, wrong, n_boot=50, score=pixel_accuracy)
    assert result.observed_gap == pytest.approx(1.0) and result.score_name == "pixel accuracy"


def test_observed_gap_is_miou_of_whole_set_computed_independently():
    truth, pred_a, pred_b = _masks(40, 0.7, 0.6)
    conf_a = per_image_confusions(truth, pred_a, 4, ignore_index=4)
    conf_b = per_image_confusions(truth, pred_b, 4, ignore_index=4)
    result = paired_bootstrap(conf_a, conf_b, n_boot=200)
    names = list("abcd")
    whole_a = segmentation_report(confusion_matrix(truth, pred_a, 4, ignore_index=4), names)
    whole_b = segmentation_report(confusion_matrix(truth, pred_b, 4, ignore_index=4), names)
    assert result.observed_gap == pytest.approx(whole_a.miou - whole_b.miou)
    assert result.observed_gap > 0.05
    assert result.ci_low < result.observed_gap < result.ci_high
    assert result.n_boot == 200 and result.n_images == 40 and result.gaps.shape == (200,)


def test_model_against_itself_gives_zero_gap_and_zero_interval():
    conf_a, _ = _confusions(25, 0.7, 0.6)
    result = paired_bootstrap(conf_a, conf_a.copy(), n_boot=300)
    assert result.observed_gap == 0.0
    assert (result.ci_low, result.ci_high) == (0.0, 0.0)


def test_pairing_cancels_image_difficulty():
    """Unpaired resampling would see each image's difficulty as noise; paired does not."""
    conf_a, conf_b = _confusions(60, 0.7, 0.66)
    paired = paired_bootstrap(conf_a, conf_b, n_boot=500)
    rng = np.random.default_rng(1)
    unpaired_gaps = []
    for _ in range(500):
        ia, ib = rng.integers(0, 60, 60), rng.integers(0, 60, 60)
        unpaired_gaps.append(
            miou_from_confusion(conf_a[ia].sum(0)) - miou_from_confusion(conf_b[ib].sum(0))
        )
    unpaired_width = np.subtract(*np.percentile(unpaired_gaps, [97.5, 2.5]))
    assert paired.ci_high - paired.ci_low < 0.6 * unpaired_width


def test_interval_shrinks_with_more_images():
    small = paired_bootstrap(*_confusions(20, 0.7, 0.65), n_boot=1000)
    large = paired_bootstrap(*_confusions(320, 0.7, 0.65), n_boot=1000)
    width_small = small.ci_high - small.ci_low
    width_large = large.ci_high - large.ci_low
    assert width_large < 0.5 * width_small  # about 1/sqrt(16) = 1/4 in theory


def test_bootstrap_is_seeded_and_takes_other_scores():
    conf_a, conf_b = _confusions(30, 0.7, 0.6)
    first = paired_bootstrap(conf_a, conf_b, n_boot=100, seed=3)
    again = paired_bootstrap(conf_a, conf_b, n_boot=100, seed=3)
    other = paired_bootstrap(conf_a, conf_b, n_boot=100, seed=4)
    np.testing.assert_array_equal(first.gaps, again.gaps)
    assert not np.array_equal(first.gaps, other.gaps)
    subset = paired_bootstrap(conf_a, conf_b, n_boot=100, score=class_subset_iou([0]))
    expected = float(class_subset_iou([0])(conf_a.sum(0)) - class_subset_iou([0])(conf_b.sum(0)))
    assert subset.observed_gap == pytest.approx(expected)
    assert subset.observed_gap != pytest.approx(first.observed_gap)
    assert subset.score_name == "IoU of classes [0]" and "IoU of classes [0]" in str(subset)


def test_bootstrap_errors():
    conf_a, conf_b = _confusions(10, 0.7, 0.6)
    with pytest.raises(ValueError, match="same images in the same order"):
        paired_bootstrap(conf_a, conf_b[::-1])
    with pytest.raises(ValueError, match=r"shape \(10, 4, 4\) but conf_b has shape \(9, 4, 4\)"):
        paired_bootstrap(conf_a, conf_b[:9])
    with pytest.raises(ValueError, match="at least two"):
        paired_bootstrap(conf_a[:1], conf_b[:1])
    with pytest.raises(ValueError, match="per_image_confusions"):
        paired_bootstrap(conf_a.sum(0), conf_b.sum(0))
    with pytest.raises(ValueError, match="non-negative"):
        paired_bootstrap(-conf_a, -conf_a)
    with pytest.raises(ValueError, match="between 0 and 1"):
        paired_bootstrap(conf_a, conf_b, ci=95)
    with pytest.raises(ValueError, match="map"):
        paired_bootstrap(conf_a, conf_b, score=lambda c: np.float64(0.5))


def test_seed_spread_numbers_and_unknown_with_one_seed():
    spread = seed_spread([0.50, 0.52, 0.54], [0.40, 0.44])
    assert spread.mean_gap == pytest.approx(0.52 - 0.42)
    assert spread.noise == pytest.approx(
        np.sqrt(0.02**2 / 3 + np.std([0.4, 0.44], ddof=1) ** 2 / 2)
    )
    assert spread.range_a == (0.50, 0.54) and spread.range_b == (0.40, 0.44)
    assert spread.known and "±" in str(spread)
    one = seed_spread([0.5], [0.4, 0.41])
    assert one.noise is None and not one.known and one.sd_a is None
    assert "seed spread unknown" in str(one)
    with pytest.raises(ValueError, match="scores_b is empty"):
        seed_spread([0.5, 0.6], [])
    with pytest.raises(ValueError, match="finite"):
        seed_spread([0.5, float("nan")], [0.4, 0.5])


def _numbers_are_printed(v, spread_text: str) -> None:
    b = v.bootstrap
    assert f"{b.observed_gap:+.4f}" in v.text
    assert f"[{b.ci_low:+.4f}, {b.ci_high:+.4f}]" in v.text
    assert spread_text in v.text


def test_verdict_supported():
    boot = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500)
    spread = seed_spread([0.60, 0.62, 0.61], [0.50, 0.52, 0.51])
    v = verdict("A beats B", boot, spread)
    assert boot.ci_low > 0 and v.word == "supported"
    assert v.text.startswith("A beats B: supported")
    _numbers_are_printed(v, f"{spread.mean_gap:+.4f} ± {spread.noise:.4f}")


def test_verdict_contradicted():
    boot = paired_bootstrap(*_confusions(80, 0.6, 0.75), n_boot=500)
    spread = seed_spread([0.50, 0.52, 0.51], [0.60, 0.62, 0.61])
    v = verdict("A beats B", boot, spread)
    assert boot.ci_high < 0 and v.word == "contradicted"
    _numbers_are_printed(v, f"{spread.mean_gap:+.4f} ± {spread.noise:.4f}")


def test_verdict_undecided_when_bootstrap_straddles_zero():
    boot = paired_bootstrap(*_confusions(15, 0.7, 0.695), n_boot=500)
    assert boot.ci_low < 0 < boot.ci_high
    clear_seeds = seed_spread([0.60, 0.62, 0.61], [0.50, 0.52, 0.51])
    v = verdict("A beats B", boot, clear_seeds)
    assert v.word == "undecided" and "includes 0" in v.text
    _numbers_are_printed(v, f"{clear_seeds.mean_gap:+.4f} ± {clear_seeds.noise:.4f}")


def test_verdict_undecided_when_seeds_disagree_although_bootstrap_is_clear():
    boot = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500)
    assert boot.ci_low > 0
    noisy = seed_spread([0.60, 0.45, 0.58], [0.50, 0.57, 0.47])  # gap 0.03, noise ~0.05
    assert 0 < noisy.mean_gap < SEED_NOISE_MULTIPLE * noisy.noise
    v = verdict("A beats B", boot, noisy)
    assert v.word == "undecided" and "seed" in v.reason
    _numbers_are_printed(v, f"{noisy.mean_gap:+.4f} ± {noisy.noise:.4f}")
    reversed_seeds = seed_spread([0.50, 0.51], [0.60, 0.61])
    assert verdict("A beats B", boot, reversed_seeds).word == "undecided"


def test_verdict_undecided_with_one_seed_or_no_spread():
    boot = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500)
    assert boot.ci_low > 0
    one_seed = seed_spread([0.70], [0.50, 0.51])  # a huge gap, but one run of A
    v = verdict("A beats B", boot, one_seed)
    assert v.word == "undecided"
    assert "undecided: needs ≥2 seeds per model" in v.text
    _numbers_are_printed(v, "seed spread unknown")
    bare = verdict("A beats B", boot)
    assert bare.word == "undecided" and "seed spread unknown" in bare.text
    _numbers_are_printed(bare, "seed spread unknown")


def test_verdict_undecided_on_a_gap_too_small_to_matter():
    """0.004 against 0.000 with no seed noise at all (every seed scores the same) is no win."""
    from course_utils.metrics.compare import MIN_GAP

    boot = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500)
    zero_noise = seed_spread([0.004, 0.004, 0.004], [0.0, 0.0, 0.0])
    assert zero_noise.noise == 0 and 0 < zero_noise.mean_gap < MIN_GAP
    v = verdict("A beats B", boot, zero_noise)
    assert v.word == "undecided" and "too small" in v.reason
    _numbers_are_printed(v, f"{zero_noise.mean_gap:+.4f} ± {zero_noise.noise:.4f}")
