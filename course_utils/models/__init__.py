"""Reference model builders of the course (Keras only), and model accounting.

Each builder takes ``input_shape`` and ``num_classes`` and returns a ``keras.Model``
whose last layer outputs float32 logits. Notebooks show the builder's code and use it;
later notebooks reuse the same builder, so a model lives in exactly one place.

Classic classifiers (notebook 03): :func:`alexnet`, :func:`vgg`, :func:`googlenet`,
:func:`resnet`, and :func:`inception_module` / :func:`residual_block` as building blocks.
Accounting: :func:`count_flops`, :func:`summary_row`.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "alexnet": "classic",
    "vgg": "classic",
    "googlenet": "classic",
    "resnet": "classic",
    "inception_module": "classic",
    "residual_block": "classic",
    "VGG_CONFIGS": "classic",
    "imagenet_backbone": "pretrained",
    "count_flops": "accounting",
    "summary_row": "accounting",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        module = importlib.import_module(f"course_utils.models.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'course_utils.models' has no attribute {name!r}")
