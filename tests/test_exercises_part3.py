"""Checkers of Part 3 (``course_utils/exercises/part3.py``): each with a right answer (where
one exists, computed by Keras or TensorFlow themselves) and the wrong answers its hints
name."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course_utils import exercises, ops


def test_bilinear_kernel_checker():
    def right(factor):
        size = 2 * factor - factor % 2
        center = (size - 1) / 2
        tent = 1 - np.abs(np.arange(size) - center) / factor
        return np.outer(tent, tent)

    assert exercises.check_bilinear_kernel(right)

    def always_even(factor):
        tent = 1 - np.abs(np.arange(2 * factor) - (2 * factor - 1) / 2) / factor
        return np.outer(tent, tent)

    even = exercises.check_bilinear_kernel(always_even)  # right for factor 2, not 3
    assert not even and "factor 3" in even.message and "2 * factor - factor % 2" in even.hint
    summing_to_one = exercises.check_bilinear_kernel(lambda f: right(f) / right(f).sum())
    assert not summing_to_one and "wrong scale" in summing_to_one.hint
    crashing = exercises.check_bilinear_kernel(lambda f: np.ones((f, f)) @ np.ones(f + 1))
    assert not crashing and "raised" in crashing.message


def test_fcn_score_sizes_checker():
    def right(h, w):
        return {"score_fr": (h // 32, w // 32), "score_pool4": (h // 16, w // 16),
                "score_pool3": (h // 8, w // 8)}  # fmt: skip

    assert exercises.check_fcn_score_sizes(right)
    swapped = exercises.check_fcn_score_sizes(
        lambda h, w: {**right(h, w), "score_pool3": right(h, w)["score_pool4"]}
    )
    assert not swapped and "score_pool3" in swapped.message and "1/8" in swapped.hint
    missing = exercises.check_fcn_score_sizes(lambda h, w: {"score_fr": (h // 32, w // 32)})
    assert not missing and "return a dict with keys" in missing.message


def test_argmax_index_checker_agrees_with_tensorflow():
    import tensorflow as tf

    def by_tf(b, y, x, c, shape):
        values = np.zeros(shape, "float32")
        values[b, y, x, c] = 1.0
        _, idx = tf.nn.max_pool_with_argmax(values, 1, 1, "VALID", include_batch_in_index=True)
        return int(idx.numpy()[b, y, x, c])

    assert exercises.check_argmax_index(by_tf)
    no_batch = exercises.check_argmax_index(lambda b, y, x, c, s: (y * s[2] + x) * s[3] + c)
    assert not no_batch and "include_batch_in_index" in no_batch.hint
    no_channel = exercises.check_argmax_index(lambda b, y, x, c, s: y * s[2] + x)
    assert not no_channel and "channel" in no_channel.hint


def test_max_unpool_checker():
    def right(pooled, indices, shape):
        out = np.zeros(shape[0] * shape[1], pooled.dtype)
        out[indices.ravel()] = pooled.ravel()
        return out.reshape(shape)

    assert exercises.check_max_unpool(right)
    corner = exercises.check_max_unpool(lambda p, i, s: ops.unpool(p, 2))
    assert not corner and "indices" in corner.hint
    nearest = exercises.check_max_unpool(lambda p, i, s: ops.upsample(p, 2))
    assert not nearest and "nearest-neighbour" in nearest.message
    assert "want (6, 8)" in exercises.check_max_unpool(lambda p, i, s: p).message


def test_valid_unet_output_checker_matches_the_paper_and_keras(keras):
    def by_keras(size, depth):
        x = inputs = keras.Input((size, size, 1))
        for _ in range(depth):
            x = keras.layers.Conv2D(1, 3)(keras.layers.Conv2D(1, 3)(x))
            x = keras.layers.MaxPooling2D(2)(x)
        x = keras.layers.Conv2D(1, 3)(keras.layers.Conv2D(1, 3)(x))
        for _ in range(depth):
            x = keras.layers.Conv2DTranspose(1, 2, strides=2)(x)
            x = keras.layers.Conv2D(1, 3)(keras.layers.Conv2D(1, 3)(x))
        return keras.Model(inputs, x).output_shape[1]

    assert ops.valid_unet_output(572, 4) == 388  # the paper's Figure 1
    assert exercises.check_valid_unet_output(by_keras)
    same = exercises.check_valid_unet_output(lambda s, d: s)
    assert not same and "loses 4 pixels" in same.hint


def test_tile_count_checker_matches_predict_tiled(keras):
    from course_utils import models

    calls = []

    class Counter:
        def predict_on_batch(self, windows):
            calls.append(len(windows))
            return np.zeros((*windows.shape[:3], 2), "float32")

    def by_running(h, w, tile, margin):
        calls.clear()
        models.predict_tiled(Counter(), np.zeros((h, w, 1)), tile, margin, batch_size=1)
        return len(calls)

    assert exercises.check_tile_count(by_running)
    naive = exercises.check_tile_count(lambda h, w, t, m: -(-h // t) * -(-w // t))
    assert not naive and "centre" in naive.hint


def test_taps_inside_checker_agrees_with_keras_padding(keras):
    def by_keras(h, w, rate):
        conv = keras.layers.Conv2D(
            1, 3, dilation_rate=rate, padding="same", use_bias=False,
            kernel_initializer="ones", dtype="float32",
        )  # fmt: skip
        return float(np.asarray(conv(np.ones((1, h, w, 1), "float32"))).mean() / 9)

    assert exercises.check_taps_inside(by_keras)
    every_tap = exercises.check_taps_inside(lambda h, w, r: 1.0)
    assert not every_tap and "rate 1" in every_tap.message


def test_atrous_conversion_checker():
    def right(strides, output_stride):
        pairs, reached, dilation = [], 1, 1
        for s in strides:
            if reached * s <= output_stride:
                reached *= s
                pairs.append((s, dilation))
            else:
                pairs.append((1, dilation))
                dilation *= s
        return pairs

    assert exercises.check_atrous_conversion(right)
    keep_all = exercises.check_atrous_conversion(lambda s, o: [(x, 1) for x in s])
    assert not keep_all and "dilation" in keep_all.hint
    not_pairs = exercises.check_atrous_conversion(lambda s, o: s)
    assert not not_pairs and "(stride, dilation) pairs" in not_pairs.message


def test_rank_correlation_checker():
    from scipy.stats import rankdata, spearmanr

    assert exercises.check_rank_correlation(lambda x, y: spearmanr(x, y).statistic)
    assert exercises.check_rank_correlation(
        lambda x, y: np.corrcoef(rankdata(x), rankdata(y))[0, 1]
    )
    pearson = exercises.check_rank_correlation(lambda x, y: np.corrcoef(x, y)[0, 1])
    assert not pearson and "Pearson" in pearson.hint
    ties_by_order = exercises.check_rank_correlation(
        lambda x, y: np.corrcoef(x.argsort().argsort(), y.argsort().argsort())[0, 1]
    )
    assert not ties_by_order and "mean rank" in ties_by_order.hint


def test_pareto_front_checker():
    def front(points):
        return {
            n for n, (t, m) in points.items()
            if not any(t2 <= t and m2 >= m and (t2, m2) != (t, m) for t2, m2 in points.values())
        }  # fmt: skip

    assert exercises.check_pareto_front(front)
    assert not exercises.check_pareto_front(lambda p: {max(p, key=lambda n: p[n][1])})
    strictly = exercises.check_pareto_front(  # keeps f, which only ties d on time
        lambda p: {n for n, (t, m) in p.items()
                   if not any(t2 < t and m2 > m for t2, m2 in p.values())}
    )  # fmt: skip
    assert not strictly and "'f'" in strictly.message


def test_every_checker_of_part3_is_tested_here():
    from course_utils.exercises import part3

    source = Path(__file__).read_text()
    checkers = [name for name in dir(part3) if name.startswith("check_")]
    assert checkers and all(name in exercises.__all__ for name in checkers)
    untested = [name for name in checkers if f"exercises.{name}(" not in source]
    assert not untested, "every checker needs a right and a wrong answer here"


def _border_term(mask, w0=10.0, sigma=5.0):
    """The solution of notebook 09's exercise 3."""
    from scipy import ndimage

    cells, n = ndimage.label(mask == 1)
    if n < 2:
        return np.zeros(mask.shape)
    distances = np.stack([ndimage.distance_transform_edt(cells != k) for k in range(1, n + 1)])
    distances.sort(axis=0)
    d1, d2 = distances[0], distances[1]
    return np.where(mask == 0, w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma**2)), 0.0)


