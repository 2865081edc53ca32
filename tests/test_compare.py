from __future__ import annotations

import dataclasses
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from course_utils.metrics import (
    MIN_SEEDS,
    NOT_LEARNED_FLOOR,
    SEED_NOISE_MULTIPLE,
    SEED_SD_FLOOR,
    BootstrapResult,
    class_subset_iou,
    confusion_matrix,
    holm,
    holm_adjusted,
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
    assert "undecided: needs ≥3 seeds per model" in v.text  # was ≥2 before the Welch rule
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


# --- Welch's t test on the seeds ---------------------------------------------------------


def test_seed_spread_welch_df_p_and_threshold_agree_with_scipy():
    from scipy import stats

    a, b = [0.61, 0.58, 0.66, 0.60], [0.55, 0.57, 0.49]
    spread = seed_spread(a, b)
    reference = stats.ttest_ind(a, b, equal_var=False)
    assert spread.p_value == pytest.approx(reference.pvalue, rel=1e-10)
    var_a, var_b = np.var(a, ddof=1) / 4, np.var(b, ddof=1) / 3
    df = (var_a + var_b) ** 2 / (var_a**2 / 3 + var_b**2 / 2)  # Welch-Satterthwaite by hand
    assert spread.df == pytest.approx(df, rel=1e-12)
    assert spread.test_noise == pytest.approx(spread.noise)  # both sds above the floor
    for alpha in (0.05, 0.01, 0.2):
        need = spread.threshold(alpha)
        assert need == pytest.approx(stats.t.ppf(1 - alpha / 2, df) * spread.noise, rel=1e-10)
        assert (spread.mean_gap > need) == (spread.p_value < alpha)
    assert "Welch p" in str(spread) and f"df {df:.1f}" in str(spread)
    with pytest.raises(ValueError, match="between 0 and 1"):
        spread.threshold(5)
    one = seed_spread([0.5], [0.4, 0.41])
    assert one.df is None and one.p_value is None and one.threshold() is None


def test_old_two_se_rule_cases_are_undecided_now():
    """The old rule (gap > 2 SE, from 2 seeds) called both of these supported."""
    boot = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500)
    assert boot.ci_low > 0
    # notebook 08's "(ii) the box start helps" run: +0.0444 ± 0.0197 with 2 seeds a side
    two = seed_spread([0.1198, 0.1581], [0.0900, 0.0990])
    assert two.mean_gap > SEED_NOISE_MULTIPLE * two.noise
    v = verdict("A beats B", boot, two)
    assert v.word == "undecided" and v.reason == f"needs ≥{MIN_SEEDS} seeds per model"
    # 3 seeds a side, gap 2.04 SE: beyond 2 SE, not beyond t(0.975, df 4) = 2.78 SE
    three = seed_spread([0.60, 0.63, 0.57], [0.55, 0.58, 0.52])
    assert 2 < three.mean_gap / three.noise < 2.776 and three.df == pytest.approx(4)
    v = verdict("A beats B", boot, three)
    assert v.word == "undecided" and "Welch t test" in v.reason and "seed" in v.reason
    assert verdict("A beats B", boot, three, alpha=0.2).word == "supported"  # t(0.9, 4) = 1.53
    with pytest.raises(ValueError, match="significance level"):
        verdict("A beats B", boot, three, alpha=0)


def test_verdict_clear_three_seed_case_and_its_p_value():
    boot = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500)
    spread = seed_spread([0.60, 0.62, 0.61], [0.50, 0.52, 0.51])
    v = verdict("A beats B", boot, spread)
    assert v.word == "supported" and "Welch t test on the seeds, p" in v.reason
    assert spread.p_value < 0.001 and v.p_value == max(spread.p_value, boot.p_value)
    assert f"Welch p {spread.p_value:.1e}" in v.text


