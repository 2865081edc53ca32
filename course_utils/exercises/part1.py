"""Checkers of Part 1 (notebooks 01 to 03): convolution, classification, classic CNNs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from course_utils import ops
from course_utils.exercises._answers import _with_answer
from course_utils.exercises._feedback import Feedback, _call, _raised
from course_utils.exercises._lang import _t


def _conv_size_hint(got: Any, n: int, k: int, p: int, s: int, d: int) -> str:
    """The likeliest mistake behind a wrong output size, named."""
    span = d * (k - 1) + 1
    if isinstance(got, float) and not float(got).is_integer():
        return _t(
            en="Output sizes are whole numbers: round down with // (a partial window is dropped).",
            ko="출력 크기는 정수입니다. //로 내림하세요(일부만 걸친 창은 버립니다).",
        )
    mistakes = [
        (
            (n - span) // s + 1,
            _t(
                en="The padding adds p pixels on each side: n + 2 * p.",
                ko="패딩은 양쪽에 p픽셀씩 더합니다: n + 2 * p.",
            ),
        ),
        (
            (n + p - span) // s + 1,
            _t(
                en="The padding adds p pixels on *each* side: n + 2 * p, not n + p.",
                ko="패딩은 *양쪽에* p픽셀씩 더합니다: n + p가 아니라 n + 2 * p입니다.",
            ),
        ),
        (
            (n + 2 * p - span) // s,
            _t(
                en="Count the first window too: ... // stride + 1.",
                ko="첫 번째 창도 세세요: ... // stride + 1.",
            ),
        ),
        (
            -(-(n + 2 * p - span) // s) + 1,
            _t(
                en="Round down, not up: a partial window is dropped (//).",
                ko="올림이 아니라 내림입니다. 일부만 걸친 창은 버립니다(//).",
            ),
        ),
        (
            round((n + 2 * p - span) / s) + 1,
            _t(
                en="Round down, not to the nearest: use //.",
                ko="반올림이 아니라 내림입니다: //를 쓰세요.",
            ),
        ),
        (
            (n + 2 * p - k) // s + 1,
            _t(
                en="A dilated kernel spans dilation * (kernel - 1) + 1 pixels.",
                ko="팽창된 커널은 dilation * (kernel - 1) + 1픽셀에 걸칩니다.",
            ),
        ),
    ]
    for wrong, hint in mistakes:
        if got == wrong and wrong != (n + 2 * p - span) // s + 1:
            return hint
    return _t(
        en="Pad the input, then count the window's start positions: the first is 0, the last "
        "is where its span still fits, and they are stride pixels apart.",
        ko="입력에 패딩을 더한 뒤 창이 시작하는 위치를 세세요. 첫 위치는 0, 마지막 위치는 창의 "
        "폭(span)이 아직 들어가는 곳이고, 위치끼리는 stride픽셀씩 떨어져 있습니다.",
    )


def check_conv_output_size(func: Callable[[int, int, int, int, int], int]) -> Feedback:
    """Check a function ``f(n, kernel, padding, stride, dilation) -> output length``."""
    cases = [
        (32, 3, 0, 1, 1), (32, 3, 1, 1, 1), (32, 5, 2, 2, 1), (64, 2, 0, 2, 1), (7, 3, 0, 2, 1),
        (28, 3, 2, 1, 2), (227, 11, 0, 4, 1), (10, 3, 0, 3, 1), (9, 3, 4, 1, 4),
    ]  # fmt: skip
    for case in cases:
        got, error = _call(func, *case)
        want = ops.conv_output_size(*case)
        n, k, p, s, d = case
        where = f"n={n}, kernel={k}, padding={p}, stride={s}, dilation={d}"
        if error:
            return Feedback(
                False,
                _raised(error, where),
                _t(en="Use only integer arithmetic.", ko="정수 연산만 쓰세요."),
            )
        if got != want:
            hint = _conv_size_hint(got, n, k, p, s, d)
            message = _with_answer(
                _t(
                    en=f"for {where} you return {got!r}, the right size is {want}.",
                    ko=f"{where}일 때 {got!r}을(를) 반환했지만, 올바른 크기는 {want}입니다.",
                ),
                _t(
                    en=f"for {where} you return {got!r}, which is not the right size.",
                    ko=f"{where}일 때 {got!r}을(를) 반환했지만, 올바른 크기가 아닙니다.",
                ),
            )
            return Feedback(False, message, hint)
    return Feedback(
        True,
        _t(
            en=f"all {len(cases)} cases match, strides, padding and dilation included.",
            ko=f"스트라이드, 패딩, 팽창을 포함해 {len(cases)}개 경우가 모두 맞습니다.",
        ),
    )


def check_cross_correlation(func: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Check ``f(image, kernel) -> feature map``: a 'valid', stride-1 2-D cross-correlation."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 10, (6, 7)).astype(np.float32)
    kernel = np.array([[1, 2, 0], [0, -1, 0], [3, 0, 1]], np.float32)
    want = ops.conv2d(image, kernel)
    got, error = _call(func, image, kernel)
    if error:
        return Feedback(
            False,
            _raised(error),
            _t(
                en="Loop over output rows and columns.",
                ko="출력의 행과 열을 도는 반복문을 쓰세요.",
            ),
        )
    got = np.asarray(got)
    if got.shape != want.shape:
        h, w = want.shape
        return Feedback(
            False,
            _with_answer(
                _t(
                    en=f"a 6x7 image and a 3x3 kernel give a {h}x{w} map; yours is {got.shape}.",
                    ko=f"6x7 이미지와 3x3 커널은 {h}x{w} 맵을 만듭니다. 여러분의 결과는 "
                    f"{got.shape}입니다.",
                ),
                _t(
                    en=f"a 6x7 image and a 3x3 kernel do not give a map of shape {got.shape}.",
                    ko=f"6x7 이미지와 3x3 커널로는 모양이 {got.shape}인 맵이 나오지 않습니다.",
                ),
            ),
            _t(
                en="Without padding the window must stay inside the image: H - 3 + 1 rows.",
                ko="패딩이 없으면 창이 이미지 안에 머물러야 합니다: H - 3 + 1행.",
            ),
        )
    if np.allclose(got, ops.conv2d(image, kernel[::-1, ::-1])):
        return Feedback(
            False,
            _t(
                en="you flipped the kernel: that is the textbook convolution.",
                ko="커널을 뒤집었습니다. 그것은 교과서에 나오는 합성곱입니다.",
            ),
            _t(
                en="Deep-learning layers compute cross-correlation: multiply the window by the "
                "kernel as it is.",
                ko="딥러닝의 층은 교차 상관을 계산합니다. 창에 커널을 뒤집지 말고 그대로 곱하세요.",
            ),
        )
    if not np.allclose(got, want, atol=1e-4):
        r, c = np.argwhere(~np.isclose(got, want, atol=1e-4))[0]
        return Feedback(
            False,
            _with_answer(
                _t(
                    en=f"output[{r}, {c}] is {got[r, c]:g}, expected {want[r, c]:g}.",
                    ko=f"output[{r}, {c}]가 {got[r, c]:g}입니다. {want[r, c]:g}이어야 합니다.",
                ),
                _t(
                    en=f"output[{r}, {c}] is {got[r, c]:g}, which is not the value expected.",
                    ko=f"output[{r}, {c}]가 {got[r, c]:g}인데, 기대한 값이 아닙니다.",
                ),
            ),
            _t(
                en=f"It is sum(image[{r}:{r + 3}, {c}:{c + 3}] * kernel).",
                ko=f"이 값은 sum(image[{r}:{r + 3}, {c}:{c + 3}] * kernel)입니다.",
            ),
        )
    return Feedback(
        True,
        _t(
            en="your feature map matches the reference exactly.",
            ko="특성 맵이 기준 구현의 결과와 정확히 일치합니다.",
        ),
    )


def check_param_counts(answer: Mapping[str, int], model: Any) -> Feedback:
    """Check a dict ``{layer name: parameter count}`` against a built Keras model.

    Every layer with weights must be in the dict; the expected counts are read from
    the model itself, so this checks the learner's arithmetic against Keras.
    """
    expected = {layer.name: layer.count_params() for layer in model.layers if layer.count_params()}
    missing = [name for name in expected if name not in answer]
    if missing:
        return Feedback(
            False,
            _t(
                en=f"no count for layer(s) {missing}.",
                ko=f"{missing} 층의 파라미터 수가 없습니다.",
            ),
            _t(
                en="Give a count for every layer with weights.",
                ko="가중치가 있는 층마다 파라미터 수를 적으세요.",
            ),
        )
    for name, want in expected.items():
        got = answer[name]
        if got != want:
            layer = model.get_layer(name)
            if hasattr(layer, "kernel") and got == int(np.prod(layer.kernel.shape)):
                hint = _t(
                    en="You counted the weights but not the biases: one bias per unit or filter.",
                    ko="가중치는 셌지만 편향을 빠뜨렸습니다. 유닛이나 필터마다 편향이 하나 "
                    "있습니다.",
                )
            elif "conv" in name:
                hint = _t(
                    en="A conv layer has kh * kw * in_channels * filters weights + filters biases.",
                    ko="합성곱 층에는 가중치 kh * kw * in_channels * filters개와 편향 filters개가 "
                    "있습니다.",
                )
            else:
                hint = _t(
                    en="A dense layer has inputs * units weights + units biases.",
                    ko="밀집층에는 가중치 inputs * units개와 편향 units개가 있습니다.",
                )
            message = _with_answer(
                _t(
                    en=f"{name}: you wrote {got:,}, Keras counts {want:,}.",
                    ko=f"{name}: {got:,}개라고 적었지만, Keras는 {want:,}개로 셉니다.",
                ),
                _t(
                    en=f"{name}: you wrote {got:,}, which is not what Keras counts.",
                    ko=f"{name}: {got:,}개라고 적었지만, Keras가 세는 수와 다릅니다.",
                ),
            )
            return Feedback(False, message, hint)
    total = sum(expected.values())
    return Feedback(
        True,
        _t(
            en=f"every layer matches; {total:,} parameters in all.",
            ko=f"모든 층이 맞습니다. 파라미터는 모두 {total:,}개입니다.",
        ),
    )


def _mean_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """The checker's reference: mean of -log softmax(z)[label], computed stably."""
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def check_cross_entropy(func: Callable[[np.ndarray, np.ndarray], float]) -> Feedback:
    """Check ``f(logits (N, K), labels (N,)) -> mean sparse cross-entropy``, computed stably."""
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, (6, 4))
    labels = np.array([0, 3, 1, 1, 2, 0])
    want = _mean_cross_entropy(logits, labels)
    got, error = _call(func, logits, labels)
    if error:
        return Feedback(
            False,
            _raised(error),
            _t(
                en="Work row by row: softmax, then -log p[label].",
                ko="행마다 계산하세요: 소프트맥스, 그다음 -log p[label].",
            ),
        )
    got = float(np.asarray(got).mean())
    if np.isclose(got, want * 6):
        return Feedback(
            False,
            _t(en="you return the sum over examples.", ko="예제들의 합을 반환하고 있습니다."),
            _t(
                en="Keras losses average over examples.",
                ko="Keras의 손실은 예제들에 대해 평균합니다.",
            ),
        )
    if np.isclose(got, _mean_cross_entropy(logits, logits.argmax(1))):
        return Feedback(
            False,
            _t(
                en="you used the most likely class, not the true label.",
                ko="정답 레이블이 아니라 확률이 가장 높은 클래스를 썼습니다.",
            ),
            _t(en="Index with labels.", ko="labels로 인덱싱하세요."),
        )
    if not np.isclose(got, want, rtol=1e-5):
        return Feedback(
            False,
            _with_answer(
                _t(
                    en=f"you return {got:.4f}, the loss is {want:.4f}.",
                    ko=f"{got:.4f}을(를) 반환했지만, 손실은 {want:.4f}입니다.",
                ),
                _t(
                    en=f"you return {got:.4f}, which is not the loss.",
                    ko=f"{got:.4f}을(를) 반환했지만, 그 값은 손실이 아닙니다.",
                ),
            ),
            _t(en="Use -log softmax(z)[label].", ko="-log softmax(z)[label]을 쓰세요."),
        )
    big, big_error = _call(func, logits * 300, labels)
    big_values = None if big_error else np.asarray(big, float)
    # Labels that are each row's most likely class: exp overflows there without the maximum
    # subtracted (inf / inf = nan), while no probability can underflow. Finite here but
    # infinite above means the overflow is handled and the log of a probability is not.
    best, best_error = _call(func, logits * 300, (logits * 300).argmax(1))
    overflow_handled = not best_error and np.isfinite(np.asarray(best, float)).all()
    if big_values is not None and np.isposinf(big_values).any() and overflow_handled:
        return Feedback(
            False,
            _t(
                en="right on small logits, but infinite on large ones (logits * 300): the true "
                "class's softmax probability underflows to 0, and -log(0) is infinite, even "
                "with each row's maximum subtracted.",
                ko="작은 로짓에서는 맞지만 큰 로짓(logits * 300)에서는 무한대가 나옵니다. 행마다 "
                "최댓값을 빼더라도 정답 클래스의 소프트맥스 확률이 0으로 언더플로되고, -log(0)은 "
                "무한대입니다.",
            ),
            _t(
                en="Never take the log of a probability: compute log softmax directly with the "
                "log-sum-exp trick, z - max(z) - log(sum(exp(z - max(z)))), then pick the label.",
                ko="확률에 로그를 취하지 마세요. log-sum-exp 기법으로 로그 소프트맥스를 직접 "
                "계산하고(z - max(z) - log(sum(exp(z - max(z))))) 레이블의 값을 고르세요.",
            ),
        )
    if big_values is None or not np.isfinite(big_values).all():
        return Feedback(
            False,
            _t(
                en="right on small logits, but it overflows on large ones (try logits * 300).",
                ko="작은 로짓에서는 맞지만 큰 로짓에서는 오버플로가 납니다(logits * 300으로 "
                "시험해 보세요).",
            ),
            _t(
                en="Subtract each row's maximum before exp: softmax is unchanged, exp cannot "
                "overflow.",
                ko="exp 전에 행마다 최댓값을 빼세요. 소프트맥스는 그대로이고 exp는 오버플로되지 "
                "않습니다.",
            ),
        )
    big_want = _mean_cross_entropy(logits * 300, labels)
    big_got = float(np.asarray(big, float).mean())
    if not np.isclose(big_got, big_want, rtol=1e-5):
        return Feedback(
            False,
            _with_answer(
                _t(
                    en=f"finite on large logits (logits * 300), but {big_got:.2f} where the loss "
                    f"is {big_want:.2f}.",
                    ko=f"큰 로짓(logits * 300)에서 유한하긴 하지만, 손실이 {big_want:.2f}인데 "
                    f"{big_got:.2f}이(가) 나옵니다.",
                ),
                _t(
                    en=f"finite on large logits (logits * 300), but {big_got:.2f} is not the loss "
                    "there.",
                    ko=f"큰 로짓(logits * 300)에서 유한하긴 하지만, {big_got:.2f}은(는) 그때의 "
                    "손실이 아닙니다.",
                ),
            ),
            _t(
                en="Clipping probabilities (say to 1e-7) caps each wrong answer's loss at "
                "-log(1e-7) = 16.1: compute log softmax directly, "
                "z - max(z) - log(sum(exp(z - max(z)))).",
                ko="확률을 (예를 들어 1e-7로) 잘라 내면 틀린 답 하나의 손실이 -log(1e-7) = 16.1을 "
                "넘지 못합니다. 로그 소프트맥스를 직접 계산하세요: "
                "z - max(z) - log(sum(exp(z - max(z)))).",
            ),
        )
    return Feedback(
        True,
        _t(
            en=f"{want:.4f}, and it stays finite for huge logits: that is from_logits=True.",
            ko=f"{want:.4f}이고, 아주 큰 로짓에서도 유한합니다. 이것이 from_logits=True입니다.",
        ),
    )


