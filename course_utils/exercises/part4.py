"""Checkers of Part 4 (notebook 12): your own photos through a trained model."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils import ops
from course_utils.exercises._answers import _with_answer
from course_utils.exercises._feedback import Feedback, _call, _raised
from course_utils.exercises._lang import _t

#: ``(height, width, aspect)``: CamVid itself, a 16:9 video frame, a portrait phone photo,
#: a square, odd sizes, a strip, and two other ratios.
CROP_CASES = (
    (360, 480, (3, 4)),
    (1080, 1920, (3, 4)),
    (4032, 3024, (3, 4)),
    (500, 500, (3, 4)),
    (101, 203, (3, 4)),
    (7, 640, (3, 4)),
    (301, 200, (1, 1)),
    (480, 640, (9, 16)),
)


def _test_image(height: int, width: int) -> np.ndarray:
    """An image whose every pixel says where it is (row and column in its channels)."""
    rows, cols = np.mgrid[0:height, 0:width]
    return np.stack([rows % 251, cols % 251, (rows * 7 + cols * 3) % 256], -1).astype(np.uint8)


def check_centre_crop(func: Callable[[np.ndarray, tuple[int, int]], np.ndarray]) -> Feedback:
    """Check ``f(image, aspect) -> crop``: the largest centred part of ``image`` whose height
    and width are in the ratio ``aspect = (a, b)``, cut from the image (never resized)."""
    for height, width, aspect in CROP_CASES:
        case = f"{height}x{width}, aspect {aspect[0]}:{aspect[1]}"
        image = _test_image(height, width)
        top, left, h, w = ops.centre_crop_box(height, width, aspect)
        want = image[top : top + h, left : left + w]
        got, error = _call(func, image.copy(), aspect)
        if error:
            return Feedback(False, _raised(error, case))
        got = np.asarray(got)
        if got.ndim != 3 or got.shape[-1] != 3:
            return Feedback(
                False,
                _t(
                    en=f"for {case}: return the crop as an (h, w, 3) array; got shape {got.shape}.",
                    ko=f"{case}일 때: 잘라 낸 부분을 (h, w, 3) 배열로 반환하세요. 반환한 "
                    f"배열의 모양은 {got.shape}입니다.",
                ),
            )
        if got.shape[:2] != (h, w):
            hint = _t(
                en="The crop is as large as it can be: keep the whole width if the image is "
                "too tall (height = width * a // b), else the whole height (width = height "
                "* b // a). aspect is (height, width).",
                ko="잘라 낸 부분은 가능한 한 커야 합니다. 이미지가 너무 높으면 너비를 모두 "
                "유지하고(height = width * a // b), 아니면 높이를 모두 유지합니다(width = "
                "height * b // a). aspect는 (높이, 너비) 순서입니다.",
            )
            if got.shape[:2] == ops.centre_crop_box(height, width, aspect[::-1])[2:]:
                hint = _t(
                    en="Your crop has the ratio turned round: aspect = (a, b) means height : "
                    "width = a : b, so CamVid's (3, 4) is wider than tall.",
                    ko="비율이 뒤집혔습니다. aspect = (a, b)는 높이 : 너비 = a : b라는 뜻이라서 "
                    "CamVid의 (3, 4)는 높이보다 너비가 깁니다.",
                )
            return Feedback(
                False,
                _with_answer(
                    _t(
                        en=f"for {case} the crop is {h}x{w}, not {got.shape[0]}x{got.shape[1]}.",
                        ko=f"{case}일 때 잘라 낸 부분은 {got.shape[0]}x{got.shape[1]}이 아니라 "
                        f"{h}x{w}입니다.",
                    ),
                    _t(
                        en=f"for {case} the crop is not {got.shape[0]}x{got.shape[1]}.",
                        ko=f"{case}일 때 잘라 낸 영역은 {got.shape[0]}x{got.shape[1]}이(가) "
                        "아닙니다.",
                    ),
                ),
                hint,
            )
        if not np.array_equal(got, want):
            if np.array_equal(got, image[:h, :w]):
                hint = _t(
                    en="That is the top-left corner: centre the box, with top = (height - h) "
                    "// 2 and left = (width - w) // 2.",
                    ko="그것은 왼쪽 위 모서리입니다. top = (height - h) // 2, left = (width - "
                    "w) // 2로 상자를 가운데에 두세요.",
                )
            else:
                hint = _t(
                    en="Cut the pixels out with slicing, image[top:top + h, left:left + w], "
                    "with top = (height - h) // 2 and left = (width - w) // 2: no resizing, "
                    "no rounding up.",
                    ko="슬라이싱으로 픽셀을 잘라 내세요: image[top:top + h, left:left + w], "
                    "top = (height - h) // 2, left = (width - w) // 2. 크기를 바꾸거나 "
                    "올림하지 마세요.",
                )
            return Feedback(
                False,
                _with_answer(
                    _t(
                        en=f"for {case} the size {h}x{w} is right, but not the pixels: the crop "
                        f"starts at row {top}, column {left}.",
                        ko=f"{case}일 때 크기 {h}x{w}는 맞지만 픽셀이 다릅니다. 잘라 낸 부분은 "
                        f"{top}행, {left}열에서 시작합니다.",
                    ),
                    _t(
                        en=f"for {case} the size is right, but not the pixels: the crop does not "
                        "start where it should.",
                        ko=f"{case}일 때 크기는 맞지만 픽셀이 다릅니다. 잘라 낸 영역이 시작해야 "
                        "할 곳에서 시작하지 않습니다.",
                    ),
                ),
                hint,
            )
    h, w = ops.centre_crop_box(4032, 3024)[2:]
    return Feedback(
        True,
        _t(
            en=f"A portrait phone photo of 4032x3024 keeps {h}x{w}, {h * w / (4032 * 3024):.0%} "
            "of its pixels: the model sees only the middle band of a portrait.",
            ko=f"4032x3024 세로 사진은 {h}x{w}, 즉 픽셀의 {h * w / (4032 * 3024):.0%}만 "
            "남습니다. 세로 사진이라면 모델은 가운데 띠만 봅니다.",
        ),
    )


def check_class_shares(
    func: Callable[[np.ndarray, int, int | None], np.ndarray],
) -> Feedback:
    """Check ``f(ids, num_classes, ignore_index) -> shares``: each class's share of the
    labelled pixels (void left out of the count and the total), zeros when none is labelled."""
    rng = np.random.default_rng(12)
    some = rng.choice([0, 0, 0, 3, 3, 5, 11], size=(6, 9))
    cases = [
        (_t(en="a 6x9 map with void (11) pixels", ko="보이드(11) 픽셀이 있는 6x9 맵"),
         some, 11, 11),
        (
            _t(en="a 5x5 map and no void id", ko="보이드 id가 없는 5x5 맵"),
            rng.integers(0, 4, size=(5, 5)),
            4,
            None,
        ),
        (_t(en="a map of void pixels only", ko="보이드 픽셀만 있는 맵"),
         np.full((3, 4), 11), 11, 11),
    ]  # fmt: skip
    for case, ids, n, void in cases:
        want = ops.class_shares(ids, n, void)
        got, error = _call(func, ids.copy(), n, void)
        if error:
            return Feedback(False, _raised(error, case))
        try:
            got = np.asarray(got, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            got = np.array([np.nan])
        if got.shape != want.shape:
            return Feedback(
                False,
                _t(
                    en=f"for {case}: return one share per class, {n} numbers; got {got.size}.",
                    ko=f"{case}일 때: 클래스마다 비율 하나, 모두 {n}개의 수를 반환하세요. "
                    f"반환한 수는 {got.size}개입니다.",
                ),
                _t(
                    en="A class that does not occur has share 0: np.bincount(..., "
                    "minlength=num_classes) keeps it.",
                    ko="나타나지 않는 클래스의 비율은 0입니다. np.bincount(..., "
                    "minlength=num_classes)를 쓰면 그 클래스도 남습니다.",
                ),
            )
        if np.allclose(got, want, atol=1e-9):
            continue
        counted = np.bincount(ids.ravel()[ids.ravel() != (void if void is not None else -1)],
                              minlength=n)[:n]  # fmt: skip
        if np.allclose(got, counted):
            hint = _t(
                en="Those are pixel counts: divide by the number of labelled pixels.",
                ko="그것은 픽셀 수입니다. 라벨이 있는 픽셀의 수로 나누세요.",
            )
        elif not want.any():
            hint = _t(
                en="With no labelled pixel there is nothing to divide by: return zeros, not NaN.",
                ko="라벨이 있는 픽셀이 하나도 없으면 나눌 수가 없습니다. NaN이 아니라 0을 "
                "반환하세요.",
            )
        elif np.allclose(got, counted / ids.size):
            hint = _t(
                en="Your total counts the void pixels too: leave them out of the total, so "
                "that the shares sum to 1.",
                ko="합계에 보이드 픽셀까지 셌습니다. 비율의 합이 1이 되도록 합계에서 빼세요.",
            )
        else:
            hint = _t(
                en="Drop the void pixels, count each class (np.bincount with minlength), then "
                "divide by the total.",
                ko="보이드 픽셀을 빼고, 클래스마다 세고(minlength를 준 np.bincount), 합계로 "
                "나누세요.",
            )
        shown = np.array2string(want, precision=3, separator=", ")
        return Feedback(
            False,
            _with_answer(
                _t(
                    en=f"for {case} the shares are {shown}, not "
                    f"{np.array2string(got, precision=3, separator=', ')}.",
                    ko=f"{case}일 때 비율은 {np.array2string(got, precision=3, separator=', ')}이 "
                    f"아니라 {shown}입니다.",
                ),
                _t(
                    en=f"for {case} the shares are not "
                    f"{np.array2string(got, precision=3, separator=', ')}.",
                    ko=f"{case}일 때 비율은 "
                    f"{np.array2string(got, precision=3, separator=', ')}이(가) "
                    "아닙니다.",
                ),
            ),
            hint,
        )
    return Feedback(
        True,
        _t(
            en="Shares of the labelled pixels: outside the crop the photo has no label, so it "
            "counts for nothing.",
            ko="라벨이 있는 픽셀 가운데의 비율입니다. 잘라 낸 부분 바깥에는 라벨이 없으므로 "
            "세지 않습니다.",
        ),
    )
