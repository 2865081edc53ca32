"""Checkers of the build-a-block exercises (notebooks 01 to 05): the learner writes Keras layers.

Each checker calls the learner's function on ``keras.Input``s (see ``_keras``) and checks,
in this order, the output shape, the parameter count, the property that defines the block,
and, where it is cheap, that the loss falls when the block trains on a fixed batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from course_utils.exercises._feedback import Feedback, _call
from course_utils.exercises._keras import (
    _build,
    _float32,
    _layers_of,
    _loss_falls,
    _predict,
    _random,
    _shape,
)

Block = Callable[..., Any]
"""A learner's function: Keras tensor(s) and integers in, one Keras tensor out."""
Shape = tuple[int | None, ...]


def _wrong(where: str, what: str, got: Any, want: Any, hint: str) -> Feedback:
    return Feedback(False, f"{where}, {what} should be {want}; yours is {got}.", hint)


def _sized(
    func: Block,
    shape: tuple[int, ...],
    args: dict[str, int],
    out: Shape,
    params: tuple[int, ...],
    hint: str,
    why_shape: Callable[[Shape], str | None] | None,
    why_params: Mapping[int, str],
) -> tuple[Any, Feedback | None]:
    """Build ``func(Input(shape), *args)``; check its output shape and parameter count.

    ``why_shape(got)`` (else ``_size_hint``) and ``why_params[got]`` name the likeliest
    mistake behind a wrong value; ``hint`` (the recipe) is given otherwise. Returns
    ``(model, None)`` when both are right, else ``(None, the Feedback)``.
    """
    model, error = _build(func, [shape], *args.values())
    if error:
        return None, Feedback(False, f"{error}.", hint)
    settings = ", ".join(f"{name}={value}" for name, value in args.items())
    where = f"on an input of shape {shape} with {settings}"
    got, count = _shape(model), model.count_params()
    if got != out:
        why = (why_shape and why_shape(got)) or _size_hint(got, out, shape) or hint
        return None, _wrong(where, "the output shape", got, out, why)
    if count not in params:
        want = " or ".join(f"{n:,}" for n in params)
        why = why_params.get(count, hint)
        return None, _wrong(where, "the parameter count", f"{count:,}", want, why)
    return model, None


def _size_hint(got: Shape, want: Shape, shape: tuple[int, ...]) -> str | None:
    """Pooling, padding or channels: the usual reasons a block's output has the wrong shape."""
    if len(got) != len(want) or len(got) != 4:
        return None
    if got[1:3] == shape[:2] != want[1:3]:
        return "Halve the size with MaxPooling2D(2) after the convolutions."
    if (got[1] or 0) < (want[1] or 0):
        return "A 3x3 'valid' convolution trims a pixel off each side: use padding='same'."
    if got[-1] != want[-1]:
        return f"Your output has {got[-1]} channels: use the `filters` argument."
    return None


def _trains(model: Any, shape: tuple[int, ...]) -> Feedback | None:
    """``None`` if ten Adam steps on one fixed batch lower the loss, else the Feedback."""
    target = 0.5 * _random((4, *_shape(model)[1:]), 1)  # type: ignore[arg-type]
    first, last = _loss_falls(model, [_random((4, *shape))], target, steps=10)
    if last < first:
        return None
    return Feedback(
        False,
        f"the shape and the parameter count are right, but the loss does not fall in "
        f"training ({first:.4f} -> {last:.4f}).",
        "The gradients must reach the weights: no trainable=False and no stop_gradient.",
    )


def _relu_count(model: Any) -> int:
    """How many times the model applies a ReLU: as an activation, a layer, or keras.ops.relu."""
    return sum(
        len(op._inbound_nodes)  # a ReLU layer called twice counts twice
        for op in model.operations
        if type(op).__name__ in ("ReLU", "Relu")
        or getattr(getattr(op, "activation", None), "__name__", "") == "relu"
    )


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _head_mistake(model: Any) -> str | None:
    """The likeliest mistake behind a conv head's wrong probabilities (``None``: right)."""
    x = _random((4, 8, 8, 64))
    got = _predict(model, x)
    if not np.allclose(got.sum(-1), 1, atol=1e-4):
        return "The rows do not sum to 1: end with a softmax (layers.Softmax()) over the classes."
    weights = [w for layer in model.layers for w in layer.get_weights()]
    if weights[0].size != 640:
        return "One Conv2D(num_classes, 1), then the pooling, then the softmax."
    bias = weights[1] if len(weights) > 1 else 0
    pixels = x.reshape(4, 64, 64) @ weights[0].reshape(64, 10) + bias  # every pixel's scores
    mistakes = [
        (_softmax(pixels.mean(1)), None),
        (_softmax(pixels).mean(1), "Apply the softmax after the pooling: average, then softmax."),
        (
            _softmax(pixels.max(1)),
            "Use GlobalAveragePooling2D: a class's score is its map's average, not its maximum.",
        ),
    ]
    return next(
        (why for want, why in mistakes if np.allclose(got, want, atol=1e-5)),
        "Your probabilities differ from the softmax of the averaged 1x1 scores.",
    )


