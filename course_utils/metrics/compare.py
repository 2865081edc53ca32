"""Verdicts that know the noise: is model A's score really above model B's? (NumPy only)

Two sources of noise stand between "A scored higher than B" and "A is better than B":

- **which images were scored.** :func:`paired_bootstrap` resamples the evaluation images
  (the same resample for both models) and gives an interval for the gap;
- **which training run was scored.** :func:`seed_spread` compares the scores of several
  runs (seeds) of each recipe and gives the noise scale of the mean gap.

:func:`verdict` needs both to clear zero before it calls a claim supported or contradicted,
and always prints the numbers beside its word.
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

#: ``verdict`` requires the mean seed gap to exceed this many times its noise scale
#: (the standard error of the difference of the two means).
SEED_NOISE_MULTIPLE = 2.0

#: ``verdict`` never calls a gap smaller than this (one point of IoU or accuracy): two
#: scores of 0.004 and 0.000 both mean "nothing learned", however small their noise (with
#: every seed at 0.000 the seed noise is 0, and no noise test could object).
MIN_GAP = 0.01

#: Coverage of the bootstrap interval that ``paired_bootstrap`` reports by default.
DEFAULT_CI = 0.95

VerdictWord = Literal["supported", "contradicted", "undecided"]


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
    """

    observed_gap: float
    ci_low: float
    ci_high: float
    ci: float
    n_boot: int
    n_images: int
    score_name: str
    gaps: np.ndarray = dataclasses.field(repr=False, compare=False)

    def __str__(self) -> str:
        return (
            f"{self.score_name} gap {self.observed_gap:+.4f}, {100 * self.ci:g}% bootstrap CI "
            f"[{self.ci_low:+.4f}, {self.ci_high:+.4f}] ({self.n_boot} resamples of "
            f"{self.n_images} images)"
        )


def paired_bootstrap(
    conf_a: Any,
    conf_b: Any,
    n_boot: int = 2000,
    seed: int = 0,
    score: Score = miou,
    ci: float = DEFAULT_CI,
) -> BootstrapResult:
    """Interval for ``score(A) - score(B)`` from resampling the evaluation images.

    Each resample draws ``n_images`` images with replacement, the same draw for both
    models (paired: the gap is what each image's difficulty cancels out of), sums each
    model's per-image confusion matrices over the draw and scores the sums, exactly as the
    whole-set score sums them. The interval is the percentile interval of the resampled
    gaps. Resamples where the score is undefined (``nan``, e.g. a subset score whose classes
    are all absent) are left out of the interval.

    Args:
        conf_a: per-image confusion matrices of model A ``(n_images, C, C)``
            (from :func:`per_image_confusions`).
        conf_b: the same for model B, on the same images in the same order.
        n_boot: number of resamples.
        seed: seed of the resampling (the same seed gives the same interval).
        score: a :data:`Score` (default :func:`miou`; see :func:`class_subset_iou`).
        ci: coverage of the interval, in (0, 1).

    Returns:
        The observed gap on all images, the interval and the resampled gaps.

    Raises:
        ValueError: if the stacks differ in shape, have fewer than two images, hold negative
            counts, or count different true pixels per image (then they do not describe the
            same images in the same order, e.g. a shuffled dataset), or for a bad ``n_boot``
            or ``ci``.
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

    rng = np.random.default_rng(seed)
    # How often each image is drawn in each resample: (n_boot, n_images).
    counts = rng.multinomial(n_images, np.full(n_images, 1 / n_images), size=n_boot)
    weights = counts.astype(np.float64)  # float64 matmul uses BLAS; counts stay exact < 2**53
    boot_a = (weights @ a.reshape(n_images, c * c)).reshape(n_boot, c, c)
    boot_b = (weights @ b.reshape(n_images, c * c)).reshape(n_boot, c, c)
    gaps = np.asarray(score(boot_a) - score(boot_b), np.float64)
    if gaps.shape != (n_boot,):
        raise ValueError(
            f"score returned shape {gaps.shape} for {n_boot} matrices: a score must map "
            "(n, C, C) to n values (see miou)."
        )
    observed = float(np.asarray(score(a.sum(0)) - score(b.sum(0))))
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
    )


@dataclasses.dataclass(frozen=True)
class SeedSpread:
    """How much the gap between two recipes moves from one training run to the next.

    Attributes:
        mean_a: mean score of A's runs.
        mean_b: mean score of B's runs.
        mean_gap: ``mean_a - mean_b``.
        noise: standard error of ``mean_gap``, ``sqrt(sd_a**2 / n_a + sd_b**2 / n_b)``;
            ``None`` (unknown, not zero) when a side has a single run.
        n_a: number of runs of A.
        n_b: number of runs of B.
        sd_a: sample standard deviation of A's scores (``None`` for one run).
        sd_b: the same for B.
        range_a: lowest and highest score of A.
        range_b: the same for B.
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

    @property
    def known(self) -> bool:
        """Whether both sides have at least two runs, so the noise scale is known."""
        return self.noise is not None

    def __str__(self) -> str:
        runs = f"{self.n_a} vs {self.n_b} seeds"
        ranges = (
            f"A {self.range_a[0]:.4f}..{self.range_a[1]:.4f}, "
            f"B {self.range_b[0]:.4f}..{self.range_b[1]:.4f}"
        )
        if self.noise is None:
            return f"seed mean gap {self.mean_gap:+.4f}, seed spread unknown ({runs}; {ranges})"
        return f"seed mean gap {self.mean_gap:+.4f} ± {self.noise:.4f} (SE; {runs}; {ranges})"


