"""``load()``: a split as a batched, prefetched ``tf.data.Dataset``, with paired augmentation."""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING

import numpy as np

from course_utils.data.catalog import CATALOG
from course_utils.data.readers import READERS, Arrays

if TYPE_CHECKING:  # for the annotations only: TensorFlow is imported when load() runs
    import tensorflow as tf

SizeArg = int | tuple[int, int] | None


@dataclasses.dataclass(frozen=True)
class Augment:
    """Random changes applied to training examples; image and mask always get the same ones.

    Attributes:
        hflip: flip left-right with probability 0.5.
        vflip: flip up-down with probability 0.5 (fine for microscopy, wrong for street scenes).
        rot90: rotate by a random multiple of 90 degrees (square images only).
        scale: zoom range ``(min, max)``: a random crop of ``1/zoom`` of each side, resized
            back (image bilinear, mask nearest-neighbour). ``(1.0, 1.0)`` turns it off.
        brightness: largest brightness change (image only).
        contrast: ``(min, max)`` contrast factor (image only).
        elastic: standard deviation in pixels of U-Net's elastic deformation: random
            displacements on a coarse ``elastic_grid`` x ``elastic_grid`` grid, smoothed
            to every pixel by bicubic interpolation, applied to image (bilinear) and mask
            (nearest). 0 turns it off; the U-Net paper used 10 on a 3x3 grid.
        elastic_grid: points per side of the displacement grid.
        crop: train on random patches (after the other changes): an int for square
            ``crop x crop`` patches, as U-Net trained on tiles of its large images, or
            ``(height, width)``, e.g. frames loaded larger than the network trains on, so
            that it sees thin objects at a higher resolution for the same cost per step;
            ``None`` keeps the whole image.
    """

    hflip: bool = True
    vflip: bool = False
    rot90: bool = False
    scale: tuple[float, float] = (1.0, 1.5)
    brightness: float = 0.1
    contrast: tuple[float, float] = (0.9, 1.1)
    elastic: float = 0.0
    elastic_grid: int = 3
    crop: int | tuple[int, int] | None = None

    def __post_init__(self) -> None:
        low, high = self.scale
        if not 1.0 <= low <= high:
            raise ValueError(
                f"Augment.scale={self.scale}: zoom factors must satisfy 1 <= min <= max "
                "(a crop of 1/zoom of each side, resized back); (1.0, 1.0) turns zoom off."
            )
        if self.brightness < 0 or not 0 < self.contrast[0] <= self.contrast[1]:
            raise ValueError("Augment needs brightness >= 0 and 0 < contrast min <= max.")
        if self.elastic < 0 or self.elastic_grid < 2:
            raise ValueError("Augment needs elastic >= 0 (pixels) and elastic_grid >= 2.")
        if self.crop is not None and min(self.crop_size) < 8:
            raise ValueError(f"Augment.crop={self.crop}: crop patches must be at least 8 pixels.")

    @property
    def crop_size(self) -> tuple[int, int]:
        """``crop`` as ``(height, width)`` (raises when there is no crop)."""
        if self.crop is None:
            raise ValueError("This Augment has no crop.")
        if isinstance(self.crop, int):
            return (self.crop, self.crop)
        return (int(self.crop[0]), int(self.crop[1]))


#: The splits a model trains on, shuffled each epoch by :func:`load` unless told otherwise
#: (``tune_train``: CamVid's frames of two drives, whose order is the drive's own).
TRAINING_SPLITS = ("train", "trainval", "tune_train")

DEFAULT_AUGMENT = {
    "camvid": Augment(),
    "isbi2012": Augment(vflip=True, rot90=True, scale=(1.0, 1.3), elastic=10.0),
    "oxford_pets": Augment(),
    "voc2012": Augment(),
    "shapes": Augment(vflip=True, scale=(1.0, 1.2)),
    "cifar10": Augment(scale=(1.0, 1.15), brightness=0.0, contrast=(1.0, 1.0)),
    "cifar10_jpeg": Augment(scale=(1.0, 1.15), brightness=0.0, contrast=(1.0, 1.0)),
    "mnist": Augment(hflip=False, scale=(1.0, 1.1), brightness=0.0, contrast=(1.0, 1.0)),
}


def _size(image_size: SizeArg) -> tuple[int, int] | None:
    if image_size is None:
        return None
    if isinstance(image_size, int):
        return (image_size, image_size)
    return (int(image_size[0]), int(image_size[1]))


@functools.lru_cache(maxsize=8)
def _arrays(name: str, split: str, size: tuple[int, int] | None, limit: int | None) -> Arrays:
    if name == "shapes":
        from course_utils.data.synthetic import shapes

        n = CATALOG["shapes"].split_sizes[split] if limit is None else limit
        images, masks = shapes(n, size or (64, 64), seed={"train": 0, "val": 1}[split])
        return Arrays(
            (images * 255).round().astype(np.uint8), masks[..., 0].astype(np.uint8), "shapes"
        )
    return READERS[name](split, size, limit)