def test_border_term_checker_accepts_the_solution_and_names_typical_mistakes():
    assert exercises.check_border_term(_border_term)

    def no_halving(mask, w0=10.0, sigma=5.0):  # (d1 + d2)^2 / sigma^2
        return _border_term(mask, w0, sigma / np.sqrt(2))

    def inside_cells_too(mask, w0=10.0, sigma=5.0):
        return _border_term(mask, w0, sigma) + (mask == 1) * 0.5

    def crashes_on_one_cell(mask, w0=10.0, sigma=5.0):
        from scipy import ndimage

        cells, n = ndimage.label(mask == 1)
        distances = np.stack([ndimage.distance_transform_edt(cells != k) for k in range(1, n + 1)])
        distances.sort(axis=0)
        return np.where(
            mask == 0, w0 * np.exp(-((distances[0] + distances[1]) ** 2) / (2 * sigma**2)), 0.0
        )

    def nearest_only(mask, w0=10.0, sigma=5.0):  # d2 taken as d1
        from scipy import ndimage

        cells, n = ndimage.label(mask == 1)
        if n < 2:
            return np.zeros(mask.shape)
        d1 = ndimage.distance_transform_edt(cells == 0)
        return np.where(mask == 0, w0 * np.exp(-((2 * d1) ** 2) / (2 * sigma**2)), 0.0)

    hints = {
        "sigma**2": no_halving,
        "membrane pixels only": inside_cells_too,
        "fewer than two cells": crashes_on_one_cell,
        "too small": nearest_only,
    }
    for words, wrong in hints.items():
        feedback = exercises.check_border_term(wrong)
        assert not feedback and words in (feedback.hint or ""), (wrong.__name__, feedback)
    zeros = exercises.check_border_term(lambda m, w0, s: np.zeros(m.shape))
    assert not zeros and "d1 and d2" in zeros.hint
    wrong_shape = exercises.check_border_term(lambda m, w0, s: np.zeros(3))
    assert not wrong_shape and "one value per pixel" in wrong_shape.hint