def check_conv_head(func: Block) -> Feedback:
    """Check ``conv_head(features, num_classes)``: 1x1 Conv2D, global average pooling, softmax."""
    hint = "Conv2D(num_classes, 1), then GlobalAveragePooling2D(), then a softmax."
    pool = "GlobalAveragePooling2D turns each class's score map into one score, its average."
    flatten = (
        "A Dense layer on the flattened map has a weight per pixel per channel per class, and "
        "only fits one map size; a 1x1 convolution shares its 64 x 10 weights over all pixels "
        "and accepts any size: Conv2D(num_classes, 1)."
    )
    model, failed = _sized(
        func, (8, 8, 64), {"num_classes": 10}, (None, 10), (650,), hint,
        lambda got: pool if len(got) == 4 else None,
        {40_970: flatten, 5_770: "Use kernel_size=1: a 3x3 kernel has 9 weights per channel."},
    )  # fmt: skip
    if failed is not None:
        return failed
    mistake = _head_mistake(model)
    if mistake:
        return Feedback(False, "your head's output is not the probabilities expected.", mistake)
    fixed = "Use the num_classes argument, not a fixed 10."
    _, failed = _sized(
        func, (5, 7, 32), {"num_classes": 3}, (None, 3), (99,), hint,
        lambda got: fixed if got == (None, 10) else None, {},
    )  # fmt: skip
    if failed is not None:
        return failed
    failed = _trains(model, (8, 8, 64))
    if failed is not None:
        return failed
    remark = (
        " You pooled first and then used Dense(num_classes): the same function with the same "
        "650 weights, since averaging commutes with a linear layer."
    )
    return Feedback(
        True,
        "650 parameters (64 x 10 weights + 10 biases) on 8x8x64 maps, probabilities equal to "
        "the softmax of the averaged 1x1 scores, 99 parameters on 5x7x32 maps with 3 classes, "
        "and the loss falls in training." + (remark if _layers_of(model, "Dense") else ""),
    )


def check_vgg_block(func: Block) -> Feedback:
    """Check ``vgg_block(x, filters)``: two 3x3 'same' ReLU convolutions, then 2x2 max pooling."""
    hint = "Conv2D(filters, 3, padding='same', activation='relu') twice, then MaxPooling2D(2)."
    for shape, f, out in [((32, 32, 3), 16, (None, 16, 16, 16)), ((12, 10, 8), 4, (None, 6, 5, 4))]:
        recipe = f"9 x {shape[-1]} x {f} + {f} parameters, then 9 x {f} x {f} + {f}."
        model, failed = _sized(
            func, shape, {"filters": f}, out, (9 * shape[-1] * f + 9 * f * f + 2 * f,), hint,
            None,
            {9 * shape[-1] * f + f: "Stack two convolutions: " + recipe},
        )  # fmt: skip
        if failed is not None:
            return failed
        relus = _relu_count(model)
        if relus < 2:
            return Feedback(
                False,
                f"your block applies {relus} ReLU(s); each of its two convolutions needs one.",
                "Without a non-linearity, two convolutions collapse into one linear map (a "
                "single 5x5 convolution): activation='relu' on both.",
            )
        if not _layers_of(model, "MaxPooling2D"):
            return Feedback(
                False, "your block downsamples without MaxPooling2D.", "End with MaxPooling2D(2)."
            )
        pooled_early = [
            tuple(conv.output.shape[1:3])
            for conv in _layers_of(model, "Conv2D")
            if tuple(conv.output.shape[1:3]) != shape[:2]
        ]
        if pooled_early:
            return Feedback(
                False,
                f"a convolution of your block runs on a pooled {pooled_early[0][0]}x"
                f"{pooled_early[0][1]} map: the pooling comes before the second convolution.",
                "VGG's block keeps the resolution through both convolutions and pools once, at "
                "the end: conv, conv, then MaxPooling2D(2).",
            )
    failed = _trains(model, (12, 10, 8))
    if failed is not None:
        return failed
    return Feedback(
        True,
        "2,768 parameters on a 32x32x3 input with filters=16 (448 + 2,320), both convolutions "
        "followed by a ReLU, sizes halved by max pooling, the filters argument respected "
        "(440 on a 12x10x8 input with filters=4), and the loss falls in training.",
    )


