"""The plain encoder-decoder of notebook 06: the baseline every later model must beat."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from course_utils.models._blocks import check_input, conv_bn_relu, pixel_logits


def encoder_decoder(
    input_shape: Sequence[int | None] = (192, 256, 3),
    num_classes: int = 11,
    widths: Sequence[int] = (32, 64, 128, 256),
    upsampling: str = "transpose",
    name: str = "encoder_decoder",
) -> keras.Model:
    """A symmetric encoder-decoder without skip connections.

    The encoder repeats (conv-BN-ReLU twice, 2x2 max pooling) once per entry of
    ``widths``; the decoder mirrors it, growing the map by 2 per block with a 2x2
    transposed convolution (``upsampling="transpose"``) or bilinear interpolation
    (``"bilinear"``), then two conv-BN-ReLU. Everything the decoder knows has passed
    through the bottleneck at ``1 / 2**len(widths)`` of the input's resolution.

    Args:
        input_shape: ``(height, width, channels)``; height and width must be multiples
            of ``2 ** len(widths)`` (``None`` leaves that check to the caller).
        num_classes: scores per pixel (void is not a class).
        widths: filters of each encoder block (the decoder uses them in reverse).
        upsampling: ``"transpose"`` or ``"bilinear"``.
        name: the model's name.

    Returns:
        A model from images to float32 logits ``(B, H, W, num_classes)``.
    """
    if upsampling not in ("transpose", "bilinear"):
        raise ValueError(f"upsampling must be 'transpose' or 'bilinear', got {upsampling!r}.")
    check_input(input_shape, 2 ** len(widths), name)
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for i, filters in enumerate(widths, start=1):
        x = conv_bn_relu(x, filters, f"enc{i}a")
        x = conv_bn_relu(x, filters, f"enc{i}b")
        x = layers.MaxPooling2D(2, name=f"enc{i}_pool")(x)
    for i, filters in zip(range(len(widths), 0, -1), reversed(widths), strict=True):
        if upsampling == "transpose":
            x = layers.Conv2DTranspose(filters, 2, strides=2, name=f"dec{i}_up")(x)
        else:
            x = layers.UpSampling2D(2, interpolation="bilinear", name=f"dec{i}_up")(x)
        x = conv_bn_relu(x, filters, f"dec{i}a")
        x = conv_bn_relu(x, filters, f"dec{i}b")
    return keras.Model(inputs, pixel_logits(x, num_classes), name=name)
