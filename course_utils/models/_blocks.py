"""Layers shared by the segmentation builders: conv-BN-ReLU, logits, input-size checks."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from course_utils.models.normalization import batch_norm


def conv_bn_relu(
    x: keras.KerasTensor,
    filters: int,
    name: str,
    kernel_size: int = 3,
    dilation: int = 1,
    kernel_initializer: str | keras.initializers.Initializer = "glorot_uniform",
) -> keras.KerasTensor:
    """``Conv2D`` (no bias: batch norm has its own) -> ``BatchNormalization`` -> ReLU."""
    x = layers.Conv2D(
        filters,
        kernel_size,
        padding="same",
        dilation_rate=dilation,
        use_bias=False,
        kernel_initializer=kernel_initializer,
        name=f"{name}_conv",
    )(x)
    x = batch_norm(f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def vgg_conv_bn_relu(
    x: keras.KerasTensor, filters: int, name: str, dilation: int = 1
) -> keras.KerasTensor:
    """A VGG convolution with batch norm, named like ``models.vgg``'s layers (``name``,
    ``{name}_bn``, ``{name}_relu``), so a VGG classifier's weights load into it by name."""
    x = layers.Conv2D(
        filters, 3, padding="same", dilation_rate=dilation, use_bias=False, name=name
    )(x)
    x = batch_norm(f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def pixel_logits(x: keras.KerasTensor, num_classes: int, name: str = "logits") -> keras.KerasTensor:
    """A 1x1 convolution to one score per class, in float32 even under mixed precision."""
    return layers.Conv2D(num_classes, 1, dtype="float32", name=name)(x)


def check_input(input_shape: Sequence[int | None], stride: int, model: str) -> None:
    """Refuse input sizes the model cannot take, saying which sizes it can.

    Args:
        input_shape: ``(height, width, channels)``; ``None`` for a size fixed at call time.
        stride: the model's total down-sampling factor.
        model: the builder's name, for the message.

    Raises:
        ValueError: when a known height or width is not a multiple of ``stride``.
    """
    if len(input_shape) != 3:
        raise ValueError(
            f"{model}: input_shape must be (height, width, channels), got {tuple(input_shape)}."
        )
    for axis, size in zip(("height", "width"), input_shape[:2], strict=True):
        if size is not None and (size < stride or size % stride):
            fit = max(stride, round(size / stride) * stride)
            raise ValueError(
                f"{model} halves the image {stride.bit_length() - 1} times (total stride "
                f"{stride}), so the input {axis} must be a multiple of {stride}; got {size}. "
                f"Resize or crop to {fit} (e.g. data.load(..., image_size=...)), or pad."
            )