def check_most_confused(answer: str, cm: Any, class_names: list[str], true_class: str) -> Feedback:
    """Check which class ``true_class`` is most often mistaken for, read from a confusion matrix."""
    cm = np.asarray(cm)
    row = cm[class_names.index(true_class)].astype(float)
    row[class_names.index(true_class)] = -1
    want = class_names[int(row.argmax())]
    if answer == want:
        times = int(row.max())
        return Feedback(
            True,
            _t(
                en=f"{true_class} images are most often predicted as {want} ({times} times).",
                ko=f"{true_class} 이미지는 {want}(으)로 가장 자주 예측됩니다({times}번).",
            ),
        )
    if answer not in class_names:
        names = ", ".join(class_names)
        return Feedback(
            False,
            _t(
                en=f"{answer!r} is not a class name.",
                ko=f"{answer!r}은(는) 클래스 이름이 아닙니다.",
            ),
            _t(en=f"Pick one of {names}.", ko=f"{names} 중에서 고르세요."),
        )
    col = cm[:, class_names.index(true_class)].astype(float)
    col[class_names.index(true_class)] = -1
    if answer == class_names[int(col.argmax())]:
        return Feedback(
            False,
            _t(
                en=f"{answer} is what is most often predicted *as* {true_class}.",
                ko=f"{answer}은(는) 반대 방향의 답입니다. {true_class}(으)로 잘못 예측되는 "
                f"이미지 가운데 {answer} 이미지가 가장 많습니다.",
            ),
            _t(en="Rows are the true classes.", ko="행이 정답 클래스입니다."),
        )
    return Feedback(
        False,
        _t(
            en=f"{answer} is not the largest off-diagonal entry of the {true_class} row.",
            ko=f"{answer}은(는) {true_class} 행에서 대각선 밖의 가장 큰 값이 아닙니다.",
        ),
        _t(
            en="Look along the row of the true class, skipping the diagonal.",
            ko="정답 클래스의 행을 따라 보되, 대각선은 건너뛰세요.",
        ),
    )


