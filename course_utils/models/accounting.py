"""Counting what a model costs: parameters and floating-point operations per image."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


def _layer_macs(layer: Any) -> int:
    """Multiply-accumulates of one layer for one image (0 for layers without arithmetic)."""
    name = type(layer).__name__
    if name in ("Functional", "Sequential", "Model"):
        return sum(_layer_macs(inner) for inner in layer.layers)
    try:
        out_shape = layer.output.shape
        in_shape = layer.input.shape
    except (AttributeError, ValueError):
        return 0
    out_elems = int(np.prod([d for d in out_shape[1:] if d is not None]))
    if name == "Conv2D":
        kh, kw = layer.kernel_size
        cin = in_shape[-1] // layer.groups
        return out_elems * kh * kw * cin
    if name == "Conv2DTranspose":
        kh, kw = layer.kernel_size
        in_elems = int(np.prod(in_shape[1:-1]))
        return in_elems * kh * kw * in_shape[-1] * layer.filters
    if name == "DepthwiseConv2D":
        kh, kw = layer.kernel_size
        return out_elems * kh * kw
    if name == "SeparableConv2D":
        kh, kw = layer.kernel_size
        spatial = int(np.prod(out_shape[1:-1]))
        mult = layer.depth_multiplier
        return (
            spatial * in_shape[-1] * mult * kh * kw + spatial * in_shape[-1] * mult * layer.filters
        )
    if name == "Dense":
        return int(np.prod(in_shape[1:])) * layer.units
    return 0


def count_flops(model: keras.Model) -> int:
    """Floating-point operations of one forward pass for one image.

    Counts the multiply-accumulates of convolutions (standard, transposed, depthwise,
    separable) and dense layers, and reports ``2 x MACs`` (one multiply and one add each),
    the convention of most papers' "FLOPs" tables. Activations, pooling, normalisation and
    additions are left out: they are a few percent at most.
    """
    return 2 * sum(_layer_macs(layer) for layer in model.layers)


def summary_row(model: keras.Model) -> dict[str, Any]:
    """Name, parameters and GFLOPs of a model, for a comparison table."""
    return {
        "model": model.name,
        "input": "x".join(str(d) for d in model.input_shape[1:]),
        "parameters (M)": model.count_params() / 1e6,
        "GFLOPs / image": count_flops(model) / 1e9,
    }


def layer_memory(model: keras.Model) -> list[dict[str, Any]]:
    """Activations and parameters of every layer, for one image: CS231n's VGG-16 table.

    Each row: ``layer`` (name), ``output`` (shape without the batch), ``activations``
    (numbers in the layer's outputs, what a forward pass must keep for the backward pass)
    and ``params`` (the layer's weights). Layers that hold no output of their own
    (the input) are left out; a nested model counts as one row.

    Multiply ``activations`` by the batch size and the bytes per number (4 in float32) for
    the memory a training step keeps; ``params`` is paid once, whatever the batch.

    Raises:
        ValueError: for a model built for any input size (``(None, None, 3)``), whose
            activations depend on the image: build it at the size to count.
    """
    if any(d is None for d in model.input_shape[1:]):
        raise ValueError(
            f"{model.name} takes inputs of shape {model.input_shape[1:]}: its activations "
            "depend on the image size. Build it at the size to count, e.g. "
            "input_shape=(224, 224, 3)."
        )
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        outputs = layer.output if isinstance(layer.output, (list, tuple)) else [layer.output]
        shapes = [tuple(int(d) for d in out.shape[1:] if d is not None) for out in outputs]
        rows.append(
            {
                "layer": layer.name,
                "output": shapes[0],
                # every output is kept: SegNet's pooling keeps its indices beside its values
                "activations": sum(int(np.prod(shape)) for shape in shapes if shape),
                "params": int(layer.count_params()),
            }
        )
    return rows
