"""Reference NumPy versions of the layers the course explains (small, readable, exact).

They let a notebook show what a layer computes and check Keras against it, and they
drive the explorers in :mod:`course_utils.widgets` without TensorFlow.

This module is the package's core: it needs NumPy only and imports nothing from
``course_utils``, so every other part may import it, the independent leaves included.
The rules the models follow live here once, as plain functions a notebook can print and
an exercise can check an answer against: :func:`bilinear_kernel` (FCN's initialiser,
used by ``models.BilinearUpsampling``) and :func:`atrous_strides` (how DeepLab turns
strides into dilations, used by ``models.deeplabv3plus``). ``widgets``, ``exercises`` and
``models`` all use them; ``tests/test_structure.py`` keeps this module free of imports
from the package.
"""

from __future__ import annotations

import numpy as np

KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float32),
    "edge (Laplacian)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32),
    "vertical edge (Sobel)": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32),
    "horizontal edge (Sobel)": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], np.float32),
    "blur (box)": np.full((3, 3), 1 / 9, np.float32),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32),
}


def conv_output_size(
    n: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1
) -> int:
    """Output length of a convolution or pooling along one axis.

    ``floor((n + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1``.

    Raises:
        ValueError: when the (dilated) kernel does not fit in the padded input.
    """
    span = dilation * (kernel - 1) + 1
    if n + 2 * padding < span:
        raise ValueError(
            f"A kernel spanning {span} pixels (size {kernel}, dilation {dilation}) does not fit "
            f"in an input of {n} pixels with padding {padding}."
        )
    return (n + 2 * padding - span) // stride + 1


def same_padding(n: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding that Keras' ``padding="same"`` adds: output = ceil(n / stride)."""
    span = dilation * (kernel - 1) + 1
    out = -(-n // stride)
    total = max((out - 1) * stride + span - n, 0)
    return total // 2, total - total // 2


def conv2d(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: str = "valid",
    dilation: int = 1,
) -> np.ndarray:
    """2-D cross-correlation of one channel, as a deep-learning ``Conv2D`` computes it.

    Args:
        image: ``(H, W)``.
        kernel: ``(kh, kw)``; not flipped (deep-learning "convolution" is cross-correlation).
        stride: step between output positions.
        padding: ``"valid"`` (no padding) or ``"same"`` (zeros, as Keras pads).
        dilation: spacing between kernel taps (atrous convolution).

    Returns:
        ``float32 (H_out, W_out)``.
    """
    image = np.asarray(image, np.float32)
    kernel = np.asarray(kernel, np.float32)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(
            f"conv2d takes a 2-D image and kernel, got {image.shape} and {kernel.shape}."
        )
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}.")
    if stride < 1 or dilation < 1:
        raise ValueError("stride and dilation must be at least 1.")
    kh, kw = kernel.shape
    if padding == "same":
        pads = [
            same_padding(n, k, stride, dilation)
            for n, k in zip(image.shape, kernel.shape, strict=True)
        ]
        image = np.pad(image, pads)
    oh = conv_output_size(image.shape[0], kh, 0, stride, dilation)
    ow = conv_output_size(image.shape[1], kw, 0, stride, dilation)
    out = np.zeros((oh, ow), np.float32)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dilation, i * dilation + (oh - 1) * stride + 1, stride)
            cols = slice(j * dilation, j * dilation + (ow - 1) * stride + 1, stride)
            out += kernel[i, j] * image[rows, cols]
    return out