def test_verdict_needs_three_seeds_per_model():
    boot = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500)
    assert MIN_SEEDS == 3
    for a, b in [([0.60, 0.61], [0.50, 0.51]), ([0.60, 0.61, 0.62], [0.50, 0.51])]:
        v = verdict("A beats B", boot, seed_spread(a, b))
        assert v.word == "undecided" and "needs ≥3 seeds per model" in v.text
        assert v.p_value is not None  # the p-value is known; only the word waits
    reversed_boot = paired_bootstrap(*_confusions(80, 0.6, 0.75), n_boot=500)
    two_reversed = seed_spread([0.50, 0.51], [0.60, 0.61])
    assert verdict("A beats B", reversed_boot, two_reversed).word == "undecided"
    three_reversed = seed_spread([0.50, 0.51, 0.52], [0.60, 0.61, 0.62])
    assert verdict("A beats B", reversed_boot, three_reversed).word == "contradicted"


def test_zero_seed_noise_does_not_make_a_gap_significant():
    """Runs that all score alike have a measured SE of 0: the test takes each sd as at least
    SEED_SD_FLOOR, so a gap of 0.011 is 2.7 floored SEs (df 4), not infinitely many."""
    boot = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500)
    same = seed_spread([0.511] * 3, [0.5] * 3)
    assert same.noise == 0 and same.sd_a == 0  # the measured values are kept
    assert same.test_noise == pytest.approx(SEED_SD_FLOOR * math.sqrt(2 / 3))
    assert same.df == pytest.approx(4) and 0.05 < same.p_value < 0.06
    assert "each sd taken as ≥0.005" in str(same)
    v = verdict("A beats B", boot, same)
    assert v.word == "undecided" and "seed" in v.reason
    assert same.mean_gap > SEED_NOISE_MULTIPLE * same.noise  # the old rule said supported
    # a gap of 0.02 (4.9 floored SEs) is supported on its merits
    assert verdict("A beats B", boot, seed_spread([0.52] * 3, [0.5] * 3)).word == "supported"
    assert seed_spread([0.52] * 3, [0.5] * 3, sd_floor=0.02).p_value > 0.05  # a larger floor
    with pytest.raises(ValueError, match="positive standard deviation"):
        seed_spread([0.5] * 3, [0.4] * 3, sd_floor=0)


# --- "not learned" -----------------------------------------------------------------------


def _shrunk(factor: float, name: str = "shrunk mIoU"):
    def score(conf):
        return factor * miou(conf)

    score.__name__ = name
    return score


def test_bootstrap_records_both_whole_set_scores():
    conf_a, conf_b = _confusions(40, 0.7, 0.6)
    boot = paired_bootstrap(conf_a, conf_b, n_boot=50)
    assert boot.score_a == pytest.approx(float(miou(conf_a.sum(0))))
    assert boot.score_b == pytest.approx(float(miou(conf_b.sum(0))))
    assert boot.observed_gap == pytest.approx(boot.score_a - boot.score_b)


def test_verdict_not_learned_when_every_score_is_under_the_floor():
    """0.030 against 0.017, clear of both noises, is two models that learned nothing."""
    assert NOT_LEARNED_FLOOR == 0.05
    boot = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500, score=_shrunk(0.05))
    assert boot.score_a < 0.05 and boot.score_b < 0.05 and boot.ci_low > 0
    spread = seed_spread([0.030, 0.031, 0.029], [0.017, 0.018, 0.016])
    v = verdict("A beats B", boot, spread)
    assert v.word == "not learned" and "under 0.05" in v.reason and "0.0300" in v.reason
    assert v.text.startswith("A beats B: not learned")
    assert verdict("A beats B", boot).word == "not learned"  # the bootstrap's scores suffice
    unfloored = verdict("A beats B", boot, spread, not_learned_floor=0)  # the check off:
    assert unfloored.word == "undecided" and "too small" in unfloored.reason  # MIN_GAP still
    # one model above the floor: an ordinary verdict
    assert verdict("A beats B", boot, seed_spread([0.07, 0.071, 0.069], [0.017] * 3)).word == (
        "undecided"  # the bootstrap's scores are both low, but A's seed mean is not
    )
    high = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500)
    assert verdict("A beats B", high, spread).word != "not learned"  # whole-set scores high
    # a BootstrapResult without the two scores (made by hand): the seed means decide
    bare = dataclasses.replace(boot, score_a=math.nan, score_b=math.nan)
    assert verdict("A beats B", bare, spread).word == "not learned"
    assert verdict("A beats B", bare).word == "undecided"


