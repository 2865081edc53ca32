"""Checkers of the build-a-block exercises (notebooks 01 to 05): the learner writes Keras layers.

Each checker calls the learner's function on ``keras.Input``s (see ``_keras``) and checks,
in this order, the output shape, the parameter count, the property that defines the block,
and, where it is cheap, that the loss falls when the block trains on a fixed batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from course_utils.exercises._answers import _with_answer
from course_utils.exercises._feedback import Feedback, _call, _raised
from course_utils.exercises._keras import (
    _build,
    _float32,
    _layers_of,
    _loss_falls,
    _predict,
    _random,
    _shape,
)
from course_utils.exercises._lang import _t

Block = Callable[..., Any]
"""A learner's function: Keras tensor(s) and integers in, one Keras tensor out."""
Shape = tuple[int | None, ...]


def _wrong(where: str, what: str, got: Any, want: Any, hint: str) -> Feedback:
    return Feedback(
        False,
        _with_answer(
            _t(
                en=f"{where}, {what} should be {want}; yours is {got}.",
                ko=f"{where} {what} {want}이어야 합니다. 여러분의 결과는 {got}입니다.",
            ),
            _t(
                en=f"{where}, {what} is not {got}.",
                ko=f"{where} {what} {got}이(가) 아닙니다.",
            ),
        ),
        hint,
    )


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
    where = _t(
        en=f"on an input of shape {shape} with {settings}",
        ko=f"입력 모양이 {shape}이고 {settings}일 때",
    )
    got, count = _shape(model), model.count_params()
    if got != out:
        why = (why_shape and why_shape(got)) or _size_hint(got, out, shape) or hint
        return None, _wrong(where, _t(en="the output shape", ko="출력 모양은"), got, out, why)
    if count not in params:
        want = _t(en=" or ", ko=" 또는 ").join(f"{n:,}" for n in params)
        why = why_params.get(count, hint)
        what = _t(en="the parameter count", ko="파라미터 수는")
        return None, _wrong(where, what, f"{count:,}", want, why)
    return model, None


def _size_hint(got: Shape, want: Shape, shape: tuple[int, ...]) -> str | None:
    """Pooling, padding or channels: the usual reasons a block's output has the wrong shape."""
    if len(got) != len(want) or len(got) != 4:
        return None
    if got[1:3] == shape[:2] != want[1:3]:
        return _t(
            en="Halve the size with MaxPooling2D(2) after the convolutions.",
            ko="합성곱 다음에 MaxPooling2D(2)로 크기를 절반으로 줄이세요.",
        )
    if (got[1] or 0) < (want[1] or 0):
        return _t(
            en="A 3x3 'valid' convolution trims a pixel off each side: use padding='same'.",
            ko="3x3 'valid' 합성곱은 양쪽 가장자리에서 한 픽셀씩 잘라 냅니다. "
            "padding='same'을 쓰세요.",
        )
    if got[-1] != want[-1]:
        return _t(
            en=f"Your output has {got[-1]} channels: use the `filters` argument.",
            ko=f"출력의 채널이 {got[-1]}개입니다. `filters` 인자를 쓰세요.",
        )
    return None


