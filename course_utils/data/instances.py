"""Instances and boxes derived from a semantic mask (for datasets without instance labels)."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Instance:
    """One connected region of one class.

    Attributes:
        class_id: the semantic class.
        mask: boolean ``(H, W)``.
        box: ``(row_min, col_min, row_max, col_max)``, max exclusive.
        pixels: area in pixels.
    """

    class_id: int
    mask: np.ndarray
    box: tuple[int, int, int, int]
    pixels: int


def instances_from_mask(
    mask: np.ndarray, class_ids: list[int] | tuple[int, ...], min_pixels: int = 50
) -> list[Instance]:
    """Split the pixels of some classes into connected regions, largest first.

    An approximation of instance segmentation: touching objects of one class merge
    into one region, and an object cut in two by a pole becomes two. Real instance
    labels (as in COCO or Cityscapes) are drawn by annotators.

    Args:
        mask: ``(H, W)`` or ``(H, W, 1)`` class ids.
        class_ids: classes to split (e.g. cars and pedestrians).
        min_pixels: drop regions smaller than this (annotation specks).
    """
    from skimage.measure import label, regionprops

    ids = np.asarray(mask)
    ids = ids[..., 0] if ids.ndim == 3 else ids
    found = []
    for class_id in class_ids:
        regions = label(ids == class_id, connectivity=2)
        for region in regionprops(regions):
            if region.area >= min_pixels:
                found.append(
                    Instance(
                        int(class_id), regions == region.label, tuple(region.bbox), int(region.area)
                    )
                )
    return sorted(found, key=lambda inst: -inst.pixels)


def instance_map(instances: list[Instance], shape: tuple[int, int]) -> np.ndarray:
    """An ``(H, W)`` map of instance numbers 1..N (0 = no instance), for colouring."""
    out = np.zeros(shape, np.int32)
    for number, inst in enumerate(instances, start=1):
        out[inst.mask] = number
    return out
