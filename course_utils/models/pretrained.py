"""ImageNet backbones from ``keras.applications``, with an honest offline fallback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def imagenet_backbone(
    name: str = "MobileNetV2", input_shape: Sequence[int] = (96, 96, 3)
) -> tuple[Any, str]:
    """A ``keras.applications`` backbone without its classifier head, ImageNet weights if possible.

    The weights are downloaded by Keras on first use (about 9 MB for MobileNetV2) and
    cached in ``~/.keras/models``. Where they cannot be had (offline, blocked), the same
    architecture is returned with random weights, and the second return value says so:
    callers must print it, so nobody mistakes an untrained backbone for a pretrained one.

    Returns:
        ``(model, weights)`` where ``weights`` is ``"imagenet"`` or an explanation that
        starts with ``"random"``.
    """
    import keras

    constructor = getattr(keras.applications, name, None)
    if constructor is None:
        raise ValueError(f"keras.applications has no {name!r}.")
    try:
        return constructor(
            include_top=False, weights="imagenet", input_shape=tuple(input_shape)
        ), "imagenet"
    except Exception as err:  # noqa: BLE001 - keras.utils.get_file raises a bare Exception offline
        reason = str(err).splitlines()[0][:160]
        model = constructor(include_top=False, weights=None, input_shape=tuple(input_shape))
        return model, (
            f"random: the ImageNet weights of {name} could not be downloaded ({reason}). "
            "The architecture is the same, but nothing is pretrained. On a connected machine, "
            f"run keras.applications.{name}(weights='imagenet') once to cache them."
        )
