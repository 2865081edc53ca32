"""Verdicts that know the noise: is model A's score really above model B's?

Two sources of noise stand between "A scored higher than B" and "A is better than B":

- **which images were scored.** :func:`paired_bootstrap` resamples the evaluation images
  (the same resample for both models; optionally in blocks of consecutive images, for
  video frames) and gives an interval for the gap;
- **which training run was scored.** :func:`seed_spread` compares the scores of several
  runs (seeds) of each recipe with Welch's t test.

:func:`verdict` needs both to clear zero before it calls a claim supported or contradicted,
and always prints the numbers beside its word. :func:`holm` re-judges the claims of one
notebook together, so that the chance of any false "supported" among them stays at
``alpha``. NumPy only, but for the t distribution, for which SciPy is imported on first use.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import numpy as np

from course_utils.metrics.confusion import confusion_matrix

#: A score of confusion matrices: maps an array ``(..., C, C)`` to an array of shape ``(...)``
#: (``nan`` where the score is undefined). :func:`miou`, :func:`class_subset_iou`,
#: :func:`pixel_accuracy` and :func:`mean_class_accuracy` are scores.
Score = Callable[[np.ndarray], np.ndarray]

#: The rule ``verdict`` used before it ran Welch's t test (mean seed gap above twice its
#: standard error). It is kept for code that applies the rough rule itself (notebook 03);
#: ``verdict`` no longer uses it: with two or three seeds a gap of two standard errors is
#: reached by chance in 7-9% of comparisons with no true effect.
SEED_NOISE_MULTIPLE = 2.0

#: Significance level of ``verdict`` (two-sided): with no true effect, at most this share of
#: verdicts says "supported" or "contradicted" (about half of it each).
DEFAULT_ALPHA = 0.05

#: ``verdict`` says "supported" or "contradicted" only with at least this many runs (seeds)
#: of each model. With two, the sample standard deviation rests on one degree of freedom per
#: model and Welch's test has almost no power; three is the fewest that can decide.
MIN_SEEDS = 3

#: Welch's test takes each model's seed standard deviation as at least this much (in score
#: units: half a point of IoU or accuracy). Training runs of the course never agree closer
#: than that (the seed record's test mIoU moves by 0.01-0.03 between seeds), and without a
#: floor, runs that all score the same (e.g. 0.000 each) would have zero noise and make any
#: gap, however small, infinitely significant. ``SeedSpread.noise`` keeps the measured value.
SEED_SD_FLOOR = 0.005

#: ``verdict`` never calls a gap smaller than this (one point of IoU or accuracy), however
#: small its noise: such a gap does not matter in practice.
MIN_GAP = 0.01

#: When every score of both models is below this (the two whole-set scores of the bootstrap
#: and, if given, the two seed means), ``verdict`` says "not learned": 0.030 against 0.017
#: is two models that learned nothing of this score, not a win. For mIoU over CamVid's 11
#: classes, a model that calls every pixel the commonest class scores about 0.02.
NOT_LEARNED_FLOOR = 0.05

#: Coverage of the bootstrap interval that ``paired_bootstrap`` reports by default.
DEFAULT_CI = 0.95

VerdictWord = Literal["supported", "contradicted", "undecided", "not learned"]


def per_image_confusions(
    y_true: Any, y_pred: Any, num_classes: int, ignore_index: int | None = None
) -> np.ndarray:
    """One confusion matrix per image, the unit :func:`paired_bootstrap` resamples.

    Summed over the image axis they give the confusion matrix of the whole set
    (:func:`~course_utils.metrics.confusion_matrix`).

    Args:
        y_true: true class ids ``(N, H, W)`` or ``(N, H, W, 1)`` (any shape whose first axis
            is the image).
        y_pred: predicted class ids of the same shape, or scores with one more trailing
            axis of ``num_classes`` (argmax is taken).
        num_classes: number of real classes.
        ignore_index: void id whose pixels are left out (e.g. 11 for CamVid).

    Returns:
        ``int64 (N, num_classes, num_classes)``; rows are true classes, columns predictions.

    Raises:
        ValueError: if the shapes do not match, there is no image, or an image holds labels
            outside ``[0, num_classes)`` (the message names the image).
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim == 4 and y_true.shape[-1] == 1:  # masks as (N, H, W, 1), as data.load gives
        y_true = y_true[..., 0]
        if y_pred.shape == (*y_true.shape, 1):
            y_pred = y_pred[..., 0]
    if y_true.ndim < 2 or y_true.shape[0] == 0:
        raise ValueError(
            f"y_true has shape {y_true.shape}: pass a stack of masks (N, H, W) with at least "
            "one image (add an axis with y[None] for a single mask)."
        )
    same_ids = y_pred.shape == y_true.shape
    scores = y_pred.shape == (*y_true.shape, num_classes)
    if not (same_ids or scores):
        raise ValueError(
            f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}: pass "
            f"predicted class ids of the same shape, or scores of shape "
            f"{(*y_true.shape, num_classes)}, for the same images in the same order."
        )
    out = np.empty((y_true.shape[0], num_classes, num_classes), np.int64)
    for i in range(y_true.shape[0]):
        try:
            out[i] = confusion_matrix(y_true[i], y_pred[i], num_classes, ignore_index)
        except ValueError as error:
            raise ValueError(f"image {i}: {error}") from error
    return out


