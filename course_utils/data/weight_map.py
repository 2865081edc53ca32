"""U-Net's border weight map (Ronneberger, Fischer and Brox 2015, eq. 2).

Cells that touch are separated by membranes a pixel or two wide: a network that misses a
few of those pixels merges two cells, yet those pixels weigh nothing in a plain pixel
loss. The paper weights each pixel of the loss by

    w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))^2 / (2 * sigma^2))

where ``w_c`` balances the class frequencies and ``d1``, ``d2`` are the distances to the
nearest and the second-nearest cell: large only in the narrow gaps between two cells.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import tensorflow as tf

#: Distances are computed within this many sigmas of each cell. A pixel farther than that
#: from its second-nearest cell has d1 + d2 > 6 sigma, so the term it misses is below
#: w0 * exp(-18), about 1.5e-7 * w0.
WINDOW_SIGMAS = 6.0


def border_weight_map(
    mask: np.ndarray,
    w0: float = 10.0,
    sigma: float = 5.0,
    labelled: bool = False,
    class_weights: Sequence[float] | None = None,
) -> np.ndarray:
    """The paper's per-pixel loss weights for one mask (eq. 2 of the U-Net paper).

    Cells are the connected regions of the cell-interior class (4-connectivity: cells
    that touch only at a corner, across a diagonal membrane, stay apart), or the given
    instances when ``labelled=True``; background is every other pixel (the membranes).
    For each background pixel ``d1`` and ``d2`` are the Euclidean distances to the
    nearest pixel of the nearest and of the second-nearest cell (``scipy.ndimage``'s
    distance transform, one per cell). The border term is added on background pixels
    only: inside a cell ``d1`` is 0, and the paper's figure 3 shows weight only in the
    gaps between cells, as the widely used implementations do. With fewer than two cells
    there is no border term.

    ``w_c`` is the class-balancing weight of each pixel's class, computed from this mask
    as in the paper ("pre-computed for each ground truth segmentation"): ``pixels /
    (classes present * pixels of the class)``, so the two classes weigh the same in
    total and ``w_c`` averages 1 over the image. Pass ``class_weights`` to use fixed ones
    instead (e.g. computed over a whole training set).

    Cost: one distance transform per cell, each on the cell's bounding box grown by
    ``6 * sigma`` (:data:`WINDOW_SIGMAS`; farther away the term is below ``1.5e-7 * w0``
    and is left out). A 512x512 ISBI mask with a few hundred cells takes well under a
    second; compute the maps once per training mask (or per augmented crop), not per
    step.

    Args:
        mask: ``(H, W)`` or ``(H, W, 1)``: an ISBI-style binary mask (1 = cell interior,
            0 = membrane; booleans work), or, with ``labelled=True``, instance ids
            (0 = background, each positive id one cell).
        w0: weight of the border term (10 in the paper).
        sigma: width of the border term in pixels (about 5 in the paper).
        labelled: ``mask`` holds instance ids rather than a binary mask.
        class_weights: ``(background, cell)`` weights to use as ``w_c`` instead of this
            mask's balancing weights.

    Returns:
        ``(H, W)`` float32 weights, to multiply a per-pixel loss with.

    Raises:
        ValueError: for a mask that is not 2-D (or ``(H, W, 1)``), a binary mask with
            other values than 0 and 1, negative instance ids, a negative ``w0``, a
            ``sigma`` that is not positive, or class weights that are not two positive
            numbers.
    """
    cells = _cells(mask, labelled)
    _check_border_term(w0, sigma)
    background = cells == 0
    weights = _class_weights(background, class_weights)
    if w0 == 0 or len(np.unique(cells[~background])) < 2:  # no gap between two cells
        return weights.astype(np.float32)
    d1, d2 = _two_nearest(cells, WINDOW_SIGMAS * sigma)
    border = np.zeros(cells.shape, np.float64)
    finite = background & np.isfinite(d2)
    border[finite] = w0 * np.exp(-((d1[finite] + d2[finite]) ** 2) / (2 * sigma**2))
    return (weights + border).astype(np.float32)


def with_border_weights(
    dataset: tf.data.Dataset, w0: float = 10.0, sigma: float = 5.0
) -> tf.data.Dataset:
    """A dataset of ``(image, mask)`` batches as ``(image, mask, weights)``, for training
    with the border weight map: each mask's :func:`border_weight_map`, computed on the mask
    as it comes out of the pipeline (after any crop, flip or elastic warp, so the weights
    follow the deformed membranes), in float32 ``(batch, H, W)``. Keras reads the third
    element of a batch as per-pixel ``sample_weight`` of the loss.

    The maps are computed on the CPU in NumPy (a few milliseconds for a 128x128 ISBI
    crop); the batches keep their order.

    Args:
        dataset: batches of ``(images, masks)``, masks ``(batch, H, W, 1)`` or
            ``(batch, H, W)`` of 0 (membrane) and 1 (cell), as ``data.load("isbi2012",
            ...)`` gives them.
        w0, sigma: as for :func:`border_weight_map` (the paper's 10 and 5).

    Raises:
        ValueError: for a ``w0`` or ``sigma`` :func:`border_weight_map` refuses (at once,
            not at the first batch).
    """
    from course_utils._tf import import_tensorflow

    tf = import_tensorflow()
    _check_border_term(w0, sigma)  # at once, not at the first batch

    def batch_weights(masks: np.ndarray) -> np.ndarray:
        return np.stack([border_weight_map(m, w0=w0, sigma=sigma) for m in masks])

    def add_weights(images: Any, masks: Any) -> tuple[Any, Any, Any]:
        weights = tf.numpy_function(batch_weights, [masks], tf.float32, stateful=False)
        weights.set_shape(masks.shape[:3])
        return images, masks, weights

    return dataset.map(add_weights, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _check_border_term(w0: float, sigma: float) -> None:
    """Refuse a border term the map cannot have, saying what the paper uses."""
    if not (math.isfinite(w0) and w0 >= 0):
        raise ValueError(f"w0 must be 0 or more, got {w0!r}; the paper uses 10.")
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(
            f"sigma must be a positive number of pixels, got {sigma!r}; the paper uses 5."
        )


def _cells(mask: np.ndarray, labelled: bool) -> np.ndarray:
    """Instance ids (0 = background) from a binary mask or instance labels, checked."""
    from scipy import ndimage

    m = np.asarray(mask)
    if m.ndim == 3 and m.shape[-1] == 1:
        m = m[..., 0]
    if m.ndim != 2 or 0 in m.shape:
        raise ValueError(
            f"mask must be one (H, W) or (H, W, 1) mask, got shape {np.asarray(mask).shape}; "
            "compute one map per mask of a batch."
        )
    if not (m.dtype == bool or np.issubdtype(m.dtype, np.integer)):
        raise ValueError(
            f"mask must hold integers or booleans, got {m.dtype}; threshold a predicted "
            "probability first, or cast instance ids to int."
        )
    if labelled:
        if m.min() < 0:
            raise ValueError(f"instance ids must be 0 (background) or positive, got {m.min()}.")
        return m.astype(np.int64)
    values = np.unique(m)
    if not set(values.tolist()) <= {0, 1}:
        raise ValueError(
            "a binary mask holds 0 (membrane) and 1 (cell) only, got values "
            f"{values[:10].tolist()}; map 255 to 1 first, or pass labelled=True for instance ids."
        )
    cells, _ = ndimage.label(m == 1)  # 4-connectivity
    return np.asarray(cells, np.int64)


def _class_weights(background: np.ndarray, given: Sequence[float] | None) -> np.ndarray:
    """``w_c``: each pixel's class weight (background, cell), balanced unless given."""
    if given is not None:
        pair = tuple(float(w) for w in given)
        if len(pair) != 2 or not all(math.isfinite(w) and w > 0 for w in pair):
            raise ValueError(
                f"class_weights must be two positive numbers (background, cell), got {given!r}."
            )
        w_background, w_cell = pair
    else:
        n_background = int(background.sum())
        n_cell = background.size - n_background
        present = (n_background > 0) + (n_cell > 0)
        w_background = background.size / (present * n_background) if n_background else 1.0
        w_cell = background.size / (present * n_cell) if n_cell else 1.0
    return np.where(background, w_background, w_cell).astype(np.float64)


def _two_nearest(cells: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Distances to the nearest and second-nearest cell (``inf`` beyond ``reach``)."""
    from scipy import ndimage

    height, width = cells.shape
    d1 = np.full(cells.shape, np.inf)
    d2 = np.full(cells.shape, np.inf)
    pad = int(math.ceil(reach))
    for label, box in enumerate(ndimage.find_objects(cells), start=1):
        if box is None:  # an id with no pixels
            continue
        rows = slice(max(box[0].start - pad, 0), min(box[0].stop + pad, height))
        cols = slice(max(box[1].start - pad, 0), min(box[1].stop + pad, width))
        distance = ndimage.distance_transform_edt(cells[rows, cols] != label)
        near1, near2 = d1[rows, cols], d2[rows, cols]  # views: updated in place
        np.minimum(near2, np.maximum(near1, distance), out=near2)
        np.minimum(near1, distance, out=near1)
    return d1, d2