def check_stacked_receptive_field(func: Callable[[int], int]) -> Feedback:
    """Check ``f(n) -> receptive field`` of ``n`` stacked 3x3, stride-1 convolutions."""
    for n in (1, 2, 3, 5, 10):
        got, error = _call(func, n)
        if error:
            return Feedback(
                False,
                _raised(error, f"n={n}"),
                _t(en="Each layer adds 2.", ko="층마다 2씩 늘어납니다."),
            )
        if got != 2 * n + 1:
            hint = _t(
                en="One 3x3 layer sees 3 pixels; each further 3x3 layer widens the view by one "
                "pixel on each side.",
                ko="3x3 층 하나는 3픽셀을 봅니다. 3x3 층을 하나 더할 때마다 보는 범위가 양쪽으로 "
                "한 픽셀씩 넓어집니다.",
            )
            message = _with_answer(
                _t(
                    en=f"for n={n} you return {got!r}, the receptive field is {2 * n + 1}.",
                    ko=f"n={n}일 때 {got!r}을(를) 반환했지만, 수용장은 {2 * n + 1}입니다.",
                ),
                _t(
                    en=f"for n={n} you return {got!r}, which is not the receptive field.",
                    ko=f"n={n}일 때 {got!r}을(를) 반환했지만, 그 값은 수용장이 아닙니다.",
                ),
            )
            return Feedback(False, message, hint)
    return Feedback(
        True,
        _t(
            en="n stacked 3x3 layers see 2n + 1 pixels: three of them see 7x7 like one 7x7 "
            "layer, with 27 C^2 weights instead of 49 C^2 and three non-linearities instead of "
            "one.",
            ko="3x3 층을 n개 쌓으면 2n + 1픽셀을 봅니다. 세 개를 쌓으면 7x7 층 하나처럼 7x7을 "
            "보지만, 가중치는 49 C^2개가 아니라 27 C^2개이고 비선형성은 하나가 아니라 셋입니다.",
        ),
    )