def evaluate_per_image(
    model: Any, dataset: Iterable[Any], num_classes: int, ignore_index: int | None = None
) -> np.ndarray:
    """Run a segmentation model over a dataset and keep one confusion matrix per image.

    The per-image form of :func:`~course_utils.metrics.evaluate`: summed over the image
    axis it gives the same matrix, and it is what :func:`paired_bootstrap` resamples. The
    dataset must not be shuffled (``data.load`` does not shuffle ``val`` or ``test``), so
    that two models' stacks describe the same images in the same order.

    Args:
        model: a Keras model returning per-pixel scores ``(B, H, W, num_classes)``.
        dataset: an iterable of ``(images, masks)`` batches, e.g. from ``data.load``.
        num_classes: number of real classes.
        ignore_index: void id to leave out.

    Returns:
        ``int64 (n_images, num_classes, num_classes)``.
    """
    stacks = []
    for images, masks in dataset:
        predicted = np.asarray(model.predict_on_batch(images)).argmax(-1)
        truth = np.asarray(masks)
        if truth.ndim == predicted.ndim + 1 and truth.shape[-1] == 1:  # (B, H, W, 1) masks
            truth = truth[..., 0]
        stacks.append(per_image_confusions(truth, predicted, num_classes, ignore_index))
    if not stacks:
        raise ValueError("The dataset gave no batch: nothing to evaluate.")
    return np.concatenate(stacks)


def miou(conf: Any) -> np.ndarray:
    """Mean IoU of confusion matrices ``(..., C, C)``, vectorised over the leading axes.

    The convention of :func:`~course_utils.metrics.segmentation_report`: the mean runs over
    the classes that occur in the truth or the predictions (union > 0); absent classes are
    skipped, not counted as zero. A matrix with no pixel scores ``nan``.

    Args:
        conf: confusion matrices, rows true classes, columns predictions.

    Returns:
        float64 array of shape ``conf.shape[:-2]`` (a 0-d array for one matrix).
    """
    return _mean_iou_over(np.asarray(conf, np.float64), None)


def miou_from_confusion(conf: Any) -> float:
    """Mean IoU of one confusion matrix (equal to ``segmentation_report(conf, ...).miou``).

    Args:
        conf: one ``(C, C)`` confusion matrix, rows true classes, columns predictions.

    Raises:
        ValueError: if ``conf`` is not one square matrix, or counts no pixel.
    """
    conf = _check_confusions(conf, "conf", ndim=2)
    if conf.sum() == 0:
        raise ValueError("The confusion matrix is empty: no pixel was counted (all void?).")
    return float(miou(conf))


