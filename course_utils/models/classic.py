"""The classic ImageNet classifiers, as Keras builders that also take small inputs.

Each builder reproduces the published layer structure at ``width=1.0`` with a 224x224
input, and scales the number of filters with ``width`` so that a CPU can train it on
small images (``stem="small"`` replaces the aggressive first layers, which would shrink
a 32x32 image to nothing). Simplifications, each stated where it applies: no local
response normalisation (AlexNet, GoogLeNet; later work found it useless), no auxiliary
classifiers (GoogLeNet), a single tower (AlexNet was split over two GPUs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from course_utils.models import normalization
from course_utils.models._blocks import vgg_conv_bn_relu
from course_utils.models.normalization import BN_MOMENTUM  # noqa: F401  (kept for callers)

VGG_CONFIGS: dict[str, list[int | str]] = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        "M",
    ],
}


def scaled_filters(filters: int, width: float) -> int:
    """A layer's filters at a width multiplier: ``filters * width`` rounded, at least 4.

    ``vgg`` and the builders that reuse its layers (DeepLab's VGG backbone) size them
    with this, so an encoder trained at one width loads into another network built
    at the same width.
    """
    return max(4, int(round(filters * width)))


def _check_stem(stem: str) -> None:
    if stem not in ("imagenet", "small"):
        raise ValueError(
            f"stem must be 'imagenet' (224x224 inputs) or 'small' (32x32), got {stem!r}."
        )


def _logits(x: keras.KerasTensor, num_classes: int) -> keras.KerasTensor:
    return layers.Dense(num_classes, dtype="float32", name="logits")(x)


def alexnet(
    input_shape: Sequence[int] = (227, 227, 3),
    num_classes: int = 1000,
    width: float = 1.0,
    stem: str = "imagenet",
    dense_units: int = 4096,
) -> keras.Model:
    """AlexNet (Krizhevsky, Sutskever, Hinton 2012): five convolutions, three dense layers.

    The last three layers are fully connected (4096, 4096, classes), with dropout 0.5.
    The input is 227x227 (the paper's "224" does not fit its own first layer's arithmetic).
    ``stem="small"`` uses a 3x3 stride-1 first convolution and no first pooling, for 32x32 inputs.
    """
    _check_stem(stem)
    inputs = keras.Input(input_shape)

    def conv(filters: int, kernel: int, name: str, **options: Any) -> layers.Conv2D:
        options.setdefault("padding", "same")
        return layers.Conv2D(
            scaled_filters(filters, width), kernel, activation="relu", name=name, **options
        )

    if stem == "imagenet":
        x = conv(96, 11, "conv1", strides=4, padding="valid")(inputs)
        x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    else:
        x = conv(96, 3, "conv1")(inputs)
    x = conv(256, 5, "conv2")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = conv(384, 3, "conv3")(x)
    x = conv(384, 3, "conv4")(x)
    x = conv(256, 3, "conv5")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    x = layers.Flatten(name="flatten")(x)
    for i in (6, 7):
        x = layers.Dense(scaled_filters(dense_units, width), activation="relu", name=f"fc{i}")(x)
        x = layers.Dropout(0.5, name=f"drop{i}")(x)
    return keras.Model(inputs, _logits(x, num_classes), name="alexnet")


def vgg(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    config: str = "vgg16",
    width: float = 1.0,
    dense_units: int = 4096,
    batch_norm: bool = False,
) -> keras.Model:
    """VGG (Simonyan, Zisserman 2014): stacks of 3x3 convolutions and 2x2 max pooling.

    Layers are named ``block{b}_conv{i}`` and ``block{b}_pool`` like ``keras.applications.VGG16``,
    so an encoder's weights can be moved between models by name (the FCN notebook does).
    ``dense_units=0`` replaces the two 4096-unit layers by global average pooling.
    """
    if config not in VGG_CONFIGS:
        raise ValueError(f"config must be one of {sorted(VGG_CONFIGS)}, got {config!r}.")
    inputs = keras.Input(input_shape)
    x, block, conv = inputs, 1, 1
    for item in VGG_CONFIGS[config]:
        if isinstance(item, str):  # "M"
            x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
            block, conv = block + 1, 1
            continue
        name = f"block{block}_conv{conv}"
        if batch_norm:
            x = vgg_conv_bn_relu(x, scaled_filters(item, width), name)
        else:
            x = layers.Conv2D(
                scaled_filters(item, width), 3, padding="same", activation="relu", name=name
            )(x)
        conv += 1
    if dense_units:
        x = layers.Flatten(name="flatten")(x)
        for i in (1, 2):
            x = layers.Dense(scaled_filters(dense_units, width), activation="relu", name=f"fc{i}")(
                x
            )
            x = layers.Dropout(0.5, name=f"drop{i}")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, _logits(x, num_classes), name=config)


def inception_module(
    x: keras.KerasTensor,
    f1: int,
    f3_reduce: int,
    f3: int,
    f5_reduce: int,
    f5: int,
    pool_proj: int,
    name: str,
) -> keras.KerasTensor:
    """GoogLeNet's Inception module: 1x1, 3x3 and 5x5 convolutions and a pooling branch
    side by side, concatenated. The 1x1 "reduce" convolutions shrink the channels first,
    which is what keeps the 3x3 and 5x5 branches affordable."""

    def conv(t: keras.KerasTensor, filters: int, size: int, suffix: str) -> keras.KerasTensor:
        return layers.Conv2D(
            filters, size, padding="same", activation="relu", name=f"{name}_{suffix}"
        )(t)

    b1 = conv(x, f1, 1, "1x1")
    b3 = conv(conv(x, f3_reduce, 1, "3x3_reduce"), f3, 3, "3x3")
    b5 = conv(conv(x, f5_reduce, 1, "5x5_reduce"), f5, 5, "5x5")
    bp = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    bp = conv(bp, pool_proj, 1, "pool_proj")
    return layers.Concatenate(name=f"{name}_concat")([b1, b3, b5, bp])


# name: (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj), "M" = max pool
_INCEPTION: list[tuple[str, tuple[int, int, int, int, int, int]] | str] = [
    ("3a", (64, 96, 128, 16, 32, 32)),
    ("3b", (128, 128, 192, 32, 96, 64)),
    "M",
    ("4a", (192, 96, 208, 16, 48, 64)),
    ("4b", (160, 112, 224, 24, 64, 64)),
    ("4c", (128, 128, 256, 24, 64, 64)),
    ("4d", (112, 144, 288, 32, 64, 64)),
    ("4e", (256, 160, 320, 32, 128, 128)),
    "M",
    ("5a", (256, 160, 320, 32, 128, 128)),
    ("5b", (384, 192, 384, 48, 128, 128)),
]


def googlenet(
    input_shape: Sequence[int] = (224, 224, 3),
    num_classes: int = 1000,
    width: float = 1.0,
    stem: str = "imagenet",
) -> keras.Model:
    """GoogLeNet / Inception v1 (Szegedy et al. 2014): nine Inception modules, global
    average pooling instead of big dense layers. Without the two auxiliary classifiers
    (used only during training) and without local response normalisation."""
    _check_stem(stem)
    inputs = keras.Input(input_shape)
    if stem == "imagenet":
        x = layers.Conv2D(
            scaled_filters(64, width), 7, strides=2, padding="same", activation="relu", name="conv1"
        )(inputs)
        x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
        x = layers.Conv2D(scaled_filters(64, width), 1, activation="relu", name="conv2_reduce")(x)
        x = layers.Conv2D(
            scaled_filters(192, width), 3, padding="same", activation="relu", name="conv2"
        )(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
    else:
        x = layers.Conv2D(
            scaled_filters(192, width), 3, padding="same", activation="relu", name="conv1"
        )(inputs)
    pools = 0
    for item in _INCEPTION:
        if isinstance(item, str):  # "M"
            pools += 1
            x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{2 + pools}")(x)
            continue
        name, filters = item
        f1, f3_reduce, f3, f5_reduce, f5, pool_proj = (scaled_filters(f, width) for f in filters)
        x = inception_module(
            x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj, name=f"inception_{name}"
        )
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.4, name="dropout")(x)
    return keras.Model(inputs, _logits(x, num_classes), name="googlenet")


def residual_block(
    x: keras.KerasTensor,
    filters: int,
    stride: int = 1,
    residual: bool = True,
    name: str = "block",
    batch_norm: bool = True,
) -> keras.KerasTensor:
    """ResNet's basic block: two 3x3 convolutions with batch norm, plus the input.

    When the block changes the shape (stride 2 or more filters), the shortcut is a 1x1
    convolution ("projection"). With ``residual=False`` the same layers are stacked
    without the shortcut: a plain network of equal depth and cost, for comparison. With
    ``batch_norm=False`` the convolutions get biases and no batch norm.
    """
    norm = normalization.batch_norm if batch_norm else layers.Identity
    bias = not batch_norm
    y = layers.Conv2D(
        filters, 3, strides=stride, padding="same", use_bias=bias, name=f"{name}_conv1"
    )(x)
    y = norm(name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=bias, name=f"{name}_conv2")(y)
    y = norm(name=f"{name}_bn2")(y)
    if residual:
        shortcut = x
        if stride != 1 or x.shape[-1] != filters:
            shortcut = layers.Conv2D(
                filters, 1, strides=stride, use_bias=bias, name=f"{name}_proj"
            )(x)
            shortcut = norm(name=f"{name}_proj_bn")(shortcut)
        y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(y)


def resnet(
    input_shape: Sequence[int] = (224, 224, 3),
    num_classes: int = 1000,
    blocks: Sequence[int] = (2, 2, 2, 2),
    width: float = 1.0,
    stem: str = "imagenet",
    residual: bool = True,
    name: str | None = None,
    batch_norm: bool = True,
) -> keras.Model:
    """ResNet with basic blocks (He et al. 2015): ``blocks=(2, 2, 2, 2)`` is ResNet-18,
    ``(3, 4, 6, 3)`` ResNet-34. Stage ``s`` has ``64 * 2**s * width`` filters and halves the
    resolution (except the first). ``residual=False`` builds the plain twin network;
    ``batch_norm=False`` both without batch normalisation (biases instead)."""
    _check_stem(stem)
    inputs = keras.Input(input_shape)
    if stem == "imagenet":
        x = layers.Conv2D(
            scaled_filters(64, width), 7, strides=2, padding="same", use_bias=False, name="conv1"
        )(inputs)
        x = normalization.batch_norm(name="conv1_bn")(x)
        x = layers.ReLU(name="conv1_relu")(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    else:
        x = layers.Conv2D(
            scaled_filters(64, width), 3, padding="same", use_bias=not batch_norm, name="conv1"
        )(inputs)
        x = (normalization.batch_norm if batch_norm else layers.Identity)(name="conv1_bn")(x)
        x = layers.ReLU(name="conv1_relu")(x)
    for stage, count in enumerate(blocks):
        for b in range(count):
            stride = 2 if stage > 0 and b == 0 else 1
            x = residual_block(
                x,
                scaled_filters(64 * 2**stage, width),
                stride,
                residual,
                name=f"stage{stage + 1}_block{b + 1}",
                batch_norm=batch_norm,
            )
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    depth = 2 + 2 * sum(blocks)
    default_name = f"{'resnet' if residual else 'plain'}{depth}"
    return keras.Model(inputs, _logits(x, num_classes), name=name or default_name)
