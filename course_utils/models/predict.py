"""Class ids from a segmentation model, for images held in memory as uint8."""

from __future__ import annotations

from typing import Any

import numpy as np


def predict_ids(
    model: Any,
    images: np.ndarray,
    batch_size: int = 8,
    input_size: tuple[int, int] | None = None,
    output_size: tuple[int, int] | None = None,
    flip: bool = False,
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
        flip: also score each image mirrored left-right and average the two score maps
            (the second mirrored back) before the argmax: test-time augmentation, one
            extra forward pass per image.

    Raises:
        ValueError: for images that are not a ``(N, H, W, C)`` stack.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"predict_ids takes a stack of images (N, H, W, C), got shape {images.shape}: "
            "for one image, pass images[None]."
        )
    scale = np.float32(255) if images.dtype == np.uint8 else np.float32(1)
    shown = tuple(images.shape[1:3])
    to_input = input_size is not None and tuple(input_size) != shown
    out_size = tuple(output_size) if output_size is not None else shown
    out = []
    for i in range(0, len(images), batch_size):
        batch = images[i : i + batch_size].astype(np.float32) / scale
        if not to_input and out_size == shown and not flip:
            out.append(np.asarray(model.predict_on_batch(batch)).argmax(-1))
            continue
        import tensorflow as tf

        if to_input:
            batch = tf.image.resize(batch, input_size, "bilinear")
        scores = tf.cast(model.predict_on_batch(batch), tf.float32)
        if flip:
            mirrored = model.predict_on_batch(tf.reverse(batch, axis=[2]))
            scores = (scores + tf.reverse(tf.cast(mirrored, tf.float32), axis=[2])) / 2
        back = tf.image.resize(scores, out_size, "bilinear")
        out.append(np.asarray(tf.argmax(back, axis=-1)))
    return np.concatenate(out) if out else np.zeros((len(images), *out_size), np.int64)
