"""Pixel-wise losses for segmentation that ignore the void label.

Keras' own ``SparseCategoricalCrossentropy(from_logits=True, ignore_class=void)`` is the
course's default loss; these add what it lacks: per-class weights and the Dice loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import ops


def _labels_and_valid(y_true, num_classes: int, ignore_index: int | None):
    labels = ops.cast(y_true, "int32")
    if len(labels.shape) == 4:
        labels = ops.squeeze(labels, -1)
    valid = ops.logical_and(labels >= 0, labels < num_classes)
    if ignore_index is not None:
        valid = ops.logical_and(valid, labels != ignore_index)
    return ops.where(valid, labels, ops.zeros_like(labels)), ops.cast(valid, "float32")


def _check_channels(y_pred, num_classes: int, loss: str) -> None:
    if y_pred.shape[-1] != num_classes:
        raise ValueError(
            f"{loss}(num_classes={num_classes}) got {y_pred.shape[-1]} scores per pixel: the "
            "model's last layer must output one score per class (void is not a class)."
        )


@keras.saving.register_keras_serializable(package="course_utils")
class WeightedCrossEntropy(keras.losses.Loss):
    """Sparse cross-entropy from logits with a weight per class and the void id ignored.

    The loss of a batch is ``sum(w[y] * CE) / sum(w[y])`` over its non-void pixels, so
    weights change which pixels matter, not the loss's scale.

    Args:
        class_weights: one weight per class (e.g. from ``metrics.class_weights``).
        ignore_index: void id, or ``None``.
    """

    def __init__(
        self,
        class_weights: Sequence[float],
        ignore_index: int | None = None,
        name: str = "weighted_ce",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.class_weights = [float(w) for w in class_weights]
        self.ignore_index = ignore_index

    def call(self, y_true, y_pred):
        n = len(self.class_weights)
        _check_channels(y_pred, n, "WeightedCrossEntropy")
        labels, valid = _labels_and_valid(y_true, n, self.ignore_index)
        logits = ops.cast(y_pred, "float32")
        ce = ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        weights = ops.take(ops.convert_to_tensor(self.class_weights, "float32"), labels) * valid
        return ops.sum(weights * ce) / ops.maximum(ops.sum(weights), 1e-8)

    def get_config(self):
        return {
            **super().get_config(),
            "class_weights": self.class_weights,
            "ignore_index": self.ignore_index,
        }


@keras.saving.register_keras_serializable(package="course_utils")
class DiceLoss(keras.losses.Loss):
    """Soft Dice loss: one minus the mean over classes of ``2|P∩T| / (|P| + |T|)``.

    ``P`` are the softmax probabilities and ``T`` the one-hot labels, summed over every
    non-void pixel of the batch. Each class counts equally however few pixels it has,
    which is why Dice helps rare classes; a class absent from both labels and
    predictions scores ``smooth / smooth = 1``.

    Args:
        num_classes: number of real classes.
        ignore_index: void id, or ``None``.
        smooth: added to numerator and denominator (keeps empty classes finite).
    """

    def __init__(
        self,
        num_classes: int,
        ignore_index: int | None = None,
        smooth: float = 1.0,
        name: str = "dice_loss",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.num_classes = int(num_classes)
        self.ignore_index = ignore_index
        self.smooth = float(smooth)

    def call(self, y_true, y_pred):
        _check_channels(y_pred, self.num_classes, "DiceLoss")
        labels, valid = _labels_and_valid(y_true, self.num_classes, self.ignore_index)
        probs = ops.softmax(ops.cast(y_pred, "float32"), axis=-1) * valid[..., None]
        onehot = ops.one_hot(labels, self.num_classes) * valid[..., None]
        axes = (0, 1, 2)
        overlap = ops.sum(probs * onehot, axis=axes)
        total = ops.sum(probs, axis=axes) + ops.sum(onehot, axis=axes)
        dice = (2 * overlap + self.smooth) / (total + self.smooth)
        return 1 - ops.mean(dice)

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "ignore_index": self.ignore_index,
            "smooth": self.smooth,
        }