def _trains(model: Any, shape: tuple[int, ...]) -> Feedback | None:
    """``None`` if ten Adam steps on one fixed batch lower the loss, else the Feedback."""
    target = 0.5 * _random((4, *_shape(model)[1:]), 1)  # type: ignore[arg-type]
    first, last = _loss_falls(model, [_random((4, *shape))], target, steps=10)
    if last < first:
        return None
    return Feedback(
        False,
        _t(
            en="the shape and the parameter count are right, but the loss does not fall in "
            f"training ({first:.4f} -> {last:.4f}).",
            ko="모양과 파라미터 수는 맞지만, 훈련해도 손실이 줄지 않습니다"
            f"({first:.4f} -> {last:.4f}).",
        ),
        _t(
            en="The gradients must reach the weights: no trainable=False and no stop_gradient.",
            ko="그래디언트가 가중치까지 닿아야 합니다. trainable=False도, stop_gradient도 "
            "쓰지 마세요.",
        ),
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
        return _t(
            en="The rows do not sum to 1: end with a softmax (layers.Softmax()) over the classes.",
            ko="행의 합이 1이 아닙니다. 마지막에 클래스에 대한 소프트맥스(layers.Softmax())를 "
            "두세요.",
        )
    weights = [w for layer in model.layers for w in layer.get_weights()]
    if weights[0].size != 640:
        return _t(
            en="One Conv2D(num_classes, 1), then the pooling, then the softmax.",
            ko="Conv2D(num_classes, 1) 하나, 그다음 풀링, 그다음 소프트맥스입니다.",
        )
    bias = weights[1] if len(weights) > 1 else 0
    pixels = x.reshape(4, 64, 64) @ weights[0].reshape(64, 10) + bias  # every pixel's scores
    mistakes = [
        (_softmax(pixels.mean(1)), None),
        (
            _softmax(pixels).mean(1),
            _t(
                en="Apply the softmax after the pooling: average, then softmax.",
                ko="소프트맥스는 풀링 다음에 적용하세요. 평균을 낸 뒤 소프트맥스입니다.",
            ),
        ),
        (
            _softmax(pixels.max(1)),
            _t(
                en="Use GlobalAveragePooling2D: a class's score is its map's average, not its "
                "maximum.",
                ko="GlobalAveragePooling2D를 쓰세요. 클래스 점수는 그 맵의 최댓값이 아니라 "
                "평균입니다.",
            ),
        ),
    ]
    return next(
        (why for want, why in mistakes if np.allclose(got, want, atol=1e-5)),
        _t(
            en="Your probabilities differ from the softmax of the averaged 1x1 scores.",
            ko="확률이 평균 낸 1x1 점수의 소프트맥스와 다릅니다.",
        ),
    )


def check_conv_head(func: Block) -> Feedback:
    """Check ``conv_head(features, num_classes)``: 1x1 Conv2D, global average pooling, softmax."""
    hint = _t(
        en="Conv2D(num_classes, 1), then GlobalAveragePooling2D(), then a softmax.",
        ko="Conv2D(num_classes, 1), 그다음 GlobalAveragePooling2D(), 그다음 소프트맥스입니다.",
    )
    pool = _t(
        en="GlobalAveragePooling2D turns each class's score map into one score, its average.",
        ko="GlobalAveragePooling2D는 클래스마다 점수 맵을 점수 하나, 곧 맵의 평균으로 바꿉니다.",
    )
    flatten = _t(
        en="A Dense layer on the flattened map has a weight per pixel per channel per class, "
        "and only fits one map size; a 1x1 convolution shares its 64 x 10 weights over all "
        "pixels and accepts any size: Conv2D(num_classes, 1).",
        ko="평탄화한 맵 위의 Dense 층은 픽셀마다, 채널마다, 클래스마다 가중치를 하나씩 두므로 "
        "맵 크기 하나에만 맞습니다. 1x1 합성곱은 가중치 64 x 10개를 모든 픽셀이 공유하고 어떤 "
        "크기든 받습니다: Conv2D(num_classes, 1).",
    )
    kernel = _t(
        en="Use kernel_size=1: a 3x3 kernel has 9 weights per channel.",
        ko="kernel_size=1을 쓰세요. 3x3 커널은 채널마다 가중치가 9개입니다.",
    )
    model, failed = _sized(
        func, (8, 8, 64), {"num_classes": 10}, (None, 10), (650,), hint,
        lambda got: pool if len(got) == 4 else None,
        {40_970: flatten, 5_770: kernel},
    )  # fmt: skip
    if failed is not None:
        return failed
    mistake = _head_mistake(model)
    if mistake:
        return Feedback(
            False,
            _t(
                en="your head's output is not the probabilities expected.",
                ko="헤드의 출력이 기대한 확률과 다릅니다.",
            ),
            mistake,
        )
    fixed = _t(
        en="Use the num_classes argument, not a fixed 10.",
        ko="고정된 10이 아니라 num_classes 인자를 쓰세요.",
    )
    _, failed = _sized(
        func, (5, 7, 32), {"num_classes": 3}, (None, 3), (99,), hint,
        lambda got: fixed if got == (None, 10) else None, {},
    )  # fmt: skip
    if failed is not None:
        return failed
    failed = _trains(model, (8, 8, 64))
    if failed is not None:
        return failed
    remark = _t(
        en=" You pooled first and then used Dense(num_classes): the same function with the "
        "same 650 weights, since averaging commutes with a linear layer.",
        ko=" 먼저 풀링하고 Dense(num_classes)를 썼군요. 평균과 선형 층은 순서를 바꿔도 "
        "결과가 같으므로, 같은 가중치 650개로 같은 함수를 계산합니다.",
    )
    success = _t(
        en="650 parameters (64 x 10 weights + 10 biases) on 8x8x64 maps, probabilities equal "
        "to the softmax of the averaged 1x1 scores, 99 parameters on 5x7x32 maps with 3 "
        "classes, and the loss falls in training.",
        ko="8x8x64 맵에서 파라미터 650개(가중치 64 x 10개 + 편향 10개), 평균 낸 1x1 점수의 "
        "소프트맥스와 같은 확률, 클래스가 3개인 5x7x32 맵에서 파라미터 99개가 모두 맞고, "
        "훈련하면 손실이 줄어듭니다.",
    )
    return Feedback(True, success + (remark if _layers_of(model, "Dense") else ""))


def check_vgg_block(func: Block) -> Feedback:
    """Check ``vgg_block(x, filters)``: two 3x3 'same' ReLU convolutions, then 2x2 max pooling."""
    hint = _t(
        en="Conv2D(filters, 3, padding='same', activation='relu') twice, then MaxPooling2D(2).",
        ko="Conv2D(filters, 3, padding='same', activation='relu')를 두 번, 그다음 "
        "MaxPooling2D(2)입니다.",
    )
    for shape, f, out in [((32, 32, 3), 16, (None, 16, 16, 16)), ((12, 10, 8), 4, (None, 6, 5, 4))]:
        stack = _t(
            en=f"Stack two convolutions: 9 x {shape[-1]} x {f} + {f} parameters, then "
            f"9 x {f} x {f} + {f}.",
            ko=f"합성곱 두 개를 쌓으세요. 파라미터 9 x {shape[-1]} x {f} + {f}개, 그다음 "
            f"9 x {f} x {f} + {f}개입니다.",
        )
        model, failed = _sized(
            func, shape, {"filters": f}, out, (9 * shape[-1] * f + 9 * f * f + 2 * f,), hint,
            None,
            {9 * shape[-1] * f + f: stack},
        )  # fmt: skip
        if failed is not None:
            return failed
        relus = _relu_count(model)
        if relus < 2:
            return Feedback(
                False,
                _t(
                    en=f"your block applies {relus} ReLU(s); each of its two convolutions "
                    "needs one.",
                    ko=f"블록이 ReLU를 {relus}번 적용합니다. 두 합성곱마다 하나씩 필요합니다.",
                ),
                _t(
                    en="Without a non-linearity, two convolutions collapse into one linear map "
                    "(a single 5x5 convolution): activation='relu' on both.",
                    ko="비선형성이 없으면 합성곱 두 개가 선형 사상 하나(5x5 합성곱 하나)로 "
                    "합쳐집니다. 둘 다 activation='relu'로 하세요.",
                ),
            )
        if not _layers_of(model, "MaxPooling2D"):
            return Feedback(
                False,
                _t(
                    en="your block downsamples without MaxPooling2D.",
                    ko="블록이 MaxPooling2D 없이 다운샘플링합니다.",
                ),
                _t(en="End with MaxPooling2D(2).", ko="마지막에 MaxPooling2D(2)를 두세요."),
            )
        pooled_early = [
            tuple(conv.output.shape[1:3])
            for conv in _layers_of(model, "Conv2D")
            if tuple(conv.output.shape[1:3]) != shape[:2]
        ]
        if pooled_early:
            h, w = pooled_early[0]
            return Feedback(
                False,
                _t(
                    en=f"a convolution of your block runs on a pooled {h}x{w} map: the pooling "
                    "comes before the second convolution.",
                    ko=f"블록의 합성곱 하나가 풀링된 {h}x{w} 맵 위에서 계산됩니다. 풀링이 두 번째 "
                    "합성곱보다 앞에 있습니다.",
                ),
                _t(
                    en="VGG's block keeps the resolution through both convolutions and pools "
                    "once, at the end: conv, conv, then MaxPooling2D(2).",
                    ko="VGG 블록은 두 합성곱을 거치는 동안 해상도를 유지하고 끝에서 한 번만 "
                    "풀링합니다: conv, conv, 그다음 MaxPooling2D(2).",
                ),
            )
    failed = _trains(model, (12, 10, 8))
    if failed is not None:
        return failed
    return Feedback(
        True,
        _t(
            en="2,768 parameters on a 32x32x3 input with filters=16 (448 + 2,320), both "
            "convolutions followed by a ReLU, sizes halved by max pooling, the filters argument "
            "respected (440 on a 12x10x8 input with filters=4), and the loss falls in training.",
            ko="filters=16일 때 32x32x3 입력에서 파라미터 2,768개(448 + 2,320), 두 합성곱 모두 "
            "뒤에 ReLU, 최대 풀링으로 절반이 된 크기, filters 인자 반영(filters=4일 때 12x10x8 "
            "입력에서 440개)까지 맞고, 훈련하면 손실이 줄어듭니다.",
        ),
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
        (
            x + beta,
            _t(
                en="The original block applies a ReLU after the addition: no negative outputs.",
                ko="원래 블록은 덧셈 다음에 ReLU를 적용합니다. 음수 출력이 없어야 합니다.",
            ),
        ),
        (
            relu(relu(x) + beta),
            _t(
                en="Add the input itself, not relu(x): the shortcut carries x as is.",
                ko="relu(x)가 아니라 입력 자체를 더하세요. 지름길 연결은 x를 그대로 전달합니다.",
            ),
        ),
        (
            relu(x / 2 + beta),
            _t(
                en="Add x after the second BatchNormalization, not before it.",
                ko="x는 두 번째 BatchNormalization 앞이 아니라 뒤에서 더하세요.",
            ),
        ),
        (
            got[:1, :1, :1],
            _t(
                en="The output ignores x: add the input back, layers.Add()([y, x]).",
                ko="출력이 x를 무시합니다. 입력을 다시 더하세요: layers.Add()([y, x]).",
            ),
        ),
    ]
    return next(
        (why for want, why in mistakes if np.allclose(got, want, atol=1e-3)),
        _t(
            en="Follow the order: conv, BN, ReLU, conv, BN, add x, ReLU.",
            ko="순서를 따르세요: conv, BN, ReLU, conv, BN, x 더하기, ReLU.",
        ),
    )


def check_residual_block(func: Block) -> Feedback:
    """Check ``residual_block(x, filters)``: conv-BN-ReLU-conv-BN, plus x, then ReLU."""
    hint = _t(
        en="Conv2D(filters, 3, padding='same') -> BatchNormalization -> ReLU -> Conv2D -> "
        "BatchNormalization -> Add with x -> ReLU: 2 x 9 x 16 x 16 weights, 2 x 64 for BN.",
        ko="Conv2D(filters, 3, padding='same') -> BatchNormalization -> ReLU -> Conv2D -> "
        "BatchNormalization -> x와 Add -> ReLU입니다. 가중치 2 x 9 x 16 x 16개, BN에 "
        "2 x 64개입니다.",
    )
    same = _t(
        en="An identity shortcut needs the input's shape: padding='same', stride 1, `filters`.",
        ko="항등 지름길 연결에는 입력과 같은 모양이 필요합니다: padding='same', 스트라이드 1, "
        "`filters`.",
    )
    projection = _t(
        en="An identity shortcut has no weights; here x already has the output's shape.",
        ko="항등 지름길 연결에는 가중치가 없습니다. 여기서 x는 이미 출력과 모양이 같습니다.",
    )
    no_bn = _t(
        en="Put a BatchNormalization after each convolution (4 x 16 numbers each).",
        ko="합성곱마다 뒤에 BatchNormalization을 두세요(각각 값 4 x 16개).",
    )
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
            _t(
                en="with both convolutions' weights set to zero, the block should output "
                "relu(x + beta), beta being the last BatchNormalization's offset; yours does "
                "not.",
                ko="두 합성곱의 가중치를 0으로 두면 블록은 relu(x + beta)를 내야 합니다(beta는 "
                "마지막 BatchNormalization의 오프셋). 여러분의 블록은 그렇지 않습니다.",
            ),
            mistake,
        )
    if _relu_count(model) < 2:
        return Feedback(
            False,
            _t(en="only one ReLU in your block.", ko="블록에 ReLU가 하나뿐입니다."),
            _t(
                en="Add a ReLU after the first BatchNormalization.",
                ko="첫 번째 BatchNormalization 다음에 ReLU를 추가하세요.",
            ),
        )
    biases = _t(
        en=" Your convolutions' 32 biases are redundant: the BatchNormalization after each one "
        "subtracts the mean, bias included, and adds its own offset (use_bias=False).",
        ko=" 합성곱의 편향 32개는 필요 없습니다. 합성곱마다 뒤에 오는 BatchNormalization이 "
        "편향을 포함한 평균을 빼고 자기 오프셋을 더하기 때문입니다(use_bias=False).",
    )
    success = _t(
        en=f"{params:,} parameters (two 3x3 convolutions of 2,304 weights, two "
        "BatchNormalizations of 64), the output shaped like the input, and with the "
        "convolutions zeroed the block gives relu(x + beta): the shortcut is an identity.",
        ko=f"파라미터 {params:,}개(가중치 2,304개인 3x3 합성곱 두 개, 64개인 BatchNormalization "
        "두 개)와 입력과 같은 모양의 출력이 맞고, 합성곱을 0으로 두면 블록이 relu(x + beta)를 "
        "냅니다. 지름길 연결이 항등 함수입니다.",
    )
    return Feedback(True, success + (biases if params == 4_768 else ""))


