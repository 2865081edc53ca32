"""Confusion matrix and the standard segmentation scores derived from it (NumPy only)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from course_utils.metrics.boundary import boundary_band


def confusion_matrix(
    y_true: Any, y_pred: Any, num_classes: int, ignore_index: int | None = None
) -> np.ndarray:
    """Count pixels by (true class, predicted class).

    Sum the matrices of all batches of a split, then derive every score from the
    total: this is how mIoU over a split is defined (not the mean of per-image mIoUs).

    Args:
        y_true: class ids, any shape (a trailing axis of 1 is fine).
        y_pred: predicted class ids with the same number of elements, or scores with
            one more trailing axis of ``num_classes`` (argmax is taken).
        num_classes: number of real classes.
        ignore_index: void id whose pixels are left out (e.g. 11 for CamVid).

    Returns:
        ``int64 (num_classes, num_classes)``; rows are true classes, columns predictions.

    Raises:
        ValueError: for mismatched sizes, or true labels outside ``[0, num_classes)`` that
            are not the ignore id (they would silently corrupt the counts).
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    scores_with_channel = y_true.shape[-1:] == (1,) and y_pred.ndim == y_true.ndim
    scores_extra_axis = y_pred.ndim == y_true.ndim + 1
    if scores_extra_axis or (scores_with_channel and y_pred.shape[-1] > 1):
        if y_pred.shape[-1] != num_classes:
            raise ValueError(
                f"y_pred looks like scores with {y_pred.shape[-1]} channels, but num_classes is "
                f"{num_classes}: the model needs one output channel per class."
            )
        y_pred = y_pred.argmax(-1)
    if np.issubdtype(y_pred.dtype, np.floating) and not np.all(np.mod(y_pred, 1) == 0):
        raise ValueError(
            "y_pred holds fractional values: pass class ids (or scores with one channel per "
            "class, which are argmaxed). For a single sigmoid output use (p > 0.5).astype(int)."
        )
    t = y_true.reshape(-1).astype(np.int64)
    p = y_pred.reshape(-1).astype(np.int64)
    if t.size != p.size:
        raise ValueError(
            f"y_true has {t.size} pixels but y_pred has {p.size}: they must describe the same "
            f"pixels (shapes {y_true.shape} and {y_pred.shape})."
        )
    keep = np.ones_like(t, bool) if ignore_index is None else t != ignore_index
    t, p = t[keep], p[keep]
    bad = (t < 0) | (t >= num_classes)
    if bad.any():
        values = np.unique(t[bad])[:10].tolist()
        hint = "" if ignore_index is not None else " If it is the void label, pass ignore_index."
        raise ValueError(
            f"y_true holds labels {values} outside [0, {num_classes}) that are not the ignore "
            f"id ({ignore_index}).{hint}"
        )
    if p.size and (p.min() < 0 or p.max() >= num_classes):
        raise ValueError(f"y_pred holds class ids outside [0, {num_classes}).")
    return np.bincount(t * num_classes + p, minlength=num_classes**2).reshape(
        num_classes, num_classes
    )


