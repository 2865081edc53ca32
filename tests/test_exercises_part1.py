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


def test_every_checker_of_part1_is_tested_here():
    from course_utils.exercises import part1

    source = Path(__file__).read_text()
    checkers = [name for name in dir(part1) if name.startswith("check_")]
    assert checkers and all(name in exercises.__all__ for name in checkers)
    untested = [name for name in checkers if f"exercises.{name}(" not in source]
    assert not untested, "every checker needs a right and a wrong answer here"