def pixel_accuracy(conf: Any) -> np.ndarray:
    """Share of the counted pixels predicted right, of confusion matrices ``(..., C, C)``.

    For classification (one "pixel" per image) this is plain accuracy. A matrix with no
    pixel scores ``nan``.

    Args:
        conf: confusion matrices, rows true classes, columns predictions.

    Returns:
        float64 array of shape ``conf.shape[:-2]``.
    """
    conf = np.asarray(conf, np.float64)
    total = conf.sum((-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.trace(conf, axis1=-2, axis2=-1) / total


pixel_accuracy.__name__ = "pixel accuracy"  # how verdicts name the score


def mean_class_accuracy(conf: Any) -> np.ndarray:
    """Mean over classes of recall (diagonal over row sum), of matrices ``(..., C, C)``.

    Only classes with true pixels take part, so a class absent from the truth neither helps
    nor hurts. A matrix with no pixel scores ``nan``.

    Args:
        conf: confusion matrices, rows true classes, columns predictions.

    Returns:
        float64 array of shape ``conf.shape[:-2]``.
    """
    conf = np.asarray(conf, np.float64)
    found, true = np.diagonal(conf, axis1=-2, axis2=-1), conf.sum(-1)
    recall = np.divide(found, true, out=np.zeros_like(found), where=true > 0)
    present = (true > 0).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present > 0, recall.sum(-1) / np.maximum(present, 1), np.nan)


mean_class_accuracy.__name__ = "mean class accuracy"


def class_subset_iou(classes: Sequence[int], name: str | None = None) -> Score:
    """A score: mean IoU over ``classes`` only (those of them that occur), e.g. thin classes.

    Args:
        classes: class ids to average over.
        name: how verdicts name the score (default ``"IoU of classes [..]"``).

    Returns:
        A :data:`Score` for :func:`paired_bootstrap`; it gives ``nan`` for a matrix in which
        none of ``classes`` occurs.

    Raises:
        ValueError: if ``classes`` is empty, repeats an id, or holds a negative id.
    """
    ids = [int(c) for c in classes]
    if not ids or len(set(ids)) != len(ids) or min(ids) < 0:
        raise ValueError(
            f"classes must be distinct non-negative class ids, got {list(classes)}: "
            "pass e.g. [5, 6] for two classes."
        )
    index = np.array(ids)

    def score(conf: np.ndarray) -> np.ndarray:
        conf = np.asarray(conf, np.float64)
        if index.max() >= conf.shape[-1]:
            raise ValueError(
                f"class_subset_iou({ids}) scores a matrix with only {conf.shape[-1]} classes: "
                f"pass ids below {conf.shape[-1]}."
            )
        return _mean_iou_over(conf, index)

    score.__name__ = name or f"IoU of classes {ids}"
    return score


@dataclasses.dataclass(frozen=True)
class BootstrapResult:
    """A paired bootstrap of the gap ``score(A) - score(B)`` over evaluation images.

    Attributes:
        observed_gap: ``score(A) - score(B)`` on all the images.
        ci_low: lower end of the percentile interval of the resampled gaps.
        ci_high: upper end.
        ci: coverage of the interval (e.g. 0.95).
        n_boot: number of resamples drawn.
        n_images: number of images resampled.
        score_name: name of the score (``"mIoU"`` unless another was passed).
        gaps: the resampled gaps ``(n_boot,)`` (``nan`` where the score was undefined).
        score_a: ``score(A)`` on all the images (``nan``: not recorded).
        score_b: ``score(B)`` on all the images.
        block_length: images per resampled block (1: images drawn one by one).
    """

    observed_gap: float
    ci_low: float
    ci_high: float
    ci: float
    n_boot: int
    n_images: int
    score_name: str
    gaps: np.ndarray = dataclasses.field(repr=False, compare=False)
    score_a: float = math.nan
    score_b: float = math.nan
    block_length: int = 1

    @property
    def p_value(self) -> float:
        """Two-sided bootstrap p-value of "no gap": twice the share of resampled gaps on the
        other side of zero from the observed gap (zero included), at most 1.

        1 when the observed gap is 0. Its resolution is ``2 / n_boot``: 0 means that no
        resample crossed zero, i.e. a p-value below about ``2 / n_boot``.
        """
        valid = self.gaps[~np.isnan(self.gaps)]
        if self.observed_gap == 0 or valid.size == 0:
            return 1.0
        other = valid <= 0 if self.observed_gap > 0 else valid >= 0
        return min(1.0, 2 * float(other.mean()))

    def __str__(self) -> str:
        blocks = f" in blocks of {self.block_length}" if self.block_length > 1 else ""
        return (
            f"{self.score_name} gap {self.observed_gap:+.4f}, {100 * self.ci:g}% bootstrap CI "
            f"[{self.ci_low:+.4f}, {self.ci_high:+.4f}] ({self.n_boot} resamples of "
            f"{self.n_images} images{blocks})"
        )


def paired_bootstrap(
    conf_a: Any,
    conf_b: Any,
    n_boot: int = 2000,
    seed: int = 0,
    score: Score = miou,
    ci: float = DEFAULT_CI,
    block_length: int = 1,
) -> BootstrapResult:
    """Interval for ``score(A) - score(B)`` from resampling the evaluation images.

    Each resample draws ``n_images`` images with replacement, the same draw for both
    models (paired: the gap is what each image's difficulty cancels out of), sums each
    model's per-image confusion matrices over the draw and scores the sums, exactly as the
    whole-set score sums them. The interval is the percentile interval of the resampled
    gaps. Resamples where the score is undefined (``nan``, e.g. a subset score whose classes
    are all absent) are left out of the interval.

    With ``block_length > 1`` it is a **circular moving-block bootstrap** (Politis and
    Romano, 1992): each resample joins ``ceil(n_images / block_length)`` blocks of
    ``block_length`` consecutive images, each starting at a uniformly drawn image and
    wrapping from the last image to the first, and cuts the joined blocks to ``n_images``.
    Neighbouring video frames look alike, so drawn one by one they count as independent
    evidence they are not, and the interval comes out too narrow; blocks keep such runs of
    frames together. A block about as long as the frames stay alike (e.g. 5-10 CamVid
    frames) is a reasonable choice; with 1 the draws are exactly those of an image-by-image
    bootstrap of the same ``seed``.

    Args:
        conf_a: per-image confusion matrices of model A ``(n_images, C, C)``
            (from :func:`per_image_confusions`), in the order of the dataset.
        conf_b: the same for model B, on the same images in the same order.
        n_boot: number of resamples.
        seed: seed of the resampling (the same seed gives the same interval).
        score: a :data:`Score` (default :func:`miou`; see :func:`class_subset_iou`).
        ci: coverage of the interval, in (0, 1).
        block_length: consecutive images per resampled block, from 1 (images drawn one by
            one) to half the images.

    Returns:
        The observed gap and both models' scores on all images, the interval and the
        resampled gaps.

    Raises:
        ValueError: if the stacks differ in shape, have fewer than two images, hold negative
            counts, or count different true pixels per image (then they do not describe the
            same images in the same order, e.g. a shuffled dataset), or for a bad ``n_boot``,
            ``ci`` or ``block_length``.
    """
    a = _check_confusions(conf_a, "conf_a", ndim=3)
    b = _check_confusions(conf_b, "conf_b", ndim=3)
    if a.shape != b.shape:
        raise ValueError(
            f"conf_a has shape {a.shape} but conf_b has shape {b.shape}: score both models on "
            "the same images with the same number of classes."
        )
    n_images, c, _ = a.shape
    if n_images < 2:
        raise ValueError(
            f"There are {n_images} image(s): resampling needs at least two (pass one "
            "confusion matrix per image, from per_image_confusions)."
        )
    mismatched = np.flatnonzero((a.sum(2) != b.sum(2)).any(1))
    if mismatched.size:
        raise ValueError(
            f"Images {mismatched[:10].tolist()} count different true pixels per class for A "
            "and B: the two stacks do not describe the same images in the same order. Score "
            "both models on one unshuffled dataset with the same ignore_index."
        )
    if n_boot < 1:
        raise ValueError(f"n_boot is {n_boot}: draw at least one resample (e.g. 2000).")
    if not 0 < ci < 1:
        raise ValueError(f"ci is {ci}: pass a coverage between 0 and 1, e.g. 0.95.")
    _check_block_length(block_length, n_images)

    rng = np.random.default_rng(seed)
    # How often each image is drawn in each resample: (n_boot, n_images).
    counts = _resample_counts(rng, n_images, n_boot, block_length)
    weights = counts.astype(np.float64)  # float64 matmul uses BLAS; counts stay exact < 2**53
    boot_a = (weights @ a.reshape(n_images, c * c)).reshape(n_boot, c, c)
    boot_b = (weights @ b.reshape(n_images, c * c)).reshape(n_boot, c, c)
    gaps = np.asarray(score(boot_a) - score(boot_b), np.float64)
    if gaps.shape != (n_boot,):
        raise ValueError(
            f"score returned shape {gaps.shape} for {n_boot} matrices: a score must map "
            "(n, C, C) to n values (see miou)."
        )
    score_a, score_b = float(np.asarray(score(a.sum(0)))), float(np.asarray(score(b.sum(0))))
    observed = score_a - score_b
    valid = gaps[~np.isnan(gaps)]
    if valid.size == 0 or math.isnan(observed):
        raise ValueError(
            "The score is undefined (nan) on these images: none of its classes occurs. "
            "Choose classes present in the evaluation set."
        )
    tail = 100 * (1 - ci) / 2
    low, high = np.percentile(valid, [tail, 100 - tail])
    return BootstrapResult(
        observed_gap=observed,
        ci_low=float(low),
        ci_high=float(high),
        ci=ci,
        n_boot=n_boot,
        n_images=n_images,
        score_name="mIoU" if score is miou else getattr(score, "__name__", "score"),
        gaps=gaps,
        score_a=score_a,
        score_b=score_b,
        block_length=block_length,
    )


@dataclasses.dataclass(frozen=True)
class SeedSpread:
    """How much the gap between two recipes moves from one training run to the next.

    Attributes:
        mean_a: mean score of A's runs.
        mean_b: mean score of B's runs.
        mean_gap: ``mean_a - mean_b``.
        noise: measured standard error of ``mean_gap``, ``sqrt(sd_a**2 / n_a + sd_b**2 /
            n_b)``; ``None`` (unknown, not zero) when a side has a single run.
        n_a: number of runs of A.
        n_b: number of runs of B.
        sd_a: sample standard deviation of A's scores (``None`` for one run).
        sd_b: the same for B.
        range_a: lowest and highest score of A.
        range_b: the same for B.
        df: Welch-Satterthwaite degrees of freedom of the t test (``None`` for one run).
        p_value: two-sided p-value of Welch's t test of "equal mean scores" (``None`` for
            one run).
        sd_floor: the least standard deviation the test took for each side (see
            :data:`SEED_SD_FLOOR`); ``noise``, ``sd_a`` and ``sd_b`` are the measured values.
        paired: ``True`` when run ``i`` of A and run ``i`` of B are the same training run
            scored two ways (:func:`paired_seed_spread`): the test is then a paired t test
            on the per-run differences.
        sd_gap: with ``paired``, the sample standard deviation of the per-run differences.
    """

    mean_a: float
    mean_b: float
    mean_gap: float
    noise: float | None
    n_a: int
    n_b: int
    sd_a: float | None
    sd_b: float | None
    range_a: tuple[float, float]
    range_b: tuple[float, float]
    df: float | None = None
    p_value: float | None = None
    sd_floor: float = SEED_SD_FLOOR
    paired: bool = False
    sd_gap: float | None = None

    @property
    def test_name(self) -> str:
        """The seeds' test, as the verdicts name it."""
        return "paired t test on the seeds" if self.paired else "Welch t test on the seeds"

    @property
    def known(self) -> bool:
        """Whether both sides have at least two runs, so the noise scale is known."""
        return self.noise is not None

    @property
    def test_noise(self) -> float | None:
        """The standard error the test uses: ``noise`` with each sd (with ``paired``, the
        differences' sd) at least ``sd_floor``."""
        if self.paired:
            return (
                None
                if self.sd_gap is None
                else max(self.sd_gap, self.sd_floor) / math.sqrt(self.n_a)
            )
        if self.sd_a is None or self.sd_b is None:
            return None
        return _welch(self.sd_a, self.n_a, self.sd_b, self.n_b, self.sd_floor)[0]

    def threshold(self, alpha: float = DEFAULT_ALPHA) -> float | None:
        """The seed gap the test needs: ``t_{1 - alpha/2, df} * test_noise``.

        A ``mean_gap`` beyond it (either way) is significant at ``alpha``, two-sided, i.e.
        ``p_value < alpha``. ``None`` with a single run on a side.

        Raises:
            ValueError: if ``alpha`` is not between 0 and 1.
        """
        _check_alpha(alpha)
        if self.df is None or self.test_noise is None:
            return None
        from scipy import stats

        return float(stats.t.ppf(1 - alpha / 2, self.df)) * self.test_noise

    def __str__(self) -> str:
        runs = f"{self.n_a} vs {self.n_b} seeds"
        ranges = (
            f"A {self.range_a[0]:.4f}..{self.range_a[1]:.4f}, "
            f"B {self.range_b[0]:.4f}..{self.range_b[1]:.4f}"
        )
        if self.noise is None or self.p_value is None or self.df is None:
            return f"seed mean gap {self.mean_gap:+.4f}, seed spread unknown ({runs}; {ranges})"
        if self.paired:
            floored = (self.sd_gap or 0.0) < self.sd_floor
            floor = f", sd of the differences taken as ≥{self.sd_floor:g}" if floored else ""
            return (
                f"seed mean gap {self.mean_gap:+.4f} ± {self.noise:.4f} (SE of the paired "
                f"differences; {self.n_a} runs scored both ways; paired t p "
                f"{_p_text(self.p_value)}, df {self.df:.0f}{floor}; {ranges})"
            )
        floored = min(self.sd_a or 0.0, self.sd_b or 0.0) < self.sd_floor
        floor = f", each sd taken as ≥{self.sd_floor:g}" if floored else ""
        return (
            f"seed mean gap {self.mean_gap:+.4f} ± {self.noise:.4f} (SE; {runs}; Welch p "
            f"{_p_text(self.p_value)}, df {self.df:.1f}{floor}; {ranges})"
        )


def seed_spread(
    scores_a: Sequence[float], scores_b: Sequence[float], sd_floor: float = SEED_SD_FLOOR
) -> SeedSpread:
    """Mean gap between two recipes over training runs, its noise scale and Welch's t test.

    Runs of A and B are independent (seed 0 of A has nothing to do with seed 0 of B), so
    the noise scale is the standard error of a difference of two means,
    ``sqrt(sd_a**2 / n_a + sd_b**2 / n_b)`` with sample standard deviations, and the test
    is Welch's t test (unequal variances): ``t = mean_gap / SE`` against Student's t with
    the Welch-Satterthwaite degrees of freedom
    ``SE**4 / ((sd_a**2 / n_a)**2 / (n_a - 1) + (sd_b**2 / n_b)**2 / (n_b - 1))``.
    The test takes each standard deviation as at least ``sd_floor``, so that runs which
    happen to score alike (or all 0.000) do not make a gap infinitely significant.

    Args:
        scores_a: one score per training run (seed) of model A, e.g. validation mIoU.
        scores_b: the same for model B (on the same evaluation set, with the same score).
        sd_floor: the least seed standard deviation the test assumes, in score units
            (default :data:`SEED_SD_FLOOR`, 0.005); must be positive.

    Returns:
        The spread; with a single run on either side its ``noise``, ``df`` and ``p_value``
        are ``None``: one run says nothing about how much runs differ.

    Raises:
        ValueError: if a side has no score, a score is not a finite number, or ``sd_floor``
            is not a positive number.
    """
    a = _check_scores(scores_a, "scores_a")
    b = _check_scores(scores_b, "scores_b")
    if not (math.isfinite(sd_floor) and sd_floor > 0):
        raise ValueError(
            f"sd_floor is {sd_floor}: pass a positive standard deviation (e.g. 0.005); with "
            "0, runs that all score the same would make any gap infinitely significant."
        )
    sd_a = float(np.std(a, ddof=1)) if a.size > 1 else None
    sd_b = float(np.std(b, ddof=1)) if b.size > 1 else None
    noise = df = p_value = None
    if sd_a is not None and sd_b is not None:
        noise = math.sqrt(sd_a**2 / a.size + sd_b**2 / b.size)
        test_noise, df = _welch(sd_a, a.size, sd_b, b.size, sd_floor)
        from scipy import stats

        t = float(a.mean() - b.mean()) / test_noise
        p_value = min(1.0, 2 * float(stats.t.sf(abs(t), df)))
    return SeedSpread(
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
        mean_gap=float(a.mean() - b.mean()),
        noise=noise,
        n_a=int(a.size),
        n_b=int(b.size),
        sd_a=sd_a,
        sd_b=sd_b,
        range_a=(float(a.min()), float(a.max())),
        range_b=(float(b.min()), float(b.max())),
        df=df,
        p_value=p_value,
        sd_floor=float(sd_floor),
    )


def paired_seed_spread(
    scores_a: Sequence[float], scores_b: Sequence[float], sd_floor: float = SEED_SD_FLOOR
) -> SeedSpread:
    """The seed spread of one set of training runs scored two ways (A and B), run by run.

    When A and B are not two recipes but two ways of scoring the same runs (with and
    without test-time augmentation, say), run ``i`` of A and run ``i`` of B share their
    weights, and most of the seed-to-seed movement cancels in their difference. Welch's
    test (:func:`seed_spread`) ignores that pairing; this one tests the per-run differences
    ``d_i = a_i - b_i``: ``t = mean(d) / (sd(d) / sqrt(n))`` against Student's t with
    ``n - 1`` degrees of freedom, ``sd(d)`` taken as at least ``sd_floor``.

    Args:
        scores_a: one score per run, scored the A way.
        scores_b: the same runs, in the same order, scored the B way.
        sd_floor: the least standard deviation of the differences the test assumes.

    Raises:
        ValueError: as :func:`seed_spread`, or when the two sides hold different numbers
            of runs (they must be the same runs).
    """
    a = _check_scores(scores_a, "scores_a")
    b = _check_scores(scores_b, "scores_b")
    if a.size != b.size:
        raise ValueError(
            f"{a.size} scores against {b.size}: a paired spread scores the same runs both "
            "ways, so give one score per run on each side, in the same order."
        )
    unpaired = seed_spread(list(a), list(b), sd_floor)
    if a.size < 2:
        return dataclasses.replace(unpaired, paired=True)
    gaps = a - b
    sd_gap = float(np.std(gaps, ddof=1))
    from scipy import stats

    test_noise = max(sd_gap, sd_floor) / math.sqrt(a.size)
    t = float(gaps.mean()) / test_noise
    return dataclasses.replace(
        unpaired,
        noise=sd_gap / math.sqrt(a.size),
        df=float(a.size - 1),
        p_value=min(1.0, 2 * float(stats.t.sf(abs(t), a.size - 1))),
        paired=True,
        sd_gap=sd_gap,
    )


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The verdict on a claim "A beats B", with the numbers it rests on.

    Attributes:
        claim: the claim, as given.
        word: ``"supported"``, ``"contradicted"``, ``"undecided"`` or ``"not learned"``.
        reason: why, in a few words.
        text: one line with the claim, the word, the reason and every number.
        bootstrap: the paired bootstrap over images.
        spread: the spread over seeds (``None`` if none was given).
        p_value: the claim's two-sided p-value, the larger of Welch's (seeds) and the
            bootstrap's (images), since both tests must pass; ``None`` when the seed spread
            is unknown (no spread, or a single run on a side).
        alpha: the significance level the word was decided at.
        holm_p: the Holm-adjusted p-value, when the verdict came from :func:`holm`.
        n_claims: the number of claims :func:`holm` corrected over (1: not corrected).
    """

    claim: str
    word: VerdictWord
    reason: str
    text: str
    bootstrap: BootstrapResult
    spread: SeedSpread | None
    p_value: float | None = None
    alpha: float = DEFAULT_ALPHA
    holm_p: float | None = None
    n_claims: int = 1

    def __str__(self) -> str:
        return self.text


def verdict(
    claim: str,
    bootstrap: BootstrapResult,
    spread: SeedSpread | None = None,
    alpha: float = DEFAULT_ALPHA,
    not_learned_floor: float = NOT_LEARNED_FLOOR,
) -> Verdict:
    """Judge the claim "A beats B" (A's score above B's) against both kinds of noise.

    The rule, checked in this order:

    - **not learned** when every score is below ``not_learned_floor``
      (:data:`NOT_LEARNED_FLOOR`, 0.05): both models' scores on all images, and both seed
      means if a spread is given. Neither model learned this score, whatever the gap;
    - **undecided** with fewer than :data:`MIN_SEEDS` (3) runs of either model (or no
      spread): the seed noise cannot be judged from fewer;
    - **supported** when the gap is positive beyond both noises: the observed gap and the
      whole bootstrap interval are above zero (``ci_low > 0``, at the bootstrap's own
      coverage ``ci``), *and* Welch's two-sided t test on the per-seed scores rejects "no
      gap" at ``alpha`` with a positive mean gap, i.e.
      ``mean_gap > t_{1 - alpha/2, df} * SE`` (see :func:`seed_spread`; each side's seed sd
      is taken as at least :data:`SEED_SD_FLOOR`, so identical runs never make SE zero);
    - **contradicted** when the gap is reversed beyond both: observed gap and ``ci_high``
      below zero *and* ``mean_gap < -t_{1 - alpha/2, df} * SE``;
    - **undecided** otherwise: the interval includes zero, the observed or the mean seed gap
      is under :data:`MIN_GAP` (0.01) in size, or the seeds do not clear their test (or
      point the other way).

    With no true effect, "supported" comes out in at most about ``alpha / 2`` of comparisons
    and "contradicted" in as many (``benchmarks/verdict_calibration.py`` measures it). For
    several claims judged together, pass the verdicts to :func:`holm`.

    Args:
        claim: the claim, phrased so that A beats B (e.g. ``"skips help: U-Net > SegNet"``).
        bootstrap: :func:`paired_bootstrap` of A's and B's per-image confusion matrices.
        spread: :func:`seed_spread` of A's and B's per-seed scores, in the same order.
        alpha: two-sided significance level of the seeds' test, in (0, 1).
        not_learned_floor: the score under which a model counts as having learned nothing
            (0 turns the check off). Meant for scores such as IoU, where chance is near 0.

    Returns:
        The verdict; its ``text`` always prints the observed gap, the bootstrap interval
        and the seed gap with its noise and Welch p-value (or "seed spread unknown") beside
        the word.

    Raises:
        ValueError: if ``alpha`` is not between 0 and 1.
    """
    _check_alpha(alpha)
    above = bootstrap.observed_gap > 0 and bootstrap.ci_low > 0
    below = bootstrap.observed_gap < 0 and bootstrap.ci_high < 0
    seeds_p = None if spread is None else spread.p_value
    p_value = None if seeds_p is None else max(seeds_p, bootstrap.p_value)
    scores = _scores_of(bootstrap, spread)
    word: VerdictWord = "undecided"
    if scores and max(scores) < not_learned_floor:
        word = "not learned"
        shown = ", ".join(f"{s:.4f}" for s in scores)
        reason = f"every score is under {not_learned_floor:g} ({shown}): neither model learned it"
    elif spread is None or min(spread.n_a, spread.n_b) < MIN_SEEDS:
        reason = f"needs ≥{MIN_SEEDS} seeds per model"
    elif bootstrap.ci_low <= 0 <= bootstrap.ci_high:
        reason = "the bootstrap CI includes 0"
    elif abs(bootstrap.observed_gap) < MIN_GAP or abs(spread.mean_gap) < MIN_GAP:
        reason = f"the gap is under {MIN_GAP:g}, too small to call whatever its noise"
    else:
        need = spread.threshold(alpha)
        assert need is not None and spread.p_value is not None  # ≥ MIN_SEEDS runs a side
        test = f"{spread.test_name}, p {_p_text(spread.p_value)}"
        if above and spread.mean_gap > need:
            word, reason = "supported", f"gap clears the bootstrap CI and the {test} < {alpha:g}"
        elif below and spread.mean_gap < -need:
            word = "contradicted"
            reason = f"gap reversed beyond the bootstrap CI and the {test} < {alpha:g}"
        elif not (above or below):
            reason = "the observed gap and the bootstrap CI point different ways"
        else:
            reason = (
                f"the seed gap does not clear the {spread.test_name} (p "
                f"{_p_text(spread.p_value)}; needs {need:.4f} either way at {alpha:g}) or "
                "points the other way"
            )
    return Verdict(
        claim=claim,
        word=word,
        reason=reason,
        text=_verdict_text(claim, word, reason, bootstrap, spread),
        bootstrap=bootstrap,
        spread=spread,
        p_value=p_value,
        alpha=alpha,
    )


def holm_adjusted(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (Holm, 1979), in the order given.

    Sorted ascending, the ``i``-th smallest of ``m`` p-values (from 1) is multiplied by
    ``m - i + 1``, capped at 1, and made non-decreasing along the order. Rejecting every
    hypothesis whose adjusted p-value is at most ``alpha`` is Holm's step-down procedure: the
    chance of any false rejection among the ``m`` stays at most ``alpha``, whatever their
    dependence.

    Args:
        p_values: one p-value per hypothesis, each in [0, 1].

    Returns:
        The adjusted p-values, one per input, in the same order.

    Raises:
        ValueError: if a p-value is not a number in [0, 1].
    """
    p = np.asarray(p_values, np.float64).reshape(-1)
    if p.size and not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
        raise ValueError(f"p_values holds {p.tolist()}: every p-value must be in [0, 1].")
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    return [float(x) for x in adjusted]


def holm(verdicts: Sequence[Verdict], alpha: float = DEFAULT_ALPHA) -> list[Verdict]:
    """Re-judge the claims of one notebook together, with Holm's correction.

    Each claim judged at ``alpha`` alone has up to ``alpha`` chance of a false word; among
    ``N`` claims the chance that *some* word is false grows towards ``N * alpha``. Holm's
    step-down procedure keeps it at ``alpha``: the claims' p-values (:attr:`Verdict.p_value`,
    the larger of the seeds' and the bootstrap's) are adjusted with :func:`holm_adjusted`,
    and a "supported" or "contradicted" stays so only if its adjusted p-value is at most
    ``alpha``; otherwise it becomes "undecided". Holm only ever takes words away: an
    "undecided" or "not learned" keeps its word. A claim whose p-value is unknown (seed
    spread unknown) counts with p = 1. Every claim counts in ``N``, whatever its word.

    Args:
        verdicts: the verdicts of all the claims of one family (e.g. one notebook), each
            from :func:`verdict` and not yet corrected.
        alpha: the family-wise error rate, in (0, 1).

    Returns:
        New verdicts, in the same order, with ``holm_p`` and ``n_claims`` set and a text
        that says "Holm over N claims" and the adjusted p-value.

    Raises:
        ValueError: if ``alpha`` is not between 0 and 1, or a verdict was already corrected.
    """
    _check_alpha(alpha)
    done = [v.claim for v in verdicts if v.holm_p is not None]
    if done:
        raise ValueError(
            f"{done[:3]} were already corrected by holm(): pass the verdicts from verdict(), "
            "all the claims of the family at once."
        )
    n = len(verdicts)
    adjusted = holm_adjusted([1.0 if v.p_value is None else v.p_value for v in verdicts])
    out = []
    for v, adj in zip(verdicts, adjusted, strict=True):
        word, reason = v.word, v.reason
        if word in ("supported", "contradicted") and not adj <= alpha:
            word = "undecided"
            reason = (
                f"was {v.word} alone (p {_p_text(v.p_value or 1.0)}), but not at the Holm level"
            )
        note = f"Holm over {n} claims: adjusted p {_p_text(adj)} vs {alpha:g}"
        out.append(
            dataclasses.replace(
                v,
                word=word,
                reason=f"{reason} ({note})",
                text=_verdict_text(v.claim, word, f"{reason} ({note})", v.bootstrap, v.spread),
                alpha=alpha,
                holm_p=adj,
                n_claims=n,
            )
        )
    return out


def _mean_iou_over(conf: np.ndarray, classes: np.ndarray | None) -> np.ndarray:
    tp = np.diagonal(conf, axis1=-2, axis2=-1)
    union = conf.sum(-1) + conf.sum(-2) - tp
    if classes is not None:
        tp, union = tp[..., classes], union[..., classes]
    present = union > 0
    iou = np.divide(tp, union, out=np.zeros_like(tp), where=present)
    n_present = present.sum(-1)
    return np.divide(
        iou.sum(-1), n_present, out=np.full(n_present.shape, np.nan), where=n_present > 0
    )


def _check_confusions(conf: Any, name: str, ndim: int) -> np.ndarray:
    array = np.asarray(conf)
    shape = "(C, C)" if ndim == 2 else "(n_images, C, C)"
    if array.ndim != ndim or array.shape[-1] != array.shape[-2]:
        raise ValueError(
            f"{name} has shape {array.shape}: pass confusion matrices of shape {shape}"
            + (" from per_image_confusions." if ndim == 3 else ".")
        )
    if not np.issubdtype(array.dtype, np.number) or (array < 0).any():
        raise ValueError(f"{name} must hold non-negative pixel counts.")
    return array.astype(np.float64)


def _check_scores(scores: Sequence[float], name: str) -> np.ndarray:
    array = np.asarray(scores, np.float64).reshape(-1)
    if array.size == 0:
        raise ValueError(f"{name} is empty: pass one score per training run (seed).")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds {array.tolist()}: every score must be a finite number.")
    return array


def _verdict_text(
    claim: str,
    word: str,
    reason: str,
    bootstrap: BootstrapResult,
    spread: SeedSpread | None,
) -> str:
    seeds = "seed spread unknown" if spread is None else str(spread)
    return f"{claim}: {word}: {reason} — {bootstrap}; {seeds}"


def _scores_of(bootstrap: BootstrapResult, spread: SeedSpread | None) -> list[float]:
    """The scores ``verdict`` checks against the not-learned floor (those recorded)."""
    scores = [bootstrap.score_a, bootstrap.score_b]
    scores = scores if all(math.isfinite(s) for s in scores) else []
    if spread is not None:
        scores += [spread.mean_a, spread.mean_b]
    return scores


def _welch(sd_a: float, n_a: int, sd_b: float, n_b: int, sd_floor: float) -> tuple[float, float]:
    """Standard error of the gap and Welch-Satterthwaite df, each sd at least ``sd_floor``."""
    var_a = max(sd_a, sd_floor) ** 2 / n_a
    var_b = max(sd_b, sd_floor) ** 2 / n_b
    df = (var_a + var_b) ** 2 / (var_a**2 / (n_a - 1) + var_b**2 / (n_b - 1))
    return math.sqrt(var_a + var_b), df


def _p_text(p: float) -> str:
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha is {alpha}: pass a significance level between 0 and 1, e.g. 0.05.")


def _check_block_length(block_length: int, n_images: int) -> None:
    if isinstance(block_length, bool) or not isinstance(block_length, (int, np.integer)):
        raise ValueError(
            f"block_length is {block_length!r}: pass a whole number of consecutive images "
            "(1 draws images one by one)."
        )
    if not 1 <= block_length <= n_images // 2:
        raise ValueError(
            f"block_length is {block_length} for {n_images} images: pass 1 (images drawn one "
            f"by one) up to {max(1, n_images // 2)} (half the images; longer blocks leave "
            "too few different resamples)."
        )


def _resample_counts(
    rng: np.random.Generator, n_images: int, n_boot: int, block_length: int
) -> np.ndarray:
    """How often each image is drawn in each resample, ``int (n_boot, n_images)``.

    ``block_length == 1``: a multinomial draw (the image-by-image bootstrap). Otherwise
    circular moving blocks: ``ceil(n_images / block_length)`` uniformly drawn starts, each
    block wrapping from the last image to the first, cut to ``n_images`` images.
    """
    if block_length == 1:
        return rng.multinomial(n_images, np.full(n_images, 1 / n_images), size=n_boot)
    n_blocks = -(-n_images // block_length)
    starts = rng.integers(0, n_images, size=(n_boot, n_blocks))
    drawn = (starts[:, :, None] + np.arange(block_length)) % n_images
    drawn = drawn.reshape(n_boot, -1)[:, :n_images] + n_images * np.arange(n_boot)[:, None]
    return np.bincount(drawn.ravel(), minlength=n_boot * n_images).reshape(n_boot, n_images)
