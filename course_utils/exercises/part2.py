"""Checkers of Part 2 (notebooks 04 to 06): from classification to segmentation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils import ops
from course_utils.exercises._feedback import Feedback, _call


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
        # The same function on other masks and classes: a typed-in count passes only one.
        others = [(mask, 3), (np.rot90(np.pad(mask, 2)), 8), (np.tile(mask, (1, 2)), 8)]
        for other, class_id in others:
            expected = int(label(other == class_id, connectivity=2).max())
            found, error = _call(func, other, class_id)
            if error or found != expected:
                return Feedback(
                    False,
                    f"right on the first mask, but on another mask (class {class_id}) you "
                    f"return {error or found}, where it has {expected} regions.",
                    "Count from the mask and the class you are given: label mask == class_id "
                    "with 8-connectivity and take the max; never type in the answer.",
                )
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

    def shown(weights: np.ndarray) -> str:  # 3 decimals, without float32 noise
        return "[" + ", ".join(f"{float(w):.3f}" for w in np.ravel(weights)) + "]"

    message = f"you return {shown(got)}; want {shown(want)}."
    return Feedback(False, message, hint)
