"""Checkers for the notebooks' exercises: specific feedback, never just "wrong".

Each checker takes the learner's answer (a value or a function), tests it, and returns
a :class:`Feedback` that shows as a coloured box in a notebook and as text elsewhere.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from course_utils import ops


@dataclasses.dataclass(frozen=True)
class Feedback:
    """The verdict on one answer.

    Attributes:
        correct: whether the answer is right.
        message: what was checked and what went wrong, specifically.
        hint: a nudge towards the fix (``None`` when correct).
    """

    correct: bool
    message: str
    hint: str | None = None

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        mark = "Correct" if self.correct else "Not yet"
        text = f"{mark}: {self.message}"
        return text + (f"\nHint: {self.hint}" if self.hint else "")

    def _repr_html_(self) -> str:
        color, mark = (
            ("#e6f4ea", "&#10004; Correct") if self.correct else ("#fdecea", "&#10008; Not yet")
        )
        hint = f"<br><i>Hint:</i> {html.escape(self.hint)}" if self.hint else ""
        return (
            f'<div style="background:{color};padding:8px;border-radius:4px">'
            f"<b>{mark}</b>: {html.escape(self.message)}{hint}</div>"
        )


def _call(func: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    try:
        return func(*args), None
    except Exception as err:  # noqa: BLE001 - a learner's code may raise anything; report it
        return None, f"{type(err).__name__}: {err}"


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
            if got == (n + 2 * p - k) / s + 1 or got == (n + 2 * p - k) // s + 1 and d > 1:
                hint = (
                    "A dilated kernel spans dilation * (kernel - 1) + 1 pixels; "
                    "and round down with //."
                )
            elif isinstance(got, float):
                hint = (
                    "Output sizes are whole numbers: round down with // "
                    "(a partial window is dropped)."
                )
            else:
                hint = "Count how many window positions fit: (n + 2p - span) // stride + 1."
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


def check_cross_entropy(func: Callable[[np.ndarray, np.ndarray], float]) -> Feedback:
    """Check ``f(logits (N, K), labels (N,)) -> mean sparse cross-entropy``, computed stably."""
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, (6, 4))
    labels = np.array([0, 3, 1, 1, 2, 0])
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    want = float(-log_probs[np.arange(6), labels].mean())
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
    probs = np.exp(log_probs)
    if np.isclose(got, float(-np.log(probs.max(1)).mean())):
        return Feedback(
            False, "you used the most likely class, not the true label.", "Index with labels."
        )
    if not np.isclose(got, want, rtol=1e-5):
        return Feedback(
            False, f"you return {got:.4f}, the loss is {want:.4f}.", "Use -log softmax(z)[label]."
        )
    big, big_error = _call(func, logits * 300, labels)
    if big_error or not np.isfinite(np.asarray(big, float)).all():
        return Feedback(
            False,
            "right on small logits, but it overflows on large ones (try logits * 300).",
            "Subtract each row's maximum before exp: softmax is unchanged, exp cannot overflow.",
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


def check_flatten_dense_params(
    answer: int, feature_shape: tuple[int, int, int], units: int
) -> Feedback:
    """Check the parameter count of ``Dense(units)`` applied to a flattened ``(h, w, c)`` map."""
    h, w, c = feature_shape
    want = h * w * c * units + units
    if answer == want:
        return Feedback(True, f"{want:,}: every one of the {h * w * c:,} inputs meets every unit.")
    if answer == c * units + units:
        return Feedback(
            False, f"you wrote {answer:,}.", f"Flatten keeps all {h}x{w} positions: h*w*c inputs."
        )
    if answer == h * w * c * units:
        return Feedback(False, f"you wrote {answer:,}.", "Add one bias per unit.")
    return Feedback(
        False, f"you wrote {answer:,}; the layer has {want:,}.", "inputs x units + units."
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
            False, f"your function raised {error}.", "skimage.measure.label labels regions."
        )
    if got == want:
        return Feedback(
            True, f"{want} regions: corner-touching pixels belong together (8-connectivity)."
        )
    if got == int(label(mask == 8, connectivity=1).max()):
        return Feedback(
            False,
            f"you count {got}; with diagonal neighbours it is {want}.",
            "Use connectivity=2 (8 neighbours).",
        )
    if got == int(label(mask > 0, connectivity=2).max()):
        return Feedback(
            False,
            f"you count {got}, regions of every class.",
            "Select the class first: mask == class_id.",
        )
    return Feedback(
        False,
        f"you count {got}; the class has {want} regions.",
        "Label mask == class_id, take the max.",
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
            return Feedback(False, f"your function raised {error} for {layers}.")
        if got == want:
            continue
        no_jump = 1 + sum(d * (k - 1) for k, _, d in layers)
        no_dilation = ops.receptive_field([(k, s, 1) for k, s, _ in layers])[-1][0]
        if got == no_jump:
            hint = (
                "After a stride-s layer, neighbouring outputs are s input pixels apart: multiply "
                "each later layer's growth by the product of the strides before it (the jump)."
            )
        elif got == no_dilation:
            hint = "A dilated kernel spans dilation * (kernel - 1) + 1 pixels."
        else:
            hint = (
                "Start at 1; each layer adds dilation * (kernel - 1) * jump; then jump *= stride."
            )
        return Feedback(False, f"for {layers} you return {got!r}, the field is {want}.", hint)
    return Feedback(
        True,
        "The field grows by dilation x (kernel - 1) x jump per layer: strides and dilations "
        "multiply the growth of everything after them.",
    )


def check_separable_params(func: Callable[[int, int, int], int]) -> Feedback:
    """Check ``f(kernel, c_in, c_out) -> parameters`` of a ``SeparableConv2D`` with biases."""
    for k, c_in, c_out in [(3, 32, 64), (5, 16, 8), (1, 7, 3), (3, 1, 1)]:
        want = ops.conv_costs(k, c_in, c_out, (1, 1), separable=True)["params"]
        got, error = _call(func, k, c_in, c_out)
        if error:
            return Feedback(False, f"your function raised {error} for {(k, c_in, c_out)}.")
        if got == want:
            continue
        if got == k * k * c_in * c_out + c_out:
            hint = (
                "That is a standard convolution. Separable = depthwise k*k per input channel + 1x1."
            )
        elif got == want - c_out:
            hint = "Keras' SeparableConv2D has one bias per output channel (on the pointwise part)."
        elif got == want + c_in:
            hint = "Only the pointwise part has a bias in Keras' SeparableConv2D."
        else:
            hint = "depthwise: k*k*c_in; pointwise: c_in*c_out; bias: c_out."
        return Feedback(False, f"for k={k}, {c_in}->{c_out} you return {got!r}, want {want}.", hint)
    separable = ops.conv_costs(3, 256, 256, (1, 1), separable=True)["params"]
    ratio = separable / ops.conv_costs(3, 256, 256, (1, 1))["params"]
    return Feedback(
        True,
        f"k*k*c_in + c_in*c_out + c_out. For a 3x3 layer with 256 channels in and out that is "
        f"{ratio:.1%} of a standard convolution's parameters.",
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
            return Feedback(False, f"your function raised {error} for y={y.tolist()}.")
        got = np.asarray(got, np.float64).ravel()
        if got.shape == want.shape and np.allclose(got, want):
            continue
        case = f"y={y.tolist()}, kernel={kernel.tolist()}, stride={stride}"
        if got.shape != want.shape:
            hint = "The output has (len(y) - 1) * stride + len(kernel) values."
            return Feedback(
                False, f"for {case} you return {len(got)} values, want {len(want)}.", hint
            )
        flipped = ops.conv_transpose2d(y[None, :], kernel[None, ::-1], stride)[0]
        if np.allclose(got, flipped):
            hint = "Do not flip the kernel: stamp kernel[t] at position i * stride + t."
        else:
            hint = (
                "Start from zeros; for each i, add y[i] * kernel to out[i*stride : i*stride + k]."
            )
        message = f"for {case} you return {got.round(3).tolist()}, want {want.tolist()}."
        return Feedback(False, message, hint)
    return Feedback(
        True,
        "Each input stamps a scaled copy of the kernel, stride apart; overlaps add. That is "
        "multiplying by the transpose of the convolution matrix.",
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
        return Feedback(False, f"your function raised {error}.", "Start from np.diag(cm).")
    try:
        acc, miou = (float(v) for v in got)
    except (TypeError, ValueError):
        return Feedback(False, f"return a pair (accuracy, miou); you returned {got!r}.")
    if not np.isclose(acc, report.pixel_accuracy, atol=1e-6):
        return Feedback(
            False,
            f"pixel accuracy {acc:.4f}; want {report.pixel_accuracy:.4f}.",
            "Correct pixels (the diagonal) over all pixels.",
        )
    if np.isclose(miou, report.miou, atol=1e-6):
        return Feedback(
            True,
            f"accuracy {acc:.3f} but mIoU {miou:.3f}: the road dominates the pixels, while the "
            "rare sign class, mostly missed, weighs as much as the road in the mean.",
        )
    tp = np.diag(cm).astype(float)
    union = cm.sum(0) + cm.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = tp / union
        class_acc = tp / cm.sum(1)
    if np.isclose(miou, np.nan_to_num(iou).mean(), atol=1e-6):
        hint = "A class with no pixels in labels or predictions has no IoU: leave it out (nanmean)."
    elif np.isclose(miou, np.nanmean(class_acc), atol=1e-6):
        hint = "That is mean class accuracy. IoU divides by TP + FP + FN (row + column - diagonal)."
    else:
        hint = "IoU_c = cm[c, c] / (row sum + column sum - cm[c, c]); average with np.nanmean."
    return Feedback(False, f"mIoU {miou:.4f}; want {report.miou:.4f}.", hint)


def check_dice(func: Callable[[np.ndarray, np.ndarray, int, int], float]) -> Feedback:
    """Check ``f(y_true, y_pred, class_id, ignore_index) -> Dice`` of one class on hard masks."""
    y_true = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 11, 11], [2, 2, 11, 11]])
    y_pred = np.array([[1, 1, 1, 0], [1, 0, 0, 0], [0, 0, 1, 1], [2, 0, 1, 0]])
    valid = y_true != 11
    t, p = (y_true == 1) & valid, (y_pred == 1) & valid
    want = 2 * (t & p).sum() / (t.sum() + p.sum())
    got, error = _call(func, y_true.copy(), y_pred.copy(), 1, 11)
    if error:
        return Feedback(False, f"your function raised {error}.")
    if got is not None and np.isclose(float(got), want):
        iou = (t & p).sum() / (t | p).sum()
        return Feedback(
            True, f"Dice {want:.3f} (IoU {iou:.3f}); Dice = 2 IoU / (1 + IoU), always >= IoU."
        )
    t_all, p_all = y_true == 1, y_pred == 1
    if got is not None and np.isclose(
        float(got), 2 * (t_all & p_all).sum() / (t_all.sum() + p_all.sum())
    ):
        hint = "Drop the void pixels (y_true == ignore_index) from both masks first."
    elif got is not None and np.isclose(float(got), (t & p).sum() / (t | p).sum()):
        hint = "That is IoU. Dice is 2|P∩T| / (|P| + |T|)."
    else:
        hint = "2 * overlap / (pixels of the class in y_true + in y_pred), void pixels left out."
    return Feedback(False, f"you return {got!r}; want {want:.4f}.", hint)


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
        return Feedback(False, f"your function raised {error}.")
    got = np.asarray(got, np.float64).ravel()
    if got.shape == want.shape and np.allclose(got, want, rtol=1e-4):
        return Feedback(
            True,
            "weights " + ", ".join(f"{w:.2f}" for w in want) + ": the median class gets 1, rarer "
            "classes more, the dominant class less.",
        )
    share = np.bincount(masks.ravel(), minlength=4) / masks.size
    if got.shape == want.shape and np.allclose(got, np.median(share) / share, rtol=1e-4):
        hint = (
            "freq[c] divides class c's pixels by the pixels of the images that contain c, not "
            "by all pixels."
        )
    else:
        hint = (
            "freq[c] = pixels of c / pixels of images containing c; weight = median(freq) / freq."
        )
    message = f"you return {np.round(got, 3).tolist()}; want {np.round(want, 3).tolist()}."
    return Feedback(False, message, hint)


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


def _valid_unet_output(size: int, depth: int) -> int:
    for _ in range(depth):
        size = (size - 4) // 2
    size -= 4
    for _ in range(depth):
        size = size * 2 - 4
    return size


def check_valid_unet_output(func: Callable[[int, int], int]) -> Feedback:
    """Check ``f(input_size, depth) -> output size`` of the paper's U-Net with "valid"
    convolutions (two unpadded 3x3 per level, 2x2 pooling, 2x2 up-convolution)."""
    for size, depth in [(572, 4), (508, 4), (188, 2), (140, 3)]:
        want = _valid_unet_output(size, depth)
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


def _inside_fraction(h: int, w: int, rate: int) -> float:
    def axis(n: int) -> float:
        pos = np.arange(n)[:, None] + rate * np.array([-1, 0, 1])[None, :]
        return float(((pos >= 0) & (pos < n)).mean())

    return axis(h) * axis(w)


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
        want = _inside_fraction(h, w, rate)
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
        f"On a 12x16 map, rate 18 keeps {_inside_fraction(12, 16, 18):.0%} of the taps: "
        "almost only the centre one, a 1x1 convolution. Rates must suit the feature map.",
    )


def _atrous(strides: list[int], output_stride: int) -> list[tuple[int, int]]:
    out, current, dilation = [], 1, 1
    for s in strides:
        if current * s > output_stride:
            out.append((1, dilation))
            dilation *= s
        else:
            current *= s
            out.append((s, dilation))
    return out


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
        want = _atrous(strides, os_)
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