def check_inception_params(answer: int, in_channels: int, filters: tuple[int, ...]) -> Feedback:
    """Check the parameter count of an Inception module (see ``models.inception_module``).

    ``filters`` is ``(1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj)``.
    """
    import keras

    from course_utils.models import inception_module

    inputs = keras.Input((16, 16, in_channels))
    module = keras.Model(inputs, inception_module(inputs, *filters, name="m"))
    want = module.count_params()
    if answer == want:
        return Feedback(
            True,
            _t(
                en=f"{want:,} parameters, 1x1 reductions and biases included.",
                ko=f"1x1 축소와 편향을 포함해 파라미터 {want:,}개입니다.",
            ),
        )
    f1, r3, f3, r5, f5, pp = filters
    without_reduce = (
        in_channels * f1
        + 9 * in_channels * f3
        + 25 * in_channels * f5
        + in_channels * pp
        + f1
        + f3
        + f5
        + pp
    )
    if answer == without_reduce:
        hint = _t(
            en="The 3x3 and 5x5 branches first go through their 1x1 'reduce' convolutions.",
            ko="3x3과 5x5 가지는 먼저 각자의 1x1 'reduce' 합성곱을 거칩니다.",
        )
    elif answer == want - (f1 + r3 + f3 + r5 + f5 + pp):
        hint = _t(
            en="Add one bias per filter of every convolution.",
            ko="모든 합성곱의 필터마다 편향을 하나씩 더하세요.",
        )
    else:
        hint = _t(
            en="Sum over the six convolutions: k*k*in*out + out. The pooling branch's pool has "
            "none.",
            ko="합성곱 여섯 개에 대해 k*k*in*out + out을 더하세요. 풀링 가지의 풀링 층에는 "
            "파라미터가 없습니다.",
        )
    message = _with_answer(
        _t(
            en=f"you wrote {answer:,}; the module has {want:,}.",
            ko=f"{answer:,}개라고 적었지만, 모듈의 파라미터는 {want:,}개입니다.",
        ),
        _t(
            en=f"you wrote {answer:,}, which is not the module's count.",
            ko=f"{answer:,}개라고 적었지만, 모듈의 파라미터 수와 다릅니다.",
        ),
    )
    return Feedback(False, message, hint)