def seed_spread(scores_a: Sequence[float], scores_b: Sequence[float]) -> SeedSpread:
    """Mean gap between two recipes over training runs, and its noise scale.

    Runs of A and B are independent (seed 0 of A has nothing to do with seed 0 of B), so
    the noise scale is the standard error of a difference of two means,
    ``sqrt(sd_a**2 / n_a + sd_b**2 / n_b)`` with sample standard deviations.

    Args:
        scores_a: one score per training run (seed) of model A, e.g. validation mIoU.
        scores_b: the same for model B (on the same evaluation set, with the same score).

    Returns:
        The spread; with a single run on either side its ``noise`` is ``None``: one run
        says nothing about how much runs differ.

    Raises:
        ValueError: if a side has no score or a score is not a finite number.
    """
    a = _check_scores(scores_a, "scores_a")
    b = _check_scores(scores_b, "scores_b")
    sd_a = float(np.std(a, ddof=1)) if a.size > 1 else None
    sd_b = float(np.std(b, ddof=1)) if b.size > 1 else None
    noise = (
        math.sqrt(sd_a**2 / a.size + sd_b**2 / b.size)
        if sd_a is not None and sd_b is not None
        else None
    )
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
    )


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The verdict on a claim "A beats B", with the numbers it rests on.

    Attributes:
        claim: the claim, as given.
        word: ``"supported"``, ``"contradicted"`` or ``"undecided"``.
        reason: why, in a few words.
        text: one line with the claim, the word, the reason and every number.
        bootstrap: the paired bootstrap over images.
        spread: the spread over seeds (``None`` if none was given).
    """

    claim: str
    word: VerdictWord
    reason: str
    text: str
    bootstrap: BootstrapResult
    spread: SeedSpread | None

    def __str__(self) -> str:
        return self.text


def verdict(claim: str, bootstrap: BootstrapResult, spread: SeedSpread | None = None) -> Verdict:
    """Judge the claim "A beats B" (A's score above B's) against both kinds of noise.

    The rule (``k = SEED_NOISE_MULTIPLE``, 2):

    - **supported** when the gap is positive beyond both noises: the observed gap and the
      whole bootstrap interval are above zero (``ci_low > 0``) *and* the mean seed gap
      exceeds ``k`` times its noise scale (``mean_gap > k * noise``);
    - **contradicted** when the gap is reversed beyond both: observed gap and ``ci_high``
      below zero *and* ``mean_gap < -k * noise``;
    - **undecided** otherwise: the observed or the mean seed gap is under ``MIN_GAP``
      (0.01) in size, the interval includes zero, the seeds do not clear their
      spread (or point the other way), or the seed spread is unknown (no spread given, or
      a single run on a side: a single run cannot show how much runs differ).

    ``mean_gap > k * noise`` is a rough two-sided test at about 95% for many seeds; with
    two or three seeds per model it is lenient (Student's t would ask for about 3 to 4
    times the noise), which the bootstrap condition partly makes up for.

    Args:
        claim: the claim, phrased so that A beats B (e.g. ``"skips help: U-Net > SegNet"``).
        bootstrap: :func:`paired_bootstrap` of A's and B's per-image confusion matrices.
        spread: :func:`seed_spread` of A's and B's per-seed scores, in the same order.

    Returns:
        The verdict; its ``text`` always prints the observed gap, the bootstrap interval
        and the seed gap with its noise (or "seed spread unknown") beside the word.
    """
    k = SEED_NOISE_MULTIPLE
    above = bootstrap.observed_gap > 0 and bootstrap.ci_low > 0
    below = bootstrap.observed_gap < 0 and bootstrap.ci_high < 0
    word: VerdictWord = "undecided"
    if spread is None or spread.noise is None:
        reason = "needs ≥2 seeds per model"
    elif bootstrap.ci_low <= 0 <= bootstrap.ci_high:
        reason = "the bootstrap CI includes 0"
    elif abs(bootstrap.observed_gap) < MIN_GAP or abs(spread.mean_gap) < MIN_GAP:
        reason = f"the gap is under {MIN_GAP:g}, too small to call whatever its noise"
    elif above and spread.mean_gap > k * spread.noise:
        word, reason = "supported", f"gap clears the bootstrap CI and {k:g}× the seed noise"
    elif below and spread.mean_gap < -k * spread.noise:
        word, reason = "contradicted", f"gap reversed beyond the CI and {k:g}× the seed noise"
    elif not (above or below):
        reason = "the observed gap and the bootstrap CI point different ways"
    else:
        reason = f"the seed gap is within {k:g}× its noise or points the other way"
    seeds = "seed spread unknown" if spread is None else str(spread)
    text = f"{claim}: {word}: {reason} — {bootstrap}; {seeds}"
    return Verdict(
        claim=claim, word=word, reason=reason, text=text, bootstrap=bootstrap, spread=spread
    )


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
