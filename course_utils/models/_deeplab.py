"""DeepLabV3+ (Chen et al. 2018): an atrous (dilated) backbone, Atrous Spatial Pyramid
Pooling, and a decoder that refines boundaries with low-level features. The backbone is the
paper's aligned Xception (depthwise separable convolutions) or a VGG made atrous, as in
DeepLab v1 and v2, which loads a VGG classifier's weights by name."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from course_utils.models._blocks import batch_norm, conv_bn_relu, vgg_conv_bn_relu
from course_utils.models.classic import VGG_CONFIGS, scaled_filters
from course_utils.models.layers import ResizeLike
from course_utils.ops import atrous_strides


def separable_bn_relu(
    x: keras.KerasTensor, filters: int, name: str, stride: int = 1, dilation: int = 1
) -> keras.KerasTensor:
    """Depthwise 3x3 (strided or dilated) -> BN -> ReLU -> pointwise 1x1 -> BN -> ReLU."""
    x = layers.DepthwiseConv2D(
        3,
        strides=stride,
        dilation_rate=dilation,
        padding="same",
        use_bias=False,
        name=f"{name}_depthwise",
    )(x)
    x = batch_norm(f"{name}_depthwise_bn")(x)
    x = layers.Activation("relu", name=f"{name}_depthwise_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pointwise")(x)
    x = batch_norm(f"{name}_pointwise_bn")(x)
    return layers.Activation("relu", name=f"{name}_pointwise_relu")(x)


def _xception_block(
    x: keras.KerasTensor, filters: int, name: str, stride: int = 1, dilation: int = 1
) -> keras.KerasTensor:
    """Three separable convolutions (the last strided or dilated) plus a residual path."""
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(
            filters, 1, strides=stride, use_bias=False, name=f"{name}_shortcut"
        )(x)
        shortcut = batch_norm(f"{name}_shortcut_bn")(shortcut)
    for i in (1, 2):
        x = separable_bn_relu(x, filters, f"{name}_sep{i}", dilation=dilation)
    x = separable_bn_relu(x, filters, f"{name}_sep3", stride=stride, dilation=dilation)
    return layers.Add(name=f"{name}_add")([x, shortcut])


def aspp(
    x: keras.KerasTensor, filters: int, rates: Sequence[int], dropout: float = 0.1
) -> keras.KerasTensor:
    """Atrous Spatial Pyramid Pooling: a 1x1 branch, one dilated separable 3x3 branch per
    rate, and an image-level branch (global average, 1x1, resized back to the map's size,
    whatever that size is); concatenated and mixed by a 1x1 convolution."""
    branches = [conv_bn_relu(x, filters, "aspp_1x1", kernel_size=1)]
    for rate in rates:
        branches.append(separable_bn_relu(x, filters, f"aspp_rate{rate}", dilation=rate))
    pooled = layers.GlobalAveragePooling2D(keepdims=True, name="aspp_image_pool")(x)
    pooled = conv_bn_relu(pooled, filters, "aspp_image", kernel_size=1)
    branches.append(ResizeLike(name="aspp_image_resize")([pooled, x]))
    x = layers.Concatenate(name="aspp_concat")(branches)
    x = conv_bn_relu(x, filters, "aspp_project", kernel_size=1)
    return layers.Dropout(dropout, name="aspp_dropout")(x)


def _atrous_vgg(
    x: keras.KerasTensor, config: str, width: float, output_stride: int
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """A VGG with batch norm (``models.vgg``'s layer names) made atrous: its poolings are
    kept until the output stride is reached; each later pooling is dropped and every later
    convolution dilated by the strides dropped. Returns the last convolution's output and
    the low-level feature (the last convolution at output stride 4)."""
    pools = iter(atrous_strides([2] * VGG_CONFIGS[config].count("M"), output_stride))
    stride, dilation, block, conv, low_level = 1, 1, 1, 1, None
    for item in VGG_CONFIGS[config]:
        if not isinstance(item, str):  # a convolution's filters, not "M"
            x = vgg_conv_bn_relu(
                x, scaled_filters(item, width), f"block{block}_conv{conv}", dilation
            )
            conv += 1
            continue
        if stride == 4 and low_level is None:
            low_level = x
        kept, dilation = next(pools)  # notebook 10's rule (ops.atrous_strides)
        if kept == 2:
            x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
            stride *= 2
        else:
            dilation *= 2  # the convolutions after a dropped pooling
        block, conv = block + 1, 1
    return x, low_level


def _xception(
    x: keras.KerasTensor, widths: Sequence[int], middle_blocks: int, output_stride: int
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The compact aligned Xception; returns its output and the output-stride-4 feature."""
    dilation = 1 if output_stride == 16 else 2  # of the blocks after the last stride-2
    x = layers.Conv2D(widths[0], 3, strides=2, padding="same", use_bias=False, name="stem1_conv")(x)
    x = batch_norm("stem1_bn")(x)
    x = layers.Activation("relu", name="stem1_relu")(x)
    x = conv_bn_relu(x, widths[1], "stem2")
    low_level = _xception_block(x, widths[2], "entry1", stride=2)  # output stride 4
    x = _xception_block(low_level, widths[3], "entry2", stride=2)  # 8
    if output_stride == 16:
        x = _xception_block(x, widths[4], "entry3", stride=2)  # 16
    else:
        x = _xception_block(x, widths[4], "entry3", dilation=2)
    for i in range(1, middle_blocks + 1):
        x = _xception_block(x, widths[4], f"middle{i}", dilation=dilation)
    x = _xception_block(x, widths[5], "exit", dilation=2 * dilation)
    return x, low_level


def deeplabv3plus(
    input_shape: Sequence[int | None] = (192, 256, 3),
    num_classes: int = 11,
    output_stride: int = 16,
    backbone: str = "xception",
    widths: Sequence[int] = (32, 64, 128, 256, 728, 1024),
    middle_blocks: int = 8,
    vgg_width: float = 1.0,
    aspp_rates: Sequence[int] | None = None,
    aspp_filters: int = 256,
    low_level_filters: int = 48,
    decoder_filters: int = 256,
    name: str = "deeplabv3plus",
) -> keras.Model:
    """DeepLabV3+ on an atrous backbone: the paper's aligned Xception or a VGG.

    Xception backbone (``backbone="xception"``): two 3x3 convolutions (the first with
    stride 2), then Xception blocks of separable convolutions with residual paths:
    ``widths[2]`` at stride 4 (its output is the decoder's low-level feature),
    ``widths[3]`` at stride 8, ``widths[4]`` at stride 16 (or dilated, for output stride
    8), ``middle_blocks`` more at that width, dilated once the output stride is reached,
    and an exit block of ``widths[5]``.

    VGG backbone (``backbone="vgg11"`` or ``"vgg16"``, DeepLab v1/v2's choice): the
    convolutions of :func:`models.vgg` with batch norm and its layer names, so a VGG
    classifier (notebook 03's encoder) loads by name. Poolings stop at the output stride;
    the convolutions after a dropped pooling are dilated (by 2 per dropped pooling). The
    low-level feature is the last convolution at output stride 4 (``block3``).

    ASPP runs on the backbone's output; the decoder up-samples it x4 (bilinear) to the
    low-level map, concatenates a 1x1 projection of that map (``low_level_filters``),
    refines with two separable 3x3 convolutions and up-samples the class scores to the
    input size.

    Args:
        input_shape: ``(height, width, channels)``. Any size of at least 32 pixels works
            (bilinear resizing aligns the maps); multiples of ``output_stride`` keep them
            exactly aligned.
        num_classes: scores per pixel.
        output_stride: 16 (cheaper) or 8 (finer; the last stride-2 is replaced by
            dilation, and the layers after it are dilated twice as much).
        backbone: ``"xception"``, ``"vgg11"`` or ``"vgg16"``.
        widths: Xception filters (see above); e.g. ``(16, 32, 64, 128, 192, 256)`` for a CPU.
        middle_blocks: Xception middle-flow blocks (16 in the paper).
        vgg_width: VGG width multiplier (0.25: notebook 03's encoder).
        aspp_rates: dilation rates of the ASPP branches. ``None`` means the paper's
            (6, 12, 18) at output stride 16 and (12, 24, 36) at 8. Rates larger than the
            feature map degenerate to 1x1 convolutions: for small inputs use smaller ones.
        aspp_filters, low_level_filters, decoder_filters: widths of the head.
        name: model name.

    Returns:
        A model from images to float32 logits at the input's resolution.
    """
    if output_stride not in (8, 16):
        raise ValueError(f"output_stride must be 8 or 16, got {output_stride!r}.")
    if backbone not in ("xception", *VGG_CONFIGS):
        raise ValueError(
            f"backbone must be 'xception' or one of {sorted(VGG_CONFIGS)}, got {backbone!r}."
        )
    if len(widths) != 6:
        raise ValueError(f"widths needs 6 values (stem, stem, OS4, OS8, OS16, exit), got {widths}.")
    if len(input_shape) != 3:
        raise ValueError(f"{name}: input_shape must be (height, width, channels).")
    for axis, size in zip(("height", "width"), input_shape[:2], strict=True):
        if size is not None and size < 32:
            raise ValueError(f"{name} needs an input {axis} of at least 32 pixels; got {size}.")
    rates = (
        tuple(aspp_rates) if aspp_rates else ((6, 12, 18) if output_stride == 16 else (12, 24, 36))
    )
    inputs = keras.Input(input_shape, name="image")
    if backbone == "xception":
        x, low_level = _xception(inputs, widths, middle_blocks, output_stride)
    else:
        x, low_level = _atrous_vgg(inputs, backbone, vgg_width, output_stride)
    x = layers.Identity(name="backbone_output")(x)

    x = aspp(x, aspp_filters, rates)
    x = ResizeLike(name="decoder_upsample")([x, low_level])
    skip = conv_bn_relu(low_level, low_level_filters, "decoder_low_level", kernel_size=1)
    x = layers.Concatenate(name="decoder_concat")([x, skip])
    x = separable_bn_relu(x, decoder_filters, "decoder_sep1")
    x = separable_bn_relu(x, decoder_filters, "decoder_sep2")
    x = layers.Conv2D(num_classes, 1, name="decoder_scores")(x)
    logits = ResizeLike(name="upsample_to_input", dtype="float32")([x, inputs])
    return keras.Model(inputs, logits, name=name)