@dataclasses.dataclass
class SegmentationReport:
    """Scores of a confusion matrix. Per-class values are ``nan`` for classes absent from
    both the labels and the predictions; means skip them.

    Attributes:
        class_names: one name per class.
        pixel_accuracy: correct pixels / all counted pixels.
        mean_class_accuracy: mean over classes of per-class recall.
        iou: per-class intersection over union.
        miou: mean of ``iou`` over classes present.
        fwiou: frequency-weighted IoU (IoU weighted by each class's pixel share).
        dice: per-class Dice (F1) score.
        mean_dice: mean of ``dice``.
        class_accuracy: per-class recall.
        pixel_share: fraction of counted pixels of each true class.
    """

    class_names: list[str]
    pixel_accuracy: float
    mean_class_accuracy: float
    iou: np.ndarray
    miou: float
    fwiou: float
    dice: np.ndarray
    mean_dice: float
    class_accuracy: np.ndarray
    pixel_share: np.ndarray

    def as_dict(self) -> dict[str, Any]:
        """Plain Python values (for JSON)."""
        return {
            "pixel_accuracy": self.pixel_accuracy,
            "mean_class_accuracy": self.mean_class_accuracy,
            "miou": self.miou,
            "fwiou": self.fwiou,
            "mean_dice": self.mean_dice,
            "per_class": {
                name: {
                    "iou": _nan_to_none(self.iou[i]),
                    "dice": _nan_to_none(self.dice[i]),
                    "accuracy": _nan_to_none(self.class_accuracy[i]),
                    "pixel_share": float(self.pixel_share[i]),
                }
                for i, name in enumerate(self.class_names)
            },
        }

    def __str__(self) -> str:
        width = max(len(n) for n in self.class_names)
        lines = [
            f"pixel accuracy {self.pixel_accuracy:.3f} | mean class accuracy "
            f"{self.mean_class_accuracy:.3f} | mIoU {self.miou:.3f} | fwIoU {self.fwiou:.3f} | "
            f"mean Dice {self.mean_dice:.3f}",
            f"{'class':<{width}}  {'IoU':>6}  {'Dice':>6}  {'acc':>6}  {'pixels':>7}",
        ]
        for i, name in enumerate(self.class_names):
            lines.append(
                f"{name:<{width}}  {self.iou[i]:6.3f}  {self.dice[i]:6.3f}  "
                f"{self.class_accuracy[i]:6.3f}  {100 * self.pixel_share[i]:6.2f}%"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{n}</td><td>{self.iou[i]:.3f}</td><td>{self.dice[i]:.3f}</td>"
            f"<td>{self.class_accuracy[i]:.3f}</td><td>{100 * self.pixel_share[i]:.2f}%</td></tr>"
            for i, n in enumerate(self.class_names)
        )
        return (
            f"<p><b>pixel accuracy</b> {self.pixel_accuracy:.3f} &nbsp; <b>mean class accuracy</b> "
            f"{self.mean_class_accuracy:.3f} &nbsp; <b>mIoU</b> {self.miou:.3f} &nbsp; "
            f"<b>fwIoU</b> {self.fwiou:.3f} &nbsp; <b>mean Dice</b> {self.mean_dice:.3f}</p>"
            "<table><tr><th>class</th><th>IoU</th><th>Dice</th><th>accuracy</th>"
            f"<th>pixels</th></tr>{rows}</table>"
        )


def _nan_to_none(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.full(np.shape(a), np.nan)
    return np.divide(a, b, out=out, where=b > 0)


def segmentation_report(cm: np.ndarray, class_names: Sequence[str]) -> SegmentationReport:
    """Derive pixel accuracy, mean class accuracy, per-class IoU, mIoU, fwIoU and Dice.

    Args:
        cm: confusion matrix from :func:`confusion_matrix` (summed over a split).
        class_names: one name per class.

    Raises:
        ValueError: if the matrix is not square with one row per class name, or is empty.
    """
    cm = np.asarray(cm, dtype=np.float64)
    n = len(class_names)
    if cm.shape != (n, n):
        raise ValueError(f"cm has shape {cm.shape} but there are {n} class names.")
    total = cm.sum()
    if total == 0:
        raise ValueError("The confusion matrix is empty: no pixel was counted (all void?).")
    tp = np.diag(cm)
    true_count = cm.sum(1)
    pred_count = cm.sum(0)
    union = true_count + pred_count - tp
    iou = _safe_div(tp, union)
    dice = _safe_div(2 * tp, true_count + pred_count)
    class_acc = _safe_div(tp, true_count)
    share = true_count / total
    return SegmentationReport(
        class_names=list(class_names),
        pixel_accuracy=float(tp.sum() / total),
        mean_class_accuracy=float(np.nanmean(class_acc)),
        iou=iou,
        miou=float(np.nanmean(iou)),
        fwiou=float(np.nansum(share * iou)),
        dice=dice,
        mean_dice=float(np.nanmean(dice)),
        class_accuracy=class_acc,
        pixel_share=share,
    )


def evaluate(
    model: Any,
    dataset: Iterable[Any],
    num_classes: int,
    class_names: Sequence[str] | None = None,
    ignore_index: int | None = None,
    boundary_width: int | None = None,
) -> SegmentationReport:
    """Run a segmentation model over a dataset of ``(image, mask)`` batches and report.

    Args:
        model: a Keras model returning per-pixel scores ``(B, H, W, num_classes)``.
        dataset: an iterable of ``(images, masks)`` batches, e.g. from ``data.load``.
        num_classes: number of real classes.
        class_names: names for the report (default ``"0", "1", ...``).
        ignore_index: void id to leave out.
        boundary_width: score only the pixels within this many pixels of a label boundary
            (``metrics.boundary_band``); ``None`` scores every pixel.
    """
    cm = np.zeros((num_classes, num_classes), np.int64)
    for images, masks in dataset:
        predicted = np.asarray(model.predict_on_batch(images)).argmax(-1)
        truth = np.asarray(masks)
        if boundary_width is not None:
            keep = boundary_band(truth, boundary_width)
            truth, predicted = truth.reshape(keep.shape)[keep], predicted.reshape(keep.shape)[keep]
        cm += confusion_matrix(truth, predicted, num_classes, ignore_index)
    names = list(class_names) if class_names is not None else [str(i) for i in range(num_classes)]
    return segmentation_report(cm, names)
