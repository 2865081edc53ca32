"""Checkers of Part 2 (``course_utils/exercises/part2.py``): each with a right answer and
the wrong answers its hints name."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course_utils import exercises, ops
from course_utils.metrics import segmentation_report


def test_flatten_dense_checker():
    right = 8 * 8 * 256 * 4096 + 4096
    assert exercises.check_flatten_dense_params(right, (8, 8, 256), 4096).correct
    channels_only = exercises.check_flatten_dense_params(256 * 4096 + 4096, (8, 8, 256), 4096)
    assert not channels_only and "h*w*c" in channels_only.hint
    no_bias = exercises.check_flatten_dense_params(right - 4096, (8, 8, 256), 4096)
    assert not no_bias and "bias" in no_bias.hint
    assert not exercises.check_flatten_dense_params(right + 1, (8, 8, 256), 4096)


def _count(mask, class_id):
    from skimage.measure import label

    return int(label(mask == class_id, connectivity=2).max())


def test_instance_count_checker():
    from skimage.measure import label

    assert exercises.check_instance_count(_count).correct
    four = exercises.check_instance_count(lambda m, c: int(label(m == c, connectivity=1).max()))
    assert not four and "connectivity=2" in four.hint
    every = exercises.check_instance_count(lambda m, c: int(label(m > 0, connectivity=2).max()))
    assert not every and "mask == class_id" in every.hint
    typed_in = exercises.check_instance_count(lambda m, c: 2)  # the first mask's answer
    assert not typed_in and "never type in the answer" in typed_in.hint


def test_receptive_field_checker():
    def right(layers):
        field, jump = 1, 1
        for k, s, d in layers:
            field += d * (k - 1) * jump
            jump *= s
        return field

    assert exercises.check_receptive_field(right)
    no_jump = exercises.check_receptive_field(lambda ls: 1 + sum(d * (k - 1) for k, _, d in ls))
    assert not no_jump and "jump" in no_jump.hint
    no_dil = exercises.check_receptive_field(lambda ls: right([(k, s, 1) for k, s, _ in ls]))
    assert not no_dil and "dilation" in no_dil.hint
    assert not exercises.check_receptive_field(lambda ls: 0)
    assert "raised" in exercises.check_receptive_field(lambda ls: ls[5]).message


def test_separable_params_checker(keras):
    def keras_count(k, c_in, c_out):
        inputs = keras.Input((8, 8, c_in))
        return keras.Model(inputs, keras.layers.SeparableConv2D(c_out, k)(inputs)).count_params()

    assert exercises.check_separable_params(keras_count)
    standard = exercises.check_separable_params(lambda k, i, o: k * k * i * o + o)
    assert not standard and "standard" in standard.hint
    no_bias = exercises.check_separable_params(lambda k, i, o: k * k * i + i * o)
    assert not no_bias and "bias" in no_bias.hint
    both_biases = exercises.check_separable_params(lambda k, i, o: k * k * i + i * o + o + i)
    assert not both_biases and "Only the pointwise part" in both_biases.hint


def test_transposed_conv_checker():
    def right(y, kernel, stride):
        return ops.conv_matrix((len(y) - 1) * stride + len(kernel), kernel, stride).T @ y

    assert exercises.check_transposed_conv_1d(right)
    flipped = exercises.check_transposed_conv_1d(lambda y, k, s: right(y, k[::-1], s))
    assert not flipped and "flip" in flipped.hint
    short = exercises.check_transposed_conv_1d(lambda y, k, s: right(y, k, s)[:-1])
    assert not short and "values" in short.message
    assert not exercises.check_transposed_conv_1d(lambda y, k, s: np.zeros_like(right(y, k, s)))


def test_accuracy_and_miou_checker():
    def right(cm):
        report = segmentation_report(cm, [str(i) for i in range(len(cm))])
        return report.pixel_accuracy, report.miou

    assert exercises.check_accuracy_and_miou(right)

    def zero_for_absent(cm):
        tp = np.diag(cm).astype(float)
        with np.errstate(invalid="ignore"):
            iou = tp / (cm.sum(0) + cm.sum(1) - tp)
        return tp.sum() / cm.sum(), np.nan_to_num(iou).mean()

    fb = exercises.check_accuracy_and_miou(zero_for_absent)
    assert not fb and "nanmean" in fb.hint
    wrong_accuracy = exercises.check_accuracy_and_miou(lambda cm: (1.0, 1.0))
    assert not wrong_accuracy and "pixel accuracy" in wrong_accuracy.message
    assert "pair" in exercises.check_accuracy_and_miou(lambda cm: 0.5).message


def test_dice_checker():
    def right(y_true, y_pred, c, void):
        keep = y_true != void
        t, p = (y_true == c) & keep, (y_pred == c) & keep
        return 2 * (t & p).sum() / (t.sum() + p.sum())

    assert exercises.check_dice(right)
    no_void = exercises.check_dice(lambda t, p, c, v: right(t, p, c, -1))
    assert not no_void and "void" in no_void.hint

    def iou(y_true, y_pred, c, void):
        keep = y_true != void
        t, p = (y_true == c) & keep, (y_pred == c) & keep
        return (t & p).sum() / (t | p).sum()

    as_iou = exercises.check_dice(iou)
    assert not as_iou and "That is IoU" in as_iou.hint


def test_median_frequency_checker():
    def right(masks, n):
        freq = np.empty(n)
        for c in range(n):
            images_with_c = masks[(masks == c).any(axis=(1, 2))]
            freq[c] = (images_with_c == c).sum() / images_with_c.size
        return np.median(freq) / freq

    assert exercises.check_median_frequency(right)

    def by_share(masks, n):
        share = np.bincount(masks.ravel(), minlength=n) / masks.size
        return np.median(share) / share

    fb = exercises.check_median_frequency(by_share)
    assert not fb and "images that contain" in fb.hint
    ones = exercises.check_median_frequency(lambda masks, n: np.ones(n, "float32"))
    assert "want [0.444, 1.430, 6.150, 0.769]." in ones.message, "no float32 noise"


def test_every_checker_of_part2_is_tested_here():
    from course_utils.exercises import part2

    source = Path(__file__).read_text()
    checkers = [name for name in dir(part2) if name.startswith("check_")]
    assert checkers and all(name in exercises.__all__ for name in checkers)
    untested = [name for name in checkers if f"exercises.{name}(" not in source]
    assert not untested, "every checker needs a right and a wrong answer here"