def _residual_mistake(model: Any) -> str | None:
    """Zero the convolutions and probe the shortcut (``None``: an identity, then a ReLU).

    With zero convolution weights the residual branch is the last BatchNormalization of a
    zero map: its offset beta, so the block must give relu(x + beta). Each BatchNormalization
    here divides by 2 (moving variance 4), so adding x before the last one shows as x / 2.
    """
    beta = np.linspace(-0.5, 0.5, 16, dtype=np.float32)
    for layer in _layers_of(model, "Conv2D"):
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    for layer in _layers_of(model, "BatchNormalization"):
        layer.moving_variance.assign(np.full(16, 4, np.float32))
        if layer.center:
            layer.beta.assign(beta)
    x = _random((2, 8, 8, 16), 3)
    got, relu = _predict(model, x), lambda v: np.maximum(v, 0)
    mistakes = [
        (relu(x + beta), None),
        (x + beta, "The original block applies a ReLU after the addition: no negative outputs."),
        (relu(relu(x) + beta), "Add the input itself, not relu(x): the shortcut carries x as is."),
        (relu(x / 2 + beta), "Add x after the second BatchNormalization, not before it."),
        (got[:1, :1, :1], "The output ignores x: add the input back, layers.Add()([y, x])."),
    ]
    return next(
        (why for want, why in mistakes if np.allclose(got, want, atol=1e-3)),
        "Follow the order: conv, BN, ReLU, conv, BN, add x, ReLU.",
    )


def check_residual_block(func: Block) -> Feedback:
    """Check ``residual_block(x, filters)``: conv-BN-ReLU-conv-BN, plus x, then ReLU."""
    hint = (
        "Conv2D(filters, 3, padding='same') -> BatchNormalization -> ReLU -> Conv2D -> "
        "BatchNormalization -> Add with x -> ReLU: 2 x 9 x 16 x 16 weights, 2 x 64 for BN."
    )
    same = "An identity shortcut needs the input's shape: padding='same', stride 1, `filters`."
    projection = "An identity shortcut has no weights; here x already has the output's shape."
    no_bn = "Put a BatchNormalization after each convolution (4 x 16 numbers each)."
    model, failed = _sized(
        func, (8, 8, 16), {"filters": 16}, (None, 8, 8, 16), (4_736, 4_768), hint,
        lambda got: same,
        {4_608: no_bn, 4_640: no_bn, **dict.fromkeys((4_992, 5_008, 5_024, 5_040), projection)},
    )  # fmt: skip
    if failed is not None:
        return failed
    params = model.count_params()
    mistake = _residual_mistake(model)
    if mistake:
        return Feedback(
            False,
            "with both convolutions' weights set to zero, the block should output "
            "relu(x + beta), beta being the last BatchNormalization's offset; yours does not.",
            mistake,
        )
    if _relu_count(model) < 2:
        return Feedback(
            False, "only one ReLU in your block.", "Add a ReLU after the first BatchNormalization."
        )
    biases = (
        " Your convolutions' 32 biases are redundant: the BatchNormalization after each one "
        "subtracts the mean, bias included, and adds its own offset (use_bias=False)."
    )
    return Feedback(
        True,
        f"{params:,} parameters (two 3x3 convolutions of 2,304 weights, two BatchNormalizations "
        "of 64), the output shaped like the input, and with the convolutions zeroed the block "
        "gives relu(x + beta): the shortcut is an identity." + (biases if params == 4_768 else ""),
    )


def _dense_mistake(layer: Any, kernel: np.ndarray, bias: np.ndarray, gap: np.ndarray) -> str:
    """Why a convolutionalized layer's scores differ from the Dense layer's by ``gap``."""
    if np.allclose(gap, -bias, atol=1e-4):
        return "Copy the bias too: set_weights([kernel, dense.bias]) (and keep use_bias=True)."
    mine = np.sort(np.ravel(layer.get_weights()[0]))
    if mine.size == kernel.size and np.allclose(mine, np.sort(kernel.ravel())):
        return (
            "The right weights in the wrong places: Flatten is row-major over (h, w, c), so "
            "reshape the Dense kernel to (h, w, c, units), with no transpose."
        )
    return "Copy the Dense layer's weights: set_weights([dense.kernel reshaped, dense.bias])."


