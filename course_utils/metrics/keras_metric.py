"""A Keras mean-IoU metric for ``compile()`` that takes logits and ignores the void id."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="course_utils")
class MeanIoU(keras.metrics.Metric):
    """Mean intersection over union, accumulated over every batch of an epoch.

    Unlike ``keras.metrics.MeanIoU`` with its defaults, it takes the model's raw
    scores (logits or probabilities, argmax is taken), drops pixels whose label is
    ``ignore_index`` (and any label outside ``[0, num_classes)``: the data layer refuses
    such labels when it reads masks, so none should arrive here), and averages
    IoU over the classes that occur in labels or predictions, so absent classes do
    not count as zero.

    Args:
        num_classes: number of real classes.
        ignore_index: void id to ignore (e.g. 11 for CamVid), or ``None``.
        name: metric name in logs.

    Example:
        >>> model.compile(optimizer="adam",
        ...     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=11),
        ...     metrics=[MeanIoU(num_classes=11, ignore_index=11)])  # doctest: +SKIP
    """

    def __init__(self, num_classes: int, ignore_index: int | None = None, name: str = "miou", **kw):
        super().__init__(name=name, **kw)
        self.num_classes = int(num_classes)
        self.ignore_index = ignore_index
        self.total_cm = self.add_variable(
            shape=(self.num_classes, self.num_classes),
            initializer="zeros",
            dtype="float32",
            name="total_confusion_matrix",
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        n = self.num_classes
        if y_pred.shape[-1] != n:
            raise ValueError(
                f"MeanIoU(num_classes={n}) got scores with {y_pred.shape[-1]} channels: the "
                "model's last layer must have one output per class (void is not a class)."
            )
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        preds = ops.cast(ops.reshape(ops.argmax(y_pred, axis=-1), (-1,)), "int32")
        valid = ops.logical_and(labels >= 0, labels < n)
        if self.ignore_index is not None:
            valid = ops.logical_and(valid, labels != self.ignore_index)
        weights = ops.cast(valid, "float32")
        if sample_weight is not None:
            weights = weights * ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        index = ops.where(valid, labels * n + preds, ops.zeros_like(labels))
        counts = ops.segment_sum(weights, index, num_segments=n * n)
        self.total_cm.assign_add(ops.reshape(counts, (n, n)))

    def result(self):
        cm = self.total_cm
        tp = ops.diagonal(cm)
        union = ops.sum(cm, axis=0) + ops.sum(cm, axis=1) - tp
        present = ops.cast(union > 0, "float32")
        iou = tp / ops.maximum(union, 1.0)
        return ops.sum(iou * present) / ops.maximum(ops.sum(present), 1.0)

    def reset_state(self):
        self.total_cm.assign(ops.zeros_like(self.total_cm))

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "ignore_index": self.ignore_index,
        }