def _dense_mistake(layer: Any, kernel: np.ndarray, bias: np.ndarray, gap: np.ndarray) -> str:
    """Why a convolutionalized layer's scores differ from the Dense layer's by ``gap``."""
    if np.allclose(gap, -bias, atol=1e-4):
        return _t(
            en="Copy the bias too: set_weights([kernel, dense.bias]) (and keep use_bias=True).",
            ko="편향도 복사하세요: set_weights([kernel, dense.bias])(use_bias=True도 유지하세요).",
        )
    mine = np.sort(np.ravel(layer.get_weights()[0]))
    if mine.size == kernel.size and np.allclose(mine, np.sort(kernel.ravel())):
        return _t(
            en="The right weights in the wrong places: Flatten is row-major over (h, w, c), so "
            "reshape the Dense kernel to (h, w, c, units), with no transpose.",
            ko="가중치는 맞지만 자리가 틀렸습니다. Flatten은 (h, w, c) 순서의 행 우선이므로 "
            "Dense 커널을 전치하지 말고 (h, w, c, units)로 reshape하세요.",
        )
    return _t(
        en="Copy the Dense layer's weights: set_weights([dense.kernel reshaped, dense.bias]).",
        ko="Dense 층의 가중치를 복사하세요: set_weights([reshape한 dense.kernel, dense.bias]).",
    )


