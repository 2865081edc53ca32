"""Where labels change: a band of pixels around every boundary of a mask (NumPy only).

Scores over the whole image are dominated by the insides of large regions, where every
model does well. Scoring only the pixels near a boundary (the "trimap" evaluation of the
DeepLab papers) shows what a model does with edges and thin objects: a pole two pixels
wide is all boundary.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def boundary_band(masks: Any, width: int = 3) -> np.ndarray:
    """The pixels within ``width`` pixels of a label boundary, mask by mask.

    A pixel is on a boundary when one of its four neighbours has another label (the void
    label included: an object's outline next to unlabelled pixels is still its outline).
    The band grows that outline by ``width`` pixels in every direction (a square of side
    ``2 * width + 1``), clipped at the image border.

    Args:
        masks: class ids ``(H, W)`` or ``(B, H, W)``, with an optional trailing axis of 1.
        width: half-width of the band in pixels (0: the boundary pixels only).

    Returns:
        A boolean array of the masks' shape (trailing axis of 1 dropped).

    Raises:
        ValueError: for a negative width or masks that are not 2-D or 3-D.
    """
    if width < 0:
        raise ValueError(f"width must be 0 or more pixels, got {width}.")
    m = np.asarray(masks)
    if m.ndim in (3, 4) and m.shape[-1] == 1:
        m = m[..., 0]
    if m.ndim not in (2, 3):
        raise ValueError(f"masks must be (H, W) or (B, H, W), got shape {np.asarray(masks).shape}.")
    edge = np.zeros(m.shape, bool)
    down = m[..., 1:, :] != m[..., :-1, :]
    right = m[..., :, 1:] != m[..., :, :-1]
    edge[..., 1:, :] |= down
    edge[..., :-1, :] |= down
    edge[..., :, 1:] |= right
    edge[..., :, :-1] |= right
    return _grow(edge, width)


def _grow(band: np.ndarray, width: int) -> np.ndarray:
    """Binary dilation by a (2 * width + 1) square, as two passes of shifted ORs."""
    for axis in (-2, -1):
        grown = band.copy()
        n = band.shape[axis]
        for shift in range(1, min(width, n - 1) + 1):
            lead = [slice(None)] * band.ndim
            lag = [slice(None)] * band.ndim
            lead[axis], lag[axis] = slice(shift, None), slice(None, -shift)
            grown[tuple(lead)] |= band[tuple(lag)]
            grown[tuple(lag)] |= band[tuple(lead)]
        band = grown
    return band
