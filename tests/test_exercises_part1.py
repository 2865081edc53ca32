"""Checkers of Part 1 (``course_utils/exercises/part1.py``): each with a right answer, the
wrong answers its hints name, and, where the checker computes a reference, that reference
against Keras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from course_utils import exercises


def _right_size(n, k, p, s, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def test_conv_output_size_checker():
    assert exercises.check_conv_output_size(_right_size).correct
    no_dilation = exercises.check_conv_output_size(lambda n, k, p, s, d: (n + 2 * p - k) // s + 1)
    assert not no_dilation and "dilation" in no_dilation.hint
    floats = exercises.check_conv_output_size(lambda n, k, p, s, d: (n + 2 * p - k) / s + 1)
    assert not floats and "n=" in floats.message and "whole numbers" in floats.hint
    span = lambda k, d: d * (k - 1) + 1  # noqa: E731
    typical = {
        "n + 2 * p.": lambda n, k, p, s, d: (n - span(k, d)) // s + 1,  # padding forgotten
        "not n + p": lambda n, k, p, s, d: (n + p - span(k, d)) // s + 1,  # one side only
        "+ 1.": lambda n, k, p, s, d: (n + 2 * p - span(k, d)) // s,  # the first window
        "Round down, not up": lambda n, k, p, s, d: -(-(n + 2 * p - span(k, d)) // s) + 1,
    }
    for words, wrong in typical.items():
        feedback = exercises.check_conv_output_size(wrong)
        assert not feedback and words in feedback.hint, (words, feedback.hint)
    crashing = exercises.check_conv_output_size(lambda *a: 1 / 0)
    assert not crashing and "ZeroDivisionError" in crashing.message


def test_conv_output_size_checker_agrees_with_keras(keras):
    """A learner who asks Keras for the size gets every case right."""

    def by_keras(n, k, p, s, d):
        x = keras.layers.ZeroPadding2D(p)(keras.Input((n, n, 1)))
        return keras.layers.Conv2D(1, k, strides=s, dilation_rate=d)(x).shape[1]

    assert exercises.check_conv_output_size(by_keras).correct


def _correlate(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = (image[r : r + kh, c : c + kw] * kernel).sum()
    return out


def test_cross_correlation_checker():
    assert exercises.check_cross_correlation(_correlate).correct
    flipped = exercises.check_cross_correlation(lambda im, k: _correlate(im, k[::-1, ::-1]))
    assert not flipped and "flipped" in flipped.message
    padded = exercises.check_cross_correlation(lambda im, k: np.pad(_correlate(im, k), 1))
    assert not padded and "(4, 5)" not in padded.message and "yours is (6, 7)" in padded.message
    off = exercises.check_cross_correlation(
        lambda im, k: _correlate(im, k) + (np.arange(20).reshape(4, 5) == 7)
    )
    assert not off and "output[1, 2]" in off.message
    assert "Not yet" in str(off) and "&#10008;" in off._repr_html_()


def test_param_count_checker(keras):
    model = keras.Sequential(
        [
            keras.Input((64, 64, 3)),
            keras.layers.Conv2D(32, 3, activation="relu", name="conv"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu", name="dense_1"),
            keras.layers.Dense(10, activation="softmax", name="dense_2"),
        ]
    )
    right = {
        "conv": 3 * 3 * 3 * 32 + 32,
        "dense_1": 31 * 31 * 32 * 128 + 128,
        "dense_2": 128 * 10 + 10,
    }
    assert exercises.check_param_counts(right, model).correct
    no_bias = exercises.check_param_counts({**right, "conv": 3 * 3 * 3 * 32}, model)
    assert not no_bias and "biases" in no_bias.hint
    wrong_flatten = exercises.check_param_counts(
        {**right, "dense_1": 62 * 62 * 32 * 128 + 128}, model
    )
    assert not wrong_flatten and "dense_1" in wrong_flatten.message
    assert "dense_2" in exercises.check_param_counts({"conv": 1, "dense_1": 1}, model).message


def _stable_ce(logits, labels):
    z = logits - logits.max(1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels].mean()


def test_cross_entropy_checker():
    assert exercises.check_cross_entropy(_stable_ce).correct

    def naive(logits, labels):
        p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        return -np.log(p[np.arange(len(labels)), labels]).mean()

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        overflow = exercises.check_cross_entropy(naive)
    assert not overflow and "overflows" in overflow.message
    summed = exercises.check_cross_entropy(lambda z, y: _stable_ce(z, y) * len(y))
    assert not summed and "sum" in summed.message
    argmax = exercises.check_cross_entropy(lambda z, y: _stable_ce(z, z.argmax(1)))
    assert not argmax and "most likely class" in argmax.message

    def clipped(logits, labels):  # stable softmax, then probabilities clipped before the log
        z = logits - logits.max(1, keepdims=True)
        p = np.clip(np.exp(z) / np.exp(z).sum(1, keepdims=True), 1e-7, 1.0)
        return -np.log(p[np.arange(len(labels)), labels]).mean()

    def log_of_stable_softmax(logits, labels):  # max subtracted, but log taken of a probability
        z = logits - logits.max(1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        return -np.log(p[np.arange(len(labels)), labels]).mean()

    with np.errstate(divide="ignore"):
        underflow = exercises.check_cross_entropy(log_of_stable_softmax)
    assert not underflow and "underflows" in underflow.message
    assert "log-sum-exp" in underflow.hint and "maximum before exp" not in underflow.hint
    assert "overflows" in overflow.message and "log-sum-exp" not in overflow.hint

    capped = exercises.check_cross_entropy(clipped)
    assert not capped and "Clipping" in capped.hint and "logits * 300" in capped.message


def test_cross_entropy_checker_reference_is_keras_loss(keras):
    """The checker's own loss (its reference value) is Keras' sparse cross-entropy from
    logits: Keras' loss, given as the answer, is accepted, and the value the checker
    reports is the one Keras computed."""
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    values = []

    def by_keras(logits, labels):
        values.append(float(loss(labels, logits.astype("float32"))))
        return values[-1]

    feedback = exercises.check_cross_entropy(by_keras)
    assert feedback.correct, feedback
    assert feedback.message.startswith(f"{values[0]:.4f},")
    assert np.isfinite(values[1]) and values[1] > 100 * values[0]  # the logits * 300 case


def test_most_confused_checker():
    names = ["cat", "dog", "frog"]
    cm = np.array([[50, 30, 5], [10, 60, 2], [20, 1, 70]])
    assert exercises.check_most_confused("dog", cm, names, "cat").correct
    transposed = exercises.check_most_confused("frog", cm, names, "cat")
    assert not transposed and "Rows" in transposed.hint
    assert "not a class name" in exercises.check_most_confused("cow", cm, names, "cat").message
    diagonal = exercises.check_most_confused("cat", cm, names, "cat")
    assert not diagonal and "skipping the diagonal" in diagonal.hint


def test_stacked_receptive_field_checker():
    assert exercises.check_stacked_receptive_field(lambda n: 2 * n + 1).correct
    wrong = exercises.check_stacked_receptive_field(lambda n: 3 * n)  # right for n = 1 only
    assert not wrong and "n=1 " not in wrong.message and "n=2 " in wrong.message
    assert "raised" in exercises.check_stacked_receptive_field(lambda n: [][n]).message


FILTERS_3A = (64, 96, 128, 16, 32, 32)  # GoogLeNet's module 3a, on 192 channels
RIGHT_3A = (
    192 * 64 + 64
    + 192 * 96 + 96 + 9 * 96 * 128 + 128
    + 192 * 16 + 16 + 25 * 16 * 32 + 32
    + 192 * 32 + 32
)  # fmt: skip


@pytest.mark.parametrize(
    "answer, hint",
    [
        (RIGHT_3A, None),
        (RIGHT_3A - (64 + 96 + 128 + 16 + 32 + 32), "bias"),
        (192 * (64 + 9 * 128 + 25 * 32 + 32) + 64 + 128 + 32 + 32, "reduce"),
        (RIGHT_3A + 1, "six convolutions"),
    ],
    ids=["right", "no-biases", "no-reduce", "off-by-one"],
)
def test_inception_params_checker(keras, answer, hint):
    feedback = exercises.check_inception_params(answer, 192, FILTERS_3A)
    assert feedback.correct == (hint is None), feedback
    if hint is not None:
        assert hint in feedback.hint


def _batch_norm(x, gamma, beta, moving_mean, moving_var, momentum=0.9, training=True, eps=1e-3):
    """The solution in notebook 03, with switches for the mistakes the checker names."""
    return _bn_variant(x, gamma, beta, moving_mean, moving_var, momentum, training, eps)


def _bn_variant(
    x, gamma, beta, moving_mean, moving_var, momentum, training, eps,
    *, ddof=0, moving_ddof=0, use_eps=True, update_always=False, swap=False, in_place=False,
):  # fmt: skip
    axes = tuple(range(x.ndim - 1))
    mean, var = x.mean(axis=axes), x.var(axis=axes, ddof=ddof)
    moving_var_stat = x.var(axis=axes, ddof=moving_ddof)
    keep = 1 - momentum if swap else momentum
    new_mean = keep * moving_mean + (1 - keep) * mean
    new_var = keep * moving_var + (1 - keep) * moving_var_stat
    if not training:
        mean, var = moving_mean, moving_var
    y = gamma * (x - mean) / np.sqrt(var + (eps if use_eps else 0.0)) + beta
    if training or update_always:
        if in_place:
            moving_mean[...], moving_var[...] = new_mean, new_var
            return y, moving_mean, moving_var
        return y, new_mean, new_var
    return y, moving_mean, moving_var


def _variant(**switches):
    return lambda *args: _bn_variant(*args, **switches)


def test_batch_norm_checker_passes_the_solution_and_the_course_reference(keras):
    from course_utils import ops

    right = exercises.check_batch_norm(_batch_norm)
    assert right.correct, right
    assert "(N, H, W, C)" in right.message
    assert exercises.check_batch_norm(ops.batch_norm).correct
    # an update done in place in training mode, as Keras assigns its variables, is right
    assert exercises.check_batch_norm(_variant(in_place=True)).correct


@pytest.mark.parametrize(
    "wrong, message, hint",
    [
        (_variant(ddof=1), "unbiased variance (divided by N - 1 = 7)", "ddof=0"),
        (_variant(moving_ddof=1), "moving variance averages the unbiased", "PyTorch"),
        (_variant(use_eps=False), "without eps", "under the square root"),
        (_variant(update_always=True), "updated the moving statistics:", "training=False"),
        (_variant(update_always=True, in_place=True), "(in place: ['moving_mean', 'moving_var'])",
         "untouched"),
        (_variant(swap=True), "swapped momentum", "1 - momentum"),
    ],
    ids=["unbiased", "unbiased-moving", "no-eps", "inference-update", "inference-in-place",
         "swapped"],
)  # fmt: skip
def test_batch_norm_checker_names_each_mistake(keras, wrong, message, hint):
    feedback = exercises.check_batch_norm(wrong)
    assert not feedback.correct
    assert message in feedback.message and hint in feedback.hint, feedback


def test_batch_norm_checker_names_the_mode_and_the_axes(keras):
    def batch_stats_always(x, gamma, beta, mm, mv, momentum, training, eps):
        y, new_mean, new_var = _batch_norm(x, gamma, beta, mm, mv, momentum, True, eps)
        return y, (new_mean if training else mm), (new_var if training else mv)

    feedback = exercises.check_batch_norm(batch_stats_always)
    assert not feedback and "training=False you normalised with the batch" in feedback.message
    assert "x.shape=(8, 3)" in feedback.message

    def batch_axis_only(x, gamma, beta, mm, mv, momentum, training, eps):
        if not training:
            return _batch_norm(x, gamma, beta, mm, mv, momentum, training, eps)
        mean, var = x.mean(axis=0), x.var(axis=0)
        y = gamma * (x - mean) / np.sqrt(var + eps) + beta
        return y, momentum * mm + (1 - momentum) * mean, momentum * mv + (1 - momentum) * var

    feedback = exercises.check_batch_norm(batch_axis_only)  # right on (N, C) only
    assert not feedback and "x.shape=(4, 5, 6, 3)" in feedback.message
    assert "batch axis only" in feedback.message and "all axes but the last" in feedback.hint

    stub = exercises.check_batch_norm(lambda x, g, b, mm, mv, m, t, e: (x, mm, mv))
    assert not stub and "y[0, 0] is" in stub.message and "Keras' BatchNormalization" in stub.message
    two = exercises.check_batch_norm(lambda x, g, b, mm, mv, m, t, e: (x, mm))
    assert not two and "returned tuple" in two.message
    crashing = exercises.check_batch_norm(lambda *args: 1 / 0)
    assert not crashing and "ZeroDivisionError" in crashing.message


def test_batch_norm_checker_reference_is_keras_with_a_biased_moving_variance(keras):
    """The checker's reference is Keras' layer; it averages the biased batch variance."""
    from course_utils.exercises import part1

    x, weights = part1._bn_case((8, 3), 0)
    y, mean, var = part1._bn_keras(x, weights, 0.9, True, 1e-3)
    np.testing.assert_allclose(mean, 0.9 * weights[2] + 0.1 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(var, 0.9 * weights[3] + 0.1 * x.var(0), rtol=1e-5)
    assert not np.allclose(var, 0.9 * weights[3] + 0.1 * x.var(0, ddof=1), rtol=1e-4)
    np.testing.assert_allclose(y, _batch_norm(x, *weights)[0], rtol=1e-4, atol=1e-5)


def test_every_checker_of_part1_is_tested_here():
    from course_utils.exercises import part1

    source = Path(__file__).read_text()
    checkers = [name for name in dir(part1) if name.startswith("check_")]
    assert checkers and all(name in exercises.__all__ for name in checkers)
    untested = [name for name in checkers if f"exercises.{name}(" not in source]
    assert not untested, "every checker needs a right and a wrong answer here"


def test_batch_norm_checker_answers_results_that_are_not_arrays(keras):
    def no_statistics(x, gamma, beta, mm, mv, momentum, training, eps):
        y = _batch_norm(x, gamma, beta, mm, mv, momentum, training, eps)[0]
        return y, "mean", [[1.0, 2.0], [3.0]]  # not numbers, ragged: no array to compare

    feedback = exercises.check_batch_norm(no_statistics)
    assert not feedback.correct and "not all arrays of numbers" in feedback.message, feedback
