"""Student mode of the checkers (issue 27): once ``exercises.hide_answers()`` has run (the
student edition's setup cells call it), a checker says what is wrong and hints, but never
prints the expected value; the teacher's copy keeps naming it.

The table holds, for every checker, wrong answers that reach each message naming an expected
value, with a pattern that finds that value in the teacher's message. Each case checks that the
teacher's copy names it (so the case can fail), then that the student's message, in English
and in Korean, does not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from course_utils import exercises, ops


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """English first; conftest shows the answers and restores them after each test."""
    monkeypatch.setenv("COURSE_LANG", "en")


@dataclass(frozen=True)
class Case:
    """A wrong answer to one checker.

    Attributes:
        checker: the checker's name.
        run: calls it with the wrong answer (``keras`` is passed when ``needs_keras``).
        reveals: a pattern whose group 1 is the expected value in the teacher's message.
        needs_keras: the answer is a Keras block (the ``keras`` fixture).
        hint_names_it: the value also appears in the hint's method, the same in both modes
            (``connectivity=2`` is a rule, not the answer), so only the message is searched.
    """

    checker: str
    run: Callable[..., exercises.Feedback]
    reveals: str
    needs_keras: bool = False
    hint_names_it: bool = False


def _call(name: str, *args: Any) -> exercises.Feedback:
    return getattr(exercises, name)(*args)


def _clipped_cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    z = z - z.max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1)).mean())


def _batch_norm(x, gamma, beta, mean, var, momentum, training, eps, moved=1.0):
    """Right y; the moving statistics returned are off by ``moved``."""
    if training:
        axes = tuple(range(x.ndim - 1))
        used_mean, used_var = x.mean(axis=axes), x.var(axis=axes)
    else:
        used_mean, used_var = mean, var
    return gamma * (x - used_mean) / np.sqrt(used_var + eps) + beta, mean + moved, var + moved


def _top_left(image: np.ndarray, aspect: tuple[int, int]) -> np.ndarray:
    _, _, h, w = ops.centre_crop_box(image.shape[0], image.shape[1], aspect)
    return image[:h, :w]


# --- the Keras answers (built only in the cases that need the keras fixture) -----------


def _param_model(keras):
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense")])


def _flatten_head(keras):
    def head(features, num_classes):
        x = keras.layers.Flatten()(features)
        return keras.layers.Dense(num_classes, activation="softmax")(x)

    return head


def _dense_as_1x1(keras):
    def dense_to_conv(dense, input_shape):
        h, w, c = input_shape
        conv = keras.layers.Conv2D(dense.units, 1)
        conv.build((None, h, w, c))
        return conv

    return dense_to_conv


def _skip_step(keras, kernel: int | None):
    def step(x, skip, filters):
        x = keras.layers.UpSampling2D(2)(x)
        x = keras.layers.Concatenate()([x, skip])
        return x if kernel is None else keras.layers.Conv2D(filters, kernel, padding="same")(x)

    return step


def _fusion_3x3(keras):
    def fuse(coarse, pool4, num_classes):
        scored = keras.layers.Conv2D(num_classes, 3, padding="same", kernel_initializer="zeros")(
            pool4
        )
        up = keras.layers.UpSampling2D(2, interpolation="bilinear")(coarse)
        return keras.layers.Add()([up, scored])

    return fuse


def _segnet_1x1(keras):
    from course_utils import models

    def stage(x, indices, like, filters):
        x = models.MaxUnpool()([x, indices, like])
        x = keras.layers.Conv2D(filters, 1, use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        return keras.layers.ReLU()(x)

    return stage


def _crop_top_left(keras):
    def crop_and_concat(skip, up):
        dh, dw = skip.shape[1] - up.shape[1], skip.shape[2] - up.shape[2]
        cropped = keras.layers.Cropping2D(((0, dh), (0, dw)))(skip)
        return keras.layers.Concatenate()([cropped, up])

    return crop_and_concat


def _pooling_with_bias(keras):
    def image_pooling(x, filters):
        y = keras.layers.GlobalAveragePooling2D(keepdims=True)(x)
        y = keras.layers.Conv2D(filters, 1)(y)
        return keras.layers.UpSampling2D((x.shape[1], x.shape[2]))(y)

    return image_pooling


def _tta_two_classes(keras):
    def flip_tta(model):
        inputs = keras.Input(model.input_shape[1:])
        return keras.Model(inputs, keras.layers.Softmax()(model(inputs))[..., :2])

    return flip_tta


def _block(keras, *layers_of):
    def block(x, filters):
        for make in layers_of:
            x = make(keras, filters)(x)
        return x

    return block


CASES = [
    Case("check_conv_output_size", lambda: _call("check_conv_output_size", lambda n, k, p, s, d: n),
         r"the right size is (\d+)"),
    Case("check_cross_correlation", lambda: _call("check_cross_correlation",
         lambda im, k: np.zeros((1, 1))), r"give a (\d+x\d+) map"),
    Case("check_cross_correlation", lambda: _call("check_cross_correlation",
         lambda im, k: ops.conv2d(im, k) + 1000), r"expected (-?[\d.]+)\."),
    Case("check_param_counts", lambda keras: _call("check_param_counts", {"dense": 12},
         _param_model(keras)), r"Keras counts ([\d,]+)", needs_keras=True),
    Case("check_cross_entropy", lambda: _call("check_cross_entropy", lambda z, y: 0.0),
         r"the loss is ([\d.]+)\."),
    Case("check_cross_entropy", lambda: _call("check_cross_entropy", _clipped_cross_entropy),
         r"where the loss is ([\d.]+)\."),
    Case("check_stacked_receptive_field", lambda: _call("check_stacked_receptive_field",
         lambda n: 3 if n == 1 else 2 * n), r"the receptive field is (\d+)"),
    Case("check_inception_params", lambda keras: _call("check_inception_params", 1, 192,
         (64, 96, 128, 16, 32, 32)), r"the module has ([\d,]+)", needs_keras=True),
    Case("check_batch_norm", lambda keras: _call("check_batch_norm",
         lambda x, g, b, m, v, mom, t, e: (x, m, v)),
         r"BatchNormalization gives (-?[\d.]+)\.", needs_keras=True),
    Case("check_batch_norm", lambda keras: _call("check_batch_norm", _batch_norm),
         r"Keras gives \[([^\]]+)\]", needs_keras=True),
    Case("check_flatten_dense_params", lambda: _call("check_flatten_dense_params", 1, (7, 7, 64),
         10), r"the layer has ([\d,]+)"),
    Case("check_instance_count", lambda: _call("check_instance_count", lambda m, c: 2),
         r"where it has (\d+) regions"),
    Case("check_instance_count", lambda: _call("check_instance_count", lambda m, c: 3),
         r"it is (\d+)\.", hint_names_it=True),
    Case("check_instance_count", lambda: _call("check_instance_count", lambda m, c: 7),
         r"the class has (\d+) regions"),
    Case("check_receptive_field", lambda: _call("check_receptive_field",
         lambda layers: 1 + 2 * len(layers)), r"the field is (\d+)"),
    Case("check_separable_params", lambda: _call("check_separable_params", lambda k, i, o: 0),
         r"want (\d+)\."),
    Case("check_transposed_conv_1d", lambda: _call("check_transposed_conv_1d",
         lambda y, k, s: np.zeros(1)), r"want (\d+)\."),
    Case("check_transposed_conv_1d", lambda: _call("check_transposed_conv_1d",
         lambda y, k, s: np.zeros((len(y) - 1) * s + len(k))), r"want (\[[^\]]+\])"),
    Case("check_accuracy_and_miou", lambda: _call("check_accuracy_and_miou",
         lambda cm: (0.5, 0.5)), r"want ([\d.]+)\."),
    Case("check_accuracy_and_miou", lambda: _call("check_accuracy_and_miou",
         lambda cm: (np.trace(cm) / cm.sum(), 0.5)), r"want ([\d.]+)\."),
    Case("check_dice", lambda: _call("check_dice", lambda t, p, c, i: 0.123), r"want ([\d.]+)\."),
    Case("check_median_frequency", lambda: _call("check_median_frequency",
         lambda m, n: np.ones(n)), r"want (\[[^\]]+\])"),
    Case("check_bilinear_kernel", lambda: _call("check_bilinear_kernel",
         lambda f: np.ones((f, f))), r"want (\(\d+, \d+\))"),
    Case("check_fcn_score_sizes", lambda: _call("check_fcn_score_sizes",
         lambda h, w: {k: (h, w) for k in ("score_fr", "score_pool4", "score_pool3")}),
         r"is (\(\d+, \d+\)), not"),
    Case("check_argmax_index", lambda: _call("check_argmax_index",
         lambda b, y, x, c, shape: (y * shape[2] + x) * shape[3] + c), r"tensor is (\d+), not"),
    Case("check_valid_unet_output", lambda: _call("check_valid_unet_output", lambda s, d: s),
         r": (\d+), not"),
    Case("check_tile_count", lambda: _call("check_tile_count", lambda *a: 1),
         r": (\d+) windows"),
    Case("check_taps_inside", lambda: _call("check_taps_inside", lambda *a: 1.0),
         r": ([\d.]+), not"),
    Case("check_atrous_conversion", lambda: _call("check_atrous_conversion",
         lambda strides, os_: [(s, 1) for s in strides]), r": (\[.*\]), not"),
    Case("check_rank_correlation", lambda: _call("check_rank_correlation", lambda x, y: 0.0),
         r": (-?[\d.]+), not"),
    Case("check_pareto_front", lambda: _call("check_pareto_front", set),
         r"the front is (\[.*\])"),
    Case("check_border_term", lambda: _call("check_border_term",
         lambda m, w0, s: np.zeros(m.shape)), r"the term is ([\d.]+)"),
    Case("check_centre_crop", lambda: _call("check_centre_crop", lambda im, a: im),
         r"the crop is (\d+x\d+)"),
    Case("check_centre_crop", lambda: _call("check_centre_crop", _top_left),
         r"starts at (row \d+, column \d+)"),
    Case("check_class_shares", lambda: _call("check_class_shares",
         lambda ids, n, void: np.full(n, 1 / n)), r"the shares are (\[[^\]]+\])"),
    Case("check_conv_head", lambda keras: _call("check_conv_head", _flatten_head(keras)),
         r"should be ([\d,]+);", needs_keras=True),
    Case("check_vgg_block", lambda keras: _call("check_vgg_block", _block(
         keras, lambda k, f: k.layers.Conv2D(f, 3))), r"should be (\(None[^)]*\));",
         needs_keras=True),
    Case("check_residual_block", lambda keras: _call("check_residual_block", _block(
         keras, lambda k, f: k.layers.Conv2D(f, 3, padding="same"), lambda k, f: k.layers.ReLU())),
         r"should be ([\d,]+) or", needs_keras=True),
    Case("check_separable_conv", lambda keras: _call("check_separable_conv", _block(
         keras, lambda k, f: k.layers.Conv2D(f, 3, padding="same"))),
         r"should be ([\d,]+) or", needs_keras=True),
    Case("check_dense_to_conv", lambda keras: _call("check_dense_to_conv", _dense_as_1x1(keras)),
         r"should be (\([\d, ]+\));", needs_keras=True),
    Case("check_skip_decoder_step", lambda keras: _call("check_skip_decoder_step",
         _skip_step(keras, None)), r"want (\(None[^)]*\))", needs_keras=True),
    Case("check_skip_decoder_step", lambda keras: _call("check_skip_decoder_step",
         _skip_step(keras, 1)), r"to \d+ has ([\d,]+)", needs_keras=True),
    Case("check_fcn_fusion", lambda keras: _call("check_fcn_fusion", _fusion_3x3(keras)),
         r"score layer has (\d+ x \d+ weights)", needs_keras=True),
    Case("check_segnet_decoder_stage", lambda keras: _call("check_segnet_decoder_stage",
         _segnet_1x1(keras)), r"channels has ([\d,]+) weights", needs_keras=True),
    Case("check_crop_and_concat", lambda keras: _call("check_crop_and_concat",
         _crop_top_left(keras)), r"should start at (\(\d+, \d+\))", needs_keras=True),
    Case("check_image_pooling_branch", lambda keras: _call("check_image_pooling_branch",
         _pooling_with_bias(keras)), r"channels has (\d+) weights", needs_keras=True),
    Case("check_flip_tta", lambda keras: _call("check_flip_tta", _tta_two_classes(keras)),
         r"want (\(.*\))\.", needs_keras=True),
]  # fmt: skip

#: Checkers none of whose messages names an expected value, with a wrong answer and that value.
NEVER_NAMED = {
    "check_most_confused": (
        lambda: exercises.check_most_confused(
            "car", np.array([[5, 3, 1], [0, 6, 2], [4, 0, 7]]), ["cat", "dog", "car"], "cat"
        ),
        "dog",
    ),
    "check_max_unpool": (
        lambda: exercises.check_max_unpool(lambda pooled, indices, shape: np.ones(shape)),
        "out.flat[indices] = pooled",  # not the answer's code itself: the hint shows its form
    ),
}


def _named(value: str, text: str) -> bool:
    """Whether ``value`` appears in ``text`` as itself (``30`` in "is 30", not in "300")."""
    return re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", text) is not None


def _run(case: Case, request: pytest.FixtureRequest) -> exercises.Feedback:
    if case.needs_keras:
        return case.run(request.getfixturevalue("keras"))
    return case.run()


def _searched(feedback: exercises.Feedback, case: Case) -> str:
    return feedback.message if case.hint_names_it else f"{feedback.message}\n{feedback.hint}"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.checker}-{i}" for i, c in enumerate(CASES)])
def test_a_student_never_reads_the_expected_value(case, request, monkeypatch):
    teacher = _run(case, request)
    assert not teacher.correct, teacher
    found = re.search(case.reveals, teacher.message)
    assert found, f"the teacher's copy should name the answer: {teacher.message}"
    answer = found.group(1)

    exercises.hide_answers()
    for language in ("en", "ko"):
        monkeypatch.setenv("COURSE_LANG", language)
        student = _run(case, request)
        assert not student.correct
        assert student.message != teacher.message
        text = _searched(student, case)
        assert not _named(answer, text), f"{language}: {answer!r} in {text!r}"
        assert not _named(answer, student._repr_html_()) or case.hint_names_it
        if case.hint_names_it and language == "en":
            assert student.hint == teacher.hint, "a hint is the same in both modes"
    exercises.show_answers()
    monkeypatch.setenv("COURSE_LANG", "en")
    assert _run(case, request).message == teacher.message, "the teacher's copy is unchanged"


@pytest.mark.parametrize("name", sorted(NEVER_NAMED))
def test_checkers_that_never_name_the_answer(name):
    run, answer = NEVER_NAMED[name]
    exercises.hide_answers()
    feedback = run()
    assert not feedback.correct and answer not in feedback.message


def test_every_checker_is_in_the_table():
    checkers = {name for name in exercises.__all__ if name.startswith("check_")}
    assert len(checkers) >= 40
    assert {case.checker for case in CASES} | set(NEVER_NAMED) == checkers


def test_the_switch_is_read_when_a_checker_runs(monkeypatch):
    wrong = lambda n: 2 * n  # noqa: E731
    assert "the receptive field is 3" in exercises.check_stacked_receptive_field(wrong).message
    monkeypatch.setenv("COURSE_ANSWERS", " Hidden ")
    assert not exercises.answers_shown()
    assert "3." not in exercises.check_stacked_receptive_field(wrong).message
    exercises.show_answers()
    assert exercises.answers_shown() and "COURSE_ANSWERS" not in os.environ
    exercises.hide_answers()
    assert os.environ["COURSE_ANSWERS"] == "hidden"


def test_assert_correct_raises_with_the_feedback_and_passes_a_right_answer(capsys):
    wrong = exercises.check_stacked_receptive_field(lambda n: 2 * n)
    with pytest.raises(exercises.ExerciseNotPassed) as raised:
        wrong.assert_correct()
    assert isinstance(raised.value, AssertionError) and raised.value.feedback is wrong
    assert str(raised.value) == str(wrong)
    assert raised.value._render_traceback_() == str(wrong).splitlines()
    right = exercises.check_stacked_receptive_field(lambda n: 2 * n + 1)
    assert right.assert_correct() is None
    assert capsys.readouterr().out.startswith("Correct: ")
