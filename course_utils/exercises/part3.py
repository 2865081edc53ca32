"""Checkers of Part 3 (notebooks 07 to 11): FCN, SegNet, U-Net, DeepLabV3+, comparison."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils import ops
from course_utils.exercises._feedback import Feedback, _call


def check_bilinear_kernel(func: Callable[[int], np.ndarray]) -> Feedback:
    """Check ``f(factor) -> kernel``: the square kernel that makes a stride-``factor``
    transposed convolution interpolate bilinearly (FCN's initialisation)."""
    for factor in (2, 3, 4, 8):
        want = ops.bilinear_kernel(factor)
        got, error = _call(func, factor)
        if error:
            return Feedback(False, f"your function raised {error} for factor {factor}.")
        got = np.asarray(got, np.float64)
        if got.shape != want.shape:
            return Feedback(
                False,
                f"for factor {factor} your kernel is {got.shape}, want {want.shape}.",
                "The size is 2 * factor - factor % 2: each output sees two input pixels.",
            )
        if not np.allclose(got, want, atol=1e-6):
            hint = "Outer product of a 1-D tent: 1 - |i - center| / factor."
            if np.allclose(got / got.max(), want / want.max(), atol=1e-6):
                hint = "Right shape of tent, wrong scale: the centre weight is not 1 in general."
            return Feedback(False, f"for factor {factor} the values differ.", hint)
    return Feedback(
        True,
        "A tent of width 2 x factor: each output pixel blends its two nearest input pixels "
        "by distance, so the transposed convolution starts as bilinear interpolation.",
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
            return Feedback(False, f"your function raised {error} for {h}x{w}.")
        try:
            got = {k: tuple(int(v) for v in got[k]) for k in want}
        except (KeyError, TypeError, ValueError):
            return Feedback(False, f"return a dict with keys {sorted(want)}; got {got!r}.")
        for key in want:
            if got[key] != want[key]:
                return Feedback(
                    False,
                    f"for a {h}x{w} input, {key} is {want[key]}, not {got[key]}.",
                    "Each of the five poolings halves the size: pool3 is 1/8, pool4 1/16, "
                    "pool5 (and fc6, fc7, score_fr) 1/32.",
                )
    return Feedback(
        True,
        "1/32, 1/16 and 1/8: each x2 up-sampling of the scores lands exactly on the next "
        "skip's grid, which is why FCN needs sizes divisible by 32.",
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
            return Feedback(False, f"your function raised {error}.")
        if got == want:
            continue
        hint = "Row-major order over (B, H, W, C): ((b * H + y) * W + x) * C + c."
        if got == int(np.ravel_multi_index((y, x, c), shape[1:])):
            hint = "include_batch_in_index=True also counts the images before this one."
        elif got == (y * shape[2] + x):
            hint = "The channel is the fastest-changing index: multiply by C and add c."
        return Feedback(
            False, f"position {(b, y, x, c)} of a {shape} tensor is {want}, not {got!r}.", hint
        )
    return Feedback(
        True,
        "((b * H + y) * W + x) * C + c: one int64 per pooled value tells the decoder exactly "
        "where the maximum was, in which image and which channel.",
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
        return Feedback(False, f"your function raised {error}.")
    got = np.asarray(got)
    if got.shape != want.shape:
        return Feedback(
            False, f"your output is {got.shape}; want {want.shape}.", "Start from zeros of `shape`."
        )
    if np.allclose(got, want):
        return Feedback(True, "Every value back at its maximum's position, zeros elsewhere.")
    if np.allclose(got, ops.unpool(pooled, 2)):
        return Feedback(
            False,
            "you put each value at the top-left of its block.",
            "Use the indices: out.flat[indices] = pooled.",
        )
    if np.allclose(got, ops.upsample(pooled, 2)):
        return Feedback(
            False,
            "that is nearest-neighbour up-sampling.",
            "Only one pixel per block gets a value.",
        )
    return Feedback(
        False,
        "some values are not where their maxima were.",
        "out = zeros(H * W); out[indices.ravel()] = pooled.ravel().",
    )


def check_valid_unet_output(func: Callable[[int, int], int]) -> Feedback:
    """Check ``f(input_size, depth) -> output size`` of the paper's U-Net with "valid"
    convolutions (two unpadded 3x3 per level, 2x2 pooling, 2x2 up-convolution)."""
    for size, depth in [(572, 4), (508, 4), (188, 2), (140, 3)]:
        want = ops.valid_unet_output(size, depth)
        got, error = _call(func, size, depth)
        if error:
            return Feedback(False, f"your function raised {error}.")
        if got != want:
            hint = (
                "Each level loses 4 pixels (two 3x3 convolutions without padding) before "
                "pooling halves the size; the bottom loses 4; each level up doubles, then loses 4."
            )
            return Feedback(
                False, f"for {size} pixels and depth {depth}: {want}, not {got!r}.", hint
            )
    return Feedback(
        True,
        "572 -> 388, as in the paper's figure: the output is smaller than the input, which is "
        "why U-Net predicts tiles with a mirrored border of context (overlap-tile).",
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
            return Feedback(False, f"your function raised {error}.")
        if got != want:
            hint = "Windows advance by tile - 2 * margin (only their centre is kept); round up."
            if got == -(-h // tile) * -(-w // tile):
                hint = "Only the centre tile - 2 * margin of each window counts: step by that."
            return Feedback(
                False, f"{h}x{w}, tile {tile}, margin {margin}: {want} windows, not {got!r}.", hint
            )
    return Feedback(
        True,
        "ceil(H / step) x ceil(W / step) with step = tile - 2 * margin: context costs extra "
        "windows, about (tile / step)^2 times the pixels of a seamless cut.",
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
            return Feedback(False, f"your function raised {error}.")
        if got is None or not np.isclose(float(got), want, atol=1e-6):
            hint = (
                "Count per axis: for position i, taps i - rate, i, i + rate; inside if "
                "0 <= tap < n. The 2-D fraction is the product of the two axes' fractions."
            )
            return Feedback(False, f"for {h}x{w} and rate {rate}: {want:.4f}, not {got!r}.", hint)
    return Feedback(
        True,
        f"On a 12x16 map, rate 18 keeps {ops.taps_inside_fraction(12, 16, 18):.0%} of the taps: "
        "almost only the centre one, a 1x1 convolution. Rates must suit the feature map.",
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
            return Feedback(False, f"your function raised {error}.")
        try:
            got = [tuple(int(v) for v in pair) for pair in got]
        except (TypeError, ValueError):
            return Feedback(False, f"return a list of (stride, dilation) pairs; got {got!r}.")
        if got != want:
            hint = (
                "Walk the layers keeping the product of strides so far; a stride-2 layer that "
                "would pass the output stride becomes stride 1, and from then on every layer's "
                "dilation is multiplied by 2 (so its receptive field still grows)."
            )
            return Feedback(
                False, f"for strides {strides} and output stride {os_}: {want}, not {got}.", hint
            )
    return Feedback(
        True,
        "Each removed stride-2 doubles the dilation of everything after it: the same receptive "
        "field as the classifier, on a map 2x (or 4x) larger.",
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
            return Feedback(False, f"your function raised {error}.")
        if got is None or not np.isclose(float(got), want, atol=1e-6):
            pearson = float(np.corrcoef(x, y)[0, 1])
            hint = "Correlate the ranks, not the values (scipy.stats.rankdata gives tied values their mean rank)."  # noqa: E501
            if got is not None and np.isclose(float(got), pearson, atol=1e-6):
                hint = "That is Pearson's correlation of the values; Spearman's uses their ranks."
            return Feedback(
                False, f"for x={np.round(x, 2).tolist()}: {want:.4f}, not {got!r}.", hint
            )
    return Feedback(
        True,
        "Pearson's correlation of the ranks: it asks whether IoU rises with pixel frequency at "
        "all, not whether it rises linearly.",
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
        return Feedback(False, f"your function raised {error}.")
    got = set(got or ())
    if got == want:
        return Feedback(
            True,
            f"{sorted(want)}: every other model is beaten by one of these on both time and "
            "accuracy. Choosing among the front is a question of budget, not of quality.",
        )
    return Feedback(
        False,
        f"you return {sorted(got)}; the front is {sorted(want)}.",
        "A model is off the front if another is at least as fast and at least as accurate, "
        "and strictly better on one of the two.",
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
        return "The term is added on membrane pixels only (mask == 0); inside a cell it is 0."
    if np.allclose(got, 0):
        return (
            "Compute d1 and d2 for every membrane pixel: one distance map per cell, then the "
            "smallest and the second smallest over cells."
        )
    if got.min() < -1e-6 or got.max() > w0 + 1e-3:
        return "exp of a negative number lies in (0, 1]: the term lies between 0 and w0."
    membrane = (mask == 0) & (want > 1e-9) & (got > 1e-12)
    s_want = np.sqrt(-2 * sigma**2 * np.log(want[membrane] / w0))  # d1 + d2, from the term
    s_got = np.sqrt(-2 * sigma**2 * np.log(np.minimum(got[membrane] / w0, 1.0)))
    if np.allclose(s_got, s_want * np.sqrt(2), atol=1e-2):
        return "Divide the squared distance by 2 * sigma**2, not sigma**2."
    if (s_got <= s_want + 1e-3).all():
        return (
            "Your d1 + d2 comes out too small somewhere: d2 is the distance to the "
            "second-nearest *cell* (another cell than the nearest), and the exponent squares "
            "the sum, (d1 + d2)**2."
        )
    if (s_got >= s_want - 1e-3).all():
        return (
            "Your d1 + d2 comes out too large somewhere: measure to the nearest pixel of each "
            "cell (distance_transform_edt(cells != k)), not to its centre."
        )
    return (
        "For each cell k, distance_transform_edt(cells != k); stack the maps and sort along "
        "the cell axis: d1 and d2 are the first two."
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
        where = f"{mask.shape[0]}x{mask.shape[1]} mask, w0={w0:g}, sigma={sigma:g}"
        # With w_c fixed at 1, border_weight_map is 1 + the border term.
        want = border_weight_map(mask, w0=w0, sigma=sigma, class_weights=(1.0, 1.0)) - 1.0
        got, error = _call(func, mask.copy(), w0, sigma)
        if error:
            hint = (
                "With fewer than two cells there is no second-nearest cell: return zeros."
                if want.max() == 0
                else None
            )
            return Feedback(False, f"{where}: your function raised {error}.", hint)
        got = np.asarray(got, dtype=float)
        if got.shape != mask.shape:
            return Feedback(
                False,
                f"{where}: shape {got.shape}, not {mask.shape}.",
                "Return one value per pixel of the mask.",
            )
        if np.allclose(got, want, atol=1e-3):
            continue
        r, c = np.unravel_index(np.argmax(np.abs(got - want)), mask.shape)
        message = (
            f"{where}: at pixel ({r}, {c}) the term is {want[r, c]:.4f}, yours {got[r, c]:.4f}."
        )
        if want.max() == 0:
            hint = "This mask has one cell: no gap between two cells, so the term is 0 everywhere."
            return Feedback(False, message, hint)
        return Feedback(False, message, _border_hint(got, want, mask, w0, sigma))
    return Feedback(
        True,
        "w0 * exp(-(d1 + d2)**2 / (2 sigma**2)) on membrane pixels: large only where two cells "
        "nearly touch.",
    )
