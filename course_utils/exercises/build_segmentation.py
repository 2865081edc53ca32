"""Checkers of the build-a-block exercises of notebooks 06 to 11.

The learner writes a function from Keras tensors to a Keras tensor, as ``models`` builds its
networks (the last exercise takes a model and returns one). A checker builds it on tiny inputs,
in float32, and checks the output shape, the parameter count, the property that defines the
idea and, where it is cheap, that a few training steps lower a loss.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal

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

Shape = tuple[int, ...]
Rule = tuple[bool, str, str]
"""``(failed, message, hint)``: one property of an answer."""
Case = tuple[Sequence[Shape], tuple[Any, ...], str, Shape, Sequence[tuple[Any, str]]]
"""Input shapes, other arguments, the case in words, the output shape (no batch axis), and
probes for a failed build: ``(other input shapes on which it builds, hint)``, or
``(a text of the error, hint)``."""


def _filters() -> str:
    """The hint for a block whose output has the wrong number of channels."""
    return _t(
        en="Use the `filters` argument for the number of output channels, not a fixed number.",
        ko="출력 채널 수에는 고정된 수가 아니라 `filters` 인자를 쓰세요.",
    )


def _first(rules: Iterable[Rule]) -> Feedback | None:
    """The first rule that failed, as feedback; the rules after it are not evaluated."""
    return next((Feedback(False, message, hint) for bad, message, hint in rules if bad), None)


def _params(model: Any, wants: Sequence[int], recipe: str, hint: str) -> Rule:
    got = model.count_params()
    message = _with_answer(
        _t(
            en=f"your block has {got:,} parameters; {recipe}.",
            ko=f"블록의 파라미터가 {got:,}개입니다. {recipe}.",
        ),
        _t(
            en=f"your block has {got:,} parameters, not the count of the block asked for.",
            ko=f"블록의 파라미터가 {got:,}개인데, 요구한 블록의 파라미터 수가 아닙니다.",
        ),
    )
    return got not in wants, message, hint


def _depends(model: Any, arrays: list[np.ndarray], i: int) -> bool:
    """Whether the output changes when input ``i`` is replaced by other random values."""
    other = [_random(a.shape, seed=99) if k == i else a for k, a in enumerate(arrays)]
    return not np.allclose(_predict(model, *arrays), _predict(model, *other), atol=1e-6)


def _fits(func: Callable[..., Any], probe: Any, extra: tuple[Any, ...], error: str) -> bool:
    """Whether a probe names the mistake: a text of the error, or shapes on which func builds."""
    return probe in error if isinstance(probe, str) else _build(func, probe, *extra)[1] is None


def _check(
    func: Callable[..., Any],
    cases: Sequence[Case],
    hints: tuple[str, str],
    rules: Callable[..., Iterator[Rule]],
    success: str,
    learn: str | None | Literal[True] = True,
    trained: Callable[[Any, list[np.ndarray]], Iterator[Rule]] | None = None,
) -> Feedback:
    """Build ``func`` for each case, check its output shape, then ``rules(model, arrays,
    *arguments)`` on random inputs; then, unless ``learn`` is None, that five training steps
    of the first case's model lower the loss (``learn`` is the hint if not; ``True``, the
    default, says every layer must train), and ``trained``.

    A wrong output shape gets ``hints[0]`` if only the channels are wrong, else ``hints[1]``.
    """
    if learn is True:
        learn = _t(
            en="Every layer must train (no trainable=False).",
            ko="모든 층이 학습해야 합니다(trainable=False를 쓰지 마세요).",
        )
    first = problem = None
    for shapes, extra, where, want, probes in cases:
        model, error = _build(func, shapes, *extra)
        if error:
            hint = next((hint for probe, hint in probes if _fits(func, probe, extra, error)), None)
            if hint is None and "matching shapes" in error:  # Keras' error text, not ours
                hint = _t(
                    en="The maps differ in height and width: crop or up-sample one of them to "
                    "the other's size before joining them.",
                    ko="두 맵의 높이와 너비가 다릅니다. 합치기 전에 한쪽을 잘라 내거나 "
                    "업샘플링해서 다른 쪽 크기에 맞추세요.",
                )
            error = error.rstrip(".")
            message = _t(en=f"with {where}, {error}.", ko=f"{where}일 때: {error}.")
            return Feedback(False, message, hint)
        got, wanted = _shape(model), (None, *want)
        if got != wanted:
            hint = hints[0] if got[:-1] == wanted[:-1] else hints[1]
            message = _with_answer(
                _t(
                    en=f"with {where}, your output is {got}; want {wanted}.",
                    ko=f"{where}일 때 출력이 {got}입니다. {wanted}이어야 합니다.",
                ),
                _t(
                    en=f"with {where}, your output is {got}, which is not the right shape.",
                    ko=f"{where}일 때 출력이 {got}인데, 모양이 맞지 않습니다.",
                ),
            )
            return Feedback(False, message, hint)
        arrays = [_random((2, *shape), seed) for seed, shape in enumerate(shapes, start=1)]
        problem = _first(rules(model, arrays, *extra))
        if problem is not None:
            return problem
        first = first or (model, arrays)
    if learn is not None and first is not None:
        model, arrays = first
        target = _random(_predict(model, *arrays).shape, seed=5)
        with warnings.catch_warnings():  # Keras' "no trainable weights" becomes the hint
            warnings.simplefilter("ignore", UserWarning)
            before, after = _loss_falls(model, arrays, target, steps=5)
        message = _t(
            en=f"training did not lower the loss ({before:.4g} -> {after:.4g}).",
            ko=f"훈련해도 손실이 줄지 않았습니다({before:.4g} -> {after:.4g}).",
        )
        more = trained(model, arrays) if trained else ()  # a generator: runs only if the loss fell
        problem = _first(itertools.chain([(after >= before, message, learn)], more))
    return Feedback(True, success) if problem is None else problem


def check_skip_decoder_step(func: Callable[[Any, Any, int], Any]) -> Feedback:
    """Check ``decoder_step(x, skip, filters)`` (notebook 06): ``UpSampling2D(2)`` on ``x``
    (half skip's size), ``Concatenate()`` with ``skip``, ``Conv2D(filters, 3, padding="same",
    activation="relu")``.

    A learned ``Conv2DTranspose`` up-sampling is accepted (its weights then count too).
    Projecting ``x`` to skip's channels and adding is a skip as well (FCN's), but not U-Net's,
    which this exercise builds: it is refused, with that explanation.
    """
    up_first = _t(
        en="x is half skip's size: up-sample it first, UpSampling2D(2).",
        ko="x는 skip의 절반 크기입니다. 먼저 업샘플링하세요: UpSampling2D(2).",
    )
    stack = _t(
        en="Add needs equal channels; Concatenate() stacks them.",
        ko="Add는 채널 수가 같아야 합니다. Concatenate()는 채널을 쌓습니다.",
    )
    cases = [
        ([xs, ss], (f,),
         _t(en=f"x {xs}, skip {ss} and filters={f}", ko=f"x가 {xs}, skip이 {ss}, filters={f}"),
         (*ss[:2], f), [([(*ss[:2], xs[2]), ss], up_first), ([(*xs[:2], ss[2]), ss], stack)])
        for xs, ss, f in [((4, 6, 32), (8, 12, 16), 16), ((3, 5, 8), (6, 10, 4), 6)]
    ]  # fmt: skip

    def rules(model: Any, arrays: list[np.ndarray], filters: int) -> Iterator[Rule]:
        yield (
            not _depends(model, arrays, 1),
            _t(
                en="your output does not change with skip: the skip is unused.",
                ko="skip을 바꿔도 출력이 변하지 않습니다. skip이 쓰이지 않고 있습니다.",
            ),
            _t(
                en="Concatenate the up-sampled x with skip: Concatenate()([x, skip]).",
                ko="업샘플링한 x를 skip과 이어 붙이세요: Concatenate()([x, skip]).",
            ),
        )
        added = _t(en=" (it adds them)", ko="(더하고 있습니다)") if _layers_of(model, "Add") else ""
        yield (
            not (_layers_of(model, "Concatenate") and _depends(model, arrays, 0)),
            _t(
                en=f"your block does not concatenate the up-sampled x with skip{added}.",
                ko=f"블록이 업샘플링한 x를 skip과 이어 붙이지 않습니다{added}.",
            ),
            _t(
                en="U-Net stacks the channels for the convolution to weigh; adding (FCN's way) "
                "mixes them before any weight sees them.",
                ko="U-Net은 채널을 쌓아서 합성곱이 가중치를 매기게 합니다. 더하기(FCN의 방식)는 "
                "어떤 가중치도 보기 전에 채널을 섞어 버립니다.",
            ),
        )
        ups = _layers_of(model, "Conv2DTranspose")
        channels = (ups[-1].filters if ups else arrays[0].shape[-1]) + arrays[1].shape[-1]
        conv, learned = 9 * channels * filters + filters, sum(u.count_params() for u in ups)
        recipe = _t(
            en=f"a 3x3 convolution from {channels} channels to {filters} has {conv:,}",
            ko=f"채널 {channels}개에서 {filters}개로 가는 3x3 합성곱의 파라미터는 {conv:,}개입니다",
        )
        if learned:
            recipe += _t(
                en=f", plus {learned:,} to up-sample", ko=f"(업샘플링에 {learned:,}개 추가)"
            )
        hint = _t(
            en="One Conv2D(filters, 3, padding='same', activation='relu') on the concatenation.",
            ko="이어 붙인 결과에 Conv2D(filters, 3, padding='same', activation='relu') 하나를 "
            "쓰세요.",
        )
        yield _params(model, [conv + learned], recipe, hint)

    return _check(
        func,
        cases,
        (
            _filters(),
            _t(
                en="Up-sample x to skip's size, concatenate, then a 3x3 'same' convolution.",
                ko="x를 skip 크기로 업샘플링하고 이어 붙인 뒤 3x3 'same' 합성곱을 쓰세요.",
            ),
        ),
        rules,
        _t(
            en="x up-sampled to skip's size and stacked with it (48 channels), then a 3x3 "
            "convolution: output (None, 8, 12, 16), 6,928 parameters, it depends on both "
            "inputs, other sizes and filters work too, and training lowers the loss.",
            ko="x를 skip 크기로 업샘플링해 skip과 쌓고(채널 48개) 3x3 합성곱을 거칩니다. 출력 "
            "(None, 8, 12, 16), 파라미터 6,928개, 두 입력 모두에 의존하고, 다른 크기와 "
            "filters에서도 동작하며, 훈련하면 손실이 줄어듭니다.",
        ),
    )


def check_fcn_fusion(func: Callable[[Any, Any, int], Any]) -> Feedback:
    """Check ``fuse(coarse, pool4, num_classes)`` (notebook 07): FCN-16s's fusion.

    ``Conv2D(num_classes, 1, kernel_initializer="zeros")`` scores pool4; the coarse scores are
    up-sampled x2 bilinearly (``UpSampling2D(2, interpolation="bilinear")``, or a
    ``Conv2DTranspose`` initialised with ``BilinearUpsampling(2)``, whose weights then count);
    ``Add()`` sums them. At initialisation the output must be the up-sampled coarse scores
    alone, away from the border (the net starts as FCN-32s); after training, depend on pool4.
    """
    import keras

    learn = _t(
        en="The score layer must learn; zeros are only its start (do not freeze it).",
        ko="점수 층은 학습해야 합니다. 0은 시작값일 뿐입니다(동결하지 마세요).",
    )
    up_first = _t(
        en="coarse is half pool4's size: up-sample it x2 first.",
        ko="coarse는 pool4의 절반 크기입니다. 먼저 x2 업샘플링하세요.",
    )
    score_first = _t(
        en="Add needs equal channels: score pool4 first, a 1x1 Conv2D.",
        ko="Add는 채널 수가 같아야 합니다. 먼저 1x1 Conv2D로 pool4의 점수를 내세요.",
    )
    cases = [
        ([cs, ps], (k,),
         _t(en=f"coarse {cs}, pool4 {ps} and num_classes={k}",
            ko=f"coarse가 {cs}, pool4가 {ps}, num_classes={k}"),
         (*ps[:2], k), [([(*ps[:2], cs[2]), ps], up_first), ([cs, (*ps[:2], k)], score_first)])
        for cs, ps, k in [((4, 4, 5), (8, 8, 32), 5), ((3, 5, 3), (6, 10, 8), 3)]
    ]  # fmt: skip

    def rules(model: Any, arrays: list[np.ndarray], k: int) -> Iterator[Rule]:
        yield (
            _depends(model, arrays, 1),
            _t(
                en=f"your output changes with pool4 at initialisation (num_classes={k}).",
                ko=f"초기화 직후인데 출력이 pool4에 따라 변합니다(num_classes={k}).",
            ),
            _t(
                en="Zero-initialise the score layer, kernel_initializer='zeros', as in the FCN "
                "paper: the net starts as FCN-32s and learns how much of pool4 to add.",
                ko="FCN 논문처럼 점수 층을 0으로 초기화하세요(kernel_initializer='zeros'). "
                "네트워크는 FCN-32s로 시작해서 pool4를 얼마나 더할지 학습합니다.",
            ),
        )
        with _float32():  # the reference, whatever precision the notebook chose
            up = np.asarray(keras.layers.UpSampling2D(2, interpolation="bilinear")(arrays[0]))
        out = _predict(model, *arrays)
        yield (
            not np.allclose(out[:, 1:-1, 1:-1], up[:, 1:-1, 1:-1], atol=1e-5),
            _t(
                en="at initialisation your output is not the coarse scores up-sampled bilinearly.",
                ko="초기화 직후의 출력이 coarse 점수를 이중선형 보간으로 업샘플링한 것과 다릅니다.",
            ),
            _t(
                en="UpSampling2D(2, interpolation='bilinear'), or a Conv2DTranspose initialised "
                "with BilinearUpsampling(2), which then learns.",
                ko="UpSampling2D(2, interpolation='bilinear')를 쓰거나, BilinearUpsampling(2)로 "
                "초기화한 Conv2DTranspose를 쓰세요(이때는 업샘플링도 학습합니다).",
            ),
        )
        learned = sum(u.count_params() for u in _layers_of(model, "Conv2DTranspose"))
        c = arrays[1].shape[-1]
        recipe = _t(
            en=f"the 1x1 score layer has {c} x {k} weights + {k} biases",
            ko=f"1x1 점수 층의 파라미터는 가중치 {c} x {k}개 + 편향 {k}개입니다",
        )
        if learned:
            recipe += _t(
                en=f", plus {learned:,} to up-sample", ko=f"(업샘플링에 {learned:,}개 추가)"
            )
        hint = _t(
            en="One Conv2D(num_classes, 1, kernel_initializer='zeros') on pool4.",
            ko="pool4에 Conv2D(num_classes, 1, kernel_initializer='zeros') 하나를 쓰세요.",
        )
        yield _params(model, [c * k + k + learned], recipe, hint)

    def trained(model: Any, arrays: list[np.ndarray]) -> Iterator[Rule]:
        yield (
            not _depends(model, arrays, 1),
            _t(
                en="after training your output still ignores pool4.",
                ko="훈련한 뒤에도 출력이 pool4를 무시합니다.",
            ),
            learn,
        )

    return _check(
        func,
        cases,
        (
            _t(
                en="FCN sums the score maps, Add()([up, scores]): one score per class.",
                ko="FCN은 점수 맵을 더합니다(Add()([up, scores])). 클래스마다 점수는 하나입니다.",
            ),
            _t(
                en="The sum is at pool4's resolution: up-sample the coarse scores x2.",
                ko="합은 pool4의 해상도에서 구합니다. coarse 점수를 x2 업샘플링하세요.",
            ),
        ),
        rules,
        _t(
            en="pool4 scored by a zero-initialised 1x1 convolution (165 parameters) and added "
            "to the coarse scores up-sampled bilinearly: at first the output is FCN-32s's and "
            "ignores pool4; after a few training steps it uses it.",
            ko="0으로 초기화한 1x1 합성곱(파라미터 165개)으로 pool4의 점수를 내고, 이중선형 "
            "보간으로 업샘플링한 coarse 점수에 더합니다. 처음에는 출력이 FCN-32s와 같아 pool4를 "
            "무시하고, 몇 스텝 훈련하면 pool4를 씁니다.",
        ),
        learn,
        trained,
    )


def check_segnet_decoder_stage(func: Callable[[Any, Any, Any, int], Any]) -> Feedback:
    """Check ``decoder_stage(x, indices, like, filters)`` (notebook 08): SegNet's
    ``MaxUnpool()([x, indices, like])``, then ``Conv2D(filters, 3, padding="same",
    use_bias=False)`` (a bias is accepted), ``BatchNormalization()``, ``ReLU()``.

    The checker makes the encoder side, ``x, indices = MaxPoolWithArgmax()(like)``, and
    checks that the convolution reads each maximum at its place, zeros elsewhere.
    """
    import keras

    from course_utils.models import MaxPoolWithArgmax

    def stage(like: Any, filters: int) -> Any:
        pool: Any = MaxPoolWithArgmax()
        pooled, indices = pool(like)
        return func(pooled, indices, like, filters)

    cases: list[Case] = [
        ([(h, w, c)], (f,),
         _t(en=f"like {(h, w, c)} (pooled to {h // 2}x{w // 2}) and filters={f}",
            ko=f"like {(h, w, c)}(풀링하면 {h // 2}x{w // 2}), filters={f}"),
         (h, w, f), []) for (h, w, c), f in [((8, 8, 16), 8), ((6, 10, 4), 6)]
    ]  # fmt: skip

    def rules(model: Any, arrays: list[np.ndarray], filters: int) -> Iterator[Rule]:
        nearest = ""
        if _layers_of(model, "UpSampling2D"):
            nearest = _t(
                en=" (UpSampling2D copies every value)",
                ko="(UpSampling2D는 모든 값을 복사합니다)",
            )
        yield (
            not _layers_of(model, "MaxUnpool"),
            _t(
                en=f"your stage does not use MaxUnpool{nearest}.",
                ko=f"단계가 MaxUnpool을 쓰지 않습니다{nearest}.",
            ),
            _t(
                en="Nearest up-sampling copies each value into all 4 places of its block; "
                "SegNet puts it back only where the maximum was, zeros elsewhere: "
                "MaxUnpool()([x, indices, like]).",
                ko="최근접 이웃 업샘플링은 값을 블록의 네 자리 모두에 복사합니다. SegNet은 "
                "최댓값이 있던 자리에만 값을 되돌려 놓고 나머지는 0으로 둡니다: "
                "MaxUnpool()([x, indices, like]).",
            ),
        )
        (like,), (n, h, w, c) = arrays, arrays[0].shape
        conv = 9 * c * filters
        recipe = _t(
            en=f"a 3x3 convolution from {c} to {filters} channels has {conv:,} weights, "
            f"batch norm {4 * filters}",
            ko=f"채널 {c}개에서 {filters}개로 가는 3x3 합성곱의 가중치는 {conv:,}개, 배치 "
            f"정규화는 {4 * filters}개입니다",
        )
        hint = _t(
            en="Conv2D(filters, 3, padding='same', use_bias=False), BatchNormalization(), ReLU().",
            ko="Conv2D(filters, 3, padding='same', use_bias=False), BatchNormalization(), "
            "ReLU() 순서입니다.",
        )
        yield _params(model, [conv + 4 * filters, conv + 5 * filters], recipe, hint)
        blocks = like.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
        unpooled = np.where(like == blocks.repeat(2, 1).repeat(2, 2), like, 0.0)
        convs = _layers_of(model, "Conv2D")
        reads = convs and _predict(keras.Model(model.input, convs[0].input), like)
        yield (
            not convs or not np.allclose(reads, unpooled, atol=1e-6),
            _t(
                en="your convolution does not read the unpooled map (maxima in place, zeros "
                "around).",
                ko="합성곱이 언풀링한 맵(최댓값은 제자리에, 주변은 0)을 읽지 않습니다.",
            ),
            _t(
                en="Convolve MaxUnpool()([x, indices, like]) directly.",
                ko="MaxUnpool()([x, indices, like])의 결과에 바로 합성곱을 하세요.",
            ),
        )
        yield (
            _predict(model, like).min() < 0,
            _t(en="your stage outputs negative values.", ko="단계의 출력에 음수가 있습니다."),
            _t(en="End with ReLU().", ko="마지막에 ReLU()를 두세요."),
        )

    return _check(
        stage,
        cases,
        (
            _filters(),
            _t(
                en="Unpool first: MaxUnpool()([x, indices, like]) restores like's size.",
                ko="먼저 언풀링하세요. MaxUnpool()([x, indices, like])가 like의 크기를 되살립니다.",
            ),
        ),
        rules,
        _t(
            en="MaxUnpool puts each value back where its maximum was; the 3x3 convolution "
            "(1,152 weights) and batch norm (32) fill in the zeros: output (None, 8, 8, 8), "
            "other sizes and filters work too, and training lowers the loss.",
            ko="MaxUnpool이 값마다 최댓값이 있던 자리에 되돌려 놓고, 3x3 합성곱(가중치 "
            "1,152개)과 배치 정규화(32개)가 0을 채웁니다. 출력 (None, 8, 8, 8), 다른 크기와 "
            "filters에서도 동작하며, 훈련하면 손실이 줄어듭니다.",
        ),
    )


def check_crop_and_concat(func: Callable[[Any, Any], Any]) -> Feedback:
    """Check ``crop_and_concat(skip, up)`` (notebook 09): U-Net's copy and crop.

    ``skip`` is centre-cropped to ``up``'s size (``Cropping2D``, ``(H - h) // 2`` at the top,
    the rest at the bottom, the same for the width), the sizes read from the tensors, and
    concatenated with ``up``. Either order is accepted: the next convolution sees the same
    channels (the course's U-Net puts ``up`` first).
    """
    fixed = _t(
        en="Read the sizes from skip.shape and up.shape: a fixed crop fits one pair of sizes.",
        ko="크기는 skip.shape와 up.shape에서 읽으세요. 고정된 자르기는 크기 한 쌍에만 맞습니다.",
    )
    cases = [
        ([ss, us], (), _t(en=f"skip {ss} and up {us}", ko=f"skip이 {ss}, up이 {us}"),
         (*us[:2], ss[2] + us[2]), probes)
        for ss, us, probes in [((12, 12, 2), (8, 8, 3), []),
                               ((13, 11, 2), (8, 8, 3), [([(12, 12, 2), (8, 8, 3)], fixed)])]
    ]  # fmt: skip

    def rules(model: Any, arrays: list[np.ndarray]) -> Iterator[Rule]:
        yield _params(
            model,
            [0],
            _t(
                en="a crop and a concatenation have none",
                ko="자르기와 이어 붙이기에는 파라미터가 없습니다",
            ),
            _t(en="Cropping2D, Concatenate.", ko="Cropping2D와 Concatenate만 쓰세요."),
        )
        (skip, up), out = arrays, _predict(model, *arrays)
        (big_h, big_w, c), (h, w, c_up) = skip.shape[1:], up.shape[1:]
        up_last = np.allclose(out[..., c:], up)
        yield (
            not (up_last or np.allclose(out[..., :c_up], up)),
            _t(
                en=f"up {up.shape[1:]} is not in your output as it is.",
                ko=f"출력에 up {up.shape[1:]}이(가) 그대로 들어 있지 않습니다.",
            ),
            _t(
                en="Concatenate up, unchanged, with the cropped skip.",
                ko="up은 바꾸지 말고 잘라 낸 skip과 이어 붙이세요.",
            ),
        )
        cropped = out[..., :c] if up_last else out[..., c_up:]
        offsets = [
            (i, j)
            for i in range(big_h - h + 1)
            for j in range(big_w - w + 1)
            if np.allclose(cropped, skip[:, i : i + h, j : j + w])
        ]
        top, left = (big_h - h) // 2, (big_w - w) // 2
        if (top, left) in offsets:
            return
        message = _with_answer(
            _t(
                en=f"your crop of skip {skip.shape[1:]} should start at ({top}, {left}), the "
                "centre",
                ko=f"skip {skip.shape[1:]}에서 잘라 낸 영역은 가운데인 ({top}, {left})에서 "
                "시작해야 합니다",
            ),
            _t(
                en=f"your crop of skip {skip.shape[1:]} does not start at the centre",
                ko=f"skip {skip.shape[1:]}에서 잘라 낸 영역이 가운데에서 시작하지 않습니다",
            ),
        )
        if (0, 0) in offsets:
            yield (
                True,
                message
                + _t(
                    en=": you kept the top-left corner.",
                    ko=". 여러분은 왼쪽 위 모서리를 남겼습니다.",
                ),
                _t(
                    en="Crop the centre: (H - h) // 2 rows at the top, the rest at the bottom; "
                    "the same for the columns.",
                    ko="가운데를 남기세요. 위에서 (H - h) // 2행을, 아래에서 나머지를 잘라 내고, "
                    "열도 같은 방식으로 자릅니다.",
                ),
            )
        elif offsets:
            yield (
                True,
                message
                + _t(
                    en=f"; yours starts at {offsets[0]}.",
                    ko=f". 여러분의 영역은 {offsets[0]}에서 시작합니다.",
                ),
                _t(
                    en="With an odd difference the top (left) gets (H - h) // 2 and the bottom "
                    "(right) the rest.",
                    ko="차이가 홀수이면 위(왼쪽)에서 (H - h) // 2를, 아래(오른쪽)에서 나머지를 "
                    "잘라 냅니다.",
                ),
            )
        else:
            yield (
                True,
                message
                + _t(
                    en="; its values are not even skip's pixels.",
                    ko=". 게다가 그 값은 skip의 픽셀도 아닙니다.",
                ),
                _t(
                    en="U-Net crops, it does not resize: it keeps the pixels as they are.",
                    ko="U-Net은 크기를 조정하지 않고 잘라 냅니다. 픽셀은 그대로 둡니다.",
                ),
            )

    return _check(
        func,
        cases,
        (
            _t(
                en="Concatenate the cropped skip and up.",
                ko="잘라 낸 skip과 up을 이어 붙이세요.",
            ),
            _t(
                en="Crop skip to up's size with Cropping2D.",
                ko="Cropping2D로 skip을 up의 크기로 자르세요.",
            ),
        ),
        rules,
        _t(
            en="skip's centre, cut to up's size and stacked with it: (None, 8, 8, 5), skip's "
            "own pixels, no weights; an odd difference (13x11 to 8x8) leaves the extra row and "
            "column at the bottom and right.",
            ko="skip의 가운데를 up의 크기로 잘라 up과 쌓았습니다: (None, 8, 8, 5), skip 자신의 "
            "픽셀, 가중치 없음. 차이가 홀수이면(13x11에서 8x8로) 하나 더 잘라 내는 행과 열은 "
            "아래쪽과 오른쪽에 있습니다.",
        ),
        learn=None,
    )


def check_image_pooling_branch(func: Callable[[Any, int], Any]) -> Feedback:
    """Check ``image_pooling(x, filters)`` (notebook 10): DeepLab's image-level ASPP branch.

    ``GlobalAveragePooling2D(keepdims=True)``, ``Conv2D(filters, 1, use_bias=False)`` (a bias
    is accepted), ``BatchNormalization()``, ``ReLU()``, then back to ``x``'s size:
    ``ResizeLike()([y, x])`` or ``UpSampling2D(size=(h, w))``. The output must be the same at
    every position of an image and differ between images.
    """
    keepdims = _t(
        en="Keep a 4-D 1x1 map, GlobalAveragePooling2D(keepdims=True), and bring it back to "
        "x's size: ResizeLike()([y, x]), or UpSampling2D(size=(h, w)) with h, w from x.shape.",
        ko="GlobalAveragePooling2D(keepdims=True)로 4차원 1x1 맵을 유지하고 x의 크기로 "
        "되돌리세요: ResizeLike()([y, x]), 또는 x.shape에서 읽은 h, w로 "
        "UpSampling2D(size=(h, w)).",
    )
    cases = [
        ([xs], (f,), _t(en=f"x {xs} and filters={f}", ko=f"x가 {xs}, filters={f}"), (*xs[:2], f),
         [("found ndim=2", keepdims)])  # a text of Keras' error, not ours
        for xs, f in [((6, 8, 16), 8), ((5, 7, 4), 6)]
    ]  # fmt: skip

    def rules(model: Any, arrays: list[np.ndarray], filters: int) -> Iterator[Rule]:
        out = _predict(model, arrays[0] + np.array([1, -1], np.float32).reshape(2, 1, 1, 1))
        yield (
            (out.max(axis=(1, 2)) - out.min(axis=(1, 2))).max() > 1e-5,
            _t(
                en="your output varies over the image.",
                ko="출력이 이미지 안에서 위치마다 다릅니다.",
            ),
            _t(
                en="The branch sees the whole image: average it first, so every position gets "
                "the same summary.",
                ko="이 가지는 이미지 전체를 봅니다. 먼저 평균을 내서 모든 위치가 같은 요약을 "
                "받게 하세요.",
            ),
        )
        yield (
            np.allclose(out[0], out[1]),
            _t(
                en="your output is the same for two different images.",
                ko="서로 다른 두 이미지에 대해 출력이 같습니다.",
            ),
            _t(
                en="Pool x itself, and start the 1x1 convolution from random weights, not zeros.",
                ko="x 자체를 풀링하고, 1x1 합성곱은 0이 아니라 무작위 가중치에서 시작하세요.",
            ),
        )
        c = arrays[0].shape[-1]
        recipe = _t(
            en=f"a 1x1 convolution from {c} to {filters} channels has {c * filters} weights, "
            f"batch norm {4 * filters}",
            ko=f"채널 {c}개에서 {filters}개로 가는 1x1 합성곱의 가중치는 {c * filters}개, 배치 "
            f"정규화는 {4 * filters}개입니다",
        )
        hint = _t(
            en="Conv2D(filters, 1, use_bias=False), BatchNormalization(), ReLU() after pooling.",
            ko="풀링 다음에 Conv2D(filters, 1, use_bias=False), BatchNormalization(), ReLU()를 "
            "쓰세요.",
        )
        yield _params(model, [c * filters + 4 * filters, c * filters + 5 * filters], recipe, hint)

    return _check(
        func,
        cases,
        (_filters(), keepdims),
        rules,
        _t(
            en="One summary per image (global average, 1x1 convolution, batch norm, ReLU: 160 "
            "parameters) over all of x's 6x8 positions: constant over the image, different "
            "between images, other sizes and filters work too, and training lowers the loss.",
            ko="이미지마다 요약 하나(전역 평균, 1x1 합성곱, 배치 정규화, ReLU: 파라미터 160개)를 "
            "x의 6x8 위치 전체에 펼칩니다. 이미지 안에서는 일정하고 이미지끼리는 다르며, 다른 "
            "크기와 filters에서도 동작하고, 훈련하면 손실이 줄어듭니다.",
        ),
    )


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _toy_segmenter() -> Any:
    """Two seeded 3x3 convolutions from (8, 10, 3) images to 4 logits: not mirror-symmetric."""
    import keras

    def conv(filters: int, seed: int, **kwargs: Any) -> Any:
        init = keras.initializers.GlorotUniform(seed)
        return keras.layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, **kwargs)

    image = keras.Input((8, 10, 3))
    return keras.Model(image, conv(4, 2)(conv(8, 1, activation="relu")(image)))


def check_flip_tta(func: Callable[[Any], Any]) -> Feedback:
    """Check ``flip_tta(model) -> keras.Model`` (notebook 11): test-time flipping.

    ``model`` maps images to per-pixel logits; the returned model outputs the mean of
    ``softmax(model(x))`` and of ``softmax(model(flip(x)))`` flipped back left-right. It is
    checked on a small random model that is not mirror-symmetric.
    """
    import keras

    with _float32():
        base = _toy_segmenter()
        tta, error = _call(func, base)
    if error:
        return Feedback(False, _raised(error.rstrip(".")))
    if not isinstance(tta, keras.Model):
        hint = _t(
            en="Return keras.Model(image, probabilities), image a keras.Input like the model's.",
            ko="keras.Model(image, probabilities)를 반환하세요. image는 모델의 입력과 같은 "
            "keras.Input입니다.",
        )
        name = type(tta).__name__
        message = _t(
            en=f"your function returned {name}, not a Model.",
            ko=f"함수가 Model이 아니라 {name}을(를) 반환했습니다.",
        )
        return Feedback(False, message, hint)
    images = _random((2, 8, 10, 3), 1)
    got, error = _call(_predict, tta, images)
    if error:
        error = error.rstrip(".")
        message = _t(
            en=f"your model raised {error} on two 8x10 images.",
            ko=f"8x10 이미지 두 장에서 모델에 예외가 발생했습니다({error}).",
        )
        return Feedback(False, message)
    logits, mirrored = _predict(base, images), _predict(base, images[:, :, ::-1])
    probs, upside_down = _softmax(logits), _softmax(_predict(base, images[:, ::-1]))
    want = (probs + _softmax(mirrored)[:, :, ::-1]) / 2
    if got.shape != want.shape:
        hint = _t(
            en="One probability per class at every pixel, like the model's logits.",
            ko="모델의 로짓처럼 픽셀마다 클래스별 확률이 하나씩 있어야 합니다.",
        )
        message = _with_answer(
            _t(
                en=f"your model outputs {got.shape}; want {want.shape}.",
                ko=f"모델의 출력이 {got.shape}입니다. {want.shape}이어야 합니다.",
            ),
            _t(
                en=f"your model outputs {got.shape}, which is not the shape of the probabilities "
                "asked for.",
                ko=f"모델의 출력이 {got.shape}인데, 요구한 확률의 모양이 아닙니다.",
            ),
        )
        return Feedback(False, message, hint)

    def rules() -> Iterator[Rule]:
        def near(wrong: np.ndarray) -> bool:
            return np.allclose(got, wrong, atol=1e-5)

        yield (
            not np.allclose(got.sum(axis=-1), 1, atol=1e-4),
            _t(
                en="your output does not sum to 1 over the classes.",
                ko="출력을 클래스에 대해 더하면 1이 되지 않습니다.",
            ),
            _t(
                en="The model gives logits: softmax each prediction before averaging.",
                ko="모델은 로짓을 냅니다. 평균하기 전에 예측마다 소프트맥스를 적용하세요.",
            ),
        )
        yield (
            near((probs + _softmax(mirrored)) / 2),
            _t(
                en="you average the flipped image's prediction without flipping it back.",
                ko="뒤집은 이미지의 예측을 다시 뒤집지 않고 평균하고 있습니다.",
            ),
            _t(
                en="Flip it back before averaging: pixel (i, j) of the flipped image is pixel "
                "(i, W - 1 - j).",
                ko="평균하기 전에 다시 뒤집으세요. 뒤집은 이미지의 픽셀 (i, j)는 원래 이미지의 "
                "픽셀 (i, W - 1 - j)입니다.",
            ),
        )
        yield (
            near(_softmax((logits + mirrored[:, :, ::-1]) / 2)),
            _t(
                en="you average the logits, then apply softmax.",
                ko="로짓을 평균한 뒤 소프트맥스를 적용하고 있습니다.",
            ),
            _t(
                en="Average probabilities, as the course does: softmax each prediction, then "
                "the mean.",
                ko="과정에서 하듯이 확률을 평균하세요. 예측마다 소프트맥스를 적용한 뒤 평균합니다.",
            ),
        )
        yield (
            near((probs + upside_down[:, ::-1]) / 2),
            _t(en="you flip the image upside-down.", ko="이미지를 위아래로 뒤집고 있습니다."),
            _t(
                en="Flip left-right (axis 2): road scenes are not upside-down, and a model "
                "trained with horizontal flips has never seen them so.",
                ko="좌우로 뒤집으세요(axis 2). 도로 장면은 위아래가 뒤집혀 있지 않고, 좌우 "
                "뒤집기로 훈련한 모델은 위아래가 뒤집힌 장면을 본 적이 없습니다.",
            ),
        )
        gap = np.abs(got - want).max()
        yield (
            not near(want),
            _t(
                en=f"your probabilities are up to {gap:.3g} from the reference.",
                ko=f"확률이 기준값과 최대 {gap:.3g}만큼 다릅니다.",
            ),
            _t(
                en="(softmax(model(x)) + flip(softmax(model(flip(x))))) / 2, with flip left-right.",
                ko="(softmax(model(x)) + flip(softmax(model(flip(x))))) / 2이고, flip은 좌우 "
                "뒤집기입니다.",
            ),
        )

    problem = _first(rules())
    success = _t(
        en="The mean of the probabilities for the image and, flipped back, for its mirror "
        "image: each pixel averages two predictions of the same point of the scene, and still "
        "sums to 1.",
        ko="이미지의 확률과, 다시 뒤집은 거울상의 확률의 평균입니다. 픽셀마다 장면의 같은 점에 "
        "대한 두 예측을 평균하므로 합은 여전히 1입니다.",
    )
    return Feedback(True, success) if problem is None else problem
