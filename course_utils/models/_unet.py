"""U-Net (Ronneberger, Fischer and Brox 2015): a contracting path, a symmetric expanding
path, and skip connections that concatenate encoder feature maps into the decoder (or,
with ``skips=False``, the same network without them, as a control)."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from course_utils.models._blocks import check_input, conv_bn_relu, pixel_logits

PAPER_WIDTHS = (64, 128, 256, 512, 1024)


def unet(
    input_shape: Sequence[int | None] = (192, 256, 3),
    num_classes: int = 11,
    widths: Sequence[int] = PAPER_WIDTHS,
    upsampling: str = "transpose",
    dropout: float = 0.0,
    skips: bool = True,
    backbone: str | None = None,
    backbone_weights: str | None = "imagenet",
    name: str = "unet",
) -> keras.Model:
    """U-Net with "same" padding and batch normalisation.

    ``widths[:-1]`` are the contracting levels (two conv-BN-ReLU each, then 2x2 max
    pooling), ``widths[-1]`` the bottom. Each expanding level up-samples by 2 (a 2x2
    transposed convolution halving the channels, as in the paper, or bilinear
    interpolation), **concatenates the encoder's feature map of the same size**, and
    applies two conv-BN-ReLU.

    Differences from the paper, each deliberate: "same" padding instead of "valid" (the
    output has the input's size; notebook 09 shows the paper's overlap-tile strategy
    with mirrored borders, which deals with the border instead), and batch
    normalisation, which did not exist in 2015 and makes short training runs work.

    Dropout, when asked for, sits where the paper's "drop-out layers at the end of the
    contracting path" sit in its released Caffe model: on the last contracting level's
    output (before its pooling; the skip from that level carries the dropped-out map
    too, since Caffe drops in place) and on the bottom level's output (before the first
    up-sampling). The ``paper`` preset uses 0.5, the released model's rate.

    With ``skips=False`` the network is the same (same widths, same layers and names
    but the ``up{level}_concat`` ones, same decoder convolutions) except that nothing is
    concatenated: the first convolution of each expanding level sees only the up-sampled
    map, so it has fewer input channels (``9 * w * w`` fewer weights at a level of width
    ``w``: the kernel's slice for the ``w`` skipped channels). It is the control for
    what the skips do.

    With ``backbone="lite0"`` (as TensorFlow's segmentation tutorial puts a U-Net decoder on
    MobileNetV2) the contracting path is :func:`models.efficientnet_lite0`, ImageNet-trained
    unless ``backbone_weights=None``, a nested model named ``"backbone"``: its stride-2, 4,
    8 and 16 maps are the skips and its stride-32 head the bottom. ``widths`` then needs five
    values, as in the plain network, but they are the filters of five expanding levels
    (top to bottom): the bottom is at stride 32, so the decoder up-samples five times, and
    its top level, at the input's size, has no skip (Lite0's first map is at stride 2).

    Args:
        input_shape: ``(height, width, channels)``; height and width multiples of
            ``2 ** (len(widths) - 1)`` (32 with ``backbone="lite0"``).
        num_classes: scores per pixel (2 for membranes vs cells).
        widths: filters per level, top to bottom (the paper's by default; e.g.
            ``(16, 32, 64, 128, 256)`` for a CPU).
        upsampling: ``"transpose"`` or ``"bilinear"``.
        dropout: dropout rate at the end of the contracting path (see above; 0: none).
        skips: concatenate the encoder's feature maps into the decoder (``False``: the
            same network without them).
        backbone: ``None`` (the paper's contracting path) or ``"lite0"``.
        backbone_weights: ``"imagenet"`` or ``None``; Lite0 only.
        name: model name.

    Returns:
        A model from images to float32 logits at the input's resolution.
    """
    if upsampling not in ("transpose", "bilinear"):
        raise ValueError(f"upsampling must be 'transpose' or 'bilinear', got {upsampling!r}.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(
            f"dropout is a rate in [0, 1), got {dropout!r}; the paper's model used 0.5."
        )
    if backbone not in (None, "lite0"):
        raise ValueError(f"backbone must be None or 'lite0', got {backbone!r}.")
    if backbone == "lite0" and len(widths) != 5:
        raise ValueError(
            f"A U-Net on Lite0 has five levels (strides 2 to 32): pass five widths, got "
            f"{tuple(widths)}."
        )
    check_input(input_shape, 2 ** (len(widths) - 1), name)
    inputs = keras.Input(input_shape, name="image")
    if backbone == "lite0":
        from course_utils.models.efficientnet import lite0_backbone

        taps = lite0_backbone(inputs, (2, 4, 8, 16, 32), backbone_weights)
        maps = [taps[f"stride{2**level}"] for level in range(1, 5)]
        return _expanding_path(
            inputs, taps["stride32"], [inputs, *maps], widths, upsampling, skips, num_classes,
            name, levels=5, skip_levels=range(2, 6),
        )  # fmt: skip
    x, encoder_maps = inputs, []
    for level, filters in enumerate(widths[:-1], start=1):
        x = conv_bn_relu(x, filters, f"down{level}a")
        x = conv_bn_relu(x, filters, f"down{level}b")
        if dropout and level == len(widths) - 1:  # the end of the contracting path
            x = layers.Dropout(dropout, name=f"down{level}_dropout")(x)
        encoder_maps.append(x)
        x = layers.MaxPooling2D(2, name=f"down{level}_pool")(x)
    x = conv_bn_relu(x, widths[-1], "bottom_a")
    x = conv_bn_relu(x, widths[-1], "bottom_b")
    if dropout:
        x = layers.Dropout(dropout, name="bottom_dropout")(x)
    return _expanding_path(
        inputs, x, encoder_maps, widths, upsampling, skips, num_classes, name,
        levels=len(widths) - 1, skip_levels=range(1, len(widths)),
    )  # fmt: skip


def _expanding_path(
    inputs: keras.KerasTensor,
    x: keras.KerasTensor,
    encoder_maps: Sequence[keras.KerasTensor],
    widths: Sequence[int],
    upsampling: str,
    skips: bool,
    num_classes: int,
    name: str,
    levels: int,
    skip_levels: Sequence[int],
) -> keras.Model:
    """Up-sample ``levels`` times from the bottom ``x`` (level ``levels`` down to 1, with
    ``widths[level - 1]`` filters); ``encoder_maps[level - 1]`` is concatenated at each
    level in ``skip_levels`` (when ``skips``)."""
    for level in range(levels, 0, -1):
        filters = widths[level - 1]
        if upsampling == "transpose":
            x = layers.Conv2DTranspose(filters, 2, strides=2, name=f"up{level}_up")(x)
        else:
            x = layers.UpSampling2D(2, interpolation="bilinear", name=f"up{level}_up")(x)
        if skips and level in skip_levels:
            x = layers.Concatenate(name=f"up{level}_concat")([x, encoder_maps[level - 1]])
        x = conv_bn_relu(x, filters, f"up{level}a")
        x = conv_bn_relu(x, filters, f"up{level}b")
    return keras.Model(inputs, pixel_logits(x, num_classes), name=name)
