"""Class ids from a segmentation model, for images held in memory as uint8."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Input sizes of the scales of :func:`predict_ids` are rounded to a multiple of this (the
#: output stride of the course's deepest models), so that every skip lines up.
SCALE_MULTIPLE = 32


def _scaled_size(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """``size`` times ``scale``, each side rounded to a multiple of :data:`SCALE_MULTIPLE`."""
    return tuple(  # type: ignore[return-value]
        max(SCALE_MULTIPLE, SCALE_MULTIPLE * round(side * scale / SCALE_MULTIPLE)) for side in size
    )


def _check_scales(model: Any, scales: Sequence[float]) -> tuple[float, ...]:
    scales = tuple(float(s) for s in scales)
    if not scales or any(s <= 0 for s in scales):
        raise ValueError(f"scales={scales}: give one or more positive factors, e.g. (1.0,).")
    fixed = tuple(model.input_shape[1:3]) if hasattr(model, "input_shape") else (None, None)
    if scales != (1.0,) and None not in fixed:
        raise ValueError(
            f"scales={scales}: {getattr(model, 'name', 'this model')} takes only "
            f"{fixed[0]}x{fixed[1]} inputs. Build it with input_shape=(None, None, 3) to "
            "score it at several scales, or keep scales=(1.0,)."
        )
    return scales


def predict_ids(
    model: Any,
    images: np.ndarray,
    batch_size: int = 8,
    input_size: tuple[int, int] | None = None,
    output_size: tuple[int, int] | None = None,
    flip: bool = False,
    scales: Sequence[float] = (1.0,),
) -> np.ndarray:
    """Predicted class ids ``(N, H, W)`` of uint8 images ``(N, H, W, C)``, a batch at a time.

    The images are scaled to ``[0, 1]`` as ``data.load`` scales them for training, and
    the argmax is taken over the model's per-pixel scores.

    Args:
        model: a Keras model returning ``(B, H, W, K)`` scores.
        images: uint8 images, as ``data.arrays`` gives them.
        batch_size: images per forward pass.
        input_size: ``(height, width)`` the model works at, when it differs from the
            images' (a model trained on larger frames): the images are resized to it
            (bilinear).
        output_size: ``(height, width)`` of the ids (default: the images' size). The
            scores are resized to it (bilinear) before the argmax, so the ids line up
            with masks of that size (a dataset's native frames, say).
        flip: also score each image mirrored left-right (the second map mirrored back):
            test-time augmentation, one extra forward pass per image and scale.
        scales: test-time augmentation over sizes, as the DeepLab papers evaluate: the
            image is given at each ``scale`` times the input size (each side rounded to
            a multiple of :data:`SCALE_MULTIPLE`). ``(1.0,)``: the input size only. With
            ``flip`` or several scales, the class probabilities (softmax of the scores) of
            every pass are resized to ``output_size`` and averaged before the argmax.

    Raises:
        ValueError: for images that are not a ``(N, H, W, C)`` stack, or several scales
            for a model that takes one input size only.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"predict_ids takes a stack of images (N, H, W, C), got shape {images.shape}: "
            "for one image, pass images[None]."
        )
    scales = _check_scales(model, scales)
    scale = np.float32(255) if images.dtype == np.uint8 else np.float32(1)
    shown = tuple(images.shape[1:3])
    base = tuple(input_size) if input_size is not None else shown
    out_size = tuple(output_size) if output_size is not None else shown
    averaged = flip or scales != (1.0,)
    out = []
    for i in range(0, len(images), batch_size):
        batch = images[i : i + batch_size].astype(np.float32) / scale
        if not averaged and base == shown and out_size == shown:
            out.append(np.asarray(model.predict_on_batch(batch)).argmax(-1))
            continue
        import tensorflow as tf

        if not averaged:
            if base != shown:
                batch = tf.image.resize(batch, base, "bilinear")
            scores = tf.cast(model.predict_on_batch(batch), tf.float32)
            back = tf.image.resize(scores, out_size, "bilinear")
            out.append(np.asarray(tf.argmax(back, axis=-1)))
            continue
        total = None
        for factor in scales:
            size = base if factor == 1.0 else _scaled_size(base, factor)  # type: ignore[arg-type]
            sized = batch if size == shown else tf.image.resize(batch, size, "bilinear")
            passes = [sized, tf.reverse(sized, axis=[2])] if flip else [sized]
            for k, view in enumerate(passes):
                probs = tf.nn.softmax(tf.cast(model.predict_on_batch(view), tf.float32))
                if k == 1:
                    probs = tf.reverse(probs, axis=[2])
                probs = tf.image.resize(probs, out_size, "bilinear")
                total = probs if total is None else total + probs
        out.append(np.asarray(tf.argmax(total, axis=-1)))
    return np.concatenate(out) if out else np.zeros((len(images), *out_size), np.int64)
