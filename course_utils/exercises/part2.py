"""Checkers of Part 2 (notebooks 04 to 06): from classification to segmentation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils import ops
from course_utils.exercises._answers import _with_answer
from course_utils.exercises._feedback import Feedback, _call, _raised
from course_utils.exercises._lang import _t


def check_flatten_dense_params(
    answer: int, feature_shape: tuple[int, int, int], units: int
) -> Feedback:
    """Check the parameter count of ``Dense(units)`` applied to a flattened ``(h, w, c)`` map."""
    h, w, c = feature_shape
    want = h * w * c * units + units
    if answer == want:
        return Feedback(
            True,
            _t(
                en=f"{want:,}: every one of the {h * w * c:,} inputs meets every unit.",
                ko=f"{want:,}개입니다. 입력 {h * w * c:,}개가 모두 유닛 하나하나와 연결됩니다.",
            ),
        )
    wrote = _t(en=f"you wrote {answer:,}.", ko=f"{answer:,}개라고 적었습니다.")
    if answer == c * units + units:
        return Feedback(
            False,
            wrote,
            _t(
                en=f"Flatten keeps all {h}x{w} positions: h*w*c inputs.",
                ko=f"Flatten은 {h}x{w} 위치를 모두 남깁니다. 입력은 h*w*c개입니다.",
            ),
        )
    if answer == h * w * c * units:
        return Feedback(
            False, wrote, _t(en="Add one bias per unit.", ko="유닛마다 편향을 하나씩 더하세요.")
        )
    return Feedback(
        False,
        _with_answer(
            _t(
                en=f"you wrote {answer:,}; the layer has {want:,}.",
                ko=f"{answer:,}개라고 적었지만, 층의 파라미터는 {want:,}개입니다.",
            ),
            _t(
                en=f"you wrote {answer:,}, which is not the layer's count.",
                ko=f"{answer:,}개라고 적었지만, 층의 파라미터 수와 다릅니다.",
            ),
        ),
        _t(en="inputs x units + units.", ko="inputs x units + units입니다."),
    )


def check_instance_count(func: Callable[[np.ndarray, int], int]) -> Feedback:
    """Check ``f(mask, class_id) -> number of connected regions`` (8-connectivity) of a class."""
    from skimage.measure import label

    mask = np.zeros((12, 12), np.int32)
    mask[1:4, 1:4] = 8
    mask[4:6, 4:6] = 8  # touches the first one only at a corner
    mask[8:11, 2:5] = 8
    mask[8:11, 8:11] = 3
    mask[0:2, 9:12] = 3
    want = int(label(mask == 8, connectivity=2).max())
    got, error = _call(func, mask, 8)
    if error:
        return Feedback(
            False,
            _raised(error),
            _t(
                en="skimage.measure.label labels regions.",
                ko="skimage.measure.label이 영역마다 번호를 붙입니다.",
            ),
        )
    if got == want:
        # The same function on other masks and classes: a typed-in count passes only one.
        others = [(mask, 3), (np.rot90(np.pad(mask, 2)), 8), (np.tile(mask, (1, 2)), 8)]
        for other, class_id in others:
            expected = int(label(other == class_id, connectivity=2).max())
            found, error = _call(func, other, class_id)
            if error or found != expected:
                return Feedback(
                    False,
                    _with_answer(
                        _t(
                            en=f"right on the first mask, but on another mask (class {class_id}) "
                            f"you return {error or found}, where it has {expected} regions.",
                            ko=f"첫 번째 마스크에서는 맞지만, 다른 마스크(클래스 {class_id})에서는 "
                            f"영역이 {expected}개인데 {error or found}을(를) 반환합니다.",
                        ),
                        _t(
                            en=f"right on the first mask, but on another mask (class {class_id}) "
                            f"you return {error or found}, which is not its number of regions.",
                            ko="첫 번째 마스크에서는 맞지만, 다른 마스크(클래스 "
                            f"{class_id})에서는 {error or found}을(를) "
                            "반환하며, 그 값은 영역의 수가 아닙니다.",
                        ),
                    ),
                    _t(
                        en="Count from the mask and the class you are given: label "
                        "mask == class_id with 8-connectivity and take the max; never type in "
                        "the answer.",
                        ko="주어진 마스크와 클래스로 세세요. mask == class_id에 8-연결성으로 "
                        "레이블을 붙이고 최댓값을 취합니다. 답을 직접 적어 넣지 마세요.",
                    ),
                )
        return Feedback(
            True,
            _t(
                en=f"{want} regions: corner-touching pixels belong together (8-connectivity).",
                ko=f"영역 {want}개입니다. 모서리로 닿은 픽셀도 같은 영역입니다(8-연결성).",
            ),
        )
    if got == int(label(mask == 8, connectivity=1).max()):
        return Feedback(
            False,
            _with_answer(
                _t(
                    en=f"you count {got}; with diagonal neighbours it is {want}.",
                    ko=f"{got}개로 셌지만, 대각선 이웃까지 치면 {want}개입니다.",
                ),
                _t(
                    en=f"you count {got}, leaving the diagonal neighbours out.",
                    ko=f"{got}개로 셌는데, 대각선 이웃을 빼고 센 것입니다.",
                ),
            ),
            _t(
                en="Use connectivity=2 (8 neighbours).",
                ko="connectivity=2(이웃 8개)를 쓰세요.",
            ),
        )
    if got == int(label(mask > 0, connectivity=2).max()):
        return Feedback(
            False,
            _t(
                en=f"you count {got}, regions of every class.",
                ko=f"{got}개로 셌는데, 모든 클래스의 영역을 센 것입니다.",
            ),
            _t(
                en="Select the class first: mask == class_id.",
                ko="먼저 클래스를 고르세요: mask == class_id.",
            ),
        )
    return Feedback(
        False,
        _with_answer(
            _t(
                en=f"you count {got}; the class has {want} regions.",
                ko=f"{got}개로 셌지만, 이 클래스의 영역은 {want}개입니다.",
            ),
            _t(
                en=f"you count {got}, which is not the class's number of regions.",
                ko=f"{got}개로 셌지만, 이 클래스의 영역 수가 아닙니다.",
            ),
        ),
        _t(
            en="Label mask == class_id, take the max.",
            ko="mask == class_id에 레이블을 붙이고 최댓값을 취하세요.",
        ),
    )


def check_receptive_field(func: Callable[[list[tuple[int, int, int]]], int]) -> Feedback:
    """Check ``f(layers) -> receptive field`` for ``(kernel, stride, dilation)`` stacks."""
    stacks = [
        [(3, 1, 1)],
        [(3, 1, 1)] * 4,
        [(3, 1, 2), (3, 1, 4)],
        [(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1)],
        [(7, 2, 1), (3, 2, 1), (3, 1, 1), (3, 1, 2)],
    ]
    for layers in stacks:
        want = ops.receptive_field(layers)[-1][0]
        got, error = _call(func, list(layers))
        if error:
            return Feedback(False, _raised(error, str(layers)))
        if got == want:
            continue
        no_jump = 1 + sum(d * (k - 1) for k, _, d in layers)
        no_dilation = ops.receptive_field([(k, s, 1) for k, s, _ in layers])[-1][0]
        if got == no_jump:
            hint = _t(
                en="After a stride-s layer, neighbouring outputs are s input pixels apart: "
                "multiply each later layer's growth by the product of the strides before it "
                "(the jump).",
                ko="스트라이드가 s인 층 다음에는 이웃한 출력이 입력에서 s픽셀 떨어져 있습니다. "
                "뒤쪽 층마다 늘어나는 양에 그 앞 스트라이드들의 곱(점프)을 곱하세요.",
            )
        elif got == no_dilation:
            hint = _t(
                en="A dilated kernel spans dilation * (kernel - 1) + 1 pixels.",
                ko="팽창된 커널은 dilation * (kernel - 1) + 1픽셀에 걸칩니다.",
            )
        else:
            hint = _t(
                en="Keep two numbers as you go up the layers: the field so far (one pixel "
                "before any layer) and the jump, the distance in input pixels between "
                "neighbouring units. How much does one layer widen the field, and what does "
                "its stride do to the jump?",
                ko="층을 올라가며 두 수를 기록하세요: 지금까지의 수용장(층이 없을 때 1픽셀)과 "
                "점프(이웃한 유닛 사이의 입력 픽셀 거리)입니다. 층 하나가 수용장을 얼마나 "
                "넓히고, 그 층의 스트라이드는 점프를 어떻게 바꿀까요?",
            )
        message = _with_answer(
            _t(
                en=f"for {layers} you return {got!r}, the field is {want}.",
                ko=f"{layers}일 때 {got!r}을(를) 반환했지만, 수용장은 {want}입니다.",
            ),
            _t(
                en=f"for {layers} you return {got!r}, which is not the receptive field.",
                ko=f"{layers}일 때 {got!r}을(를) 반환했지만, 그 값은 수용장이 아닙니다.",
            ),
        )
        return Feedback(False, message, hint)
    return Feedback(
        True,
        _t(
            en="The field grows by dilation x (kernel - 1) x jump per layer: strides and "
            "dilations multiply the growth of everything after them.",
            ko="수용장은 층마다 dilation x (kernel - 1) x jump만큼 커집니다. 스트라이드와 "
            "팽창은 그 뒤에 오는 모든 층의 증가량에 곱해집니다.",
        ),
    )


def check_separable_params(func: Callable[[int, int, int], int]) -> Feedback:
    """Check ``f(kernel, c_in, c_out) -> parameters`` of a ``SeparableConv2D`` with biases."""
    for k, c_in, c_out in [(3, 32, 64), (5, 16, 8), (1, 7, 3), (3, 1, 1)]:
        want = ops.conv_costs(k, c_in, c_out, (1, 1), separable=True)["params"]
        got, error = _call(func, k, c_in, c_out)
        if error:
            return Feedback(False, _raised(error, str((k, c_in, c_out))))
        if got == want:
            continue
        if got == k * k * c_in * c_out + c_out:
            hint = _t(
                en="That is a standard convolution. Separable = depthwise k*k per input "
                "channel + 1x1.",
                ko="그것은 표준 합성곱입니다. 깊이별 분리 합성곱 = 입력 채널마다 k*k인 깊이별 "
                "합성곱 + 1x1.",
            )
        elif got == want - c_out:
            hint = _t(
                en="Keras' SeparableConv2D has one bias per output channel (on the pointwise "
                "part).",
                ko="Keras의 SeparableConv2D에는 출력 채널마다 편향이 하나 있습니다(점별 부분에 "
                "붙습니다).",
            )
        elif got == want + c_in:
            hint = _t(
                en="Only the pointwise part has a bias in Keras' SeparableConv2D.",
                ko="Keras의 SeparableConv2D에서는 점별 부분에만 편향이 있습니다.",
            )
        else:
            hint = _t(
                en="depthwise: k*k*c_in; pointwise: c_in*c_out; bias: c_out.",
                ko="깊이별: k*k*c_in, 점별: c_in*c_out, 편향: c_out.",
            )
        message = _with_answer(
            _t(
                en=f"for k={k}, {c_in}->{c_out} you return {got!r}, want {want}.",
                ko=f"k={k}, {c_in}->{c_out}일 때 {got!r}을(를) 반환했습니다. {want}이어야 합니다.",
            ),
            _t(
                en=f"for k={k}, {c_in}->{c_out} you return {got!r}, which is not the parameter "
                "count.",
                ko=f"k={k}, {c_in}->{c_out}일 때 {got!r}을(를) 반환했지만, 파라미터 수가 아닙니다.",
            ),
        )
        return Feedback(False, message, hint)
    separable = ops.conv_costs(3, 256, 256, (1, 1), separable=True)["params"]
    ratio = separable / ops.conv_costs(3, 256, 256, (1, 1))["params"]
    return Feedback(
        True,
        _t(
            en="k*k*c_in + c_in*c_out + c_out. For a 3x3 layer with 256 channels in and out "
            f"that is {ratio:.1%} of a standard convolution's parameters.",
            ko="k*k*c_in + c_in*c_out + c_out입니다. 입력과 출력 채널이 256개인 3x3 층이라면 "
            f"표준 합성곱 파라미터의 {ratio:.1%}입니다.",
        ),
    )


def check_transposed_conv_1d(func: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> Feedback:
    """Check ``f(y, kernel, stride) -> C^T y``, the 1-D 'valid' transposed convolution."""
    cases = [
        (np.array([1.0, 2.0]), np.array([1.0, 0.0, -1.0]), 1),
        (np.array([1.0, -2.0, 0.5]), np.array([1.0, 2.0, -1.0]), 2),
        (np.array([3.0, 1.0]), np.array([1.0, 1.0, 2.0, 0.5]), 3),
    ]
    for y, kernel, stride in cases:
        want = ops.conv_transpose2d(y[None, :], kernel[None, :], stride)[0]
        got, error = _call(func, y.copy(), kernel.copy(), stride)
        if error:
            return Feedback(False, _raised(error, f"y={y.tolist()}"))
        got = np.asarray(got, np.float64).ravel()
        if got.shape == want.shape and np.allclose(got, want):
            continue
        case = f"y={y.tolist()}, kernel={kernel.tolist()}, stride={stride}"
        if got.shape != want.shape:
            hint = _t(
                en="The output has (len(y) - 1) * stride + len(kernel) values.",
                ko="출력 값은 (len(y) - 1) * stride + len(kernel)개입니다.",
            )
            message = _with_answer(
                _t(
                    en=f"for {case} you return {len(got)} values, want {len(want)}.",
                    ko=f"{case}일 때 값 {len(got)}개를 반환했습니다. {len(want)}개여야 합니다.",
                ),
                _t(
                    en=f"for {case} you return {len(got)} values, not the right number.",
                    ko=f"{case}일 때 값 {len(got)}개를 반환했는데, 개수가 맞지 않습니다.",
                ),
            )
            return Feedback(False, message, hint)
        flipped = ops.conv_transpose2d(y[None, :], kernel[None, ::-1], stride)[0]
        if np.allclose(got, flipped):
            hint = _t(
                en="Do not flip the kernel: stamp kernel[t] at position i * stride + t.",
                ko="커널을 뒤집지 마세요. kernel[t]를 위치 i * stride + t에 찍으세요.",
            )
        else:
            hint = _t(
                en="Start from zeros; for each i, add y[i] * kernel to "
                "out[i*stride : i*stride + k].",
                ko="0에서 시작해서 i마다 y[i] * kernel을 out[i*stride : i*stride + k]에 더하세요.",
            )
        yours = got.round(3).tolist()
        message = _with_answer(
            _t(
                en=f"for {case} you return {yours}, want {want.tolist()}.",
                ko=f"{case}일 때 {yours}을(를) 반환했습니다. {want.tolist()}이어야 합니다.",
            ),
            _t(
                en=f"for {case} you return {yours}, which is not the transposed convolution.",
                ko=f"{case}일 때 {yours}을(를) 반환했지만, 전치 합성곱의 결과가 아닙니다.",
            ),
        )
        return Feedback(False, message, hint)
    return Feedback(
        True,
        _t(
            en="Each input stamps a scaled copy of the kernel, stride apart; overlaps add. That "
            "is multiplying by the transpose of the convolution matrix.",
            ko="입력 값마다 자기 값을 곱한 커널 사본을 스트라이드 간격으로 찍고, 겹친 곳은 "
            "더합니다. 이는 합성곱 행렬의 전치를 곱하는 것과 같습니다.",
        ),
    )


def check_accuracy_and_miou(func: Callable[[np.ndarray], tuple[float, float]]) -> Feedback:
    """Check ``f(cm) -> (pixel accuracy, mean IoU)`` from a confusion matrix (rows = truth).

    Classes absent from both labels and predictions are left out of the mean.
    """
    from course_utils.metrics import segmentation_report

    cm = np.array([[900, 20, 5, 0], [30, 40, 0, 0], [10, 0, 5, 0], [0, 0, 0, 0]], np.int64)
    report = segmentation_report(cm, ["road", "car", "sign", "absent"])
    got, error = _call(func, cm.copy())
    if error:
        return Feedback(
            False,
            _raised(error),
            _t(en="Start from np.diag(cm).", ko="np.diag(cm)에서 시작하세요."),
        )
    try:
        acc, miou = (float(v) for v in got)
    except (TypeError, ValueError):
        message = _t(
            en=f"return a pair (accuracy, miou); you returned {got!r}.",
            ko=f"(accuracy, miou) 쌍을 반환하세요. 반환한 값은 {got!r}입니다.",
        )
        return Feedback(False, message)
    if not np.isclose(acc, report.pixel_accuracy, atol=1e-6):
        return Feedback(
            False,
            _with_answer(
                _t(
                    en=f"pixel accuracy {acc:.4f}; want {report.pixel_accuracy:.4f}.",
                    ko=f"픽셀 정확도가 {acc:.4f}입니다. {report.pixel_accuracy:.4f}이어야 합니다.",
                ),
                _t(
                    en=f"pixel accuracy {acc:.4f} is not right.",
                    ko=f"픽셀 정확도 {acc:.4f}이(가) 맞지 않습니다.",
                ),
            ),
            _t(
                en="Correct pixels (the diagonal) over all pixels.",
                ko="맞힌 픽셀 수(대각선)를 전체 픽셀 수로 나누세요.",
            ),
        )
    if np.isclose(miou, report.miou, atol=1e-6):
        return Feedback(
            True,
            _t(
                en=f"accuracy {acc:.3f} but mIoU {miou:.3f}: the road dominates the pixels, "
                "while the rare sign class, mostly missed, weighs as much as the road in the "
                "mean.",
                ko=f"정확도는 {acc:.3f}이지만 mIoU는 {miou:.3f}입니다. 픽셀은 도로가 대부분을 "
                "차지하지만, 대부분 놓친 드문 sign(표지판) 클래스도 평균에서는 도로만큼의 "
                "무게를 가집니다.",
            ),
        )
    tp = np.diag(cm).astype(float)
    union = cm.sum(0) + cm.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = tp / union
        class_acc = tp / cm.sum(1)
    if np.isclose(miou, np.nan_to_num(iou).mean(), atol=1e-6):
        hint = _t(
            en="A class with no pixels in labels or predictions has no IoU: leave it out "
            "(nanmean).",
            ko="레이블에도 예측에도 픽셀이 없는 클래스에는 IoU가 없습니다. 평균에서 빼세요"
            "(nanmean).",
        )
    elif np.isclose(miou, np.nanmean(class_acc), atol=1e-6):
        hint = _t(
            en="That is mean class accuracy. IoU divides by TP + FP + FN (row + column - "
            "diagonal).",
            ko="그것은 평균 클래스 정확도입니다. IoU는 TP + FP + FN(행 + 열 - 대각선)으로 "
            "나눕니다.",
        )
    else:
        hint = _t(
            en="IoU_c = cm[c, c] / (row sum + column sum - cm[c, c]); average with np.nanmean.",
            ko="IoU_c = cm[c, c] / (행의 합 + 열의 합 - cm[c, c])이고, np.nanmean으로 평균하세요.",
        )
    message = _with_answer(
        _t(
            en=f"mIoU {miou:.4f}; want {report.miou:.4f}.",
            ko=f"mIoU가 {miou:.4f}입니다. {report.miou:.4f}이어야 합니다.",
        ),
        _t(en=f"mIoU {miou:.4f} is not right.", ko=f"mIoU {miou:.4f}이(가) 맞지 않습니다."),
    )
    return Feedback(False, message, hint)


def check_dice(func: Callable[[np.ndarray, np.ndarray, int, int], float]) -> Feedback:
    """Check ``f(y_true, y_pred, class_id, ignore_index) -> Dice`` of one class on hard masks."""
    y_true = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 11, 11], [2, 2, 11, 11]])
    y_pred = np.array([[1, 1, 1, 0], [1, 0, 0, 0], [0, 0, 1, 1], [2, 0, 1, 0]])
    valid = y_true != 11
    t, p = (y_true == 1) & valid, (y_pred == 1) & valid
    want = 2 * (t & p).sum() / (t.sum() + p.sum())
    got, error = _call(func, y_true.copy(), y_pred.copy(), 1, 11)
    if error:
        return Feedback(False, _raised(error))
    if got is not None and np.isclose(float(got), want):
        iou = (t & p).sum() / (t | p).sum()
        return Feedback(
            True,
            _t(
                en=f"Dice {want:.3f} (IoU {iou:.3f}); Dice = 2 IoU / (1 + IoU), always >= IoU.",
                ko=f"Dice {want:.3f}(IoU {iou:.3f})입니다. Dice = 2 IoU / (1 + IoU)이므로 "
                "언제나 Dice >= IoU입니다.",
            ),
        )
    t_all, p_all = y_true == 1, y_pred == 1
    if got is not None and np.isclose(
        float(got), 2 * (t_all & p_all).sum() / (t_all.sum() + p_all.sum())
    ):
        hint = _t(
            en="Drop the void pixels (y_true == ignore_index) from both masks first.",
            ko="먼저 두 마스크에서 void 픽셀(y_true == ignore_index)을 빼세요.",
        )
    elif got is not None and np.isclose(float(got), (t & p).sum() / (t | p).sum()):
        hint = _t(
            en="That is IoU. Dice is 2|P∩T| / (|P| + |T|).",
            ko="그것은 IoU입니다. Dice는 2|P∩T| / (|P| + |T|)입니다.",
        )
    else:
        hint = _t(
            en="2 * overlap / (pixels of the class in y_true + in y_pred), void pixels left out.",
            ko="2 * 겹친 픽셀 수 / (y_true에서 그 클래스의 픽셀 수 + y_pred에서의 픽셀 수)이고, "
            "void 픽셀은 뺍니다.",
        )
    message = _with_answer(
        _t(
            en=f"you return {got!r}; want {want:.4f}.",
            ko=f"{got!r}을(를) 반환했습니다. {want:.4f}이어야 합니다.",
        ),
        _t(
            en=f"you return {got!r}, which is not the Dice score.",
            ko=f"{got!r}을(를) 반환했지만, 그 값은 Dice 점수가 아닙니다.",
        ),
    )
    return Feedback(False, message, hint)


def check_median_frequency(func: Callable[[np.ndarray, int], np.ndarray]) -> Feedback:
    """Check ``f(masks, num_classes) -> weights`` by median frequency balancing (SegNet)."""
    from course_utils.metrics import class_weights

    rng = np.random.default_rng(4)
    masks = rng.choice(3, size=(6, 10, 10), p=[0.75, 0.2, 0.05])
    masks[3:][masks[3:] == 2] = 0  # class 2 only in the first three images
    masks[0, :4] = 3  # class 3 fills 40% of one image and is absent elsewhere
    want = class_weights(masks, 4)
    got, error = _call(func, masks.copy(), 4)
    if error:
        return Feedback(False, _raised(error))
    got = np.asarray(got, np.float64).ravel()
    if got.shape == want.shape and np.allclose(got, want, rtol=1e-4):
        weights = ", ".join(f"{w:.2f}" for w in want)
        return Feedback(
            True,
            _t(
                en=f"weights {weights}: the median class gets 1, rarer classes more, the "
                "dominant class less.",
                ko=f"가중치는 {weights}입니다. 빈도가 중앙값인 클래스는 1을, 더 드문 클래스는 "
                "더 큰 값을, 가장 흔한 클래스는 더 작은 값을 받습니다.",
            ),
        )
    share = np.bincount(masks.ravel(), minlength=4) / masks.size
    if got.shape == want.shape and np.allclose(got, np.median(share) / share, rtol=1e-4):
        hint = _t(
            en="freq[c] divides class c's pixels by the pixels of the images that contain c, "
            "not by all pixels.",
            ko="freq[c]는 클래스 c의 픽셀 수를 전체 픽셀 수가 아니라 c가 들어 있는 이미지들의 "
            "픽셀 수로 나눕니다.",
        )
    else:
        hint = _t(
            en="freq[c] = pixels of c / pixels of images containing c; weight = "
            "median(freq) / freq.",
            ko="freq[c] = c의 픽셀 수 / c가 들어 있는 이미지들의 픽셀 수이고, 가중치 = "
            "median(freq) / freq입니다.",
        )

    def shown(weights: np.ndarray) -> str:  # 3 decimals, without float32 noise
        return "[" + ", ".join(f"{float(w):.3f}" for w in np.ravel(weights)) + "]"

    message = _with_answer(
        _t(
            en=f"you return {shown(got)}; want {shown(want)}.",
            ko=f"{shown(got)}을(를) 반환했습니다. {shown(want)}이어야 합니다.",
        ),
        _t(
            en=f"you return {shown(got)}, which are not the weights.",
            ko=f"{shown(got)}을(를) 반환했지만, 그 값은 가중치가 아닙니다.",
        ),
    )
    return Feedback(False, message, hint)
