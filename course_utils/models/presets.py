"""Named sizes of each segmentation model, so that every notebook that trains or compares
a model builds the same one.

- ``"tiny"``: a few thousand parameters; for tests and the ``quick`` profile.
- ``"cpu"``: narrow enough to train in minutes on a laptop CPU at 192x256 (``default``).
- ``"paper"``: the published widths (``full``, on a GPU).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "encoder_decoder": {
        "tiny": {"widths": (8, 16, 32, 64)},
        "cpu": {"widths": (16, 32, 64, 128)},
        "paper": {"widths": (64, 128, 256, 512)},
    },
    "fcn": {  # "cpu" matches the VGG-11 encoder notebook 03 trains on CIFAR-10
        "tiny": {
            "config": "vgg11", "width": 0.125, "batch_norm": True, "fc_filters": 32, "fc_kernel": 3,
        },
        "cpu": {
            "config": "vgg11", "width": 0.25, "batch_norm": True, "fc_filters": 256, "fc_kernel": 3,
        },
        "paper": {
            "config": "vgg16", "width": 1.0, "batch_norm": False,
            "fc_filters": 4096, "fc_kernel": 7,
        },
    },
    "segnet": {
        "tiny": {
            "widths": (8, 8, 16, 16, 16), "convs": (1, 1, 1, 1, 1),
            "decoder_convs": (2, 1, 1, 1, 1), "unpool_fill": True,
        },
        # encoder: VGG-11's shape and width (notebook 03's CIFAR-10 encoder loads by name);
        # decoder: two convolutions per block, as VGG-16's, to fill in the unpooled zeros,
        # the first of them started as a box that spreads each unpooled value (UnpoolingFill)
        "cpu": {
            "widths": (16, 32, 64, 128, 128), "convs": (1, 1, 2, 2, 2),
            "decoder_convs": (2, 2, 2, 2, 2), "unpool_fill": True,
        },
        "paper": {},
    },
    "unet": {  # "paper": dropout 0.5 at the end of the contracting path (see models.unet)
        "tiny": {"widths": (8, 16, 32, 64)},
        "cpu": {"widths": (16, 32, 64, 128, 256)},
        "paper": {"widths": (64, 128, 256, 512, 1024), "dropout": 0.5},
    },
    "deeplabv3plus": {  # "cpu": notebook 03's VGG-11 encoder made atrous (output stride 8)
        "tiny": {
            "backbone": "vgg11", "vgg_width": 0.125, "output_stride": 8, "aspp_filters": 16,
            "low_level_filters": 8, "decoder_filters": 16, "aspp_rates": (1, 2, 3),
        },
        "cpu": {
            "backbone": "vgg11", "vgg_width": 0.25, "output_stride": 8, "aspp_filters": 128,
            "low_level_filters": 32, "decoder_filters": 128, "aspp_rates": (4, 8, 12),
        },
        # the paper's aligned Xception-65 (the builder's defaults), ASPP rates (6, 12, 18)
        "paper": {"backbone": "xception", "output_stride": 16},
    },
    # The same three on ImageNet's EfficientNet-Lite0 (models.efficientnet_lite0): its feature
    # layers (3.4 M weights, the classifier's 1,000-class head dropped) are the same at every
    # preset; only the head's widths change.
    "fcn_lite0": {
        "tiny": {"backbone": "lite0", "fc_filters": 0},
        "cpu": {"backbone": "lite0", "fc_filters": 0},
        "paper": {"backbone": "lite0", "fc_filters": 0},
    },
    "unet_lite0": {
        "tiny": {"backbone": "lite0", "widths": (8, 8, 16, 16, 32)},
        "cpu": {"backbone": "lite0", "widths": (16, 32, 48, 64, 128)},
        "paper": {"backbone": "lite0", "widths": (32, 64, 128, 256, 512)},
    },
    # "cpu": output stride 32, ASPP on the 1280-wide head of a 6x8 map at 192x256, rates that
    # fit it: 0.55 s a step against 0.76 at output stride 16 (float32, AVX2; model_speed.py)
    "deeplabv3plus_lite0": {
        "tiny": {
            "backbone": "lite0", "output_stride": 32, "aspp_filters": 16,
            "low_level_filters": 8, "decoder_filters": 16, "aspp_rates": (1, 2),
        },
        "cpu": {
            "backbone": "lite0", "output_stride": 32, "aspp_filters": 128,
            "low_level_filters": 32, "decoder_filters": 96, "aspp_rates": (1, 2, 3),
        },
        "paper": {"backbone": "lite0", "output_stride": 16, "aspp_rates": (6, 12, 18)},
    },
}  # fmt: skip

#: The builder of each preset family (the ``_lite0`` families use the same builders).
_BUILDERS = {"fcn_lite0": "fcn", "unet_lite0": "unet", "deeplabv3plus_lite0": "deeplabv3plus"}


def build(
    architecture: str,
    input_shape: Sequence[int | None] = (192, 256, 3),
    num_classes: int = 11,
    preset: str = "cpu",
    **overrides: Any,
) -> keras.Model:
    """Build a segmentation model by name at a named size.

    Args:
        architecture: ``"encoder_decoder"``, ``"fcn8s"`` / ``"fcn16s"`` / ``"fcn32s"``,
            ``"segnet"``, ``"segnet_nearest"``, ``"unet"``, ``"unet_noskip"`` (U-Net
            without its skips, the control) or ``"deeplabv3plus"``; on ImageNet's
            EfficientNet-Lite0, ``"fcn8s_lite0"`` (``16s``, ``32s``), ``"unet_lite0"`` and
            ``"deeplabv3plus_lite0"``.
        input_shape, num_classes: as for every builder.
        preset: ``"tiny"``, ``"cpu"`` or ``"paper"``.
        **overrides: builder arguments that replace the preset's (``name=`` included).

    Returns:
        The builder's model.
    """
    from course_utils import models

    family = architecture
    extra: dict[str, Any] = {}  # builder arguments that the name implies
    if architecture.startswith("fcn") and architecture[3:] in ("32s", "16s", "8s"):
        family, extra = "fcn", {"variant": architecture[3:]}
    elif architecture.startswith("fcn") and architecture.endswith("_lite0"):  # fcn8s_lite0
        variant = architecture[3:].removesuffix("_lite0")
        family, extra = "fcn_lite0", {"variant": variant, "name": architecture}
    elif architecture == "segnet_nearest":
        family, extra = "segnet", {"unpooling": "nearest"}
    elif architecture == "unet_noskip":
        family, extra = "unet", {"skips": False, "name": "unet_noskip"}
    elif architecture in ("unet_lite0", "deeplabv3plus_lite0"):
        extra = {"name": architecture}
    if family not in PRESETS:
        raise ValueError(
            f"Unknown model {architecture!r}; use one of encoder_decoder, fcn8s, fcn16s, fcn32s, "
            "segnet, segnet_nearest, unet, unet_noskip, deeplabv3plus, and on ImageNet's "
            "EfficientNet-Lite0 fcn8s_lite0 (16s, 32s), unet_lite0, deeplabv3plus_lite0."
        )
    if preset not in PRESETS[family]:
        raise ValueError(f"preset must be one of {', '.join(PRESETS[family])}, got {preset!r}.")
    kwargs = {**PRESETS[family][preset], **extra, **overrides}
    if kwargs.get("unpooling") == "nearest" and "unpool_fill" not in overrides:
        kwargs["unpool_fill"] = False  # the box starts a conv after unpooling: none here
    return getattr(models, _BUILDERS.get(family, family))(input_shape, num_classes, **kwargs)
