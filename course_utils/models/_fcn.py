"""FCN (Long, Shelhamer and Darrell 2015): a VGG classifier made fully convolutional, with
score maps up-sampled by transposed convolutions and fused with pool4 and pool3 scores."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from course_utils.models._blocks import check_input
from course_utils.models.classic import vgg
from course_utils.models.layers import BilinearUpsampling, ResizeLike

VARIANTS = {"32s": (), "16s": ("pool4",), "8s": ("pool4", "pool3")}


def _learned_x2(x: keras.KerasTensor, num_classes: int, name: str) -> keras.KerasTensor:
    """A x2 transposed convolution initialised as bilinear interpolation, then learned."""
    return layers.Conv2DTranspose(
        num_classes,
        4,
        strides=2,
        padding="same",
        use_bias=False,
        kernel_initializer=BilinearUpsampling(2),
        name=name,
    )(x)


def _score(x: keras.KerasTensor, num_classes: int, name: str) -> keras.KerasTensor:
    """1x1 class scores, zero-initialised as every scoring layer of the paper: a skip's
    scores add nothing at first, and ``score_fr`` starts every class at the same score."""
    return layers.Conv2D(num_classes, 1, kernel_initializer="zeros", name=name)(x)


def fcn(
    input_shape: Sequence[int | None] = (192, 256, 3),
    num_classes: int = 11,
    variant: str = "8s",
    config: str = "vgg16",
    width: float = 1.0,
    batch_norm: bool = False,
    fc_filters: int = 4096,
    fc_kernel: int = 7,
    dropout: float = 0.5,
    backbone: str = "vgg",
    backbone_weights: str | None = "imagenet",
    name: str | None = None,
) -> keras.Model:
    """FCN-32s, FCN-16s or FCN-8s on a VGG encoder, or on ImageNet's EfficientNet-Lite0.

    The encoder is :func:`course_utils.models.vgg` with the same ``config``, ``width``
    and ``batch_norm`` and the same layer names (``block{b}_conv{i}``, ``block{b}_pool``),
    so a classifier's weights move in with :func:`copy_weights_by_name`. Its dense
    layers become convolutions ``fc6`` (``fc_kernel`` x ``fc_kernel``) and ``fc7`` (1x1);
    ``score_fr`` gives class scores at 1/32 of the input. Every scoring layer
    (``score_fr``, ``score_pool4``, ``score_pool3``) starts at zero, as in the paper,
    which found that a random start gave neither better results nor faster convergence.
    Then:

    - **32s**: scores up-sampled x32 by bilinear interpolation (the paper's fixed
      bilinear transposed convolution, computed as a resize).
    - **16s**: scores up-sampled x2 (learned, bilinear-initialised), added to
      ``score_pool4`` (a zero-initialised 1x1 convolution of pool4), then x16.
    - **8s**: that sum up-sampled x2 again, added to ``score_pool3``, then x8.

    With ``backbone="lite0"`` the encoder is :func:`models.efficientnet_lite0` (ImageNet
    weights unless ``backbone_weights=None``), a nested model named ``"backbone"``: its
    stride-8, 16 and 32 maps stand where pool3, pool4 and pool5 stand in VGG (40, 112 and
    1280 channels; the last is Lite0's own 1x1 head, the features its classifier pools), and
    ``fc_filters=0`` scores that head directly, without fc6/fc7. This is the paper's idea
    itself: an ImageNet classifier made into a segmenter. ``config``, ``width`` and
    ``batch_norm`` are then unused.

    The paper's values are the defaults (VGG-16, 4096 filters, 7x7 fc6); on a CPU, use a
    narrower encoder and head, e.g. ``config="vgg11", width=0.25, fc_filters=256,
    fc_kernel=3``. Training in stages (32s, then 16s and 8s initialised from it) works
    because every layer a smaller variant has keeps its name in the larger one.

    Args:
        input_shape: ``(height, width, channels)``, height and width multiples of 32.
        num_classes: scores per pixel.
        variant: ``"32s"``, ``"16s"`` or ``"8s"``.
        config, width, batch_norm: the VGG encoder, as in :func:`models.vgg`.
        fc_filters, fc_kernel: the convolutionalised fc6/fc7 (``fc_filters=0``: none).
        dropout: after fc6 and fc7, as in the paper.
        backbone: ``"vgg"`` or ``"lite0"``.
        backbone_weights: ``"imagenet"`` or ``None`` (a random start); Lite0 only.
        name: model name (default ``"fcn8s"`` etc.).

    Returns:
        A model from images to float32 logits at the input's resolution.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}.")
    name = name or f"fcn{variant}"
    check_input(input_shape, 32, name)
    if backbone == "vgg":
        encoder = vgg(input_shape, 1, config, width, dense_units=0, batch_norm=batch_norm)
        inputs = encoder.input
        pools = {f"pool{b}": encoder.get_layer(f"block{b}_pool").output for b in (3, 4, 5)}
    elif backbone == "lite0":
        from course_utils.models.efficientnet import lite0_backbone

        inputs = keras.Input(tuple(input_shape), name="image")
        taps = lite0_backbone(inputs, (8, 16, 32), backbone_weights)
        pools = {"pool3": taps["stride8"], "pool4": taps["stride16"], "pool5": taps["stride32"]}
    else:
        raise ValueError(f"backbone must be 'vgg' or 'lite0', got {backbone!r}.")

    x = pools["pool5"]
    if fc_filters:
        x = layers.Conv2D(fc_filters, fc_kernel, padding="same", activation="relu", name="fc6")(x)
        x = layers.Dropout(dropout, name="drop6")(x)
        x = layers.Conv2D(fc_filters, 1, activation="relu", name="fc7")(x)
    x = layers.Dropout(dropout, name="drop7")(x)
    scores = _score(x, num_classes, "score_fr")  # zero-initialised, as in the paper

    stride = 32
    for skip in VARIANTS[variant]:
        scores = _learned_x2(scores, num_classes, f"upscore_to_{skip}")
        fused = _score(pools[skip], num_classes, f"score_{skip}")
        scores = layers.Add(name=f"fuse_{skip}")([scores, fused])
        stride //= 2
    # The paper's last up-sampling is a transposed convolution fixed to bilinear weights: the
    # same as bilinear interpolation away from the border, and far cheaper as a resize (a
    # 64x64 transposed convolution's gradient crawls on a CPU).
    # A resize to the input's size, not UpSampling2D(stride): it also takes inputs whose size
    # is known only when the model runs (trained on crops, scored on whole frames).
    logits = ResizeLike(name=f"upscore{stride}")([scores, inputs])
    logits = layers.Activation("linear", dtype="float32", name="logits")(logits)
    return keras.Model(inputs, logits, name=name)