# --- block bootstrap ---------------------------------------------------------------------


def test_block_length_one_is_the_image_by_image_bootstrap_of_before():
    conf_a, conf_b = _confusions(30, 0.7, 0.6)
    result = paired_bootstrap(conf_a, conf_b, n_boot=200, seed=7)
    assert result.block_length == 1 and "blocks" not in str(result)
    # the code of paired_bootstrap before block_length existed
    rng = np.random.default_rng(7)
    counts = rng.multinomial(30, np.full(30, 1 / 30), size=200).astype(np.float64)
    a, b = conf_a.astype(np.float64).reshape(30, 16), conf_b.astype(np.float64).reshape(30, 16)
    gaps = miou((counts @ a).reshape(200, 4, 4)) - miou((counts @ b).reshape(200, 4, 4))
    np.testing.assert_array_equal(result.gaps, gaps)
    low, high = np.percentile(gaps, [2.5, 97.5])
    assert (result.ci_low, result.ci_high) == (low, high)


def _circular_runs(drawn: np.ndarray) -> list[int]:
    """Lengths of the maximal circular runs of consecutive drawn images."""
    if drawn.all():
        return [drawn.size]
    start = int(np.argmin(drawn))  # begin at an image not drawn, so no run wraps
    lengths, run = [], 0
    for hit in np.roll(drawn, -start):
        if hit:
            run += 1
        elif run:
            lengths.append(run)
            run = 0
    return lengths + ([run] if run else [])


def test_block_resampling_keeps_blocks_of_consecutive_images_together():
    from course_utils.metrics.compare import _resample_counts

    rng = np.random.default_rng(0)
    blocks = _resample_counts(rng, 23, 300, 4)
    assert blocks.shape == (300, 23) and (blocks.sum(1) == 23).all()
    # each block covers 4 consecutive images (wrapping from the last to the first); only the
    # last of the 6 blocks is cut (to 3 images), so every run of drawn images is ≥ 3 long
    assert min(min(_circular_runs(row > 0)) for row in blocks) >= 3
    assert np.bincount([min(_circular_runs(row > 0)) for row in blocks]).argmax() >= 4
    singles = _resample_counts(np.random.default_rng(0), 23, 300, 1)
    assert min(min(_circular_runs(row > 0)) for row in singles) == 1  # i.i.d. draws do not
    # every image is as likely to be drawn: about one draw each on average
    assert np.allclose(_resample_counts(rng, 23, 20000, 4).mean(0), 1, atol=0.05)