def arrays(
    name: str, split: str, image_size: SizeArg = None, limit: int | None = None, offset: int = 0
) -> Arrays:
    """Read one split into memory as NumPy arrays (validated, resized, cached per process).

    Args:
        name: dataset name.
        split: one of ``info(name).splits``.
        image_size: ``(height, width)`` or one int for square; ``None`` keeps the native size.
        limit: keep only ``limit`` examples (small runs and tests).
        offset: skip this many examples first (e.g. hold out the end of a split:
            ``limit=45000`` for training, ``offset=45000`` for validation).

    Returns:
        :class:`~course_utils.data.readers.Arrays` with ``images``, ``targets`` and ``source``.
        A new object on every call; its arrays are read-only views of arrays that later
        calls share: use ``.copy()`` to edit them, or assign new arrays to its fields.
    """
    if name not in CATALOG:
        raise ValueError(f"Unknown dataset {name!r}. Known: {', '.join(sorted(CATALOG))}.")
    info = CATALOG[name]
    if split not in info.split_sizes:
        raise ValueError(f"{name} has no split {split!r}; its splits are {', '.join(info.splits)}.")
    size = _size(image_size)
    if size is None and info.native_size is None and name != "shapes":
        raise ValueError(
            f"{name} images vary in size: pass image_size=(height, width), e.g. (256, 256)."
        )
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of examples, got {limit}.")
    if offset < 0 or offset >= info.split_sizes[split]:
        raise ValueError(
            f"offset {offset} is outside {name}/{split} ({info.split_sizes[split]} examples)."
        )
    stop = None if limit is None else offset + limit
    # Classification readers load a whole split anyway: every limit and offset shares one
    # cached copy. Segmentation readers read only the files up to ``stop``.
    read_stop = None if info.task == "classification" else stop
    cached = _arrays(name, split, size, read_stop)
    for array in (cached.images, cached.targets):
        if array is not None:
            array.flags.writeable = False  # shared by every caller: copy before editing
    source = cached.source
    if offset or stop != read_stop:
        source = f"{source}[{offset}:{stop or ''}]"
    # A new object per call, around read-only views of the cached arrays (a view of a
    # read-only array cannot be made writable): what a caller assigns to its result, or
    # tries to write into it, never reaches the next caller.
    return Arrays(
        cached.images[offset:stop],
        None if cached.targets is None else cached.targets[offset:stop],
        source,
    )


def _sample(image, ys, xs, bilinear: bool):
    """Read ``image (H, W, C)`` at fractional positions ``ys, xs (H, W)``, edges clamped."""
    import tensorflow as tf

    h, w = tf.shape(image)[0], tf.shape(image)[1]
    ys = tf.clip_by_value(ys, 0.0, tf.cast(h - 1, tf.float32))
    xs = tf.clip_by_value(xs, 0.0, tf.cast(w - 1, tf.float32))
    if not bilinear:
        idx = tf.stack([tf.cast(tf.round(ys), tf.int32), tf.cast(tf.round(xs), tf.int32)], -1)
        return tf.gather_nd(image, idx)
    y0, x0 = tf.floor(ys), tf.floor(xs)
    wy, wx = (ys - y0)[..., None], (xs - x0)[..., None]
    y0, x0 = tf.cast(y0, tf.int32), tf.cast(x0, tf.int32)
    y1, x1 = tf.minimum(y0 + 1, h - 1), tf.minimum(x0 + 1, w - 1)

    def at(yy, xx):
        return tf.gather_nd(image, tf.stack([yy, xx], -1))

    top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx
    bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx
    return top * (1 - wy) + bottom * wy


def _elastic(image, mask, sigma: float, grid: int, size: tuple[int, int]):
    """U-Net's elastic deformation: coarse random displacements, bicubic to every pixel."""
    import tensorflow as tf

    coarse = tf.random.normal((1, grid, grid, 2), stddev=sigma)
    field = tf.image.resize(coarse, size, method="bicubic")[0]
    rows = tf.range(size[0], dtype=tf.float32)[:, None] + tf.zeros((1, size[1]))
    cols = tf.range(size[1], dtype=tf.float32)[None, :] + tf.zeros((size[0], 1))
    ys, xs = rows + field[..., 0], cols + field[..., 1]
    return _sample(image, ys, xs, bilinear=True), _sample(mask, ys, xs, bilinear=False)


