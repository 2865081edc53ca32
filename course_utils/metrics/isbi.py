"""The ISBI 2012 challenge's Rand error, on cell segments (NumPy; scikit-image and SciPy on use).

Pixel error treats every pixel alike, but what matters in a membrane map is which cells
it separates: a gap of one pixel in a membrane merges two cells and costs almost no
pixel error. The challenge therefore ranked by errors on *segments* (Arganda-Carreras
et al., Frontiers in Neuroanatomy 2015): cells are the connected regions enclosed by
membranes, and the Rand error counts pairs of pixels that the prediction puts together
or apart differently from the truth.

The challenge's other measure, the **warping error** (Jain et al., "Boundary learning by
optimization with topological constraints", CVPR 2010), is not computed here: it first
warps the prediction towards the truth by flipping only pixels whose flip changes no
topology (simple points), then counts the splits and merges that remain. That warping
has no maintained Python implementation (the challenge's own is a Fiji plug-in), and a
home-made one would give numbers not comparable with the challenge's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


@dataclasses.dataclass(frozen=True)
class RandScores:
    """The foreground-restricted adapted Rand scores of one predicted cell segmentation.

    Attributes:
        error: ``1 -`` the Rand F-score (harmonic mean of precision and recall); the
            challenge's "Rand error" (0 is perfect).
        precision: of the pixel pairs the prediction puts in one cell, the share that are
            in one cell in the truth; merged cells lower it.
        recall: of the pixel pairs in one true cell, the share the prediction also puts in
            one cell; split cells (and cell pixels predicted as membrane) lower it.
        true_cells: cells (connected regions) in the truth.
        pred_cells: cells in the prediction.
    """

    error: float
    precision: float
    recall: float
    true_cells: int
    pred_cells: int


def rand_error(true_mask: Any, pred_mask: Any, cell_class: int = 1) -> RandScores:
    """The ISBI 2012 Rand error of a predicted membrane/cell mask, with its precision and recall.

    Both masks become cell segmentations: each connected region of ``cell_class``
    (4-connectivity, so a diagonal membrane one pixel thin keeps two cells apart) is one
    segment; membrane pixels are label 0. The score is the adapted Rand F-score of
    ``skimage.metrics.adapted_rand_error`` (the SNEMI3D and ISBI 2012 definition), with
    this convention for label 0:

    - **truth**: membrane pixels are left out of the score (scikit-image ignores label 0
      of the true image, ``ignore_labels=(0,)``): the "foreground-restricted" Rand score
      of the challenge.
    - **prediction**: each pixel predicted as membrane inside a true cell is a segment of
      its own (a singleton, which pairs with nothing), as in the SNEMI3D evaluation
      script that defined the adapted Rand error. Left as label 0, scikit-image would
      count all of them as one segment, and punish thick predicted membranes as if they
      merged every cell they cross.

    Precision and recall are computed here from the same contingency table, with the
    usual meaning (see :class:`RandScores`): scikit-image 0.26 returns them the other
    way round (scikit-image issue #6485). The error does not depend on which is which.

    The challenge also thinned the membranes of both maps before scoring and picked the
    best threshold of a probability map; this function scores one binary prediction as
    it is, so its numbers are close to, not the same as, the leaderboard's.

    Args:
        true_mask: ``(H, W)`` or ``(H, W, 1)`` class ids (the ISBI masks: 0 membrane,
            1 cell).
        pred_mask: the prediction, same shape, e.g. the argmax of a model's logits.
        cell_class: the id of the cell-interior class.

    Returns:
        A :class:`RandScores`.

    Raises:
        ValueError: when the masks differ in shape, are not single 2-D masks of class
            ids, or the truth has no cell pixels (nothing to score).
    """
    from scipy import ndimage
    from skimage.metrics import adapted_rand_error, contingency_table

    truth, pred = _single(true_mask, "true_mask"), _single(pred_mask, "pred_mask")
    if truth.shape != pred.shape:
        raise ValueError(
            f"true_mask and pred_mask must have the same shape, got {truth.shape} and "
            f"{pred.shape}; predict at the mask's size (or resize the prediction with "
            "nearest-neighbour)."
        )
    true_labels, true_cells = ndimage.label(truth == cell_class)
    pred_labels, pred_cells = ndimage.label(pred == cell_class)
    if true_cells == 0:
        raise ValueError(
            f"true_mask has no pixel of class {cell_class} (cell): the Rand error needs "
            "cells to compare. Check cell_class."
        )
    pred_labels = np.asarray(pred_labels, np.int64)
    membrane = pred_labels == 0
    pred_labels[membrane] = pred_cells + 1 + np.arange(int(membrane.sum()))  # singletons
    table = contingency_table(
        np.asarray(true_labels, np.int64), pred_labels, ignore_labels=(0,), sparse_type="array"
    )
    error = float(adapted_rand_error(table=table)[0])
    together = float(table.data @ table.data - table.sum())  # ordered pairs in both
    true_sizes = np.asarray(table.sum(axis=1)).ravel()
    pred_sizes = np.asarray(table.sum(axis=0)).ravel()
    true_pairs = float(true_sizes @ true_sizes - true_sizes.sum())
    pred_pairs = float(pred_sizes @ pred_sizes - pred_sizes.sum())
    return RandScores(
        error=error,
        precision=together / pred_pairs if pred_pairs else 1.0,  # no pair put together
        recall=together / true_pairs if true_pairs else 1.0,  # only one-pixel true cells
        true_cells=int(true_cells),
        pred_cells=int(pred_cells),
    )


def _single(mask: Any, name: str) -> np.ndarray:
    m = np.asarray(mask)
    if m.ndim == 3 and m.shape[-1] == 1:
        m = m[..., 0]
    if m.ndim != 2:
        raise ValueError(
            f"{name} must be one (H, W) or (H, W, 1) mask, got shape {np.asarray(mask).shape}; "
            "score the images of a batch one at a time."
        )
    if not (m.dtype == bool or np.issubdtype(m.dtype, np.integer)):
        raise ValueError(
            f"{name} must hold class ids (integers), got {m.dtype}; take the argmax of the "
            "logits (or threshold the cell probability) first."
        )
    return m