def check_dense_to_conv(func: Callable[[Any, tuple[int, int, int]], Any]) -> Feedback:
    """Check ``dense_to_conv(dense, input_shape)``: the Conv2D computing the same as the Dense."""
    import keras

    with _float32():
        dense = keras.layers.Dense(5)
        dense.build((None, 72))
        kernel, bias = _random((72, 5), 1), _random((5,), 2)
        dense.set_weights([kernel, bias])
        layer, error = _call(func, dense, (3, 4, 6))
    hint = "Conv2D(units, kernel_size=(h, w)), built on (None, h, w, c), with Dense's weights."
    if error:
        return Feedback(False, f"your function raised {error}.", hint)
    if not isinstance(layer, keras.layers.Layer):
        return Feedback(
            False, f"your function returned {type(layer).__name__}, not a Keras layer.", hint
        )
    if not layer.built:
        return Feedback(
            False,
            "your layer is not built, so it has no weights yet (it would draw random ones).",
            "Build it with layer.build((None, h, w, c)), then copy the Dense layer's weights.",
        )
    kernel_hint = "The kernel must cover the whole (h, w) window the Dense layer saw: (3, 4)."
    if getattr(layer, "padding", "valid") != "valid":
        kernel_hint = "Keep padding='valid': the Dense layer saw only real pixels, no zeros."
    for shape, out_shape in (((2, 3, 4, 6), (2, 1, 1, 5)), ((2, 5, 9, 6), (2, 3, 6, 5))):
        x = _random(shape, 4)
        try:
            out = np.asarray(layer(x), dtype=np.float64)
        except Exception as err:  # noqa: BLE001 - a learner's layer may raise anything; report it
            return Feedback(False, f"your layer raised {type(err).__name__}: {err}", kernel_hint)
        where = f"on maps of shape {shape}"
        if out.shape != out_shape:
            return _wrong(where, "the output shape", out.shape, out_shape, kernel_hint)
        windows = np.lib.stride_tricks.sliding_window_view(x, (3, 4), axis=(1, 2))
        # Each window flattened as Flatten does, row-major over (h, w, c).
        want = windows.transpose(0, 1, 2, 4, 5, 3).reshape(*out_shape[:3], 72) @ kernel + bias
        if not np.allclose(out, want, rtol=1e-4, atol=1e-4):
            mistake = _dense_mistake(layer, kernel, bias, out - want)
            return Feedback(False, f"{where}, your scores differ from the Dense layer's.", mistake)
    return Feedback(
        True,
        "on a 3x4 map your layer gives the Dense layer's 5 scores exactly, and on a 5x9 map a "
        "3x6 grid of them, one per 3x4 window: the score map FCN gets for free.",
    )


def check_separable_conv(func: Block) -> Feedback:
    """Check ``separable_conv(x, filters)``: a 3x3 DepthwiseConv2D, then a 1x1 Conv2D."""
    hint = "DepthwiseConv2D(3, padding='same') (9 x 8 + 8), then Conv2D(filters, 1) (8 x 32 + 32)."
    mix = "Depthwise keeps the 8 channels: a 1x1 Conv2D(filters, 1) mixes them, sets their number."
    order = "Depthwise first, so the 3x3 runs on the 8 input channels, the cheap side."
    plain = "Factorise Conv2D(filters, 3): a per-channel 3x3 (DepthwiseConv2D), then a 1x1 mix."
    model, failed = _sized(
        func, (16, 16, 8), {"filters": 32}, (None, 16, 16, 32), (368, 360), hint,
        lambda got: mix if got[-1] == 8 else None,
        {2_336: plain, 608: order, 576: order},
    )  # fmt: skip
    if failed is not None:
        return failed
    failed = _trains(model, (16, 16, 8))
    if failed is not None:
        return failed
    params = model.count_params()
    depthwise = "72 weights + 8 biases" if params == 368 else "72 weights"
    same = " SeparableConv2D is this same factorisation in one layer (no depthwise bias)."
    return Feedback(
        True,
        f"{params} parameters (3x3 depthwise: {depthwise}; 1x1 pointwise: 256 + 32) where "
        f"Conv2D(32, 3) has 2,336, {2336 / params:.1f} times fewer; the loss falls in "
        "training." + (same if _layers_of(model, "SeparableConv2D") else ""),
    )