def _augment_pair(image, mask, aug: Augment, size: tuple[int, int]):
    import tensorflow as tf

    if aug.hflip:
        flip = tf.random.uniform(()) < 0.5
        image = tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)
        mask = tf.cond(flip, lambda: tf.image.flip_left_right(mask), lambda: mask)
    if aug.vflip:
        flip = tf.random.uniform(()) < 0.5
        image = tf.cond(flip, lambda: tf.image.flip_up_down(image), lambda: image)
        mask = tf.cond(flip, lambda: tf.image.flip_up_down(mask), lambda: mask)
    if aug.rot90 and size[0] == size[1]:
        k = tf.random.uniform((), 0, 4, dtype=tf.int32)
        image, mask = tf.image.rot90(image, k), tf.image.rot90(mask, k)
    if aug.scale[1] > 1.0:
        zoom = tf.random.uniform((), aug.scale[0], aug.scale[1])
        ch = tf.cast(tf.round(size[0] / zoom), tf.int32)
        cw = tf.cast(tf.round(size[1] / zoom), tf.int32)
        y = tf.random.uniform((), 0, size[0] - ch + 1, dtype=tf.int32)
        x = tf.random.uniform((), 0, size[1] - cw + 1, dtype=tf.int32)
        image = tf.image.resize(image[y : y + ch, x : x + cw], size, method="bilinear")
        mask = tf.image.resize(mask[y : y + ch, x : x + cw], size, method="nearest")
    if aug.elastic > 0:
        image, mask = _elastic(image, mask, aug.elastic, aug.elastic_grid, size)
    if aug.crop is not None:
        ch, cw = aug.crop_size
        if ch > size[0] or cw > size[1]:
            raise ValueError(
                f"Augment.crop={aug.crop} is larger than the images ({size}): load the images "
                "at least as large as the crop, or crop smaller."
            )
        y = tf.random.uniform((), 0, size[0] - ch + 1, dtype=tf.int32)
        x = tf.random.uniform((), 0, size[1] - cw + 1, dtype=tf.int32)
        image = image[y : y + ch, x : x + cw]
        mask = mask[y : y + ch, x : x + cw]
    if aug.brightness > 0:
        image = tf.image.random_brightness(image, aug.brightness)
    if aug.contrast != (1.0, 1.0):
        image = tf.image.random_contrast(image, *aug.contrast)
    return tf.clip_by_value(image, 0.0, 1.0), mask


def load(
    name: str,
    split: str,
    image_size: SizeArg = None,
    batch_size: int | None = 8,
    augment: bool | Augment = False,
    shuffle: bool | None = None,
    limit: int | None = None,
    offset: int = 0,
    repeat: bool = False,
    seed: int = 0,
) -> tf.data.Dataset:
    """A split as a ``tf.data.Dataset``, ready for ``model.fit``.

    Segmentation sets give ``(image, mask)``: image ``float32 (H, W, C)`` in ``[0, 1]``,
    mask ``int32 (H, W, 1)`` of class ids (void kept as its id, for losses and metrics to
    ignore). Classification sets give ``(image, label)``. A split without labels (the
    ISBI test images) gives images only. Masks are resized with nearest-neighbour.

    Args:
        name: dataset name, e.g. ``"camvid"``.
        split: one of ``info(name).splits``.
        image_size: ``(height, width)`` or an int; ``None`` keeps the native size.
        batch_size: examples per batch; ``None`` for unbatched examples.
        augment: ``True`` for the dataset's default :class:`Augment`, or an ``Augment``.
        shuffle: shuffle each epoch; defaults to ``True`` for the training splits
            (:data:`TRAINING_SPLITS`).
        limit: keep only ``limit`` examples.
        offset: skip this many examples first (see :func:`arrays`).
        repeat: repeat forever (then give ``steps_per_epoch`` to ``fit``).
        seed: shuffle seed.

    Returns:
        A prefetched ``tf.data.Dataset``. Decoded arrays are cached in memory per process,
        so a second ``load`` of the same split costs no file reads.
    """
    from course_utils._tf import import_tensorflow

    tf = import_tensorflow()
    info = CATALOG.get(name)
    data = arrays(name, split, image_size, limit, offset)
    size = data.images.shape[1:3]
    if shuffle is None:
        shuffle = split in TRAINING_SPLITS
    aug = DEFAULT_AUGMENT.get(name, Augment()) if augment is True else augment or None

    if data.targets is None:
        ds = tf.data.Dataset.from_tensor_slices(data.images)
    else:
        ds = tf.data.Dataset.from_tensor_slices((data.images, data.targets))
    if shuffle:
        ds = ds.shuffle(len(data.images), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()

    segmentation = info is not None and info.task == "segmentation"

    def to_float(*example):
        image = tf.cast(example[0], tf.float32) / 255.0
        if len(example) == 1:
            return image
        target = tf.cast(example[1], tf.int32)
        if segmentation:
            target = target[..., None]
        return image, target

    ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    if aug is not None and data.targets is not None:
        if segmentation:
            ds = ds.map(
                lambda im, m: _augment_pair(im, m, aug, size), num_parallel_calls=tf.data.AUTOTUNE
            )
        else:
            ds = ds.map(
                lambda im, y: (_augment_pair(im, tf.zeros_like(im[..., :1]), aug, size)[0], y),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
    if batch_size:
        ds = ds.batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE)