def _bn_keras(
    x: np.ndarray, weights: list[np.ndarray], momentum: float, training: bool, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The checker's reference: one call of Keras' ``BatchNormalization`` with these weights
    (gamma, beta, moving mean, moving variance); returns ``(y, moving mean, moving var)``.

    The layer has a name of its own, so the checker does not move Keras' counter of
    automatic layer names, and creates no random weights."""
    import keras

    layer = keras.layers.BatchNormalization(
        momentum=momentum, epsilon=eps, dtype="float32", name="check_batch_norm"
    )
    layer.build(x.shape)
    layer.set_weights(weights)
    y = keras.ops.convert_to_numpy(layer(x, training=training))
    mean = keras.ops.convert_to_numpy(layer.moving_mean)
    return y, mean, keras.ops.convert_to_numpy(layer.moving_variance)


def _bn_case(shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Data whose channels differ in mean and spread (the third has a variance near eps, so
    eps matters), and weights whose moving statistics are far from the batch's."""
    rng = np.random.default_rng(seed)
    loc, scale = np.array([2.0, -1.0, 0.3]), np.array([1.5, 3.0, 0.05])
    x = (loc + scale * rng.standard_normal(shape)).astype(np.float32)
    gamma = rng.uniform(0.5, 2.0, 3).astype(np.float32)
    beta = rng.normal(0.0, 1.0, 3).astype(np.float32)
    moving_mean = np.array([-0.5, 1.0, 0.0], np.float32)
    moving_var = np.array([0.8, 2.0, 0.004], np.float32)
    return x, [gamma, beta, moving_mean, moving_var]


def _close(got: np.ndarray, want: np.ndarray) -> bool:
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=1e-4, atol=1e-5))


