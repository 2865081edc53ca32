"""DeepLabV3+ (Chen et al. 2018): an atrous (dilated) backbone, Atrous Spatial Pyramid
Pooling, and a decoder that refines boundaries with low-level features. The backbone is the
paper's aligned Xception-65 (depthwise separable convolutions; narrower and shallower on
request) or a VGG made atrous, as in DeepLab v1 and v2, which loads a VGG classifier's
weights by name."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from course_utils.models._blocks import batch_norm, conv_bn_relu, vgg_conv_bn_relu
from course_utils.models.classic import VGG_CONFIGS, scaled_filters
from course_utils.models.layers import ResizeLike
from course_utils.ops import atrous_strides

#: The paper's aligned Xception-65: stem, stem, entry blocks 1-3 (and middle flow), exit block.
XCEPTION65_WIDTHS = (32, 64, 128, 256, 728, 1024)


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
    x: keras.KerasTensor, filters: Sequence[int], name: str, stride: int = 1, dilation: int = 1
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """Three separable convolutions of ``filters`` (the last strided: the aligned
    Xception's replacement for max pooling) plus a residual path: the identity, or a
    strided 1x1 convolution with batch norm where the shape changes. Returns the block's
    output and its second convolution's (DeepLabV3+'s low-level feature in entry block 2)."""
    shortcut = x
    if stride != 1 or x.shape[-1] != filters[-1]:
        shortcut = layers.Conv2D(
            filters[-1], 1, strides=stride, use_bias=False, name=f"{name}_shortcut"
        )(x)
        shortcut = batch_norm(f"{name}_shortcut_bn")(shortcut)
    x = separable_bn_relu(x, filters[0], f"{name}_sep1", dilation=dilation)
    second = separable_bn_relu(x, filters[1], f"{name}_sep2", dilation=dilation)
    x = separable_bn_relu(second, filters[2], f"{name}_sep3", stride=stride, dilation=dilation)
    return layers.Add(name=f"{name}_add")([x, shortcut]), second


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
    x: keras.KerasTensor,
    widths: Sequence[int],
    middle_blocks: int,
    exit_widths: Sequence[int],
    output_stride: int,
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The aligned Xception of DeepLabV3+ (Xception-65 at the paper's widths); returns its
    output and the low-level feature (entry block 2's second convolution, output stride 4).

    Strides and dilations follow notebook 10's rule (:func:`course_utils.ops.atrous_strides`)
    over the stages stem, entry 1-3, middle flow, exit block, exit convolutions."""
    stem, entry1, entry2, entry3, middle, exit_block, exit_convs = atrous_strides(
        [2, 2, 2, 2, 1, 2, 1], output_stride
    )
    x = layers.Conv2D(
        widths[0], 3, strides=stem[0], padding="same", use_bias=False, name="stem1_conv"
    )(x)
    x = batch_norm("stem1_bn")(x)
    x = layers.Activation("relu", name="stem1_relu")(x)
    x = conv_bn_relu(x, widths[1], "stem2")
    x, _ = _xception_block(x, [widths[2]] * 3, "entry1", *entry1)  # output stride 4
    x, low_level = _xception_block(x, [widths[3]] * 3, "entry2", *entry2)  # 8
    x, _ = _xception_block(x, [widths[4]] * 3, "entry3", *entry3)  # 16, or dilated
    for i in range(1, middle_blocks + 1):
        x, _ = _xception_block(x, [widths[4]] * 3, f"middle{i}", *middle)
    exit_filters = (widths[4], widths[5], widths[5])
    x, _ = _xception_block(x, exit_filters, "exit1", *exit_block)
    for i, filters in enumerate(exit_widths, start=1):  # no residual path here
        x = separable_bn_relu(x, filters, f"exit2_sep{i}", dilation=exit_convs[1])
    return x, low_level