def check_dense_to_conv(func: Callable[[Any, tuple[int, int, int]], Any]) -> Feedback:
    """Check ``dense_to_conv(dense, input_shape)``: the Conv2D computing the same as the Dense."""
    import keras

    with _float32():
        dense = keras.layers.Dense(5)
        dense.build((None, 72))
        kernel, bias = _random((72, 5), 1), _random((5,), 2)
        dense.set_weights([kernel, bias])
        layer, error = _call(func, dense, (3, 4, 6))
    hint = _t(
        en="Conv2D(units, kernel_size=(h, w)), built on (None, h, w, c), with Dense's weights.",
        ko="Conv2D(units, kernel_size=(h, w))를 (None, h, w, c)로 build하고 Dense의 가중치를 "
        "넣으세요.",
    )
    if error:
        return Feedback(False, _raised(error), hint)
    if not isinstance(layer, keras.layers.Layer):
        name = type(layer).__name__
        return Feedback(
            False,
            _t(
                en=f"your function returned {name}, not a Keras layer.",
                ko=f"함수가 Keras 층이 아니라 {name}을(를) 반환했습니다.",
            ),
            hint,
        )
    if not layer.built:
        return Feedback(
            False,
            _t(
                en="your layer is not built, so it has no weights yet (it would draw random ones).",
                ko="층이 build되지 않아 아직 가중치가 없습니다(이대로면 무작위 가중치를 뽑습니다).",
            ),
            _t(
                en="Build it with layer.build((None, h, w, c)), then copy the Dense layer's "
                "weights.",
                ko="layer.build((None, h, w, c))로 build한 뒤 Dense 층의 가중치를 복사하세요.",
            ),
        )
    kernel_hint = _t(
        en="The kernel must cover the whole (h, w) window the Dense layer saw: (3, 4).",
        ko="커널은 Dense 층이 본 (h, w) 창 전체를 덮어야 합니다: (3, 4).",
    )
    if getattr(layer, "padding", "valid") != "valid":
        kernel_hint = _t(
            en="Keep padding='valid': the Dense layer saw only real pixels, no zeros.",
            ko="padding='valid'를 유지하세요. Dense 층은 덧댄 0 없이 실제 픽셀만 봤습니다.",
        )
    for shape, out_shape in (((2, 3, 4, 6), (2, 1, 1, 5)), ((2, 5, 9, 6), (2, 3, 6, 5))):
        x = _random(shape, 4)
        try:
            out = np.asarray(layer(x), dtype=np.float64)
        except Exception as err:  # noqa: BLE001 - a learner's layer may raise anything; report it
            raised = _t(
                en=f"your layer raised {type(err).__name__}: {err}",
                ko=f"층에서 예외가 발생했습니다({type(err).__name__}: {err}).",
            )
            return Feedback(False, raised, kernel_hint)
        where = _t(en=f"on maps of shape {shape}", ko=f"모양이 {shape}인 맵에서")
        if out.shape != out_shape:
            what = _t(en="the output shape", ko="출력 모양은")
            return _wrong(where, what, out.shape, out_shape, kernel_hint)
        windows = np.lib.stride_tricks.sliding_window_view(x, (3, 4), axis=(1, 2))
        # Each window flattened as Flatten does, row-major over (h, w, c).
        want = windows.transpose(0, 1, 2, 4, 5, 3).reshape(*out_shape[:3], 72) @ kernel + bias
        if not np.allclose(out, want, rtol=1e-4, atol=1e-4):
            mistake = _dense_mistake(layer, kernel, bias, out - want)
            differ = _t(
                en=f"{where}, your scores differ from the Dense layer's.",
                ko=f"{where} 점수가 Dense 층의 점수와 다릅니다.",
            )
            return Feedback(False, differ, mistake)
    return Feedback(
        True,
        _t(
            en="on a 3x4 map your layer gives the Dense layer's 5 scores exactly, and on a 5x9 "
            "map a 3x6 grid of them, one per 3x4 window: the score map FCN gets for free.",
            ko="3x4 맵에서는 층이 Dense 층의 점수 5개를 정확히 내고, 5x9 맵에서는 3x4 창마다 "
            "하나씩 3x6 격자의 점수를 냅니다. FCN이 공짜로 얻는 점수 맵입니다.",
        ),
    )