def max_pool2d(image: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Max pooling of one channel ``(H, W)`` with a square window, no padding."""
    stride = stride or size
    image = np.asarray(image, np.float32)
    oh = conv_output_size(image.shape[0], size, 0, stride)
    ow = conv_output_size(image.shape[1], size, 0, stride)
    out = np.full((oh, ow), -np.inf, np.float32)
    for i in range(size):
        for j in range(size):
            out = np.maximum(
                out,
                image[
                    i : i + (oh - 1) * stride + 1 : stride, j : j + (ow - 1) * stride + 1 : stride
                ],
            )
    return out


def batch_norm(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    moving_mean: np.ndarray,
    moving_var: np.ndarray,
    momentum: float = 0.9,
    training: bool = True,
    eps: float = 1e-3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch normalisation of the last axis (the channels), as ``keras.layers.BatchNormalization``.

    Training mode normalises each channel with the batch's mean and *biased* variance
    (divided by the count, NumPy's default), taken over every axis but the last, and moves
    the moving statistics towards them: ``moving = momentum * moving + (1 - momentum) * stat``.
    Keras averages the same biased variance (PyTorch's running variance is the unbiased
    one). Inference mode normalises with the moving statistics and returns them unchanged.
    Then ``y = gamma * (x - mean) / sqrt(var + eps) + beta``. The defaults are the course's
    momentum (0.9; Keras' default is 0.99) and Keras' ``epsilon``.

    Args:
        x: ``(N, C)`` or ``(N, H, W, C)``.
        gamma, beta, moving_mean, moving_var: ``(C,)``.
        momentum: how much of the old moving statistics a training step keeps.
        training: batch statistics (and an update) or moving statistics (no update).
        eps: added to the variance under the square root.

    Returns:
        ``(y, new_moving_mean, new_moving_var)``; ``y`` has ``x``'s shape.
    """
    x = np.asarray(x)
    moving_mean, moving_var = np.asarray(moving_mean), np.asarray(moving_var)
    if training:
        axes = tuple(range(x.ndim - 1))
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        moving_mean = momentum * moving_mean + (1 - momentum) * mean
        moving_var = momentum * moving_var + (1 - momentum) * var
    else:
        mean, var = moving_mean, moving_var
    y = np.asarray(gamma) * (x - mean) / np.sqrt(var + eps) + np.asarray(beta)
    return y, moving_mean, moving_var


def receptive_field(layers: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Receptive field and jump after each layer of a stack.

    Args:
        layers: ``(kernel, stride, dilation)`` per layer (pooling is a layer too).

    Returns:
        ``(receptive field, jump)`` after each layer: how many input pixels one output
        sees along one axis, and how many input pixels apart neighbouring outputs are.
    """
    field, jump, out = 1, 1, []
    for kernel, stride, dilation in layers:
        field += dilation * (kernel - 1) * jump
        jump *= stride
        out.append((field, jump))
    return out


def conv_matrix(n: int, kernel: np.ndarray, stride: int = 1) -> np.ndarray:
    """The matrix ``C`` of a 1-D 'valid' cross-correlation: ``conv(x) == C @ x``, ``len(x) == n``.

    Its transpose ``C.T`` is what a transposed convolution ("deconvolution") multiplies by:
    it maps outputs back to the input's *shape*, not to the input's values.
    """
    kernel = np.asarray(kernel, np.float32)
    out = conv_output_size(n, len(kernel), 0, stride)
    matrix = np.zeros((out, n), np.float32)
    for i in range(out):
        matrix[i, i * stride : i * stride + len(kernel)] = kernel
    return matrix


def max_pool_with_indices(image: np.ndarray, size: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """2x2 (or ``size``) max pooling of ``(H, W)`` that also returns where each max came from.

    Returns:
        ``(pooled, indices)``: indices are flat positions ``row * W + col`` in the input,
        as ``tf.nn.max_pool_with_argmax`` gives them for one channel. Ties take the first.
    """
    image = np.asarray(image, np.float32)
    h, w = (image.shape[0] // size) * size, (image.shape[1] // size) * size
    windows = image[:h, :w].reshape(h // size, size, w // size, size).transpose(0, 2, 1, 3)
    flat = windows.reshape(h // size, w // size, size * size)
    best = flat.argmax(-1)
    rows = np.arange(h // size)[:, None] * size + best // size
    cols = np.arange(w // size)[None, :] * size + best % size
    return flat.max(-1), rows * image.shape[1] + cols


def max_unpool(pooled: np.ndarray, indices: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Put each pooled value back where its maximum was (SegNet's unpooling); zeros elsewhere."""
    out = np.zeros(int(np.prod(shape)), np.float32)
    out[np.asarray(indices).ravel()] = np.asarray(pooled, np.float32).ravel()
    return out.reshape(shape)


def receptive_field_paths(layers: list[tuple[int, int, int]]) -> np.ndarray:
    """How many paths lead from one output unit back to each input pixel (along one axis).

    The receptive field says *which* input pixels one output can see; this says how much
    each of them counts. Stacked 3x3 layers weigh the centre most; equal dilations leave
    holes (the "gridding" effect of dilated convolution).

    Args:
        layers: ``(kernel, stride, dilation)`` per layer, input first.

    Returns:
        a 1-D array as long as the receptive field; its outer product with itself is the
        2-D picture for square kernels.
    """
    paths = np.ones(1, np.int64)
    for kernel, stride, dilation in reversed(layers):
        grown = np.zeros((len(paths) - 1) * stride + dilation * (kernel - 1) + 1, np.int64)
        for tap in range(kernel):
            grown[tap * dilation : tap * dilation + (len(paths) - 1) * stride + 1 : stride] += paths
        paths = grown
    return paths


def conv_costs(
    kernel: int, c_in: int, c_out: int, out_hw: tuple[int, int], separable: bool = False
) -> dict[str, int]:
    """Parameters and multiply-adds of a ``k x k`` convolution layer (biases included).

    Args:
        kernel: kernel size ``k``.
        c_in, c_out: input and output channels.
        out_hw: output height and width (multiply-adds scale with it; parameters do not).
        separable: a depthwise ``k x k`` convolution followed by a pointwise ``1 x 1`` one
            (Keras' ``SeparableConv2D``), instead of a standard convolution.
    """
    positions = out_hw[0] * out_hw[1]
    depthwise_then_pointwise = kernel * kernel * c_in + c_in * c_out
    weights = depthwise_then_pointwise if separable else kernel * kernel * c_in * c_out
    return {"params": weights + c_out, "mult_adds": weights * positions}


def upsample(image: np.ndarray, factor: int, method: str = "nearest") -> np.ndarray:
    """Enlarge ``(H, W)`` by an integer factor, as ``keras.layers.UpSampling2D`` does.

    Args:
        method: ``"nearest"`` (copy each value into a ``factor x factor`` block) or
            ``"bilinear"`` (half-pixel centres, edges clamped, like ``tf.image.resize``).
    """
    image = np.asarray(image, np.float32)
    if method == "nearest":
        return np.repeat(np.repeat(image, factor, 0), factor, 1)
    if method != "bilinear":
        raise ValueError(f"method must be 'nearest' or 'bilinear', not {method!r}.")

    def axis_weights(n: int) -> np.ndarray:
        src = np.clip((np.arange(n * factor) + 0.5) / factor - 0.5, 0, n - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        frac = (src - lo).astype(np.float32)
        weights = np.zeros((n * factor, n), np.float32)
        np.add.at(weights, (np.arange(n * factor), lo), 1 - frac)
        np.add.at(weights, (np.arange(n * factor), hi), frac)
        return weights

    return axis_weights(image.shape[0]) @ image @ axis_weights(image.shape[1]).T


def unpool(image: np.ndarray, factor: int = 2) -> np.ndarray:
    """ "Bed of nails" unpooling: each value goes to the top-left of its block, zeros elsewhere."""
    image = np.asarray(image, np.float32)
    out = np.zeros((image.shape[0] * factor, image.shape[1] * factor), np.float32)
    out[::factor, ::factor] = image
    return out


def conv_transpose2d(image: np.ndarray, kernel: np.ndarray, stride: int = 1) -> np.ndarray:
    """'valid' transposed convolution of one channel (Keras ``Conv2DTranspose``, no bias).

    Every input value stamps ``value * kernel`` onto the output at ``stride`` steps; where
    stamps overlap they add up. Output size ``(n - 1) * stride + k`` per axis.
    """
    image = np.asarray(image, np.float32)
    kernel = np.asarray(kernel, np.float32)
    kh, kw = kernel.shape
    h, w = image.shape
    out = np.zeros(((h - 1) * stride + kh, (w - 1) * stride + kw), np.float32)
    for i in range(kh):
        for j in range(kw):
            out[i : i + (h - 1) * stride + 1 : stride, j : j + (w - 1) * stride + 1 : stride] += (
                image * kernel[i, j]
            )
    return out


def crop_to(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Cut the centre ``shape`` out of a larger ``(H, W)`` array (extra pixel at the end)."""
    top = (image.shape[0] - shape[0]) // 2
    left = (image.shape[1] - shape[1]) // 2
    return image[top : top + shape[0], left : left + shape[1]]


def bilinear_kernel(factor: int) -> np.ndarray:
    """The ``(2f - f % 2)``-square kernel that makes a stride-``f`` transposed convolution
    interpolate bilinearly (FCN's initialisation of its upsampling layers)."""
    size = 2 * factor - factor % 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    ramp = 1 - np.abs(np.arange(size) - center) / factor
    return np.outer(ramp, ramp).astype(np.float32)


def valid_unet_output(size: int, depth: int) -> int:
    """Output size of the paper's U-Net with unpadded ("valid") 3x3 convolutions.

    Each of ``depth`` levels down loses 4 pixels to two convolutions and halves; the
    bottom loses 4 more; each level up doubles and loses 4 (572 -> 388 at depth 4).
    """
    for _ in range(depth):
        size = (size - 4) // 2
    size -= 4
    for _ in range(depth):
        size = size * 2 - 4
    return size


def taps_inside_fraction(height: int, width: int, rate: int) -> float:
    """Mean fraction of a 3x3 kernel's taps, dilated by ``rate``, that land inside a
    ``height x width`` map, over every output position ("same" padding). The rest read
    padding: at rates near the map's size the kernel degenerates to its centre tap."""

    def axis(n: int) -> float:
        pos = np.arange(n)[:, None] + rate * np.array([-1, 0, 1])[None, :]
        return float(((pos >= 0) & (pos < n)).mean())

    return axis(height) * axis(width)


def atrous_strides(strides: list[int], output_stride: int) -> list[tuple[int, int]]:
    """Turn a backbone's strides into ``(stride, dilation)`` pairs for an output stride.

    Strides are kept while the product stays within ``output_stride``; after that each
    stride becomes 1 and multiplies the dilation of the layers that follow (the rule of
    DeepLab's TF-slim code), so the receptive field grows as before without shrinking
    the map.
    """
    out, current, dilation = [], 1, 1
    for s in strides:
        if current * s > output_stride:
            out.append((1, dilation))
            dilation *= s
        else:
            current *= s
            out.append((s, dilation))
    return out


def centre_crop_box(
    height: int, width: int, aspect: tuple[int, int] = (3, 4)
) -> tuple[int, int, int, int]:
    """The largest centred box of a ``height x width`` image whose sides are in the ratio
    ``aspect = (a, b)`` (height : width), as ``(top, left, crop_height, crop_width)``.

    The side that is too long is cut to ``width * a // b`` (or ``height * b // a``), whole
    pixels rounded down, and the cut is shared between both ends (the odd pixel, if any,
    at the bottom or right). CamVid's frames are 360x480, ratio 3:4.

    Raises:
        ValueError: for an empty image or a ratio that is not two positive integers.
    """
    a, b = (int(v) for v in aspect)
    if a <= 0 or b <= 0 or (a, b) != tuple(aspect):
        raise ValueError(f"aspect must be two positive integers (height, width), got {aspect}.")
    if height <= 0 or width <= 0:
        raise ValueError(f"cannot crop an empty image ({height}x{width}).")
    crop_h, crop_w = min(height, width * a // b), min(width, height * b // a)
    if crop_h == 0 or crop_w == 0:
        raise ValueError(
            f"a {height}x{width} image is too narrow for a {a}:{b} crop of at least one pixel."
        )
    return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w


def class_shares(ids: np.ndarray, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """Each class's share of the labelled pixels of a map of class ids: ``(num_classes,)``
    floats that sum to 1 (all zeros when no pixel is labelled).

    Pixels with ``ignore_index`` (and any id outside ``0..num_classes-1``) are not counted,
    in the shares or in the total.
    """
    flat = np.asarray(ids).ravel().astype(np.int64)
    keep = (flat >= 0) & (flat < num_classes)
    if ignore_index is not None:
        keep &= flat != ignore_index
    counts = np.bincount(flat[keep], minlength=num_classes)[:num_classes].astype(np.float64)
    total = counts.sum()
    return counts / total if total else counts
