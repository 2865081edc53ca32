"""Checkers of Part 3 (notebooks 07 to 11): FCN, SegNet, U-Net, DeepLabV3+, comparison."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils import ops
from course_utils.exercises._answers import _with_answer
from course_utils.exercises._feedback import Feedback, _call, _raised
from course_utils.exercises._lang import _t


def check_bilinear_kernel(func: Callable[[int], np.ndarray]) -> Feedback:
    """Check ``f(factor) -> kernel``: the square kernel that makes a stride-``factor``
    transposed convolution interpolate bilinearly (FCN's initialisation)."""
    for factor in (2, 3, 4, 8):
        want = ops.bilinear_kernel(factor)
        got, error = _call(func, factor)
        if error:
            return Feedback(False, _raised(error, f"factor {factor}"))
        got = np.asarray(got, np.float64)
        if got.shape != want.shape:
            return Feedback(
                False,
                _with_answer(
                    _t(
                        en=f"for factor {factor} your kernel is {got.shape}, want {want.shape}.",
                        ko=f"factor {factor}일 때 커널이 {got.shape}입니다. {want.shape}이어야 "
                        "합니다.",
                    ),
                    _t(
                        en=f"for factor {factor} your kernel is {got.shape}, which is not the "
                        "right size.",
                        ko=f"factor {factor}일 때 커널이 {got.shape}인데, 크기가 맞지 않습니다.",
                    ),
                ),
                _t(
                    en="The size is 2 * factor - factor % 2: each output sees two input pixels.",
                    ko="크기는 2 * factor - factor % 2입니다. 출력 픽셀마다 입력 픽셀 두 개를 "
                    "봅니다.",
                ),
            )
        if not np.allclose(got, want, atol=1e-6):
            hint = _t(
                en="Outer product of a 1-D tent: 1 - |i - center| / factor.",
                ko="1차원 텐트 함수의 외적입니다: 1 - |i - center| / factor.",
            )
            if np.allclose(got / got.max(), want / want.max(), atol=1e-6):
                hint = _t(
                    en="Right shape of tent, wrong scale: the centre weight is not 1 in general.",
                    ko="텐트의 모양은 맞지만 배율이 틀렸습니다. 가운데 가중치는 일반적으로 1이 "
                    "아닙니다.",
                )
            message = _t(
                en=f"for factor {factor} the values differ.",
                ko=f"factor {factor}일 때 값이 다릅니다.",
            )
            return Feedback(False, message, hint)
    return Feedback(
        True,
        _t(
            en="A tent of width 2 x factor: each output pixel blends its two nearest input "
            "pixels by distance, so the transposed convolution starts as bilinear interpolation.",
            ko="폭이 2 x factor인 텐트입니다. 출력 픽셀마다 가장 가까운 입력 픽셀 두 개를 거리에 "
            "따라 섞으므로, 전치 합성곱이 이중선형 보간으로 시작합니다.",
        ),
    )


def check_fcn_score_sizes(func: Callable[[int, int], dict[str, tuple[int, int]]]) -> Feedback:
    """Check ``f(h, w) -> {"score_fr": (h, w), "score_pool4": ..., "score_pool3": ...}``."""
    for h, w in ((192, 256), (352, 480), (64, 96)):
        want = {
            "score_fr": (h // 32, w // 32),
            "score_pool4": (h // 16, w // 16),
            "score_pool3": (h // 8, w // 8),
        }
        got, error = _call(func, h, w)
        if error:
            return Feedback(False, _raised(error, f"{h}x{w}"))
        try:
            got = {k: tuple(int(v) for v in got[k]) for k in want}
        except (KeyError, TypeError, ValueError):
            message = _t(
                en=f"return a dict with keys {sorted(want)}; got {got!r}.",
                ko=f"키가 {sorted(want)}인 dict를 반환하세요. 반환한 값은 {got!r}입니다.",
            )
            return Feedback(False, message)
        for key in want:
            if got[key] != want[key]:
                return Feedback(
                    False,
                    _with_answer(
                        _t(
                            en=f"for a {h}x{w} input, {key} is {want[key]}, not {got[key]}.",
                            ko=f"{h}x{w} 입력에서 {key}는 {got[key]}이(가) 아니라 "
                            f"{want[key]}입니다.",
                        ),
                        _t(
                            en=f"for a {h}x{w} input, {key} is not {got[key]}.",
                            ko=f"{h}x{w} 입력에서 {key}는 {got[key]}이(가) 아닙니다.",
                        ),
                    ),
                    _t(
                        en="Each of the five poolings halves the size: pool3 is 1/8, pool4 "
                        "1/16, pool5 (and fc6, fc7, score_fr) 1/32.",
                        ko="풀링 다섯 번이 저마다 크기를 절반으로 줄입니다: pool3은 1/8, pool4는 "
                        "1/16, pool5(그리고 fc6, fc7, score_fr)는 1/32입니다.",
                    ),
                )
    return Feedback(
        True,
        _t(
            en="1/32, 1/16 and 1/8: each x2 up-sampling of the scores lands exactly on the next "
            "skip's grid, which is why FCN needs sizes divisible by 32.",
            ko="1/32, 1/16, 1/8입니다. 점수를 x2 업샘플링할 때마다 다음 스킵의 격자에 정확히 "
            "맞아떨어집니다. 그래서 FCN에는 32로 나누어떨어지는 크기가 필요합니다.",
        ),
    )


def check_argmax_index(
    func: Callable[[int, int, int, int, tuple[int, int, int, int]], int],
) -> Feedback:
    """Check ``f(b, y, x, c, shape) -> flat index`` as ``tf.nn.max_pool_with_argmax`` with
    ``include_batch_in_index=True`` numbers positions of a ``(B, H, W, C)`` tensor."""
    shape = (3, 5, 7, 4)
    for b, y, x, c in [
        (0, 0, 0, 0),
        (0, 0, 1, 0),
        (0, 1, 0, 0),
        (0, 0, 0, 1),
        (2, 4, 6, 3),
        (1, 2, 3, 2),
    ]:
        want = int(np.ravel_multi_index((b, y, x, c), shape))
        got, error = _call(func, b, y, x, c, shape)
        if error:
            return Feedback(False, _raised(error))
        if got == want:
            continue
        hint = _t(
            en="Row-major order over (B, H, W, C): ((b * H + y) * W + x) * C + c.",
            ko="(B, H, W, C)에 대한 행 우선 순서입니다: ((b * H + y) * W + x) * C + c.",
        )
        if got == int(np.ravel_multi_index((y, x, c), shape[1:])):
            hint = _t(
                en="include_batch_in_index=True also counts the images before this one.",
                ko="include_batch_in_index=True이면 이 이미지 앞에 있는 이미지들도 셉니다.",
            )
        elif got == (y * shape[2] + x):
            hint = _t(
                en="The channel is the fastest-changing index: multiply by C and add c.",
                ko="채널이 가장 빨리 바뀌는 인덱스입니다. C를 곱하고 c를 더하세요.",
            )
        position = (b, y, x, c)
        message = _with_answer(
            _t(
                en=f"position {position} of a {shape} tensor is {want}, not {got!r}.",
                ko=f"{shape} 텐서의 위치 {position}는 {got!r}이(가) 아니라 {want}입니다.",
            ),
            _t(
                en=f"position {position} of a {shape} tensor is not {got!r}.",
                ko=f"{shape} 텐서의 위치 {position}는 {got!r}이(가) 아닙니다.",
            ),
        )
        return Feedback(False, message, hint)
    return Feedback(
        True,
        _t(
            en="((b * H + y) * W + x) * C + c: one int64 per pooled value tells the decoder "
            "exactly where the maximum was, in which image and which channel.",
            ko="((b * H + y) * W + x) * C + c입니다. 풀링한 값마다 int64 하나로, 최댓값이 어느 "
            "이미지의 어느 채널 어디에 있었는지 디코더에 정확히 알려 줍니다.",
        ),
    )


def check_max_unpool(
    func: Callable[[np.ndarray, np.ndarray, tuple[int, int]], np.ndarray],
) -> Feedback:
    """Check ``f(pooled, indices, shape) -> unpooled`` for one channel (flat ``y * W + x``)."""
    rng = np.random.default_rng(7)
    image = rng.normal(size=(6, 8)).astype(np.float32)
    pooled, indices = ops.max_pool_with_indices(image)
    want = ops.max_unpool(pooled, indices, image.shape)
    got, error = _call(func, pooled.copy(), indices.copy(), image.shape)
    if error:
        return Feedback(False, _raised(error))
    got = np.asarray(got)
    if got.shape != want.shape:
        return Feedback(
            False,
            _t(
                en=f"your output is {got.shape}; want {want.shape}.",
                ko=f"출력이 {got.shape}입니다. {want.shape}이어야 합니다.",
            ),
            _t(en="Start from zeros of `shape`.", ko="`shape` 크기의 0 배열에서 시작하세요."),
        )
    if np.allclose(got, want):
        return Feedback(
            True,
            _t(
                en="Every value back at its maximum's position, zeros elsewhere.",
                ko="모든 값이 최댓값이 있던 자리로 돌아갔고, 나머지는 0입니다.",
            ),
        )
    if np.allclose(got, ops.unpool(pooled, 2)):
        return Feedback(
            False,
            _t(
                en="you put each value at the top-left of its block.",
                ko="값을 모두 블록의 왼쪽 위에 놓았습니다.",
            ),
            _t(
                en="Use the indices: each says where, in the flattened map, its value goes.",
                ko="인덱스를 쓰세요: 각 인덱스는 평탄화한 맵에서 그 값이 갈 자리를 말합니다.",
            ),
        )
    if np.allclose(got, ops.upsample(pooled, 2)):
        return Feedback(
            False,
            _t(
                en="that is nearest-neighbour up-sampling.",
                ko="그것은 최근접 이웃 업샘플링입니다.",
            ),
            _t(
                en="Only one pixel per block gets a value.",
                ko="블록마다 한 픽셀만 값을 받습니다.",
            ),
        )
    return Feedback(
        False,
        _t(
            en="some values are not where their maxima were.",
            ko="일부 값이 최댓값이 있던 자리에 있지 않습니다.",
        ),
        _t(
            en="Start from a flat array of zeros, one per pixel of `shape`: each index says "
            "which of them receives the pooled value beside it.",
            ko="`shape`의 픽셀마다 0이 하나씩 있는 평탄한 배열에서 시작하세요. 각 인덱스는 "
            "그 옆의 풀링된 값을 받을 자리를 알려 줍니다.",
        ),
    )


def check_valid_unet_output(func: Callable[[int, int], int]) -> Feedback:
    """Check ``f(input_size, depth) -> output size`` of the paper's U-Net with "valid"
    convolutions (two unpadded 3x3 per level, 2x2 pooling, 2x2 up-convolution)."""
    for size, depth in [(572, 4), (508, 4), (188, 2), (140, 3)]:
        want = ops.valid_unet_output(size, depth)
        got, error = _call(func, size, depth)
        if error:
            return Feedback(False, _raised(error))
        if got != want:
            hint = _t(
                en="Each level loses 4 pixels (two 3x3 convolutions without padding) before "
                "pooling halves the size; the bottom loses 4; each level up doubles, then "
                "loses 4.",
                ko="각 단계는 풀링이 크기를 절반으로 줄이기 전에 4픽셀을 잃습니다(패딩 없는 3x3 "
                "합성곱 두 개). 맨 아래 단계도 4픽셀을 잃고, 올라가는 단계마다 크기가 두 배가 된 "
                "뒤 4픽셀을 잃습니다.",
            )
            message = _with_answer(
                _t(
                    en=f"for {size} pixels and depth {depth}: {want}, not {got!r}.",
                    ko=f"{size}픽셀, depth {depth}일 때 {got!r}이(가) 아니라 {want}입니다.",
                ),
                _t(
                    en=f"for {size} pixels and depth {depth}: not {got!r}.",
                    ko=f"{size}픽셀, depth {depth}일 때 {got!r}이(가) 아닙니다.",
                ),
            )
            return Feedback(False, message, hint)
    return Feedback(
        True,
        _t(
            en="572 -> 388, as in the paper's figure: the output is smaller than the input, "
            "which is why U-Net predicts tiles with a mirrored border of context (overlap-tile).",
            ko="논문의 그림처럼 572 -> 388입니다. 출력이 입력보다 작아서 U-Net은 거울 반사로 "
            "채운 맥락 테두리를 붙인 타일로 예측합니다(겹침 타일 전략).",
        ),
    )


def check_tile_count(func: Callable[[int, int, int, int], int]) -> Feedback:
    """Check ``f(h, w, tile, margin) -> number of windows`` of ``models.predict_tiled``."""
    for h, w, tile, margin in [
        (512, 512, 256, 32),
        (512, 512, 256, 0),
        (360, 480, 128, 16),
        (100, 300, 64, 8),
    ]:
        step = tile - 2 * margin
        want = -(-h // step) * -(-w // step)
        got, error = _call(func, h, w, tile, margin)
        if error:
            return Feedback(False, _raised(error))
        if got != want:
            hint = _t(
                en="Windows advance by tile - 2 * margin (only their centre is kept); round up.",
                ko="창은 tile - 2 * margin씩 나아갑니다(가운데만 남기므로). 올림하세요.",
            )
            if got == -(-h // tile) * -(-w // tile):
                hint = _t(
                    en="Only the centre tile - 2 * margin of each window counts: step by that.",
                    ko="창마다 가운데 tile - 2 * margin만 쓰입니다. 그만큼씩 나아가세요.",
                )
            message = _with_answer(
                _t(
                    en=f"{h}x{w}, tile {tile}, margin {margin}: {want} windows, not {got!r}.",
                    ko=f"{h}x{w}, tile {tile}, margin {margin}일 때 창은 {got!r}개가 아니라 "
                    f"{want}개입니다.",
                ),
                _t(
                    en=f"{h}x{w}, tile {tile}, margin {margin}: not {got!r} windows.",
                    ko=f"{h}x{w}, tile {tile}, margin {margin}일 때 창은 {got!r}개가 아닙니다.",
                ),
            )
            return Feedback(False, message, hint)
    return Feedback(
        True,
        _t(
            en="ceil(H / step) x ceil(W / step) with step = tile - 2 * margin: context costs "
            "extra windows, about (tile / step)^2 times the pixels of a seamless cut.",
            ko="step = tile - 2 * margin일 때 ceil(H / step) x ceil(W / step)입니다. 맥락을 "
            "주는 대가로 창이 늘어나, 이음매 없이 자를 때보다 약 (tile / step)^2배의 픽셀을 "
            "계산합니다.",
        ),
    )


def check_taps_inside(func: Callable[[int, int, int], float]) -> Feedback:
    """Check ``f(h, w, rate) -> mean fraction of a 3x3 kernel's taps (dilated by rate) that
    fall inside an ``h x w`` map``, over all positions ("same" padding)."""
    for h, w, rate in [
        (12, 16, 1),
        (12, 16, 6),
        (12, 16, 12),
        (12, 16, 18),
        (24, 32, 12),
        (5, 5, 2),
    ]:
        want = ops.taps_inside_fraction(h, w, rate)
        got, error = _call(func, h, w, rate)
        if error:
            return Feedback(False, _raised(error))
        if got is None or not np.isclose(float(got), want, atol=1e-6):
            hint = _t(
                en="Count per axis: for position i, taps i - rate, i, i + rate; inside if "
                "0 <= tap < n. The 2-D fraction is the product of the two axes' fractions.",
                ko="축마다 세세요. 위치 i의 탭은 i - rate, i, i + rate이고, 0 <= tap < n이면 "
                "안쪽입니다. 2차원 비율은 두 축의 비율의 곱입니다.",
            )
            message = _with_answer(
                _t(
                    en=f"for {h}x{w} and rate {rate}: {want:.4f}, not {got!r}.",
                    ko=f"{h}x{w}, rate {rate}일 때 {got!r}이(가) 아니라 {want:.4f}입니다.",
                ),
                _t(
                    en=f"for {h}x{w} and rate {rate}: not {got!r}.",
                    ko=f"{h}x{w}, rate {rate}일 때 {got!r}이(가) 아닙니다.",
                ),
            )
            return Feedback(False, message, hint)
    kept = ops.taps_inside_fraction(12, 16, 18)
    return Feedback(
        True,
        _t(
            en=f"On a 12x16 map, rate 18 keeps {kept:.0%} of the taps: almost only the centre "
            "one, a 1x1 convolution. Rates must suit the feature map.",
            ko=f"12x16 맵에서 rate 18은 탭의 {kept:.0%}만 남깁니다. 거의 가운데 탭 하나뿐이라 "
            "1x1 합성곱과 같습니다. 팽창 비율은 특성 맵의 크기에 맞춰야 합니다.",
        ),
    )


def check_atrous_conversion(func: Callable[[list[int], int], list[tuple[int, int]]]) -> Feedback:
    """Check ``f(strides, output_stride) -> [(stride, dilation), ...]``: keep strides until
    the output stride is reached, then stride 1 and double the dilation of later layers."""
    cases = [
        ([2, 2, 2, 2, 1], 16),
        ([2, 2, 2, 2, 1], 8),
        ([2, 1, 2, 2, 2, 1], 8),
        ([2, 2, 2, 2, 2], 32),
    ]
    for strides, os_ in cases:
        want = ops.atrous_strides(strides, os_)
        got, error = _call(func, list(strides), os_)
        if error:
            return Feedback(False, _raised(error))
        try:
            got = [tuple(int(v) for v in pair) for pair in got]
        except (TypeError, ValueError):
            message = _t(
                en=f"return a list of (stride, dilation) pairs; got {got!r}.",
                ko=f"(stride, dilation) 쌍의 리스트를 반환하세요. 반환한 값은 {got!r}입니다.",
            )
            return Feedback(False, message)
        if got != want:
            hint = _t(
                en="Walk the layers keeping the product of strides so far; a stride-2 layer "
                "that would pass the output stride becomes stride 1, and from then on every "
                "layer's dilation is multiplied by 2 (so its receptive field still grows).",
                ko="지금까지의 스트라이드 곱을 기억하며 층을 차례로 보세요. 출력 스트라이드를 "
                "넘게 만드는 스트라이드 2 층은 스트라이드 1이 되고, 그때부터 모든 층의 팽창이 "
                "2배가 됩니다(그래서 수용장은 계속 커집니다).",
            )
            message = _with_answer(
                _t(
                    en=f"for strides {strides} and output stride {os_}: {want}, not {got}.",
                    ko=f"strides {strides}, 출력 스트라이드 {os_}일 때 {got}이(가) 아니라 "
                    f"{want}입니다.",
                ),
                _t(
                    en=f"for strides {strides} and output stride {os_}: not {got}.",
                    ko=f"strides {strides}, output stride {os_}일 때 {got}이(가) 아닙니다.",
                ),
            )
            return Feedback(False, message, hint)
    return Feedback(
        True,
        _t(
            en="Each removed stride-2 doubles the dilation of everything after it: the same "
            "receptive field as the classifier, on a map 2x (or 4x) larger.",
            ko="스트라이드 2를 하나 없앨 때마다 그 뒤 모든 층의 팽창이 두 배가 됩니다. 분류기와 "
            "같은 수용장을 2배(또는 4배) 큰 맵에서 얻습니다.",
        ),
    )


def check_rank_correlation(func: Callable[[np.ndarray, np.ndarray], float]) -> Feedback:
    """Check ``f(x, y) -> Spearman's rank correlation`` (ties get their average rank)."""
    from scipy.stats import spearmanr

    rng = np.random.default_rng(11)
    cases = [
        (np.array([1.0, 2, 3, 4]), np.array([10.0, 20, 30, 40])),
        (np.array([1.0, 2, 3, 4]), np.array([4.0, 3, 2, 1])),
        (rng.random(11), rng.random(11)),
        (np.array([0.3, 0.1, 0.1, 0.5, 0.2]), np.array([0.9, 0.0, 0.0, 0.7, 0.0])),  # ties
    ]
    for x, y in cases:
        want = float(spearmanr(x, y).statistic)
        got, error = _call(func, x.copy(), y.copy())
        if error:
            return Feedback(False, _raised(error))
        if got is None or not np.isclose(float(got), want, atol=1e-6):
            pearson = float(np.corrcoef(x, y)[0, 1])
            hint = _t(
                en="Correlate the ranks, not the values (scipy.stats.rankdata gives tied values "
                "their mean rank).",
                ko="값이 아니라 순위의 상관을 구하세요(scipy.stats.rankdata는 같은 값들에 평균 "
                "순위를 줍니다).",
            )
            if got is not None and np.isclose(float(got), pearson, atol=1e-6):
                hint = _t(
                    en="That is Pearson's correlation of the values; Spearman's uses their ranks.",
                    ko="그것은 값의 피어슨 상관입니다. 스피어먼 상관은 순위를 씁니다.",
                )
            xs = np.round(x, 2).tolist()
            message = _with_answer(
                _t(
                    en=f"for x={xs}: {want:.4f}, not {got!r}.",
                    ko=f"x={xs}일 때 {got!r}이(가) 아니라 {want:.4f}입니다.",
                ),
                _t(en=f"for x={xs}: not {got!r}.", ko=f"x={xs}일 때 {got!r}이(가) 아닙니다."),
            )
            return Feedback(False, message, hint)
    return Feedback(
        True,
        _t(
            en="Pearson's correlation of the ranks: it asks whether IoU rises with pixel "
            "frequency at all, not whether it rises linearly.",
            ko="순위의 피어슨 상관입니다. IoU가 픽셀 빈도에 따라 선형으로 커지는지가 아니라, "
            "어떤 식으로든 커지는지를 묻습니다.",
        ),
    )


def check_pareto_front(func: Callable[[dict[str, tuple[float, float]]], set[str]]) -> Feedback:
    """Check ``f({name: (cost, miou)}) -> names no other model beats on both counts`` (cost:
    minutes of training or milliseconds per image, lower is better)."""
    points = {
        "a": (2.0, 0.30),
        "b": (5.0, 0.42),
        "c": (6.0, 0.40),  # slower and worse than b
        "d": (9.0, 0.47),
        "e": (2.5, 0.29),  # slower and worse than a
        "f": (9.0, 0.45),  # as slow as d and worse
    }

    def dominated(n: str) -> bool:
        t, m = points[n]
        return any(
            (t2 <= t and m2 >= m) and (t2 < t or m2 > m) for k, (t2, m2) in points.items() if k != n
        )

    want = {n for n in points if not dominated(n)}
    got, error = _call(func, dict(points))
    if error:
        return Feedback(False, _raised(error))
    got = set(got or ())
    if got == want:
        return Feedback(
            True,
            _t(
                en=f"{sorted(want)}: every other model is beaten by one of these on both time "
                "and accuracy. Choosing among the front is a question of budget, not of quality.",
                ko=f"{sorted(want)}입니다. 다른 모델은 모두 이 가운데 하나에 시간과 정확도 "
                "양쪽에서 집니다. 프런트 안에서 고르는 것은 품질이 아니라 예산의 문제입니다.",
            ),
        )
    return Feedback(
        False,
        _with_answer(
            _t(
                en=f"you return {sorted(got)}; the front is {sorted(want)}.",
                ko=f"{sorted(got)}을(를) 반환했지만, 파레토 프런트는 {sorted(want)}입니다.",
            ),
            _t(
                en=f"you return {sorted(got)}, which is not the front.",
                ko=f"{sorted(got)}을(를) 반환했지만, 그것은 파레토 프런트가 아닙니다.",
            ),
        ),
        _t(
            en="A model is off the front if another is at least as fast and at least as "
            "accurate, and strictly better on one of the two.",
            ko="다른 모델이 적어도 그만큼 빠르고 적어도 그만큼 정확하면서 둘 중 하나에서는 "
            "확실히 더 나으면, 그 모델은 프런트에서 빠집니다.",
        ),
    )


#: Exercise 3 of notebook 09's small mask (1 = cell, 0 = membrane): cells that touch across
#: one-pixel membranes, a wide membrane patch, and a cell at the border.
_BORDER_MASK = np.array(
    [
        [1, 1, 0, 1, 1, 1, 0, 0, 1],
        [1, 1, 0, 1, 1, 1, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0, 0, 1],
        [1, 1, 1, 0, 0, 1, 1, 0, 1],
        [1, 1, 1, 0, 0, 1, 1, 0, 1],
        [1, 1, 1, 0, 0, 1, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0],
    ],
    np.uint8,
)


def _border_hint(
    got: np.ndarray, want: np.ndarray, mask: np.ndarray, w0: float, sigma: float
) -> str:
    """The likeliest mistake behind a wrong border term (``want`` has two cells or more)."""
    if not np.allclose(got[mask == 1], 0, atol=1e-3):
        return _t(
            en="The term is added on membrane pixels only (mask == 0); inside a cell it is 0.",
            ko="이 항은 세포막 픽셀(mask == 0)에만 더합니다. 세포 안에서는 0입니다.",
        )
    if np.allclose(got, 0):
        return _t(
            en="Compute d1 and d2 for every membrane pixel: one distance map per cell, then the "
            "smallest and the second smallest over cells.",
            ko="세포막 픽셀마다 d1과 d2를 계산하세요. 세포마다 거리 맵을 하나씩 만들고, 세포들 "
            "가운데 가장 작은 값과 두 번째로 작은 값을 고릅니다.",
        )
    if got.min() < -1e-6 or got.max() > w0 + 1e-3:
        return _t(
            en="exp of a negative number lies in (0, 1]: the term lies between 0 and w0.",
            ko="음수의 exp는 (0, 1]에 있습니다. 따라서 이 항은 0과 w0 사이에 있습니다.",
        )
    membrane = (mask == 0) & (want > 1e-9) & (got > 1e-12)
    s_want = np.sqrt(-2 * sigma**2 * np.log(want[membrane] / w0))  # d1 + d2, from the term
    s_got = np.sqrt(-2 * sigma**2 * np.log(np.minimum(got[membrane] / w0, 1.0)))
    if np.allclose(s_got, s_want * np.sqrt(2), atol=1e-2):
        return _t(
            en="Divide the squared distance by 2 * sigma**2, not sigma**2.",
            ko="거리의 제곱을 sigma**2가 아니라 2 * sigma**2로 나누세요.",
        )
    if (s_got <= s_want + 1e-3).all():
        return _t(
            en="Your d1 + d2 comes out too small somewhere: d2 is the distance to the "
            "second-nearest *cell* (another cell than the nearest), and the exponent squares "
            "the sum, (d1 + d2)**2.",
            ko="어딘가에서 d1 + d2가 너무 작게 나옵니다. d2는 두 번째로 가까운 *세포*(가장 "
            "가까운 세포가 아닌 다른 세포)까지의 거리이고, 지수에서는 합을 제곱합니다: "
            "(d1 + d2)**2.",
        )
    if (s_got >= s_want - 1e-3).all():
        return _t(
            en="Your d1 + d2 comes out too large somewhere: measure to the nearest pixel of "
            "each cell (distance_transform_edt(cells != k)), not to its centre.",
            ko="어딘가에서 d1 + d2가 너무 크게 나옵니다. 세포의 중심이 아니라 세포마다 가장 "
            "가까운 픽셀까지 재세요(distance_transform_edt(cells != k)).",
        )
    return _t(
        en="For each cell k, distance_transform_edt(cells != k); stack the maps and sort along "
        "the cell axis: d1 and d2 are the first two.",
        ko="세포 k마다 distance_transform_edt(cells != k)를 구하세요. 맵들을 쌓아 세포 축을 "
        "따라 정렬하면 앞의 두 값이 d1과 d2입니다.",
    )


def check_border_term(func: Callable[[np.ndarray, float, float], np.ndarray]) -> Feedback:
    """Check ``f(mask, w0, sigma) -> the border term of U-Net's weight map`` (eq. 2).

    The term is ``w0 * exp(-(d1 + d2)**2 / (2 sigma**2))`` on membrane pixels (0 inside
    cells, and 0 everywhere with fewer than two cells); it is compared with
    ``data.border_weight_map`` at class weights of 1 on a few tiny masks.
    """
    from course_utils.data import border_weight_map

    one_cell = np.zeros((5, 6), np.uint8)
    one_cell[1:4, 1:4] = 1
    cases = [
        (_BORDER_MASK, 10.0, 5.0),
        (_BORDER_MASK, 10.0, 2.0),
        (_BORDER_MASK.T.copy(), 4.0, 3.0),
        (one_cell, 10.0, 5.0),
    ]
    for mask, w0, sigma in cases:
        rows, cols = mask.shape
        where = _t(
            en=f"{rows}x{cols} mask, w0={w0:g}, sigma={sigma:g}",
            ko=f"{rows}x{cols} 마스크, w0={w0:g}, sigma={sigma:g}",
        )
        # With w_c fixed at 1, border_weight_map is 1 + the border term.
        want = border_weight_map(mask, w0=w0, sigma=sigma, class_weights=(1.0, 1.0)) - 1.0
        got, error = _call(func, mask.copy(), w0, sigma)
        if error:
            hint: str | None = None
            if want.max() == 0:
                hint = _t(
                    en="With fewer than two cells there is no second-nearest cell: return zeros.",
                    ko="세포가 둘보다 적으면 두 번째로 가까운 세포가 없습니다. 0을 반환하세요.",
                )
            message = _t(
                en=f"{where}: your function raised {error}.",
                ko=f"{where}: 함수에서 예외가 발생했습니다({error}).",
            )
            return Feedback(False, message, hint)
        got = np.asarray(got, dtype=float)
        if got.shape != mask.shape:
            return Feedback(
                False,
                _t(
                    en=f"{where}: shape {got.shape}, not {mask.shape}.",
                    ko=f"{where}: 모양이 {got.shape}입니다. {mask.shape}이어야 합니다.",
                ),
                _t(
                    en="Return one value per pixel of the mask.",
                    ko="마스크의 픽셀마다 값을 하나씩 반환하세요.",
                ),
            )
        if np.allclose(got, want, atol=1e-3):
            continue
        r, c = np.unravel_index(np.argmax(np.abs(got - want)), mask.shape)
        term, yours = want[r, c], got[r, c]
        message = _with_answer(
            _t(
                en=f"{where}: at pixel ({r}, {c}) the term is {term:.4f}, yours {yours:.4f}.",
                ko=f"{where}: 픽셀 ({r}, {c})에서 항의 값은 {term:.4f}인데, 여러분의 값은 "
                f"{yours:.4f}입니다.",
            ),
            _t(
                en=f"{where}: at pixel ({r}, {c}) your term, {yours:.4f}, is not right.",
                ko=f"{where}: 픽셀 ({r}, {c})에서 여러분의 항의 값 {yours:.4f}이(가) 맞지 "
                "않습니다.",
            ),
        )
        if want.max() == 0:
            hint = _t(
                en="This mask has one cell: no gap between two cells, so the term is 0 everywhere.",
                ko="이 마스크에는 세포가 하나뿐입니다. 두 세포 사이의 틈이 없으므로 항은 어디서나 "
                "0입니다.",
            )
            return Feedback(False, message, hint)
        return Feedback(False, message, _border_hint(got, want, mask, w0, sigma))
    return Feedback(
        True,
        _t(
            en="w0 * exp(-(d1 + d2)**2 / (2 sigma**2)) on membrane pixels: large only where two "
            "cells nearly touch.",
            ko="세포막 픽셀에서 w0 * exp(-(d1 + d2)**2 / (2 sigma**2))입니다. 두 세포가 거의 "
            "맞닿은 곳에서만 큽니다.",
        ),
    )
