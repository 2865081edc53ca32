"""A built-in, deterministic segmentation set: shapes on textured backgrounds."""

from __future__ import annotations

import numpy as np

SHAPE_CLASSES = ("background", "circle", "triangle", "square")


def _texture(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    h, w = size
    base = rng.uniform(0.2, 0.8, size=3)
    noise = gaussian_filter(rng.normal(size=(h, w, 3)), sigma=(max(h, w) / 16, max(h, w) / 16, 0))
    noise /= np.abs(noise).max() + 1e-8
    stripes = 0.08 * np.sin(np.linspace(0, rng.uniform(4, 12), w))[None, :, None]
    return np.clip(base + 0.25 * noise + stripes, 0, 1)


def shapes(
    n: int, image_size: int | tuple[int, int] = 64, seed: int = 0, max_shapes: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Make ``n`` images of circles, triangles and squares on textured backgrounds.

    Class ids: 0 background, 1 circle, 2 triangle, 3 square (see
    ``course_utils.data.info("shapes")``). Later shapes may hide earlier ones, and the
    mask shows what is visible. The same arguments give the same arrays everywhere.

    Args:
        n: number of images.
        image_size: ``size`` or ``(height, width)`` in pixels (at least 16).
        seed: random seed.
        max_shapes: at most this many shapes per image (at least one).

    Returns:
        ``(images, masks)``: ``float32 (n, H, W, 3)`` in ``[0, 1]`` and ``int32 (n, H, W, 1)``.
    """
    from skimage.draw import disk, polygon, rectangle

    h, w = (image_size, image_size) if isinstance(image_size, int) else image_size
    if min(h, w) < 16:
        raise ValueError(f"image_size {image_size} is too small for shapes; use at least 16.")
    rng = np.random.default_rng(seed)
    images = np.empty((n, h, w, 3), np.float32)
    masks = np.zeros((n, h, w, 1), np.int32)
    for i in range(n):
        image = _texture(rng, (h, w))
        mask = np.zeros((h, w), np.int32)
        for _ in range(rng.integers(1, max_shapes + 1)):
            cls = int(rng.integers(1, len(SHAPE_CLASSES)))
            r = rng.uniform(0.12, 0.25) * min(h, w)
            cy, cx = rng.uniform(r, h - r), rng.uniform(r, w - r)
            if cls == 1:
                rr, cc = disk((cy, cx), r, shape=(h, w))
            elif cls == 2:
                angle = rng.uniform(0, 2 * np.pi)
                t = angle + np.array([0, 2 * np.pi / 3, 4 * np.pi / 3])
                rr, cc = polygon(cy + r * np.sin(t), cx + r * np.cos(t), shape=(h, w))
            else:
                rr, cc = rectangle(
                    (cy - r * 0.85, cx - r * 0.85), extent=(1.7 * r, 1.7 * r), shape=(h, w)
                )
                rr, cc = rr.astype(int), cc.astype(int)
            color = rng.uniform(0, 1, size=3)
            image[rr, cc] = 0.7 * color + 0.3 * image[rr, cc]
            mask[rr, cc] = cls
        image += rng.normal(0, 0.02, size=image.shape)
        images[i] = np.clip(image, 0, 1)
        masks[i, ..., 0] = mask
    return images, masks
