"""Class weights for rare classes, computed from the training masks."""

from __future__ import annotations

import numpy as np


def class_weights(
    masks: np.ndarray,
    num_classes: int,
    ignore_index: int | None = None,
    method: str = "median_frequency",
) -> np.ndarray:
    """One weight per class, large for rare classes.

    Args:
        masks: integer masks ``(N, H, W)`` or ``(N, H, W, 1)``.
        num_classes: number of real classes; ids at or above it (void) are left out.
        ignore_index: void id (ids equal to it are left out too).
        method: ``"median_frequency"`` (SegNet, after Eigen and Fergus 2015):
            ``median(freq) / freq[c]``, where ``freq[c]`` is class ``c``'s pixels divided
            by the pixels of the images in which ``c`` occurs; or ``"inverse_sqrt"``:
            ``1 / sqrt(share[c])`` scaled to a mean of 1, gentler on very rare classes.

    Returns:
        ``float32 (num_classes,)``; a class that never occurs gets weight 0 (it cannot be
        learned from these masks, and a huge weight would only add noise).
    """
    masks = np.asarray(masks)
    if masks.ndim == 4:
        masks = masks[..., 0]
    if masks.ndim != 3:
        raise ValueError(f"masks must be (N, H, W) or (N, H, W, 1), got shape {masks.shape}.")
    flat = masks.reshape(len(masks), -1).astype(np.int64)
    keep = (flat >= 0) & (flat < num_classes)
    if ignore_index is not None:
        keep &= flat != ignore_index
    counts = np.stack(
        [
            np.bincount(row[k], minlength=num_classes)[:num_classes]
            for row, k in zip(flat, keep, strict=True)
        ]
    )  # (N, C) pixels of each class per image
    total = counts.sum(0).astype(np.float64)
    present = total > 0
    weights = np.zeros(num_classes)
    if method == "median_frequency":
        image_pixels = counts.sum(1, keepdims=True)  # labelled pixels per image
        in_images = ((counts > 0) * image_pixels).sum(0)
        freq = np.where(present, total / np.maximum(in_images, 1), np.nan)
        weights[present] = np.nanmedian(freq) / freq[present]
    elif method == "inverse_sqrt":
        share = total / total.sum()
        weights[present] = 1 / np.sqrt(share[present])
        weights[present] /= weights[present].mean()
    else:
        raise ValueError(f"method must be 'median_frequency' or 'inverse_sqrt', not {method!r}.")
    return weights.astype(np.float32)