def _bn_output_mistakes(
    x: np.ndarray, weights: list[np.ndarray], training: bool, eps: float
) -> list[tuple[np.ndarray, str, str]]:
    """Outputs ``y`` of the likely mistakes, each with its message and hint."""
    gamma, beta, moving_mean, moving_var = weights
    axes = tuple(range(x.ndim - 1))
    n = x.size // x.shape[-1]
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    used_mean, used_var = (mean, var) if training else (moving_mean, moving_var)

    def norm(m: Any, v: Any, e: float = eps) -> np.ndarray:
        return gamma * (x - m) / np.sqrt(v + e) + beta

    mistakes = [
        (
            gamma * (x - used_mean) / (np.sqrt(used_var) + eps) + beta,
            _t(
                en=f"you added eps ({eps:g} here) to the standard deviation, outside the "
                "square root.",
                ko=f"eps(여기서는 {eps:g})를 제곱근 밖에서 표준편차에 더했습니다.",
            ),
            _t(
                en="eps is added to the variance, under the square root, as in the formula above.",
                ko="eps는 위 공식처럼 제곱근 안에서 분산에 더합니다.",
            ),
        ),
        (
            norm(used_mean, used_var, 0.0),
            _t(
                en=f"your output is what the formula gives without eps (eps={eps:g} here).",
                ko=f"출력이 eps 없이 계산한 값과 같습니다(여기서는 eps={eps:g}).",
            ),
            _t(
                en="Add eps to the variance under the square root: it keeps a channel whose "
                "variance is tiny (this data has one) from being blown up, and Keras adds it.",
                ko="제곱근 안에서 분산에 eps를 더하세요. 분산이 아주 작은 채널(이 데이터에 하나 "
                "있습니다)이 지나치게 커지지 않게 막아 주며, Keras도 더합니다.",
            ),
        ),
        (
            (x - used_mean) / np.sqrt(used_var + eps),
            _t(
                en="your output is the normalised x, without gamma and beta.",
                ko="출력이 gamma와 beta를 적용하지 않은, 정규화만 한 x입니다.",
            ),
            _t(
                en="After normalising, scale each channel by gamma and shift it by beta.",
                ko="정규화한 다음 채널마다 gamma를 곱하고 beta를 더하세요.",
            ),
        ),
    ]
    if training:
        mistakes += [
            (
                norm(mean, var * n / (n - 1)),
                _t(
                    en=f"you normalised with the unbiased variance (divided by N - 1 = {n - 1}); "
                    f"batch norm divides by N = {n}.",
                    ko=f"불편 분산(N - 1 = {n - 1}(으)로 나눈 분산)으로 정규화했습니다. "
                    f"배치 정규화는 N = {n}(으)로 나눕니다.",
                ),
                _t(
                    en="Use the biased variance, the mean of the squared deviations (NumPy's "
                    "default, ddof=0), not ddof=1.",
                    ko="편차 제곱의 평균인 편향 분산(NumPy의 기본값 ddof=0)을 쓰세요. ddof=1이 "
                    "아닙니다.",
                ),
            ),
            (
                norm(moving_mean, moving_var),
                _t(
                    en="with training=True you normalised with the moving statistics.",
                    ko="training=True인데 이동 통계로 정규화했습니다.",
                ),
                _t(
                    en="Training mode normalises with this batch's own mean and variance; the "
                    "moving statistics are for training=False.",
                    ko="훈련 모드에서는 이 배치 자체의 평균과 분산으로 정규화합니다. 이동 통계는 "
                    "training=False일 때 씁니다.",
                ),
            ),
            (
                norm(x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)),
                _t(
                    en="you normalised each example over its channels (that is layer "
                    "normalisation).",
                    ko="예제마다 채널들에 걸쳐 정규화했습니다(그것은 층 정규화입니다).",
                ),
                _t(
                    en="Batch norm computes one mean and one variance per channel, across the "
                    "examples of the batch.",
                    ko="배치 정규화는 배치의 예제들에 걸쳐 채널마다 평균 하나와 분산 하나를 "
                    "계산합니다.",
                ),
            ),
        ]
        if x.ndim > 2:
            mistakes.append(
                (
                    norm(x.mean(axis=0), x.var(axis=0)),
                    _t(
                        en="you normalised over the batch axis only, so every pixel position has "
                        "statistics of its own.",
                        ko="배치 축으로만 정규화해서 픽셀 위치마다 통계가 따로 생겼습니다.",
                    ),
                    _t(
                        en="For (N, H, W, C), a channel's statistics pool the images and every "
                        "position: reduce over all axes but the last.",
                        ko="(N, H, W, C)에서 채널의 통계는 모든 이미지와 모든 위치를 합쳐 "
                        "계산합니다. 마지막 축을 뺀 모든 축에 대해 줄이세요.",
                    ),
                )
            )
    else:
        mistakes.append(
            (
                norm(mean, var),
                _t(
                    en="with training=False you normalised with the batch's own statistics.",
                    ko="training=False인데 배치 자체의 통계로 정규화했습니다.",
                ),
                _t(
                    en="Inference mode uses the moving mean and variance: at test time the "
                    "batch may be one image, and the output must not depend on the others.",
                    ko="추론 모드에서는 이동 평균과 이동 분산을 씁니다. 테스트할 때는 배치가 "
                    "이미지 한 장일 수도 있고, 출력이 다른 이미지에 따라 달라져서는 안 됩니다.",
                ),
            )
        )
    return mistakes