def _lite0(
    inputs: keras.KerasTensor, output_stride: int, weights: str | None
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """EfficientNet-Lite0 as a nested backbone: (its head at ``output_stride``, stride 4)."""
    from course_utils.models.efficientnet import lite0_backbone

    features = lite0_backbone(inputs, (4, 32), weights, output_stride)
    return features["stride32"], features["stride4"]


def deeplabv3plus(
    input_shape: Sequence[int | None] = (192, 256, 3),
    num_classes: int = 11,
    output_stride: int = 16,
    backbone: str = "xception",
    widths: Sequence[int] = XCEPTION65_WIDTHS,
    middle_blocks: int = 16,
    exit_widths: Sequence[int] | None = None,
    vgg_width: float = 1.0,
    aspp_rates: Sequence[int] | None = None,
    aspp_filters: int = 256,
    low_level_filters: int = 48,
    decoder_filters: int = 256,
    backbone_weights: str | None = "imagenet",
    name: str = "deeplabv3plus",
) -> keras.Model:
    """DeepLabV3+ on an atrous backbone: the paper's aligned Xception or a VGG.

    Xception backbone (``backbone="xception"``; the defaults are the paper's
    Xception-65, section 3.2 and figure 4: 38M of the model's 41M parameters):

    - **entry flow**: a 3x3 convolution of ``widths[0]`` with stride 2 and one of
      ``widths[1]``; then three blocks of ``widths[2]``, ``widths[3]`` and ``widths[4]``
      filters (128, 256, 728), each of three separable convolutions whose last has
      stride 2, with a strided 1x1 convolution on the residual path;
    - **middle flow**: ``middle_blocks`` (16) blocks of three separable convolutions of
      ``widths[4]`` (728) with identity residuals;
    - **exit flow**: a block of ``widths[4]``, ``widths[5]``, ``widths[5]`` (728, 1024,
      1024) with a 1x1 residual path, then separable convolutions of ``exit_widths``
      (1536, 1536, 2048) without one.

    As in the aligned Xception, a strided separable convolution takes the place of every
    max pooling, and batch norm and ReLU follow every 3x3 depthwise convolution (and every
    1x1 pointwise one). Strides stop at the output stride; every later layer is dilated
    by the strides given up (notebook 10's rule, ``ops.atrous_strides``): at output
    stride 16 the exit block has stride 1 and the exit convolutions dilation 2; at 8,
    entry block 3 also has stride 1, the middle flow and exit block dilation 2 and the exit
    convolutions 4. The decoder's low-level feature is entry block 2's second separable
    convolution (output stride 4, ``widths[3]`` channels), as in DeepLab's code.

    VGG backbone (``backbone="vgg11"`` or ``"vgg16"``, DeepLab v1/v2's choice): the
    convolutions of :func:`models.vgg` with batch norm and its layer names, so a VGG
    classifier (notebook 03's encoder) loads by name. Poolings stop at the output stride;
    the convolutions after a dropped pooling are dilated (by 2 per dropped pooling). The
    low-level feature is the last convolution at output stride 4 (``block3``).

    EfficientNet-Lite0 backbone (``backbone="lite0"``, as DeepLab's mobile models start
    from MobileNetV2, a close cousin): :func:`models.efficientnet_lite0` with its ImageNet
    weights (``backbone_weights``), made atrous below stride ``output_stride``; the ASPP reads
    its 1x1 head (1280 channels) and the decoder its stride-4 map (24 channels). The model
    takes images in 0-1, as every course model; it multiplies them by 255 for the backbone,
    a nested model named ``"backbone"`` (``model.get_layer("backbone").trainable = False``
    freezes it).

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
            dilation, and the layers after it are dilated twice as much); with Lite0 also 32
            (no atrous stage: the cheapest, the ASPP on a map 32 times smaller than the input).
        backbone: ``"xception"``, ``"vgg11"``, ``"vgg16"`` or ``"lite0"``.
        widths: Xception filters, 6 values (see above); e.g.
            ``(16, 32, 64, 128, 192, 256)`` for a CPU.
        middle_blocks: Xception middle-flow blocks (16 in the paper).
        exit_widths: the exit flow's last separable convolutions. ``None`` means the
            paper's ratios to ``widths[5]`` (1.5x, 1.5x, 2x: 1536, 1536, 2048 for 1024);
            ``()`` leaves them out.
        vgg_width: VGG width multiplier (0.25: notebook 03's encoder).
        aspp_rates: dilation rates of the ASPP branches. ``None`` means the paper's
            (6, 12, 18) at output stride 16 and (12, 24, 36) at 8. Rates larger than the
            feature map degenerate to 1x1 convolutions: for small inputs use smaller ones.
        aspp_filters, low_level_filters, decoder_filters: widths of the head.
        backbone_weights: ``"imagenet"`` or ``None`` (a random start); Lite0 only.
        name: model name.

    Returns:
        A model from images to float32 logits at the input's resolution.
    """
    strides = (8, 16, 32) if backbone == "lite0" else (8, 16)
    if output_stride not in strides:
        raise ValueError(
            f"output_stride must be {' or '.join(map(str, strides))} for backbone {backbone!r}, "
            f"got {output_stride!r}."
        )
    if backbone not in ("xception", "lite0", *VGG_CONFIGS):
        raise ValueError(
            f"backbone must be 'xception', 'lite0' or one of {sorted(VGG_CONFIGS)}, "
            f"got {backbone!r}."
        )
    if len(widths) != 6:
        raise ValueError(
            f"widths needs 6 values (stem, stem, entry 1, entry 2, entry 3 and middle, exit), "
            f"got {tuple(widths)}; the paper's are {XCEPTION65_WIDTHS}."
        )
    if middle_blocks < 0:
        raise ValueError(f"middle_blocks must be 0 or more, got {middle_blocks}; the paper has 16.")
    if exit_widths is None:
        exit_widths = (3 * widths[5] // 2, 3 * widths[5] // 2, 2 * widths[5])
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
        x, low_level = _xception(inputs, widths, middle_blocks, exit_widths, output_stride)
    elif backbone == "lite0":
        x, low_level = _lite0(inputs, output_stride, backbone_weights)
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
