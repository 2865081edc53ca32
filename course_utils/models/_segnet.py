"""SegNet (Badrinarayanan, Kendall and Cipolla 2017): a VGG-16-shaped encoder that keeps
the argmax indices of each max pooling, and a mirrored decoder that unpools with them."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from course_utils.models._blocks import (
    check_input,
    conv_bn_relu,
    pixel_logits,
    vgg_conv_bn_relu,
)
from course_utils.models.layers import MaxPoolWithArgmax, MaxUnpool, UnpoolingFill

PAPER_WIDTHS = (64, 128, 256, 512, 512)
PAPER_CONVS = (2, 2, 3, 3, 3)


def segnet(
    input_shape: Sequence[int | None] = (192, 256, 3),
    num_classes: int = 11,
    widths: Sequence[int] = PAPER_WIDTHS,
    convs: Sequence[int] = PAPER_CONVS,
    unpooling: str = "argmax",
    decoder_convs: Sequence[int] | None = None,
    unpool_fill: bool = False,
    name: str | None = None,
) -> keras.Model:
    """SegNet: encoder blocks (``convs[i]`` conv-BN-ReLU of ``widths[i]`` filters, then 2x2
    max pooling that remembers where each maximum was) and a mirrored decoder.

    Each decoder block first up-samples, then applies the mirrored convolutions; the
    last convolution of a block already has the next (shallower) block's width, as in
    the paper. Encoder layers carry ``models.vgg``'s names (``block1_conv1``, ...), so a
    VGG encoder trained on classification loads by name. No skip connections carry
    feature maps: with ``unpooling="argmax"`` only the indices cross from encoder to
    decoder.

    Args:
        input_shape: ``(height, width, channels)``. With ``"argmax"`` any size of at least
            ``2 ** len(widths)`` works (odd sizes round up when pooling and come back
            exactly); with ``"nearest"`` height and width must be multiples of
            ``2 ** len(widths)``.
        num_classes: scores per pixel.
        widths, convs: filters and convolutions per encoder block (the paper's VGG-16
            values by default; e.g. ``(16, 32, 64, 128, 128)`` for a CPU).
        unpooling: ``"argmax"`` (max unpooling with the encoder's indices) or
            ``"nearest"`` (the same decoder with plain 2x nearest up-sampling, the
            comparison of notebook 08).
        decoder_convs: convolutions per decoder block, from the shallowest (``None``:
            the mirror of ``convs``, as in the paper). More than the encoder's gives the
            decoder more to fill in the unpooled zeros with.
        unpool_fill: start the first convolution after each unpooling from
            :class:`UnpoolingFill` (each channel a 3x3 box over itself plus a smaller
            random part), so the decoder spreads each unpooled value over its block from
            the first step instead of having to learn it (``"argmax"`` only).
        name: model name (default ``"segnet"`` or ``"segnet_nearest"``).

    Returns:
        A model from images to float32 logits at the input's resolution. It uses
        ``tf.nn.max_pool_with_argmax``: TensorFlow only, no XLA (Keras then trains it
        without ``jit_compile``), CPU or GPU.
    """
    if unpooling not in ("argmax", "nearest"):
        raise ValueError(f"unpooling must be 'argmax' or 'nearest', got {unpooling!r}.")
    if unpool_fill and unpooling != "argmax":
        raise ValueError(
            "unpool_fill starts the convolution after a max unpooling; with "
            "unpooling='nearest' there is none (pass unpool_fill=False)."
        )
    decoder_convs = tuple(convs if decoder_convs is None else decoder_convs)
    if not len(widths) == len(convs) == len(decoder_convs):
        raise ValueError(
            f"widths {tuple(widths)}, convs {tuple(convs)} and decoder_convs {decoder_convs} "
            "must have the same length (one value per block)."
        )
    name = name or ("segnet" if unpooling == "argmax" else "segnet_nearest")
    stride = 2 ** len(widths)
    if unpooling == "nearest":
        check_input(input_shape, stride, name)
    else:
        check_input(input_shape, 1, name)
        for axis, size in zip(("height", "width"), input_shape[:2], strict=True):
            if size is not None and size < stride:
                raise ValueError(
                    f"{name} pools {len(widths)} times, so the input {axis} must be at least "
                    f"{stride} pixels; got {size}."
                )
    inputs = keras.Input(input_shape, name="image")
    x, saved = inputs, []
    for b, (filters, n) in enumerate(zip(widths, convs, strict=True), start=1):
        for i in range(1, n + 1):
            x = vgg_conv_bn_relu(x, filters, f"block{b}_conv{i}")
        before = x
        if unpooling == "argmax":
            x, indices = MaxPoolWithArgmax(name=f"block{b}_pool")(x)
        else:
            x, indices = layers.MaxPooling2D(2, name=f"block{b}_pool")(x), None
        saved.append((before, indices))
    for b in range(len(widths), 0, -1):
        before, indices = saved[b - 1]
        if unpooling == "argmax":
            x = MaxUnpool(name=f"dec{b}_unpool")([x, indices, before])
        else:
            x = layers.UpSampling2D(2, name=f"dec{b}_upsample")(x)
        n, filters = decoder_convs[b - 1], widths[b - 1]
        for i in range(n, 0, -1):
            out = widths[b - 2] if (i == 1 and b > 1) else filters
            first = unpool_fill and i == n  # the convolution that reads the unpooled map
            init = UnpoolingFill() if first else "glorot_uniform"
            x = conv_bn_relu(x, out, f"dec{b}_{i}", kernel_initializer=init)
    return keras.Model(inputs, pixel_logits(x, num_classes), name=name)
