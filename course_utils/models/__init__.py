"""Reference model builders of the course (Keras only), and model accounting.

Each builder takes ``input_shape`` and ``num_classes`` and returns a ``keras.Model``
whose last layer outputs float32 logits. Notebooks show the builder's code and use it;
later notebooks reuse the same builder, so a model lives in exactly one place.

Classic classifiers (notebook 03): :func:`alexnet`, :func:`vgg`, :func:`googlenet`,
:func:`resnet`, and :func:`inception_module` / :func:`residual_block` as building blocks.
ImageNet-trained: :func:`efficientnet_lite0` (weights shipped by a package, read without
torch), its feature taps :func:`efficientnet_lite0_features`, and :func:`decode_imagenet`.
Segmentation (Parts 2-3): :func:`encoder_decoder` (notebook 06's baseline), :func:`fcn`
(32s/16s/8s), :func:`segnet`, :func:`unet`, :func:`deeplabv3plus`; their custom layers
:class:`MaxPoolWithArgmax`, :class:`MaxUnpool`, :class:`ResizeLike` and the initialiser
:class:`BilinearUpsampling`; :func:`copy_weights_by_name` moves trained weights;
:func:`build` makes any of them by name at a named size (:data:`PRESETS`).
Losses: :class:`WeightedCrossEntropy`, :class:`DiceLoss` (both ignore the void id).
Accounting: :func:`count_flops`, :func:`summary_row`; measured cost: :func:`measure_speed`,
:func:`peak_training_memory`. Prediction: :func:`predict_ids` (class ids of uint8 images),
:func:`predict_tiled` (overlap-tile). Saved models: :func:`register_custom_objects` registers the
custom layers, initialisers and losses so that a ``.keras`` file loads in a fresh process;
:func:`as_float32` gives a mixed-precision model's float32 twin, for an export.

This part is a leaf: it needs Keras and imports nothing from ``course_utils`` but its own
modules, the NumPy core :mod:`course_utils.ops` and the private ``_tf``.
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
    "efficientnet_lite0": "efficientnet",
    "efficientnet_lite0_features": "efficientnet",
    "decode_imagenet": "efficientnet",
    "encoder_decoder": "baseline",
    "fcn": "_fcn",
    "segnet": "_segnet",
    "unet": "_unet",
    "deeplabv3plus": "_deeplab",
    "MaxPoolWithArgmax": "layers",
    "MaxUnpool": "layers",
    "BilinearUpsampling": "layers",
    "ResizeLike": "layers",
    "UnpoolingFill": "layers",
    "copy_weights_by_name": "transfer",
    "build": "presets",
    "measure_speed": "profiling",
    "predict_tiled": "tiling",
    "predict_ids": "predict",
    "peak_training_memory": "profiling",
    "peak_training_memories": "profiling",
    "memory_limit_mb": "profiling",
    "memory_left_mb": "profiling",
    "memory_probe_workers": "profiling",
    "PRESETS": "presets",
    "DiceLoss": "losses",
    "WeightedCrossEntropy": "losses",
    "count_flops": "accounting",
    "summary_row": "accounting",
    "layer_memory": "accounting",
    "register_custom_objects": "saving",
    "as_float32": "saving",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        module = importlib.import_module(f"course_utils.models.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'course_utils.models' has no attribute {name!r}")