def test_block_bootstrap_widens_the_interval_for_serially_alike_images():
    """Consecutive frames alike: in stretches of 20 images A is ahead, then behind."""
    pairs = [
        _masks(1, 0.7 + (0.12 if (i // 20) % 2 else -0.08), 0.7, seed=i, c=4) for i in range(120)
    ]
    conf_a = np.concatenate([per_image_confusions(t, pa, 4, 4) for t, pa, _ in pairs])
    conf_b = np.concatenate([per_image_confusions(t, pb, 4, 4) for t, _, pb in pairs])
    single = paired_bootstrap(conf_a, conf_b, n_boot=1000)
    blocked = paired_bootstrap(conf_a, conf_b, n_boot=1000, block_length=20)
    assert blocked.observed_gap == single.observed_gap
    assert blocked.ci_high - blocked.ci_low > 1.5 * (single.ci_high - single.ci_low)
    assert blocked.block_length == 20 and "in blocks of 20" in str(blocked)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "5", 16])
def test_block_length_errors(bad):
    conf_a, conf_b = _confusions(30, 0.7, 0.6)
    with pytest.raises(ValueError, match="block_length is"):
        paired_bootstrap(conf_a, conf_b, n_boot=10, block_length=bad)
    assert paired_bootstrap(conf_a, conf_b, n_boot=10, block_length=15).block_length == 15


# --- p-values and Holm -------------------------------------------------------------------


def test_bootstrap_p_value_by_hand():
    def result(observed: float, gaps: list[float]) -> BootstrapResult:
        return BootstrapResult(observed, 0.0, 0.0, 0.95, len(gaps), 10, "mIoU", np.array(gaps))

    assert result(0.2, [-0.1, 0.1, 0.2, 0.3]).p_value == pytest.approx(0.5)  # 1 of 4 below
    assert result(0.2, [0.0, 0.1, 0.2, 0.3]).p_value == pytest.approx(0.5)  # 0 counts
    assert result(-0.2, [-0.1, 0.1, -0.2, -0.3, np.nan]).p_value == pytest.approx(0.5)
    assert result(0.2, [-0.1, -0.2, 0.1]).p_value == 1.0  # capped
    assert result(0.0, [0.1, 0.2]).p_value == 1.0
    conf_a, _ = _confusions(25, 0.7, 0.6)
    assert paired_bootstrap(conf_a, conf_a.copy(), n_boot=100).p_value == 1.0


def test_holm_adjusted_textbook_example():
    """Wikipedia's Holm-Bonferroni example: p = 0.01, 0.04, 0.03, 0.005 at alpha 0.05; the
    sorted p-values meet 0.05/4, 0.05/3, then 0.03 > 0.05/2 stops: H1 and H4 are rejected."""
    adjusted = holm_adjusted([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert [p <= 0.05 for p in adjusted] == [True, False, False, True]
    assert holm_adjusted([]) == [] and holm_adjusted([0.3]) == [0.3]
    assert holm_adjusted([0.5, 0.6]) == [1.0, 1.0]  # capped at 1
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        holm_adjusted([0.1, 1.5])


def test_holm_adjusted_is_the_step_down_procedure():
    rng = np.random.default_rng(3)
    for _ in range(200):
        p = rng.uniform(0, 0.1, size=rng.integers(1, 8))
        alpha = 0.05
        order = np.argsort(p)
        rejected = np.zeros(p.size, bool)
        for rank, i in enumerate(order):  # Holm (1979) as stated: stop at the first failure
            if p[i] > alpha / (p.size - rank):
                break
            rejected[i] = True
        assert [q <= alpha for q in holm_adjusted(p.tolist())] == rejected.tolist()


def test_holm_rejudges_the_claims_of_a_notebook():
    boot = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500)
    clear = verdict("A beats B", boot, seed_spread([0.60, 0.62, 0.61], [0.50, 0.52, 0.51]))
    assert clear.word == "supported" and clear.holm_p is None and clear.n_claims == 1
    claims = [
        dataclasses.replace(clear, claim=f"claim {i}", p_value=p)
        for i, p in enumerate([0.01, 0.04, 0.03, 0.005], start=1)
    ]
    two_seeds = verdict("claim 5", boot, seed_spread([0.6, 0.61], [0.5, 0.51]))
    undecided = dataclasses.replace(two_seeds, p_value=0.002)  # smallest p, yet undecided
    assert undecided.word == "undecided"
    unknown = verdict("claim 6", boot)  # no seeds: p-value unknown, counts as 1
    assert unknown.p_value is None
    judged = holm([*claims, undecided, unknown])
    assert [v.word for v in judged] == [
        "supported", "undecided", "undecided", "supported", "undecided", "undecided",
    ]  # fmt: skip
    assert [v.n_claims for v in judged] == [6] * 6
    # sorted: 0.002 x 6, 0.005 x 5, 0.01 x 4, 0.03 x 3, 0.04 x 2 (raised to 0.09), 1 x 1
    expected = [0.04, 0.09, 0.09, 0.025, 0.012, 1.0]
    assert [v.holm_p for v in judged] == pytest.approx(expected)
    for v in judged:
        assert "Holm over 6 claims" in v.text and v.text.startswith(f"{v.claim}: {v.word}:")
    assert "was supported alone (p 0.040)" in judged[1].reason
    assert [v.p_value for v in judged] == [v.p_value for v in [*claims, undecided, unknown]]
    assert holm([]) == []
    assert [v.word for v in holm(claims, alpha=0.1)] == ["supported"] * 4  # 0.06 ≤ 0.1
    with pytest.raises(ValueError, match="already corrected"):
        holm(judged)
    with pytest.raises(ValueError, match="significance level"):
        holm(claims, alpha=1.0)


# --- calibration (benchmarks/verdict_calibration.py, small) ------------------------------


def _calibration():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "verdict_calibration.py"
    spec = importlib.util.spec_from_file_location("verdict_calibration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_verdict_keeps_its_error_rate_on_simulated_comparisons():
    """Fixed seeds: 200 comparisons with no true effect, 3 seeds a side, seed sd 0.02."""
    sim = _calibration()
    sim.IMAGES = (100, 120)  # fewer images than the benchmark's 100-233, to run in seconds
    slope = sim._miou_slope()
    rng = np.random.default_rng(2024)
    null = [sim._compare(rng, 3, 0.02 / slope, 0.0, 50, 1) for _ in range(200)]
    false_supported = np.mean([word == "supported" for word, *_ in null])
    assert false_supported <= 0.05
    run_sd = np.sqrt(np.mean([r[2] ** 2 for r in null]))
    assert 0.015 < run_sd < 0.025  # the seed noise is what was asked
    assert np.mean([r[3] for r in null]) < run_sd / 3  # and dominates the image noise
    gain = [sim._compare(rng, 3, 0.01 / slope, 0.04 / slope, 50, 1) for _ in range(50)]
    assert np.mean([word == "supported" for word, *_ in gain]) > 0.5


def test_paired_seed_spread_tests_the_per_run_differences_as_scipy_does():
    """The same three runs scored two ways: the runs differ a lot, the two scorings of each
    run little and always the same way. Welch's test sees only the runs' spread; the paired
    test sees the differences."""
    from scipy import stats

    from course_utils.metrics import paired_seed_spread

    plain = [0.394, 0.422, 0.381]
    augmented = [0.409, 0.436, 0.396]  # +0.015, +0.014, +0.015
    # the differences' sd (0.0006) is under the floor: checked against scipy without it
    exact = paired_seed_spread(augmented, plain, sd_floor=1e-9)
    reference = stats.ttest_rel(augmented, plain)
    assert exact.p_value == pytest.approx(reference.pvalue, rel=1e-9) and exact.df == 2
    assert exact.paired and exact.sd_gap == pytest.approx(
        np.std(np.subtract(augmented, plain), ddof=1)
    )
    # with the course's floor the test is milder, but still decides; Welch's does not
    spread = paired_seed_spread(augmented, plain)
    assert spread.p_value > exact.p_value and spread.p_value < 0.05
    assert seed_spread(augmented, plain).p_value > 0.3
    assert spread.mean_gap == pytest.approx(np.mean(augmented) - np.mean(plain))
    assert (spread.mean_gap > spread.threshold(0.05)) == (spread.p_value < 0.05)
    assert "paired t p" in str(spread) and "3 runs scored both ways" in str(spread)
    boot = paired_bootstrap(*_confusions(80, 0.75, 0.6), n_boot=500)
    v = verdict("augmented beats one pass", boot, spread)
    assert v.word == "supported" and "paired t test on the seeds" in v.reason
    with pytest.raises(ValueError, match="same runs"):
        paired_seed_spread([0.5, 0.6, 0.7], [0.5, 0.6])
