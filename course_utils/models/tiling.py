"""Overlap-tile prediction (U-Net's strategy for images larger than what fits at once)."""

from __future__ import annotations

from typing import Any

import numpy as np


def predict_tiled(
    model: Any, image: np.ndarray, tile: int = 256, margin: int = 32, batch_size: int = 4
) -> np.ndarray:
    """Predict a large image tile by tile, each tile seeing ``margin`` pixels of context.

    The image is first extended by ``margin`` pixels on every side by **mirroring** its
    border (so border pixels get plausible context instead of zeros), then cut into
    ``tile x tile`` windows that overlap by ``2 * margin``; only the central
    ``tile - 2 * margin`` square of each window's prediction is kept. With a margin at
    least as large as the network's effective context, the result has no seams.

    Args:
        model: a Keras model taking ``(B, tile, tile, C)`` and returning per-pixel scores.
        image: ``(H, W, C)`` float image (any size).
        tile: window size the model is run on (must be a size the model takes).
        margin: context pixels on each side of the kept centre.
        batch_size: windows per forward pass.

    Returns:
        ``float32 (H, W, K)`` scores.
    """
    if tile <= 2 * margin:
        raise ValueError(f"tile ({tile}) must be larger than twice the margin ({margin}).")
    image = np.asarray(image, np.float32)
    h, w = image.shape[:2]
    step = tile - 2 * margin
    rows, cols = -(-h // step), -(-w // step)
    pad_bottom, pad_right = rows * step - h + margin, cols * step - w + margin
    if max(margin, pad_bottom, pad_right) >= min(h, w):
        raise ValueError(
            f"The image ({h}x{w}) is too small to mirror {max(margin, pad_bottom, pad_right)} "
            "pixels of border: use a smaller tile or margin, or predict it whole."
        )
    padded = np.pad(image, ((margin, pad_bottom), (margin, pad_right), (0, 0)), mode="reflect")
    corners = [(r * step, c * step) for r in range(rows) for c in range(cols)]
    out = None
    for start in range(0, len(corners), batch_size):
        chunk = corners[start : start + batch_size]
        windows = np.stack([padded[y : y + tile, x : x + tile] for y, x in chunk])
        scores = np.asarray(model.predict_on_batch(windows), np.float32)
        if out is None:
            out = np.zeros((rows * step, cols * step, scores.shape[-1]), np.float32)
        for (y, x), s in zip(chunk, scores, strict=True):
            out[y : y + step, x : x + step] = s[margin : margin + step, margin : margin + step]
    assert out is not None  # rows, cols >= 1, so at least one batch ran
    return out[:h, :w]