def _bn_moving_mistakes(
    x: np.ndarray, weights: list[np.ndarray], momentum: float, which: int
) -> list[tuple[np.ndarray, str, str]]:
    """Moving statistics of the likely mistakes of a training step: ``which`` 0 is the
    mean, 1 the variance."""
    old = weights[2 + which]
    axes = tuple(range(x.ndim - 1))
    n = x.size // x.shape[-1]
    stat = x.mean(axis=axes) if which == 0 else x.var(axis=axes)
    mistakes = [
        (
            old,
            _t(
                en="with training=True your moving statistics came back unchanged.",
                ko="training=True인데 이동 통계가 바뀌지 않은 채로 돌아왔습니다.",
            ),
            _t(
                en="Each training step moves them towards the batch's statistics (the update "
                "rule is in the text above).",
                ko="훈련 단계마다 이동 통계를 배치의 통계 쪽으로 옮깁니다(갱신 규칙은 위 본문에 "
                "있습니다).",
            ),
        ),
        (
            stat,
            _t(
                en="your moving statistics are the batch's own: they should be an average "
                "that keeps most of the old value.",
                ko="이동 통계가 배치 자체의 통계입니다. 이전 값의 대부분을 유지하는 평균이어야 "
                "합니다.",
            ),
            _t(
                en=f"momentum={momentum} is the share of the old moving value that a step keeps.",
                ko=f"momentum={momentum}은(는) 한 단계에서 이전 이동 값을 유지하는 비율입니다.",
            ),
        ),
        (
            (1 - momentum) * old + momentum * stat,
            _t(
                en="you swapped momentum and 1 - momentum.",
                ko="momentum과 1 - momentum을 서로 바꿔 썼습니다.",
            ),
            _t(
                en=f"momentum={momentum} weighs the old moving value, 1 - momentum the batch's.",
                ko=f"momentum={momentum}은(는) 이전 이동 값에, 1 - momentum은 배치의 값에 "
                "곱합니다.",
            ),
        ),
    ]
    if which == 1:
        mistakes.append(
            (
                momentum * old + (1 - momentum) * stat * n / (n - 1),
                _t(
                    en=f"your moving variance averages the unbiased variance (divided by "
                    f"N - 1 = {n - 1}); Keras averages the biased one (divided by N = {n}) that "
                    "it normalises with.",
                    ko=f"이동 분산에 불편 분산(N - 1 = {n - 1}(으)로 나눈 분산)을 평균했습니다. "
                    f"Keras는 정규화에 쓰는 것과 같은 편향 분산(N = {n}(으)로 나눈 분산)을 "
                    "평균합니다.",
                ),
                _t(
                    en="PyTorch's BatchNorm keeps an unbiased running variance; Keras, and this "
                    "exercise, use the same variance in both places.",
                    ko="PyTorch의 BatchNorm은 이동 분산에 불편 분산을 쓰지만, Keras와 이 연습 "
                    "문제는 두 곳에 같은 분산을 씁니다.",
                ),
            )
        )
    return mistakes


