"""Checkers of Part 1 (notebooks 01 to 03): convolution, classification, classic CNNs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from course_utils import ops
from course_utils.exercises._feedback import Feedback, _call


def _conv_size_hint(got: Any, n: int, k: int, p: int, s: int, d: int) -> str:
    """The likeliest mistake behind a wrong output size, named."""
    span = d * (k - 1) + 1
    if isinstance(got, float) and not float(got).is_integer():
        return "Output sizes are whole numbers: round down with // (a partial window is dropped)."
    mistakes = [
        ((n - span) // s + 1, "The padding adds p pixels on each side: n + 2 * p."),
        (
            (n + p - span) // s + 1,
            "The padding adds p pixels on *each* side: n + 2 * p, not n + p.",
        ),
        ((n + 2 * p - span) // s, "Count the first window too: ... // stride + 1."),
        (-(-(n + 2 * p - span) // s) + 1, "Round down, not up: a partial window is dropped (//)."),
        (round((n + 2 * p - span) / s) + 1, "Round down, not to the nearest: use //."),
        ((n + 2 * p - k) // s + 1, "A dilated kernel spans dilation * (kernel - 1) + 1 pixels."),
    ]
    for wrong, hint in mistakes:
        if got == wrong and wrong != (n + 2 * p - span) // s + 1:
            return hint
    return "Count how many window positions fit: (n + 2p - span) // stride + 1."


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
                False, f"your function raised {error} for {where}.", "Use only integer arithmetic."
            )
        if got != want:
            hint = _conv_size_hint(got, n, k, p, s, d)
            return Feedback(
                False, f"for {where} you return {got!r}, the right size is {want}.", hint
            )
    return Feedback(True, f"all {len(cases)} cases match, strides, padding and dilation included.")


def check_cross_correlation(func: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Check ``f(image, kernel) -> feature map``: a 'valid', stride-1 2-D cross-correlation."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 10, (6, 7)).astype(np.float32)
    kernel = np.array([[1, 2, 0], [0, -1, 0], [3, 0, 1]], np.float32)
    want = ops.conv2d(image, kernel)
    got, error = _call(func, image, kernel)
    if error:
        return Feedback(
            False, f"your function raised {error}.", "Loop over output rows and columns."
        )
    got = np.asarray(got)
    if got.shape != want.shape:
        return Feedback(
            False,
            f"a 6x7 image and a 3x3 kernel give a {want.shape[0]}x{want.shape[1]} map; "
            f"yours is {got.shape}.",
            "Without padding the window must stay inside the image: H - 3 + 1 rows.",
        )
    if np.allclose(got, ops.conv2d(image, kernel[::-1, ::-1])):
        return Feedback(
            False,
            "you flipped the kernel: that is the textbook convolution.",
            "Deep-learning layers compute cross-correlation: multiply the window by the "
            "kernel as it is.",
        )
    if not np.allclose(got, want, atol=1e-4):
        r, c = np.argwhere(~np.isclose(got, want, atol=1e-4))[0]
        return Feedback(
            False,
            f"output[{r}, {c}] is {got[r, c]:g}, expected {want[r, c]:g}.",
            f"It is sum(image[{r}:{r + 3}, {c}:{c + 3}] * kernel).",
        )
    return Feedback(True, "your feature map matches the reference exactly.")


def check_param_counts(answer: Mapping[str, int], model: Any) -> Feedback:
    """Check a dict ``{layer name: parameter count}`` against a built Keras model.

    Every layer with weights must be in the dict; the expected counts are read from
    the model itself, so this checks the learner's arithmetic against Keras.
    """
    expected = {layer.name: layer.count_params() for layer in model.layers if layer.count_params()}
    missing = [name for name in expected if name not in answer]
    if missing:
        return Feedback(
            False, f"no count for layer(s) {missing}.", "Give a count for every layer with weights."
        )
    for name, want in expected.items():
        got = answer[name]
        if got != want:
            layer = model.get_layer(name)
            if hasattr(layer, "kernel") and got == int(np.prod(layer.kernel.shape)):
                hint = "You counted the weights but not the biases: one bias per unit or filter."
            elif "conv" in name:
                hint = "A conv layer has kh * kw * in_channels * filters weights + filters biases."
            else:
                hint = "A dense layer has inputs * units weights + units biases."
            return Feedback(False, f"{name}: you wrote {got:,}, Keras counts {want:,}.", hint)
    total = sum(expected.values())
    return Feedback(True, f"every layer matches; {total:,} parameters in all.")


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
            False, f"your function raised {error}.", "Work row by row: softmax, then -log p[label]."
        )
    got = float(np.asarray(got).mean())
    if np.isclose(got, want * 6):
        return Feedback(
            False, "you return the sum over examples.", "Keras losses average over examples."
        )
    if np.isclose(got, _mean_cross_entropy(logits, logits.argmax(1))):
        return Feedback(
            False, "you used the most likely class, not the true label.", "Index with labels."
        )
    if not np.isclose(got, want, rtol=1e-5):
        return Feedback(
            False, f"you return {got:.4f}, the loss is {want:.4f}.", "Use -log softmax(z)[label]."
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
            "right on small logits, but infinite on large ones (logits * 300): the true "
            "class's softmax probability underflows to 0, and -log(0) is infinite, even with "
            "each row's maximum subtracted.",
            "Never take the log of a probability: compute log softmax directly with the "
            "log-sum-exp trick, z - max(z) - log(sum(exp(z - max(z)))), then pick the label.",
        )
    if big_values is None or not np.isfinite(big_values).all():
        return Feedback(
            False,
            "right on small logits, but it overflows on large ones (try logits * 300).",
            "Subtract each row's maximum before exp: softmax is unchanged, exp cannot overflow.",
        )
    big_want = _mean_cross_entropy(logits * 300, labels)
    big_got = float(np.asarray(big, float).mean())
    if not np.isclose(big_got, big_want, rtol=1e-5):
        return Feedback(
            False,
            f"finite on large logits (logits * 300), but {big_got:.2f} where the loss is "
            f"{big_want:.2f}.",
            "Clipping probabilities (say to 1e-7) caps each wrong answer's loss at -log(1e-7) "
            "= 16.1: compute log softmax directly, z - max(z) - log(sum(exp(z - max(z)))).",
        )
    return Feedback(
        True, f"{want:.4f}, and it stays finite for huge logits: that is from_logits=True."
    )


def check_most_confused(answer: str, cm: Any, class_names: list[str], true_class: str) -> Feedback:
    """Check which class ``true_class`` is most often mistaken for, read from a confusion matrix."""
    cm = np.asarray(cm)
    row = cm[class_names.index(true_class)].astype(float)
    row[class_names.index(true_class)] = -1
    want = class_names[int(row.argmax())]
    if answer == want:
        return Feedback(
            True,
            f"{true_class} images are most often predicted as {want} ({int(row.max())} times).",
        )
    if answer not in class_names:
        return Feedback(
            False, f"{answer!r} is not a class name.", f"Pick one of {', '.join(class_names)}."
        )
    col = cm[:, class_names.index(true_class)].astype(float)
    col[class_names.index(true_class)] = -1
    if answer == class_names[int(col.argmax())]:
        return Feedback(
            False,
            f"{answer} is what is most often predicted *as* {true_class}.",
            "Rows are the true classes.",
        )
    return Feedback(
        False,
        f"{answer} is not the largest off-diagonal entry of the {true_class} row.",
        "Look along the row of the true class, skipping the diagonal.",
    )


def check_stacked_receptive_field(func: Callable[[int], int]) -> Feedback:
    """Check ``f(n) -> receptive field`` of ``n`` stacked 3x3, stride-1 convolutions."""
    for n in (1, 2, 3, 5, 10):
        got, error = _call(func, n)
        if error:
            return Feedback(False, f"your function raised {error} for n={n}.", "Each layer adds 2.")
        if got != 2 * n + 1:
            hint = (
                "One 3x3 layer sees 3 pixels; each further 3x3 layer widens the view by one pixel "
                "on each side."
            )
            return Feedback(
                False, f"for n={n} you return {got!r}, the receptive field is {2 * n + 1}.", hint
            )
    return Feedback(
        True,
        "n stacked 3x3 layers see 2n + 1 pixels: three of them see 7x7 like one 7x7 layer, with "
        "27 C^2 weights instead of 49 C^2 and three non-linearities instead of one.",
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
        return Feedback(True, f"{want:,} parameters, 1x1 reductions and biases included.")
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
        hint = "The 3x3 and 5x5 branches first go through their 1x1 'reduce' convolutions."
    elif answer == want - (f1 + r3 + f3 + r5 + f5 + pp):
        hint = "Add one bias per filter of every convolution."
    else:
        hint = (
            "Sum over the six convolutions: k*k*in*out + out. The pooling branch's pool has none."
        )
    return Feedback(False, f"you wrote {answer:,}; the module has {want:,}.", hint)
