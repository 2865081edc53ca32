"""Segmentation metrics from one confusion matrix over a whole split.

``confusion_matrix`` and ``segmentation_report`` need only NumPy. The Keras metric
``MeanIoU`` (for ``model.compile``) is imported from :mod:`course_utils.metrics.keras_metric`
on first use, so importing this module does not import TensorFlow.
"""

from __future__ import annotations

from typing import Any

from course_utils.metrics.boundary import boundary_band
from course_utils.metrics.compare import (
    MIN_SEEDS,
    NOT_LEARNED_FLOOR,
    SEED_NOISE_MULTIPLE,
    SEED_SD_FLOOR,
    BootstrapResult,
    SeedSpread,
    Verdict,
    class_subset_iou,
    evaluate_per_image,
    holm,
    holm_adjusted,
    mean_class_accuracy,
    miou,
    miou_from_confusion,
    paired_bootstrap,
    paired_seed_spread,
    per_image_confusions,
    pixel_accuracy,
    seed_spread,
    verdict,
)
from course_utils.metrics.confusion import (
    SegmentationReport,
    confusion_matrix,
    evaluate,
    segmentation_report,
)
from course_utils.metrics.isbi import RandScores, rand_error
from course_utils.metrics.weights import class_weights

__all__ = [
    "MIN_SEEDS",
    "NOT_LEARNED_FLOOR",
    "SEED_NOISE_MULTIPLE",
    "SEED_SD_FLOOR",
    "BootstrapResult",
    "MeanIoU",
    "RandScores",
    "SeedSpread",
    "SegmentationReport",
    "Verdict",
    "boundary_band",
    "class_subset_iou",
    "class_weights",
    "confusion_matrix",
    "evaluate",
    "evaluate_per_image",
    "holm",
    "holm_adjusted",
    "mean_class_accuracy",
    "miou",
    "miou_from_confusion",
    "paired_bootstrap",
    "per_image_confusions",
    "pixel_accuracy",
    "rand_error",
    "paired_seed_spread",
    "seed_spread",
    "segmentation_report",
    "verdict",
]


def __getattr__(name: str) -> Any:
    if name == "MeanIoU":
        from course_utils.metrics.keras_metric import MeanIoU

        return MeanIoU
    raise AttributeError(f"module 'course_utils.metrics' has no attribute {name!r}")
