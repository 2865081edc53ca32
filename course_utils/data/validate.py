"""Reading and checking images and masks, with errors that say what to do."""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np

from course_utils.data.errors import DataValidationError

_MODE_CHANNELS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4, "P": 1, "I": 1, "I;16": 1}
_CHANNEL_MODES = {3: "RGB", 1: "L"}


def _mode_for(channels: int) -> str:
    """The PIL mode of images with ``channels`` channels (1 or 3), or a clear error."""
    usable = isinstance(channels, numbers.Integral) and not isinstance(channels, bool)
    mode = _CHANNEL_MODES.get(int(channels)) if usable else None
    if mode is None:
        raise ValueError(
            f"channels={channels!r}: the course reads images with 3 channels (RGB) or 1 "
            "(grayscale). Pass channels=3 or channels=1, and convert other images first "
            "(for RGBA, drop the alpha channel: PIL.Image.open(path).convert('RGB'))."
        )
    return mode


def read_image(path: Path | str, channels: int = 3, convert: bool = False) -> np.ndarray:
    """Read an image file as ``uint8`` ``(H, W, channels)``.

    Args:
        path: the image file.
        channels: 3 for RGB, 1 for grayscale; nothing else.
        convert: convert other modes (grayscale, RGBA, CMYK, palette) instead of refusing
            them. Dataset readers turn this on only where a dataset is known to mix modes.

    Raises:
        DataValidationError: the file's mode differs from what was asked and ``convert``
            is off.
        ValueError: for ``channels`` other than 1 or 3.
    """
    from PIL import Image

    want = _mode_for(channels)
    with Image.open(path) as img:
        if img.mode != want:
            if not convert:
                got = _MODE_CHANNELS.get(img.mode, "?")
                raise DataValidationError(
                    f"{path}: expected a {want} image ({channels} channel(s)) but it is "
                    f"{img.mode} ({got} channel(s)). Convert it first, e.g. "
                    f"PIL.Image.open(path).convert({want!r}) (for RGBA this drops the alpha "
                    "channel), or pass images with the expected number of channels."
                )
            img = img.convert(want)
        array = np.asarray(img, dtype=np.uint8)
    return array[..., None] if channels == 1 else array


def read_mask(path: Path | str) -> np.ndarray:
    """Read a label image (one class id per pixel, ``L`` or palette ``P`` mode) as ``uint8 (H, W)``.

    Raises:
        DataValidationError: for colour masks (RGB), which need a colour-to-id mapping first.
    """
    from PIL import Image

    with Image.open(path) as img:
        if img.mode == "1":  # a binary mask: ids 0 and 1
            return np.asarray(img, dtype=np.uint8)
        if img.mode in ("RGB", "RGBA"):
            raise DataValidationError(
                f"{path}: a mask must hold one class id per pixel (mode L or P) but this file "
                f"is {img.mode}, a colour image. If it is a colour-coded mask, map colours to "
                "ids first (course_utils.viz.colors_to_ids)."
            )
        if img.mode not in ("L", "P"):
            raise DataValidationError(
                f"{path}: masks are read as 8-bit class ids (mode L or P) but this file is "
                f"{img.mode}. Convert it to 8-bit ids (at most 256 labels) before use."
            )
        return np.asarray(img, dtype=np.uint8)


def check_image(image: np.ndarray, channels: int, source: str = "image") -> None:
    """Check an image array is ``(H, W, channels)``.

    Raises:
        DataValidationError: with the shape found and what was expected.
    """
    if image.ndim != 3 or image.shape[-1] != channels:
        kind = {3: "RGB", 1: "grayscale"}.get(channels, f"{channels}-channel")
        raise DataValidationError(
            f"{source}: expected a {kind} image of shape (H, W, {channels}) but got shape "
            f"{tuple(image.shape)}. Grayscale images need a channel axis (image[..., None]); "
            "RGBA images need their alpha channel dropped (image[..., :3])."
        )


def check_mask(
    mask: np.ndarray,
    image_shape: tuple[int, ...],
    num_classes: int,
    ignore_index: int | None = None,
    source: str = "mask",
) -> None:
    """Check a mask against its image and the class range.

    A mask must be ``(H, W)`` or ``(H, W, 1)`` with the image's height and width,
    and hold only ids in ``[0, num_classes)`` or the ``ignore_index``.

    Raises:
        DataValidationError: naming the mismatch or the out-of-range labels and their counts.
    """
    shape = mask.shape[:2] if mask.ndim == 3 and mask.shape[-1] == 1 else mask.shape
    if mask.ndim not in (2, 3) or (mask.ndim == 3 and mask.shape[-1] != 1):
        raise DataValidationError(
            f"{source}: a mask must be (H, W) or (H, W, 1) with one class id per pixel, got "
            f"shape {tuple(mask.shape)}. A colour mask must be mapped to ids first."
        )
    if tuple(shape) != tuple(image_shape[:2]):
        raise DataValidationError(
            f"{source}: the mask is {tuple(shape)} but its image is {tuple(image_shape[:2])}; "
            "they must match pixel for pixel. Resize masks with nearest-neighbour "
            "interpolation (never bilinear, which invents fractional labels)."
        )
    if np.issubdtype(mask.dtype, np.floating) and not np.all(np.mod(mask, 1) == 0):
        raise DataValidationError(
            f"{source}: the mask holds fractional (or NaN) labels. Class ids are whole numbers; "
            "this usually means the mask was resized with bilinear interpolation: use "
            "nearest-neighbour."
        )
    values, counts = np.unique(mask, return_counts=True)
    bad = (values < 0) | (values >= num_classes)
    if ignore_index is not None:
        bad &= values != ignore_index
    if bad.any():
        found = ", ".join(f"{v} ({c} px)" for v, c in zip(values[bad], counts[bad], strict=True))
        allowed = f"0..{num_classes - 1}" + (
            f" or the void id {ignore_index}" if ignore_index is not None else ""
        )
        raise DataValidationError(
            f"{source}: labels outside the classes: {found}; allowed are {allowed}. Map them "
            "to a class or to the void id, or check that num_classes matches the dataset."
        )