def check_batch_norm(func: Callable[..., Any]) -> Feedback:
    """Check ``f(x, gamma, beta, moving_mean, moving_var, momentum, training, eps)`` ->
    ``(y, new_moving_mean, new_moving_var)``: batch norm over every axis but the last, as
    ``keras.layers.BatchNormalization`` computes it, in training and in inference mode.

    The arguments are passed by position; each case is compared with one call of a Keras
    layer given the same weights and moving statistics.
    """
    cases = [  # (shape, momentum, training, eps)
        ((8, 3), 0.9, True, 1e-3),
        ((8, 3), 0.9, False, 1e-3),
        ((4, 5, 6, 3), 0.99, True, 1e-3),
        ((4, 5, 6, 3), 0.99, False, 1e-3),
    ]
    for seed, (shape, momentum, training, eps) in enumerate(cases):
        x, weights = _bn_case(shape, seed)
        where = f"x.shape={shape}, momentum={momentum}, training={training}, eps={eps:g}"
        passed = [w.copy() for w in weights[2:]]
        result, error = _call(func, x.copy(), *weights[:2], *passed, momentum, training, eps)
        if error:
            return Feedback(
                False,
                _raised(error, where),
                _t(
                    en="Work with NumPy arrays; reduce with x.mean(axis=...) and x.var(axis=...).",
                    ko="NumPy 배열로 계산하세요. x.mean(axis=...)과 x.var(axis=...)로 줄이면 "
                    "됩니다.",
                ),
            )
        if not isinstance(result, tuple | list) or len(result) != 3:
            return Feedback(
                False,
                _t(
                    en=f"for {where} your function returned {type(result).__name__}, not "
                    "(y, new_moving_mean, new_moving_var).",
                    ko=f"{where}일 때 함수가 (y, new_moving_mean, new_moving_var)가 아니라 "
                    f"{type(result).__name__}을(를) 반환했습니다.",
                ),
                _t(
                    en="Return all three, in that order, in both modes.",
                    ko="두 모드 모두에서 세 값을 이 순서대로 반환하세요.",
                ),
            )
        want = _bn_keras(x, weights, momentum, training, eps)
        try:
            y, new_mean, new_var = (np.asarray(r, dtype=np.float64) for r in result)
        except (TypeError, ValueError) as err:  # e.g. (y, None, None)
            return Feedback(
                False,
                _t(
                    en=f"for {where} your function's three results are not all arrays of "
                    f"numbers ({type(err).__name__}: {err}).",
                    ko=f"{where}일 때 함수가 반환한 세 값이 모두 숫자 배열은 아닙니다 "
                    f"({type(err).__name__}: {err}).",
                ),
                _t(
                    en="Return y and both moving statistics as arrays, in both modes (in "
                    "inference mode, the moving statistics as they came in).",
                    ko="두 모드 모두에서 y와 두 이동 통계를 배열로 반환하세요(추론 모드에서는 "
                    "이동 통계를 받은 그대로).",
                ),
            )
        if y.shape != x.shape:
            return Feedback(
                False,
                _t(
                    en=f"for {where} y has shape {y.shape}; it must have x's shape.",
                    ko=f"{where}일 때 y의 모양이 {y.shape}입니다. x와 모양이 같아야 합니다.",
                ),
                _t(
                    en="Compute one mean and variance per channel, shape (C,), and let NumPy "
                    "broadcast them against x.",
                    ko="채널마다 평균과 분산을 하나씩, 모양 (C,)로 계산하고 NumPy가 x에 맞춰 "
                    "브로드캐스팅하게 하세요.",
                ),
            )
        if not _close(y, want[0]):
            for wrong, message, hint in _bn_output_mistakes(x, weights, training, eps):
                if _close(y, wrong):
                    return Feedback(False, f"{where}: {message}", hint)
            i = tuple(int(v) for v in np.argwhere(~np.isclose(y, want[0], 1e-4, 1e-5))[0])
            at = ", ".join(map(str, i))
            return Feedback(
                False,
                _with_answer(
                    _t(
                        en=f"for {where} y[{at}] is {y[i]:.4f}; Keras' BatchNormalization gives "
                        f"{want[0][i]:.4f}.",
                        ko=f"{where}일 때 y[{at}]가 {y[i]:.4f}입니다. Keras의 BatchNormalization은 "
                        f"{want[0][i]:.4f}을(를) 줍니다.",
                    ),
                    _t(
                        en=f"for {where} y[{at}] is {y[i]:.4f}, which is not what Keras' "
                        "BatchNormalization gives.",
                        ko=f"{where}일 때 y[{at}]가 {y[i]:.4f}인데, Keras의 BatchNormalization이 "
                        "주는 값과 다릅니다.",
                    ),
                ),
                _t(
                    en="Follow the formula above channel by channel, with the statistics the "
                    "mode calls for.",
                    ko="모드에 맞는 통계를 써서 채널마다 위 공식을 따르세요.",
                ),
            )
        changed = [
            name
            for name, before, after in zip(
                ("moving_mean", "moving_var"), weights[2:], passed, strict=True
            )
            if not np.array_equal(before, after)
        ]
        returned = (new_mean, new_var)
        if not training and (changed or not all(map(_close, returned, weights[2:]))):
            how = _t(en=f" (in place: {changed})", ko=f"(제자리에서: {changed})") if changed else ""
            return Feedback(
                False,
                _t(
                    en=f"for {where} you updated the moving statistics{how}: inference must "
                    "leave them as they are.",
                    ko=f"{where}일 때 이동 통계를 갱신했습니다{how}. 추론은 이동 통계를 그대로 "
                    "두어야 합니다.",
                ),
                _t(
                    en="Only a training step moves them; with training=False, return "
                    "moving_mean and moving_var untouched.",
                    ko="이동 통계는 훈련 단계에서만 바뀝니다. training=False이면 moving_mean과 "
                    "moving_var를 손대지 말고 반환하세요.",
                ),
            )
        for which, (name, got) in enumerate(
            zip(("new_moving_mean", "new_moving_var"), returned, strict=True)
        ):
            if _close(got, want[1 + which]):
                continue
            if got.shape != want[1 + which].shape:
                return Feedback(
                    False,
                    _t(
                        en=f"for {where} {name} has shape {got.shape}; it needs one value per "
                        f"channel, {want[1 + which].shape}.",
                        ko=f"{where}일 때 {name}의 모양이 {got.shape}입니다. 채널마다 값이 하나씩, "
                        f"{want[1 + which].shape}이어야 합니다.",
                    ),
                    _t(
                        en="Reduce over every axis but the last.",
                        ko="마지막 축을 뺀 모든 축에 대해 줄이세요.",
                    ),
                )
            for wrong, message, hint in _bn_moving_mistakes(x, weights, momentum, which):
                if _close(got, wrong):
                    return Feedback(False, f"{where}: {message}", hint)
            values = ", ".join(f"{v:.4f}" for v in got)
            expected = ", ".join(f"{v:.4f}" for v in want[1 + which])
            return Feedback(
                False,
                _with_answer(
                    _t(
                        en=f"for {where} {name} is [{values}]; Keras gives [{expected}].",
                        ko=f"{where}일 때 {name}이(가) [{values}]입니다. Keras는 "
                        f"[{expected}]을(를) "
                        "줍니다.",
                    ),
                    _t(
                        en=f"for {where} {name} is [{values}], which is not what Keras gives.",
                        ko=f"{where}일 때 {name}이(가) [{values}]인데, Keras가 주는 값과 다릅니다.",
                    ),
                ),
                _t(
                    en="moving = momentum * moving + (1 - momentum) * the batch's statistic, "
                    "the same one y is normalised with.",
                    ko="moving = momentum * moving + (1 - momentum) * 배치의 통계이며, 이 통계는 "
                    "y를 정규화할 때 쓴 것과 같습니다.",
                ),
            )
    return Feedback(
        True,
        _t(
            en=f"all {len(cases)} cases match Keras' BatchNormalization: training and inference "
            "mode, (N, C) and (N, H, W, C), the moving statistics included.",
            ko=f"{len(cases)}개 경우가 모두 Keras의 BatchNormalization과 일치합니다. 훈련 모드와 "
            "추론 모드, (N, C)와 (N, H, W, C), 이동 통계까지 맞습니다.",
        ),
    )