def check_separable_conv(func: Block) -> Feedback:
    """Check ``separable_conv(x, filters)``: a 3x3 DepthwiseConv2D, then a 1x1 Conv2D."""
    hint = _t(
        en="DepthwiseConv2D(3, padding='same') (9 x 8 + 8), then Conv2D(filters, 1) (8 x 32 + 32).",
        ko="DepthwiseConv2D(3, padding='same')(9 x 8 + 8개), 그다음 Conv2D(filters, 1)"
        "(8 x 32 + 32개)입니다.",
    )
    mix = _t(
        en="Depthwise keeps the 8 channels: a 1x1 Conv2D(filters, 1) mixes them, sets their "
        "number.",
        ko="깊이별 합성곱은 채널 8개를 그대로 둡니다. 1x1 Conv2D(filters, 1)가 채널을 섞고 그 "
        "수를 정합니다.",
    )
    order = _t(
        en="Depthwise first, so the 3x3 runs on the 8 input channels, the cheap side.",
        ko="깊이별 합성곱을 먼저 두세요. 그래야 3x3이 싼 쪽인 입력 채널 8개에서 계산됩니다.",
    )
    plain = _t(
        en="Factorise Conv2D(filters, 3): a per-channel 3x3 (DepthwiseConv2D), then a 1x1 mix.",
        ko="Conv2D(filters, 3)를 분해하세요: 채널별 3x3(DepthwiseConv2D), 그다음 채널을 섞는 "
        "1x1입니다.",
    )
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
    if params == 368:
        depthwise = _t(en="72 weights + 8 biases", ko="가중치 72개 + 편향 8개")
    else:
        depthwise = _t(en="72 weights", ko="가중치 72개")
    same = _t(
        en=" SeparableConv2D is this same factorisation in one layer (no depthwise bias).",
        ko=" SeparableConv2D는 같은 분해를 층 하나로 한 것입니다(깊이별 편향 없음).",
    )
    success = _t(
        en=f"{params} parameters (3x3 depthwise: {depthwise}; 1x1 pointwise: 256 + 32) where "
        f"Conv2D(32, 3) has 2,336, {2336 / params:.1f} times fewer; the loss falls in "
        "training.",
        ko=f"파라미터 {params}개(3x3 깊이별: {depthwise}, 1x1 점별: 256 + 32)로, 2,336개인 "
        f"Conv2D(32, 3)보다 {2336 / params:.1f}배 적고, 훈련하면 손실이 줄어듭니다.",
    )
    return Feedback(True, success + (same if _layers_of(model, "SeparableConv2D") else ""))
