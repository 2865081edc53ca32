"""Checkers of the build-a-block exercises of notebooks 06 to 11.

The learner writes a function from Keras tensors to a Keras tensor, as ``models`` builds its
networks (the last exercise takes a model and returns one). A checker builds it on tiny inputs,
in float32, and checks the output shape, the parameter count, the property that defines the
idea and, where it is cheap, that a few training steps lower a loss.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from course_utils.exercises._feedback import Feedback, _call
from course_utils.exercises._keras import (
    _build,
    _float32,
    _layers_of,
    _loss_falls,
    _predict,
    _random,
    _shape,
)

Shape = tuple[int, ...]
Rule = tuple[bool, str, str]
"""``(failed, message, hint)``: one property of an answer."""
Case = tuple[Sequence[Shape], tuple[Any, ...], str, Shape, Sequence[tuple[Any, str]]]
"""Input shapes, other arguments, the case in words, the output shape (no batch axis), and
probes for a failed build: ``(other input shapes on which it builds, hint)``, or
``(a text of the error, hint)``."""

_FILTERS = "Use the `filters` argument for the number of output channels, not a fixed number."


def _first(rules: Iterable[Rule]) -> Feedback | None:
    """The first rule that failed, as feedback; the rules after it are not evaluated."""
    return next((Feedback(False, message, hint) for bad, message, hint in rules if bad), None)


def _params(model: Any, wants: Sequence[int], recipe: str, hint: str) -> Rule:
    got = model.count_params()
    return got not in wants, f"your block has {got:,} parameters; {recipe}.", hint


def _depends(model: Any, arrays: list[np.ndarray], i: int) -> bool:
    """Whether the output changes when input ``i`` is replaced by other random values."""
    other = [_random(a.shape, seed=99) if k == i else a for k, a in enumerate(arrays)]
    return not np.allclose(_predict(model, *arrays), _predict(model, *other), atol=1e-6)


def _fits(func: Callable[..., Any], probe: Any, extra: tuple[Any, ...], error: str) -> bool:
    """Whether a probe names the mistake: a text of the error, or shapes on which func builds."""
    return probe in error if isinstance(probe, str) else _build(func, probe, *extra)[1] is None


def _check(
    func: Callable[..., Any],
    cases: Sequence[Case],
    hints: tuple[str, str],
    rules: Callable[..., Iterator[Rule]],
    success: str,
    learn: str | None = "Every layer must train (no trainable=False).",
    trained: Callable[[Any, list[np.ndarray]], Iterator[Rule]] | None = None,
) -> Feedback:
    """Build ``func`` for each case, check its output shape, then ``rules(model, arrays,
    *arguments)`` on random inputs; then, unless ``learn`` is None, that five training steps
    of the first case's model lower the loss (``learn`` is the hint if not), and ``trained``.

    A wrong output shape gets ``hints[0]`` if only the channels are wrong, else ``hints[1]``.
    """
    first = problem = None
    for shapes, extra, where, want, probes in cases:
        model, error = _build(func, shapes, *extra)
        if error:
            hint = next((hint for probe, hint in probes if _fits(func, probe, extra, error)), None)
            if hint is None and "matching shapes" in error:
                hint = ("The maps differ in height and width: crop or up-sample one of them "
                        "to the other's size before joining them.")  # fmt: skip
            return Feedback(False, f"with {where}, {error.rstrip('.')}.", hint)
        got, wanted = _shape(model), (None, *want)
        if got != wanted:
            hint = hints[0] if got[:-1] == wanted[:-1] else hints[1]
            return Feedback(False, f"with {where}, your output is {got}; want {wanted}.", hint)
        arrays = [_random((2, *shape), seed) for seed, shape in enumerate(shapes, start=1)]
        problem = _first(rules(model, arrays, *extra))
        if problem is not None:
            return problem
        first = first or (model, arrays)
    if learn is not None and first is not None:
        model, arrays = first
        target = _random(_predict(model, *arrays).shape, seed=5)
        with warnings.catch_warnings():  # Keras' "no trainable weights" becomes the hint
            warnings.simplefilter("ignore", UserWarning)
            before, after = _loss_falls(model, arrays, target, steps=5)
        message = f"training did not lower the loss ({before:.4g} -> {after:.4g})."
        more = trained(model, arrays) if trained else ()  # a generator: runs only if the loss fell
        problem = _first(itertools.chain([(after >= before, message, learn)], more))
    return Feedback(True, success) if problem is None else problem


def check_skip_decoder_step(func: Callable[[Any, Any, int], Any]) -> Feedback:
    """Check ``decoder_step(x, skip, filters)`` (notebook 06): ``UpSampling2D(2)`` on ``x``
    (half skip's size), ``Concatenate()`` with ``skip``, ``Conv2D(filters, 3, padding="same",
    activation="relu")``.

    A learned ``Conv2DTranspose`` up-sampling is accepted (its weights then count too).
    Projecting ``x`` to skip's channels and adding is a skip as well (FCN's), but not U-Net's,
    which this exercise builds: it is refused, with that explanation.
    """
    cases = [
        ([xs, ss], (f,), f"x {xs}, skip {ss} and filters={f}", (*ss[:2], f), [
            ([(*ss[:2], xs[2]), ss], "x is half skip's size: up-sample it first, UpSampling2D(2)."),
            ([(*xs[:2], ss[2]), ss], "Add needs equal channels; Concatenate() stacks them."),
        ]) for xs, ss, f in [((4, 6, 32), (8, 12, 16), 16), ((3, 5, 8), (6, 10, 4), 6)]
    ]  # fmt: skip

    def rules(model: Any, arrays: list[np.ndarray], filters: int) -> Iterator[Rule]:
        yield (not _depends(model, arrays, 1),
               "your output does not change with skip: the skip is unused.",
               "Concatenate the up-sampled x with skip: Concatenate()([x, skip]).")  # fmt: skip
        added = " (it adds them)" if _layers_of(model, "Add") else ""
        yield (not (_layers_of(model, "Concatenate") and _depends(model, arrays, 0)),
               f"your block does not concatenate the up-sampled x with skip{added}.",
               "U-Net stacks the channels for the convolution to weigh; adding (FCN's way) "
               "mixes them before any weight sees them.")  # fmt: skip
        ups = _layers_of(model, "Conv2DTranspose")
        channels = (ups[-1].filters if ups else arrays[0].shape[-1]) + arrays[1].shape[-1]
        conv, learned = 9 * channels * filters + filters, sum(u.count_params() for u in ups)
        recipe = f"a 3x3 convolution from {channels} channels to {filters} has {conv:,}"
        recipe += f", plus {learned:,} to up-sample" if learned else ""
        hint = "One Conv2D(filters, 3, padding='same', activation='relu') on the concatenation."
        yield _params(model, [conv + learned], recipe, hint)

    return _check(
        func,
        cases,
        (_FILTERS, "Up-sample x to skip's size, concatenate, then a 3x3 'same' convolution."),
        rules,
        "x up-sampled to skip's size and stacked with it (48 channels), then a 3x3 "
        "convolution: output (None, 8, 12, 16), 6,928 parameters, it depends on both inputs, "
        "other sizes and filters work too, and training lowers the loss.",
    )


def check_fcn_fusion(func: Callable[[Any, Any, int], Any]) -> Feedback:
    """Check ``fuse(coarse, pool4, num_classes)`` (notebook 07): FCN-16s's fusion.

    ``Conv2D(num_classes, 1, kernel_initializer="zeros")`` scores pool4; the coarse scores are
    up-sampled x2 bilinearly (``UpSampling2D(2, interpolation="bilinear")``, or a
    ``Conv2DTranspose`` initialised with ``BilinearUpsampling(2)``, whose weights then count);
    ``Add()`` sums them. At initialisation the output must be the up-sampled coarse scores
    alone, away from the border (the net starts as FCN-32s); after training, depend on pool4.
    """
    import keras

    learn = "The score layer must learn; zeros are only its start (do not freeze it)."
    cases = [
        ([cs, ps], (k,), f"coarse {cs}, pool4 {ps} and num_classes={k}", (*ps[:2], k), [
            ([(*ps[:2], cs[2]), ps], "coarse is half pool4's size: up-sample it x2 first."),
            ([cs, (*ps[:2], k)], "Add needs equal channels: score pool4 first, a 1x1 Conv2D."),
        ]) for cs, ps, k in [((4, 4, 5), (8, 8, 32), 5), ((3, 5, 3), (6, 10, 8), 3)]
    ]  # fmt: skip

    def rules(model: Any, arrays: list[np.ndarray], k: int) -> Iterator[Rule]:
        yield (_depends(model, arrays, 1),
               f"your output changes with pool4 at initialisation (num_classes={k}).",
               "Zero-initialise the score layer, kernel_initializer='zeros', as in the FCN "
               "paper: the net starts as FCN-32s and learns how much of pool4 to add.")  # fmt: skip
        with _float32():  # the reference, whatever precision the notebook chose
            up = np.asarray(keras.layers.UpSampling2D(2, interpolation="bilinear")(arrays[0]))
        out = _predict(model, *arrays)
        yield (not np.allclose(out[:, 1:-1, 1:-1], up[:, 1:-1, 1:-1], atol=1e-5),
               "at initialisation your output is not the coarse scores up-sampled bilinearly.",
               "UpSampling2D(2, interpolation='bilinear'), or a Conv2DTranspose initialised "
               "with BilinearUpsampling(2), which then learns.")  # fmt: skip
        learned = sum(u.count_params() for u in _layers_of(model, "Conv2DTranspose"))
        c = arrays[1].shape[-1]
        recipe = f"the 1x1 score layer has {c} x {k} weights + {k} biases"
        recipe += f", plus {learned:,} to up-sample" if learned else ""
        hint = "One Conv2D(num_classes, 1, kernel_initializer='zeros') on pool4."
        yield _params(model, [c * k + k + learned], recipe, hint)

    def trained(model: Any, arrays: list[np.ndarray]) -> Iterator[Rule]:
        yield (
            not _depends(model, arrays, 1),
            "after training your output still ignores pool4.",
            learn,
        )

    return _check(
        func,
        cases,
        ("FCN sums the score maps, Add()([up, scores]): one score per class.",
         "The sum is at pool4's resolution: up-sample the coarse scores x2."),
        rules,
        "pool4 scored by a zero-initialised 1x1 convolution (165 parameters) and added to the "
        "coarse scores up-sampled bilinearly: at first the output is FCN-32s's and ignores "
        "pool4; after a few training steps it uses it.",
        learn,
        trained,
    )  # fmt: skip


def check_segnet_decoder_stage(func: Callable[[Any, Any, Any, int], Any]) -> Feedback:
    """Check ``decoder_stage(x, indices, like, filters)`` (notebook 08): SegNet's
    ``MaxUnpool()([x, indices, like])``, then ``Conv2D(filters, 3, padding="same",
    use_bias=False)`` (a bias is accepted), ``BatchNormalization()``, ``ReLU()``.

    The checker makes the encoder side, ``x, indices = MaxPoolWithArgmax()(like)``, and
    checks that the convolution reads each maximum at its place, zeros elsewhere.
    """
    import keras

    from course_utils.models import MaxPoolWithArgmax

    def stage(like: Any, filters: int) -> Any:
        pool: Any = MaxPoolWithArgmax()
        pooled, indices = pool(like)
        return func(pooled, indices, like, filters)

    cases: list[Case] = [
        ([(h, w, c)], (f,), f"like {(h, w, c)} (pooled to {h // 2}x{w // 2}) and filters={f}",
         (h, w, f), []) for (h, w, c), f in [((8, 8, 16), 8), ((6, 10, 4), 6)]
    ]  # fmt: skip

    def rules(model: Any, arrays: list[np.ndarray], filters: int) -> Iterator[Rule]:
        nearest = " (UpSampling2D copies every value)" if _layers_of(model, "UpSampling2D") else ""
        yield (not _layers_of(model, "MaxUnpool"), f"your stage does not use MaxUnpool{nearest}.",
               "Nearest up-sampling copies each value into all 4 places of its block; SegNet "
               "puts it back only where the maximum was, zeros elsewhere: "
               "MaxUnpool()([x, indices, like]).")  # fmt: skip
        (like,), (n, h, w, c) = arrays, arrays[0].shape
        conv = 9 * c * filters
        recipe = f"a 3x3 convolution from {c} to {filters} channels has {conv:,} weights, "
        recipe += f"batch norm {4 * filters}"
        hint = "Conv2D(filters, 3, padding='same', use_bias=False), BatchNormalization(), ReLU()."
        yield _params(model, [conv + 4 * filters, conv + 5 * filters], recipe, hint)
        blocks = like.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
        unpooled = np.where(like == blocks.repeat(2, 1).repeat(2, 2), like, 0.0)
        convs = _layers_of(model, "Conv2D")
        reads = convs and _predict(keras.Model(model.input, convs[0].input), like)
        yield (not convs or not np.allclose(reads, unpooled, atol=1e-6),
               "your convolution does not read the unpooled map (maxima in place, zeros around).",
               "Convolve MaxUnpool()([x, indices, like]) directly.")  # fmt: skip
        yield (
            _predict(model, like).min() < 0,
            "your stage outputs negative values.",
            "End with ReLU().",
        )

    return _check(
        stage,
        cases,
        (_FILTERS, "Unpool first: MaxUnpool()([x, indices, like]) restores like's size."),
        rules,
        "MaxUnpool puts each value back where its maximum was; the 3x3 convolution (1,152 "
        "weights) and batch norm (32) fill in the zeros: output (None, 8, 8, 8), other sizes "
        "and filters work too, and training lowers the loss.",
    )


def check_crop_and_concat(func: Callable[[Any, Any], Any]) -> Feedback:
    """Check ``crop_and_concat(skip, up)`` (notebook 09): U-Net's copy and crop.

    ``skip`` is centre-cropped to ``up``'s size (``Cropping2D``, ``(H - h) // 2`` at the top,
    the rest at the bottom, the same for the width), the sizes read from the tensors, and
    concatenated with ``up``. Either order is accepted: the next convolution sees the same
    channels (the course's U-Net puts ``up`` first).
    """
    fixed = "Read the sizes from skip.shape and up.shape: a fixed crop fits one pair of sizes."
    cases = [
        ([ss, us], (), f"skip {ss} and up {us}", (*us[:2], ss[2] + us[2]), probes)
        for ss, us, probes in [((12, 12, 2), (8, 8, 3), []),
                               ((13, 11, 2), (8, 8, 3), [([(12, 12, 2), (8, 8, 3)], fixed)])]
    ]  # fmt: skip

    def rules(model: Any, arrays: list[np.ndarray]) -> Iterator[Rule]:
        yield _params(
            model, [0], "a crop and a concatenation have none", "Cropping2D, Concatenate."
        )
        (skip, up), out = arrays, _predict(model, *arrays)
        (big_h, big_w, c), (h, w, c_up) = skip.shape[1:], up.shape[1:]
        up_last = np.allclose(out[..., c:], up)
        yield (not (up_last or np.allclose(out[..., :c_up], up)),
               f"up {up.shape[1:]} is not in your output as it is.",
               "Concatenate up, unchanged, with the cropped skip.")  # fmt: skip
        cropped = out[..., :c] if up_last else out[..., c_up:]
        offsets = [
            (i, j)
            for i in range(big_h - h + 1)
            for j in range(big_w - w + 1)
            if np.allclose(cropped, skip[:, i : i + h, j : j + w])
        ]
        top, left = (big_h - h) // 2, (big_w - w) // 2
        message = f"your crop of skip {skip.shape[1:]} should start at ({top}, {left}), the centre"
        if (top, left) in offsets:
            return
        if (0, 0) in offsets:
            yield (True, message + ": you kept the top-left corner.",
                   "Crop the centre: (H - h) // 2 rows at the top, the rest at the bottom; the "
                   "same for the columns.")  # fmt: skip
        elif offsets:
            yield (True, message + f"; yours starts at {offsets[0]}.",
                   "With an odd difference the top (left) gets (H - h) // 2 and the bottom "
                   "(right) the rest.")  # fmt: skip
        else:
            yield (True, message + "; its values are not even skip's pixels.",
                   "U-Net crops, it does not resize: it keeps the pixels as they are.")  # fmt: skip

    return _check(
        func,
        cases,
        ("Concatenate the cropped skip and up.", "Crop skip to up's size with Cropping2D."),
        rules,
        "skip's centre, cut to up's size and stacked with it: (None, 8, 8, 5), skip's own "
        "pixels, no weights; an odd difference (13x11 to 8x8) leaves the extra row and column "
        "at the bottom and right.",
        learn=None,
    )


def check_image_pooling_branch(func: Callable[[Any, int], Any]) -> Feedback:
    """Check ``image_pooling(x, filters)`` (notebook 10): DeepLab's image-level ASPP branch.

    ``GlobalAveragePooling2D(keepdims=True)``, ``Conv2D(filters, 1, use_bias=False)`` (a bias
    is accepted), ``BatchNormalization()``, ``ReLU()``, then back to ``x``'s size:
    ``ResizeLike()([y, x])`` or ``UpSampling2D(size=(h, w))``. The output must be the same at
    every position of an image and differ between images.
    """
    keepdims = (
        "Keep a 4-D 1x1 map, GlobalAveragePooling2D(keepdims=True), and bring it back to x's "
        "size: ResizeLike()([y, x]), or UpSampling2D(size=(h, w)) with h, w from x.shape."
    )
    cases = [
        ([xs], (f,), f"x {xs} and filters={f}", (*xs[:2], f), [("found ndim=2", keepdims)])
        for xs, f in [((6, 8, 16), 8), ((5, 7, 4), 6)]
    ]

    def rules(model: Any, arrays: list[np.ndarray], filters: int) -> Iterator[Rule]:
        out = _predict(model, arrays[0] + np.array([1, -1], np.float32).reshape(2, 1, 1, 1))
        yield ((out.max(axis=(1, 2)) - out.min(axis=(1, 2))).max() > 1e-5,
               "your output varies over the image.",
               "The branch sees the whole image: average it first, so every position gets the "
               "same summary.")  # fmt: skip
        yield (np.allclose(out[0], out[1]), "your output is the same for two different images.",
               "Pool x itself, and start the 1x1 convolution from random weights, "
               "not zeros.")  # fmt: skip
        c = arrays[0].shape[-1]
        recipe = f"a 1x1 convolution from {c} to {filters} channels has {c * filters} weights, "
        recipe += f"batch norm {4 * filters}"
        hint = "Conv2D(filters, 1, use_bias=False), BatchNormalization(), ReLU() after pooling."
        yield _params(model, [c * filters + 4 * filters, c * filters + 5 * filters], recipe, hint)

    return _check(
        func,
        cases,
        (_FILTERS, keepdims),
        rules,
        "One summary per image (global average, 1x1 convolution, batch norm, ReLU: 160 "
        "parameters) over all of x's 6x8 positions: constant over the image, different "
        "between images, other sizes and filters work too, and training lowers the loss.",
    )


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _toy_segmenter() -> Any:
    """Two seeded 3x3 convolutions from (8, 10, 3) images to 4 logits: not mirror-symmetric."""
    import keras

    def conv(filters: int, seed: int, **kwargs: Any) -> Any:
        init = keras.initializers.GlorotUniform(seed)
        return keras.layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, **kwargs)

    image = keras.Input((8, 10, 3))
    return keras.Model(image, conv(4, 2)(conv(8, 1, activation="relu")(image)))


def check_flip_tta(func: Callable[[Any], Any]) -> Feedback:
    """Check ``flip_tta(model) -> keras.Model`` (notebook 11): test-time flipping.

    ``model`` maps images to per-pixel logits; the returned model outputs the mean of
    ``softmax(model(x))`` and of ``softmax(model(flip(x)))`` flipped back left-right. It is
    checked on a small random model that is not mirror-symmetric.
    """
    import keras

    with _float32():
        base = _toy_segmenter()
        tta, error = _call(func, base)
    if error:
        return Feedback(False, f"your function raised {error.rstrip('.')}.")
    if not isinstance(tta, keras.Model):
        hint = "Return keras.Model(image, probabilities), image a keras.Input like the model's."
        return Feedback(False, f"your function returned {type(tta).__name__}, not a Model.", hint)
    images = _random((2, 8, 10, 3), 1)
    got, error = _call(_predict, tta, images)
    if error:
        return Feedback(False, f"your model raised {error.rstrip('.')} on two 8x10 images.")
    logits, mirrored = _predict(base, images), _predict(base, images[:, :, ::-1])
    probs, upside_down = _softmax(logits), _softmax(_predict(base, images[:, ::-1]))
    want = (probs + _softmax(mirrored)[:, :, ::-1]) / 2
    if got.shape != want.shape:
        hint = "One probability per class at every pixel, like the model's logits."
        return Feedback(False, f"your model outputs {got.shape}; want {want.shape}.", hint)

    def rules() -> Iterator[Rule]:
        def near(wrong: np.ndarray) -> bool:
            return np.allclose(got, wrong, atol=1e-5)

        yield (not np.allclose(got.sum(axis=-1), 1, atol=1e-4),
               "your output does not sum to 1 over the classes.",
               "The model gives logits: softmax each prediction before averaging.")  # fmt: skip
        yield (near((probs + _softmax(mirrored)) / 2),
               "you average the flipped image's prediction without flipping it back.",
               "Flip it back before averaging: pixel (i, j) of the flipped image is pixel "
               "(i, W - 1 - j).")  # fmt: skip
        yield (near(_softmax((logits + mirrored[:, :, ::-1]) / 2)),
               "you average the logits, then apply softmax.",
               "Average probabilities, as the course does: softmax each prediction, then "
               "the mean.")  # fmt: skip
        yield (near((probs + upside_down[:, ::-1]) / 2), "you flip the image upside-down.",
               "Flip left-right (axis 2): road scenes are not upside-down, and a model trained "
               "with horizontal flips has never seen them so.")  # fmt: skip
        gap = np.abs(got - want).max()
        yield (not near(want), f"your probabilities are up to {gap:.3g} from the reference.",
               "(softmax(model(x)) + flip(softmax(model(flip(x))))) / 2, with flip "
               "left-right.")  # fmt: skip

    problem = _first(rules())
    success = (
        "The mean of the probabilities for the image and, flipped back, for its mirror image: "
        "each pixel averages two predictions of the same point of the scene, and still sums "
        "to 1."
    )
    return Feedback(True, success) if problem is None else problem
