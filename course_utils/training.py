"""One training recipe for every CamVid model, with a budget measured in optimizer steps.

Comparing architectures is only fair when each gets the same budget, and a course's
numbers are only worth copying when a learner's machine reproduces them. A budget in
minutes does neither across machines: a laptop without bfloat16 makes 4-8x fewer steps
in the same minutes than the machine the committed outputs came from. So each CamVid
model of Part 3 trains for a fixed number of **steps** (:func:`budget`): the steps it
made in 6 minutes of training on a calibration CPU of the kind learners have
(:data:`CALIBRATION`). Wall time is measured and printed, and never stops training.
:func:`fit_segmentation` lays a cosine learning-rate schedule over those steps and then
reports on the validation split with the course's metric code. :func:`warm_start` starts
a model from a saved run's layers when that run fits (Part 3 starts from notebook 03's
VGG-11 encoder). :func:`train_part3` is the one recipe every Part 3 model trains with:
the budget, one learning rate, the warm start where it fits, and one loss (cross-entropy
with median-frequency class weights, :func:`part3_loss`).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from course_utils import models, runs
from course_utils.metrics import (
    MeanIoU,
    SegmentationReport,
    evaluate_per_image,
    per_image_confusions,
    segmentation_report,
)

#: Where the ``default`` step budgets come from: the optimizer steps (batches of 8 CamVid
#: images at 192x256, ``cpu`` presets) each model makes in 6 minutes of training,
#: validation excluded, on a 2-core AMD CPU with AVX2 and neither AVX-512 nor bfloat16,
#: where ``setup()`` picks float32: the kind of laptop CPU most learners have. The same
#: steps take a fraction of that time on a CPU with native bfloat16 (AVX512_BF16/AMX).
#:
#: History: the first budgets (November 2026) were set from estimates and took about twice
#: their 6 minutes on that laptop (timed there on 2026-12-05: FCN-8s's 630 steps in 11.8
#: minutes). Since December 2026 they come from ``benchmarks/calibrate_budgets.py``: each
#: model's seconds per step measured on another CPU limited to AVX2 in float32, converted
#: with anchors timed on the laptop itself (FCN-8s: 11.8 min / 630 steps, for the VGG-style
#: models; DeepLabV3+ on Lite0: 1.7 s a step, for the ``_lite0`` models, whose depthwise
#: convolutions slow down differently from one CPU to another).
CALIBRATION = {
    "machine": "2-core AMD CPU, AVX2, no AVX-512, no bfloat16; float32",
    "minutes": 6.0,
    "batch_size": 8,
    "image_size": (192, 256),
    "steps": {
        "encoder_decoder": 109,
        "fcn": 320,
        "segnet": 111,
        "unet": 80,
        "deeplabv3plus": 160,
        "fcn_lite0": 266,
        "unet_lite0": 152,
        "deeplabv3plus_lite0": 212,
    },
}

#: The budget of each profile: ``steps`` per model (``default``), a few steps for every
#: model (``quick``), or ``epochs`` (``full``, on a GPU: paper-like schedules).
BUDGETS: dict[str, dict[str, Any]] = {
    "quick": {"steps": 2},
    "default": {"steps": CALIBRATION["steps"]},
    "full": {"epochs": 120},
}

#: Multiplies every step (or epoch) budget, e.g. ``COURSE_BUDGET_SCALE=0.5`` on a slow
#: machine. The numbers then differ from the committed ones, and notebooks say so.
BUDGET_SCALE_ENV_VAR = "COURSE_BUDGET_SCALE"

#: The end of every model name built on ImageNet's EfficientNet-Lite0 (``"unet_lite0"``).
IMAGENET_SUFFIX = "_lite0"

#: The end of a model name that :func:`train_part3` trains from random weights where it
#: would warm-start (``"deeplabv3plus_scratch"``): the control of a start.
SCRATCH_SUFFIX = "_scratch"


@dataclass(frozen=True)
class Budget:
    """How long one model trains: a number of optimizer steps, or of epochs.

    Attributes:
        model: the architecture it is for (``"fcn"`` covers FCN-32s/16s/8s together).
        profile: the profile it belongs to.
        steps: optimizer steps (``None`` when ``epochs`` rules).
        epochs: epochs (``None`` when ``steps`` rules).
        scale: the factor of ``$COURSE_BUDGET_SCALE`` applied (1.0: none).
    """

    model: str
    profile: str
    steps: int | None
    epochs: int | None
    scale: float = 1.0

    def share(self, fraction: float) -> Budget:
        """A part of this budget (FCN's stages), at least one step or epoch."""
        return dataclasses.replace(
            self,
            steps=None if self.steps is None else max(1, round(self.steps * fraction)),
            epochs=None if self.epochs is None else max(1, round(self.epochs * fraction)),
        )

    def describe(self) -> str:
        """One line for a notebook's printout, with a warning when the budget is scaled."""
        amount = f"{self.steps} steps" if self.steps is not None else f"{self.epochs} epochs"
        line = f"{self.model}: {amount} ({self.profile} profile)"
        if self.scale != 1.0:
            line += (
                f"; scaled by {self.scale:g} with ${BUDGET_SCALE_ENV_VAR}, so your numbers will "
                "differ from the committed ones"
            )
        return line

    def as_dict(self) -> dict[str, Any]:
        """The budget as saved with a run."""
        return dataclasses.asdict(self)


def budget_scale() -> float:
    """The factor in ``$COURSE_BUDGET_SCALE`` (1.0 when unset).

    Raises:
        ValueError: when it is not a positive number.
    """
    text = os.environ.get(BUDGET_SCALE_ENV_VAR, "").strip()
    if not text:
        return 1.0
    try:
        scale = float(text)
    except ValueError:
        scale = -1.0
    if not scale > 0 or not math.isfinite(scale):
        raise ValueError(
            f"${BUDGET_SCALE_ENV_VAR}={text!r} is not a positive number. Unset it, or give a "
            "factor such as 0.5 (half the steps of the committed runs)."
        )
    return scale


def budget(profile: str, model: str) -> Budget:
    """The training budget of one CamVid model of Part 3 in a profile.

    Args:
        profile: ``"quick"``, ``"default"`` or ``"full"``.
        model: ``"encoder_decoder"``, ``"fcn"``, ``"segnet"``, ``"unet"`` or
            ``"deeplabv3plus"``; variants share their family's budget (``"fcn8s"`` and
            ``"fcn32s"`` are ``"fcn"``, ``"segnet_nearest"`` is ``"segnet"``,
            ``"unet_noskip"`` is ``"unet"``).

    Raises:
        ValueError: for an unknown profile or model, or a bad ``$COURSE_BUDGET_SCALE``.
    """
    if profile not in BUDGETS:
        raise ValueError(f"Unknown profile {profile!r}; choose one of {sorted(BUDGETS)}.")
    family = model_family(model)
    scale = budget_scale()
    plan = BUDGETS[profile]
    if "epochs" in plan:
        return Budget(family, profile, None, max(1, round(plan["epochs"] * scale)), scale)
    steps = plan["steps"]
    if isinstance(steps, dict):
        steps = steps[family]
    return Budget(family, profile, max(1, round(steps * scale)), None, scale)


def model_family(model: str) -> str:
    """The architecture a model name belongs to, as budgets and presets name it
    (``"fcn8s"`` is ``"fcn"``, ``"unet_noskip"`` is ``"unet"``, ``"fcn8s_lite0"`` is
    ``"fcn_lite0"``: a model on ImageNet's EfficientNet-Lite0 is a family of its own).

    Raises:
        ValueError: for a name of no Part 3 architecture.
    """
    known = CALIBRATION["steps"]
    assert isinstance(known, dict)
    if model.endswith(IMAGENET_SUFFIX):
        try:
            family = model_family(model.removesuffix(IMAGENET_SUFFIX)) + IMAGENET_SUFFIX
        except ValueError:
            family = ""
        if family in known:
            return family
    else:
        for family in sorted(known, key=len, reverse=True):
            if model == family or model.startswith(family):
                return family
    raise ValueError(f"No training budget for model {model!r}; one of {sorted(known)}.")


def uses_imagenet(model: str) -> bool:
    """Whether a Part 3 model name is built on ImageNet's EfficientNet-Lite0 (``_lite0``)."""
    return model.endswith(IMAGENET_SUFFIX)


def cosine_learning_rate(progress: float, peak: float, final_fraction: float = 0.05) -> float:
    """The learning rate of a cosine schedule at ``progress`` (0 = start, 1 = end).

    Falls from ``peak`` to ``peak * final_fraction`` along half a cosine; progress past 1
    stays at the final value.
    """
    p = min(max(progress, 0.0), 1.0)
    return peak * (final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * p)))


class TrainingBudget(keras.callbacks.Callback):
    """Stops training when a step budget is spent, sets the learning rate from the
    fraction spent (a cosine schedule over steps, not over epochs), and times the
    training (time spent in validation does not count).

    Args:
        max_steps: optimizer steps allowed.
        peak_learning_rate: the learning rate at the start.
        final_fraction: the end learning rate as a fraction of the peak.
        clock: a function returning seconds (tests pass a fake clock).
    """

    def __init__(
        self,
        max_steps: int,
        peak_learning_rate: float,
        final_fraction: float = 0.05,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__()
        if max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {max_steps}.")
        self.max_steps = max_steps
        self.peak = peak_learning_rate
        self.final_fraction = final_fraction
        self._clock = clock
        self.seconds = 0.0
        self.steps = 0
        self.epoch_minutes: list[float] = []
        self._since: float | None = None

    def progress(self) -> float:
        """Fraction of the step budget spent so far."""
        return self.steps / self.max_steps

    def _elapsed(self) -> float:
        running = 0.0 if self._since is None else self._clock() - self._since
        return self.seconds + running

    def _pause(self) -> None:
        if self._since is not None:
            self.seconds += self._clock() - self._since
            self._since = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._since = self._clock()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        rate = cosine_learning_rate(self.progress(), self.peak, self.final_fraction)
        self.model.optimizer.learning_rate.assign(rate)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.steps += 1
        if self.progress() >= 1.0:
            self.model.stop_training = True

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._pause()

    def on_test_end(self, logs: dict | None = None) -> None:
        self._since = self._clock()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch_minutes.append(self._elapsed() / 60)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._pause()


class _StepBudgetProgbar(keras.callbacks.ProgbarLogger):
    """Keras' progress line, ending an epoch that a step budget cut short at the steps
    taken ("12/12 - 3s - 250ms/step"), not at the epoch's length ("46/46" and the time
    divided by 46). Only the last epoch is ever cut, so no later epoch needs the length
    back."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        seen: int = self.seen
        target: int | None = getattr(self, "target", None)
        if self.model.stop_training and seen and target and seen < target:
            self.target = seen
            if self.progbar is not None:
                self.progbar.target = seen
        super().on_epoch_end(epoch, logs)


@dataclass
class TrainingResult:
    """What :func:`fit_segmentation` measured.

    Attributes:
        history: per-epoch logs (``loss``, ``miou``, ``val_loss``, ``val_miou``, ...) plus
            ``minutes``, the minutes of training at the end of each epoch.
        report: the validation report of the trained model (one confusion matrix).
        seconds: seconds of training, validation excluded.
        epochs: epochs started (the last may be cut short by the budget).
        steps: optimizer steps taken.
        budget: the budget asked for (steps or epochs, and the peak learning rate).
        val_confusions: one confusion matrix per validation image ``(n, C, C)``, in the
            dataset's order (their sum is the report's matrix), for
            ``metrics.paired_bootstrap``.
    """

    history: dict[str, list[float]]
    report: SegmentationReport
    seconds: float
    epochs: int
    steps: int
    budget: dict[str, Any] = field(default_factory=dict)
    val_confusions: np.ndarray | None = field(default=None, repr=False, compare=False)

    def as_scores(self) -> dict[str, Any]:
        """The report and the training facts, ready for ``runs.save_run``."""
        return {
            **self.report.as_dict(),
            "train_seconds": round(self.seconds, 1),
            "epochs": self.epochs,
            "steps": self.steps,
            "budget": self.budget,
            "history": self.history,
        }


def fit_segmentation(
    model: keras.Model,
    train: Any,
    val: Any,
    *,
    num_classes: int,
    class_names: Sequence[str] | None = None,
    ignore_index: int | None = None,
    steps: int | None = None,
    epochs: int | None = None,
    learning_rate: float = 1e-3,
    final_fraction: float = 0.05,
    loss: Any = None,
    verbose: int = 2,
    validate_each_epoch: bool = True,
    recompile: bool = True,
    ema_momentum: float | None = None,
) -> TrainingResult:
    """Compile and train a segmentation model for a budget, then report on validation.

    The recipe: Adam, a cosine learning rate from ``learning_rate`` down to
    ``learning_rate * final_fraction`` over the budget, cross-entropy with the void id
    ignored (unless ``loss`` is given), mIoU on both splits after every epoch. The budget
    is counted in optimizer steps (or epochs), never in minutes, so with the same seed a
    fast machine and a slow one make the same updates (their results agree within seed
    noise; another CPU or precision rounds differently); the wall time is measured and
    printed.

    Args:
        model: a model returning logits ``(B, H, W, num_classes)``.
        train, val: datasets of ``(images, masks)`` batches (``len(train)`` must be known).
        num_classes, class_names, ignore_index: as in ``metrics.evaluate``.
        steps: optimizer steps to train for (see :func:`budget`).
        epochs: epochs to train for, when ``steps`` is not given.
        learning_rate: the peak learning rate.
        final_fraction: the last learning rate as a fraction of the peak.
        loss: a Keras loss (default: sparse cross-entropy from logits, void ignored).
        verbose: passed to ``model.fit``.
        validate_each_epoch: score ``val`` after every epoch (the curves); ``False`` scores
            it once, at the end, which is all a short ablation run needs.
        recompile: compile the model afresh (the default). ``False`` keeps the compilation of
            this model's previous ``fit_segmentation`` run, which must have had the same
            ``loss`` and ``num_classes``, and puts its optimizer back to step 0 with no
            momentum: the run is the one a fresh compile gives, without the seconds
            TensorFlow spends tracing a new training step (on a CPU, a third of a 32-step
            run). For a loop of short runs that start from weights set with ``set_weights``,
            in a model without dropout (a dropout layer's random stream would carry on).
        ema_momentum: keep an exponential moving average of the weights with this
            momentum (Adam's ``use_ema``) and end the run on it instead of the last
            step's weights; ``None``: no average.

    Returns:
        A :class:`TrainingResult`.

    Raises:
        ValueError: when neither ``steps`` nor ``epochs`` is given, or both are.
    """
    if (steps is None) == (epochs is None):
        raise ValueError(
            "Give one budget: steps=... or epochs=... (see training.budget), "
            f"got steps={steps}, epochs={epochs}."
        )
    steps_per_epoch = len(train)
    max_steps = steps if steps is not None else epochs * steps_per_epoch  # type: ignore[operator]
    clock = TrainingBudget(max_steps, learning_rate, final_fraction)
    if recompile or model.optimizer is None:
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate)
            if ema_momentum is None
            else keras.optimizers.Adam(learning_rate, use_ema=True, ema_momentum=ema_momentum),
            loss=loss
            or keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, ignore_class=ignore_index
            ),
            metrics=[MeanIoU(num_classes, ignore_index=ignore_index)],
        )
    else:
        restart_optimizer(model)
    history = model.fit(
        train,
        validation_data=val if validate_each_epoch else None,
        epochs=-(-max_steps // steps_per_epoch),
        callbacks=[clock, _StepBudgetProgbar()],
        shuffle=False,  # tf.data shuffles (data.load); Keras would only warn
        verbose=verbose,
    )
    logs = {key: [float(v) for v in values] for key, values in history.history.items()}
    logs["minutes"] = [round(m, 3) for m in clock.epoch_minutes]
    per_image = evaluate_per_image(model, val, num_classes, ignore_index)
    names = list(class_names) if class_names is not None else [str(i) for i in range(num_classes)]
    report = segmentation_report(per_image.sum(0), names)
    result = TrainingResult(
        history=logs,
        report=report,
        seconds=clock.seconds,
        epochs=len(clock.epoch_minutes),
        steps=clock.steps,
        budget={"steps": steps, "epochs": epochs, "learning_rate": learning_rate},
        val_confusions=per_image,
    )
    if verbose:
        print(
            f"{model.name}: {result.steps} steps ({result.epochs} epochs) in "
            f"{result.seconds / 60:.1f} min of training on this machine; validation mIoU "
            f"{report.miou:.3f}, pixel accuracy {report.pixel_accuracy:.3f}"
        )
    return result


def confusions_at_native_size(
    model: keras.Model,
    name: str,
    split: str,
    input_size: tuple[int, int],
    batch_size: int = 8,
    limit: int | None = None,
    boundary_width: int | None = None,
    flip: bool = False,
    scales: Sequence[float] = (1.0,),
) -> np.ndarray:
    """Score a model against a split's masks at the dataset's own resolution.

    Each image is resized to ``input_size`` (as ``data.load`` resizes it), the model's
    scores are resized back to the native frame (bilinear) and compared with the untouched
    masks, at the resolution the SegNet paper scores CamVid at. Two models that take
    different input sizes are scored on the same pixels, so a model that trains at a
    higher resolution can be compared with one that does not.

    Args:
        model: a model returning per-pixel scores ``(B, H, W, C)``.
        name, split: a segmentation dataset with a native size, e.g. ``"camvid"``, ``"test"``.
        input_size: ``(height, width)`` the model is given.
        batch_size: images per forward pass.
        limit: score only the first ``limit`` images.
        boundary_width: score only the pixels within this many (native) pixels of a label
            edge (``metrics.boundary_band``); the others count as void.
        flip: average each image's scores with those of its mirror image
            (``models.predict_ids``).
        scales: average the scores of the image given at these multiples of
            ``input_size`` (``models.predict_ids``; a model built for any input size).

    Returns:
        ``int64 (n_images, C, C)`` confusions, as :func:`metrics.evaluate_per_image`.

    Raises:
        ValueError: for a dataset whose images vary in size (no native frame), or a
            boundary band asked of one with no void label.
    """
    (stack,) = _native_confusions(
        model, name, split, input_size, (boundary_width,), batch_size, limit, flip, scales
    )
    return stack


def confusions_with_band_at_native_size(
    model: keras.Model,
    name: str,
    split: str,
    input_size: tuple[int, int],
    boundary_width: int,
    batch_size: int = 8,
    limit: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`confusions_at_native_size` of every pixel and of the boundary band, from one
    pass of the model over the split (half the time of two calls).

    Returns:
        ``(every pixel's, the band's)`` ``int64 (n_images, C, C)`` confusions.
    """
    every, band = _native_confusions(
        model, name, split, input_size, (None, boundary_width), batch_size, limit, False, (1.0,)
    )
    return every, band


def _native_confusions(
    model: keras.Model,
    name: str,
    split: str,
    input_size: tuple[int, int],
    widths: tuple[int | None, ...],
    batch_size: int,
    limit: int | None,
    flip: bool,
    scales: Sequence[float],
) -> list[np.ndarray]:
    """One stack of per-image confusions per boundary width (None: every pixel)."""
    from course_utils import data
    from course_utils.metrics import boundary_band

    info = data.info(name)
    if info.native_size is None:
        raise ValueError(f"{name} has no native size; score it with metrics.evaluate_per_image.")
    if any(w is not None for w in widths) and info.ignore_index is None:
        raise ValueError(f"{name} has no void label to mark the pixels outside the band with.")
    shown = data.arrays(name, split, input_size, limit=limit)
    native = data.arrays(name, split, None, limit=limit)
    assert native.targets is not None
    stacks: list[list[np.ndarray]] = [[] for _ in widths]
    for start in range(0, len(shown.images), batch_size):
        predicted = models.predict_ids(
            model, shown.images[start : start + batch_size], batch_size,
            output_size=info.native_size, flip=flip, scales=scales,
        )  # fmt: skip
        truth = native.targets[start : start + batch_size]
        for width, stack in zip(widths, stacks, strict=True):
            scored = truth
            if width is not None and info.ignore_index is not None:
                scored = np.where(boundary_band(truth, width), truth, info.ignore_index)
            stack.append(
                per_image_confusions(scored, predicted, info.num_classes, info.ignore_index)
            )
    return [np.concatenate(stack) for stack in stacks]


def report_at_native_size(
    model: keras.Model, name: str, split: str, input_size: tuple[int, int], **options: Any
) -> SegmentationReport:
    """:func:`confusions_at_native_size` summed into a :class:`metrics.SegmentationReport`
    (``options``: ``batch_size``, ``limit``, ``boundary_width``, ``flip``, ``scales``)."""
    from course_utils import data

    per_image = confusions_at_native_size(model, name, split, input_size, **options)
    return segmentation_report(per_image.sum(0), list(data.info(name).class_names))


def restart_optimizer(model: keras.Model) -> None:
    """Put a compiled model's optimizer back to where a fresh compile leaves it.

    The step count goes to zero (a learning-rate schedule starts again), and so do the
    optimizer's slots (Adam's first and second moments); a constant learning rate is kept.
    Under ``mixed_float16`` (what ``setup()`` picks on a tensor-core GPU) the optimizer is a
    ``LossScaleOptimizer``: its loss scale goes back to its initial value and its step
    counter to zero, and the optimizer it wraps is restarted as above (a zero scale would
    skip or spoil every later step). With the weights set to a new start, the next ``fit``
    is the run a fresh compile would give, without the seconds TensorFlow spends tracing
    the training step again.

    Args:
        model: a model compiled with a Keras optimizer (Adam, SGD, ...), or with a
            ``LossScaleOptimizer`` around one.

    Raises:
        ValueError: when the model has not been compiled (it has no optimizer to restart).
    """
    optimizer = model.optimizer
    if optimizer is None:
        raise ValueError(
            f"{model.name} has no optimizer to restart: compile it first "
            "(or call training.fit_segmentation, which compiles it)."
        )
    scale = getattr(optimizer, "dynamic_scale", None)  # a LossScaleOptimizer's loss scale
    # ``variables`` lists a LossScaleOptimizer's own and those of the optimizer it wraps.
    for variable in optimizer.variables:
        if variable.name == "learning_rate":  # a constant learning rate stays
            continue
        if scale is not None and variable is scale:
            variable.assign(keras.ops.full_like(variable, optimizer.initial_scale))
        else:  # iterations, a LossScaleOptimizer's step counter, the slots
            variable.assign(keras.ops.zeros_like(variable))


class TracedSteps:
    """One traced training step per architecture, reused by every later draw of it.

    TensorFlow spends seconds tracing a model's training step the first time it trains.
    An experiment that trains the same architecture from several random starts (draws)
    need pay that once: :meth:`network` gives, for the first draw of an architecture (known
    by ``net.name``), ``net`` compiled by ``compile_model``; for every later draw, that
    first network with the new draw's starting weights and its optimizer back at step 0
    (:func:`restart_optimizer`), which trains exactly as a fresh compile of the new draw
    would (tested in ``tests/test_training.py``).

    Args:
        compile_model: compiles a fresh network and returns it.
    """

    def __init__(self, compile_model: Callable[[keras.Model], keras.Model]) -> None:
        self._compile = compile_model
        self._traced: dict[str, keras.Model] = {}

    def network(self, net: keras.Model) -> keras.Model:
        """The network that trains this draw: ``net`` compiled, or the traced one holding
        ``net``'s weights with a restarted optimizer."""
        traced = self._traced.get(net.name)
        if traced is None:
            self._traced[net.name] = traced = self._compile(net)
            return traced
        traced.set_weights(net.get_weights())
        restart_optimizer(traced)
        return traced


def gradient_norms(model: keras.Model, images: Any, labels: Any) -> list[tuple[str, float]]:
    """The norm of the loss's gradient for each convolution kernel, first layer first.

    One batch, the model's current weights (e.g. just initialised), sparse cross-entropy
    from logits, batch norm in training mode as in a training step: how much of the
    learning signal reaches each depth (notebook 03 compares plain and residual networks).

    Args:
        model: a classifier returning logits.
        images: one batch of inputs.
        labels: their integer labels.

    Returns:
        ``(layer name, gradient norm)`` for every ``Conv2D`` kernel, in the model's order.
    """
    import tensorflow as tf

    convolutions = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    kernels = [layer.kernel for layer in convolutions]
    with tf.GradientTape() as tape:
        logits = model(images, training=True)
        loss = keras.ops.mean(
            keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        )
    grads = tape.gradient(loss, kernels)
    return [(layer.name, float(tf.norm(g))) for layer, g in zip(convolutions, grads, strict=True)]


def concat_histories(histories: list[dict[str, list[float]]]) -> dict[str, list[float]]:
    """Join the histories of consecutive trainings (FCN's stages) into one.

    Keys logged by every part are kept; ``minutes`` continue from the previous part's
    last value, so the joined curve has one clock.
    """
    if not histories:
        return {}
    keys = [k for k in histories[0] if all(k in h for h in histories[1:])]
    joined: dict[str, list[float]] = {k: [] for k in keys}
    offset = 0.0
    for part in histories:
        for key in keys:
            shift = offset if key == "minutes" else 0.0
            joined[key].extend(v + shift for v in part[key])
        if "minutes" in keys and part["minutes"]:
            offset += part["minutes"][-1]
    return joined


@dataclass
class WarmStart:
    """What :func:`warm_start` did.

    Attributes:
        copied: names of the layers copied into the model (empty: it starts from random weights).
        note: one line saying which, and why, for the notebook's printout.
        imagenet: the encoder starts from ImageNet's EfficientNet-Lite0 instead.
        missing: the warm start was meant but its run is missing (a random start that
            :func:`train_part3` always announces, whatever its ``verbose``).
    """

    copied: list[str]
    note: str
    imagenet: bool = False
    missing: bool = False

    @property
    def kind(self) -> str:
        """``"imagenet"``, ``"cifar10"`` (notebook 03's encoder) or ``"scratch"``."""
        return "imagenet" if self.imagenet else "cifar10" if self.copied else "scratch"


def warm_start(
    model: keras.Model, source: str, profile: str, skip: tuple[str, ...] = ("logits",)
) -> WarmStart:
    """Start a model from a saved run's layers of the same names, when that run exists.

    Part 3 starts FCN, SegNet and DeepLabV3+ from the VGG-11 encoder notebook 03 trained
    on CIFAR-10 (run ``"vgg11_cifar10_encoder"``). A missing run, one built at another
    width (the ``quick`` profile's tiny models, say), or a model with no layer of the
    run's names (U-Net) is not an error: the model keeps its random weights and the note
    says why.

    Args:
        model: the model to initialise (changed in place).
        source: the run's name (see :func:`course_utils.runs.save_run`).
        profile: the profile whose runs to look in.
        skip: layer names never copied (the classifier's ``logits`` by default).

    Returns:
        A :class:`WarmStart` with the layers copied and a printable note.
    """
    if not runs.has_run(source, profile):
        return WarmStart(
            [],
            f"{model.name}: RANDOM START. No run {source!r} in profile {profile!r}, so this "
            "model trains from random weights and will score well below the course's "
            "figures. To start it warm, make the run first: `course prepare --profile "
            f"{profile}` trains every run that later notebooks reuse (or run the notebook that "
            "saves it), or bring it from another machine with `course import-runs ARCHIVE`; "
            "then run this cell again.",
            missing=True,
        )
    try:
        copied = models.copy_weights_by_name(runs.load_run(source, profile), model, skip=skip)
    except ValueError as error:
        return WarmStart([], f"{model.name}: run {source!r} does not fit ({error}); random start")
    return WarmStart(
        copied,
        f"{model.name}: {len(copied)} layers from run {source!r} ({', '.join(copied[:3])}, ...)",
    )


#: The size Part 3 loads CamVid's frames at (a multiple of 32, as the models need).
PART3_IMAGE_SIZE = (192, 256)

#: The ImageNet-start recipe's frames: loaded at this size (CamVid's 360x480, 8 rows fewer
#: so that both sides are multiples of 32) and trained on random :data:`PART3_IMAGE_SIZE`
#: crops of them, so a step costs what a 192x256 step costs while thin objects (poles,
#: signs) are 1.8 times as wide as in a 192x256 frame; whole frames at this size when
#: scored. Chosen on ``tune_val`` for DeepLabV3+ on Lite0 over 192x256 whole frames
#: (supported) and 288x384 frames (undecided, +0.011 in the seeds' means; the larger kept,
#: its extra cost being only in scoring): ``benchmarks/tune_part3.py``,
#: ``docs/tune_lite0_resolution_default.json``.
IMAGENET_FRAME_SIZE = (352, 480)


@dataclass(frozen=True)
class Part3Frames:
    """How a Part 3 model sees CamVid: frames loaded at ``size``, trained on random
    ``crop`` patches of them (``None``: whole frames), scored as whole frames.

    Attributes:
        size: ``(height, width)`` for ``data.load``'s ``image_size``.
        crop: ``(height, width)`` of the training patches, or ``None``.
    """

    size: tuple[int, int]
    crop: tuple[int, int] | None = None

    @property
    def input_shape(self) -> tuple[int | None, int | None, int]:
        """The model's input shape: any size when it trains on crops and scores frames."""
        return (None, None, 3) if self.crop else (*self.size, 3)

    def augment(self) -> Any:
        """The ``augment=`` for the training split: CamVid's default, plus the crop."""
        from course_utils.data.pipeline import DEFAULT_AUGMENT

        if self.crop is None:
            return True
        return dataclasses.replace(DEFAULT_AUGMENT["camvid"], crop=self.crop)


@dataclass(frozen=True)
class InferenceAugmentation:
    """Test-time augmentation: each image scored at several ``scales`` of its input size
    and, with ``flip``, mirrored too, the class probabilities averaged
    (``models.predict_ids``). Only for a model built for any input size.

    Attributes:
        flip: also score each image mirrored left-right.
        scales: multiples of the input size the image is given at.
    """

    flip: bool
    scales: tuple[float, ...]

    def as_dict(self) -> dict[str, Any]:
        """As a record keeps it."""
        return {"flip": self.flip, "scales": list(self.scales)}


#: The ImageNet start's second score, the way the DeepLab papers score (several scales and
#: flip): chosen on ``tune_val`` among flip alone, scale 1.25 with and without flip, and
#: scales (0.75, 1, 1.25) and (1, 1.25, 1.5) with flip, over 3 seeds of DeepLabV3+ on Lite0
#: (``benchmarks/tune_part3.py --tta``, ``docs/tune_lite0_tta_default.json``,
#: ``docs/method.md``): the highest mean, +0.014 to +0.016 mIoU on every seed, at 6.2 times
#: the pixels of one pass. The seed record scores test both ways for the models trained on
#: crops; every comparison of architectures uses the one-pass score.
IMAGENET_INFERENCE_AUGMENTATION = InferenceAugmentation(flip=True, scales=(0.75, 1.0, 1.25))


def part3_frames(model: str) -> Part3Frames:
    """How ``model`` sees CamVid: 192x256 frames, or for a model on ImageNet's Lite0,
    :data:`IMAGENET_FRAME_SIZE` frames with 192x256 training crops."""
    if uses_imagenet(model):
        return Part3Frames(IMAGENET_FRAME_SIZE, PART3_IMAGE_SIZE)
    return Part3Frames(PART3_IMAGE_SIZE)


#: Part 3's policy: Adam with this peak learning rate and a cosine schedule over the model's
#: step budget, the same for every model of a start (no model's rate is tuned on its own).
PART3_LEARNING_RATE = 1e-3

#: The peak learning rate of the models on ImageNet's EfficientNet-Lite0 (``_lite0``),
#: chosen on ``tune_val`` for the ImageNet start as its loss and frames were
#: (``benchmarks/tune_part3.py``, ``docs/tune_lite0_shuffled_default.json``; ``docs/method.md``).
IMAGENET_LEARNING_RATE = 2e-3

#: Part 3's one loss, the same for every model: cross-entropy with void ignored and each
#: pixel weighted by its class's median-frequency weight (SegNet's class balancing, after
#: Eigen and Fergus 2015), computed from CamVid's training masks (:func:`part3_class_weights`).
#: Chosen on ``val`` (``benchmarks/tune_part3.py``; ``docs/method.md``).
PART3_CLASS_BALANCING = "median_frequency"

#: The class weighting of the models on ImageNet's EfficientNet-Lite0 (``_lite0``): weights
#: of 1/sqrt(class frequency), tempered. Chosen on ``tune_val``, a drive never seen in
#: training, over three seeds of DeepLabV3+ on Lite0: they lift the rare classes
#: (supported) without lowering mIoU, where median-frequency weights cost mIoU
#: (``docs/tune_lite0_default.json``; ``docs/method.md``).
IMAGENET_CLASS_BALANCING = "inverse_sqrt"

#: The saved run every model whose encoder has VGG-11's layer names starts from (notebook
#: 03's CIFAR-10 encoder): FCN, SegNet and DeepLabV3+ take it; U-Net and the plain
#: encoder-decoder have no such layers and start from random weights.
ENCODER_RUN = "vgg11_cifar10_encoder"

#: The architectures whose encoder has VGG-11's layer names, so :data:`ENCODER_RUN` fits.
ENCODER_FAMILIES = ("fcn", "segnet", "deeplabv3plus")

#: FCN's stages as in the paper (32s, then 16s from it, then 8s), with their shares of
#: FCN's one step budget.
FCN_STAGES: tuple[tuple[str, float], ...] = (("fcn32s", 0.4), ("fcn16s", 0.2), ("fcn8s", 0.4))

#: The control of FCN's skips: FCN-32s trained through FCN-8s's stages (the same shares of
#: the budget, each with its cosine schedule) without ever gaining a skip, so it ends with
#: as many steps as FCN-8s; ``course seed-record`` records it beside ``"fcn8s"``.
FCN_SKIP_CONTROL = "fcn8s_noskip"


def part3_learning_rate(model: str) -> float:
    """The peak learning rate a Part 3 model trains at: :data:`IMAGENET_LEARNING_RATE` for
    a model on ImageNet's Lite0, else :data:`PART3_LEARNING_RATE`."""
    return IMAGENET_LEARNING_RATE if uses_imagenet(model) else PART3_LEARNING_RATE


def class_balancing(model: str) -> str:
    """The class weighting a Part 3 model trains with: :data:`IMAGENET_CLASS_BALANCING`
    for a model on ImageNet's Lite0, else :data:`PART3_CLASS_BALANCING`."""
    return IMAGENET_CLASS_BALANCING if uses_imagenet(model) else PART3_CLASS_BALANCING


def part3_class_weights(
    image_size: tuple[int, int], balancing: str = PART3_CLASS_BALANCING
) -> list[float]:
    """Part 3's class weights: the ``balancing`` weights (median-frequency unless told) of
    CamVid's 367 training masks.

    Computed from the whole training split at ``image_size`` (masks resized with
    nearest-neighbour), whatever subset a profile trains on, so every profile weighs the
    classes alike; a class that never occurs gets 0.
    """
    from course_utils import data
    from course_utils.metrics import class_weights

    camvid = data.info("camvid")
    masks = data.arrays("camvid", "train", image_size=image_size).targets
    assert masks is not None
    weights = class_weights(masks, camvid.num_classes, camvid.ignore_index, balancing)
    return [float(w) for w in weights]


def part3_loss(class_weights: Sequence[float], ignore_index: int | None) -> keras.losses.Loss:
    """Part 3's loss: cross-entropy from logits, void ignored, weighted per class."""
    return models.WeightedCrossEntropy(class_weights, ignore_index=ignore_index)


@dataclass
class Part3Run:
    """A CamVid model trained with Part 3's recipe (:func:`train_part3`).

    Attributes:
        model: the trained model.
        fit: the (last) training's result; its report is the model's validation report.
        budget: the step budget it was given.
        start: what the warm start did.
        stages: FCN's trainings by stage name (empty for the other models).
        class_weights: the loss's weight per class.
        class_balancing: how those weights were computed (``metrics.class_weights``).
    """

    model: keras.Model
    fit: TrainingResult
    budget: Budget
    start: WarmStart
    stages: dict[str, TrainingResult] = field(default_factory=dict)
    class_weights: list[float] = field(default_factory=list)
    class_balancing: str = PART3_CLASS_BALANCING

    def as_scores(self) -> dict[str, Any]:
        """Validation scores and training facts of the whole run, for ``runs.save_run``."""
        fits = list(self.stages.values()) or [self.fit]
        return {
            **self.fit.as_scores(),
            "history": concat_histories([f.history for f in fits]),
            "steps": sum(f.steps for f in fits),
            "epochs": sum(f.epochs for f in fits),
            "train_seconds": round(sum(f.seconds for f in fits), 1),
            "budget": self.budget.as_dict(),
            "learning_rate": self.fit.budget.get("learning_rate", PART3_LEARNING_RATE),
            "loss": f"cross-entropy, void ignored, {self.class_balancing} class weights",
            "class_weights": [round(w, 4) for w in self.class_weights],
            "warm_start": self.start.note,
            "encoder_copied": bool(self.start.copied),
            "start": self.start.kind,
            **({"stages_miou": {k: f.report.miou for k, f in self.stages.items()}}
               if self.stages else {}),
        }  # fmt: skip


def train_part3(
    name: str,
    train: Any,
    val: Any,
    *,
    profile: str,
    preset: str,
    input_shape: tuple[int | None, int | None, int],
    num_classes: int,
    class_names: Sequence[str] | None = None,
    ignore_index: int | None = None,
    class_weights: Sequence[float] | None = None,
    weights_size: tuple[int, int] | None = None,
    verbose: int = 2,
    validate_each_epoch: bool = True,
    **build_options: Any,
) -> Part3Run:
    """Build a Part 3 model and train it with the recipe every Part 3 model shares.

    The recipe: :func:`models.build` at ``preset``; the start: ImageNet's EfficientNet-Lite0
    for a ``_lite0`` model (its weights load when it is built), else a warm start from
    :data:`ENCODER_RUN` where the layers fit (:func:`warm_start`); :func:`fit_segmentation`
    for the model's step budget (:func:`budget`) at :func:`part3_learning_rate`, with
    :func:`part3_loss` (cross-entropy, void ignored, class weights of
    :func:`class_balancing`: median-frequency, or tempered for the ImageNet start).
    FCN-8s from scratch trains in the paper's stages (:func:`fit_fcn_in_stages`);
    ``fcn8s_lite0`` trains at once, as the journal version of the FCN paper does. The
    notebooks and ``course seed-record`` both train through here, so a recorded seed is
    a draw of exactly the notebook's recipe.

    Args:
        name: a name for ``models.build`` (``"fcn8s"`` trains FCN in stages, and
            :data:`FCN_SKIP_CONTROL` FCN-32s through the same stages), or such a name
            ending in ``"_scratch"``: the same model from random weights.
        train, val: CamVid datasets of batches (``data.load``).
        profile: the profile whose budget and saved encoder to use.
        preset, input_shape, num_classes: as for ``models.build``.
        class_names, ignore_index: as for ``metrics.evaluate``.
        class_weights: the loss's weight per class (default: :func:`part3_class_weights`
            at ``weights_size`` with the model's :func:`class_balancing`; tests pass their
            own).
        weights_size: the mask size the class weights are counted at (default: the input
            size; give it when the input shape is ``(None, None, 3)``).
        verbose: passed to ``fit_segmentation``.
        validate_each_epoch: passed to ``fit_segmentation`` (``False``: no validation curves,
            one validation pass at the end; the seed record needs no curves).
        **build_options: further options for ``models.build``.
    """
    plan = budget(profile, name)
    balancing = class_balancing(name)
    if class_weights is not None:
        weights = list(class_weights)
    else:
        height, width = weights_size or (input_shape[0], input_shape[1])
        if height is None or width is None:
            raise ValueError(
                f"input_shape={input_shape} has no fixed size to count the class weights at: "
                "pass weights_size=(height, width), the size of the training frames."
            )
        weights = part3_class_weights((height, width), balancing)
    fit_args: dict[str, Any] = dict(
        num_classes=num_classes, class_names=class_names, ignore_index=ignore_index,
        learning_rate=part3_learning_rate(name), loss=part3_loss(weights, ignore_index),
        verbose=verbose, validate_each_epoch=validate_each_epoch,
    )  # fmt: skip
    if name in ("fcn8s", FCN_SKIP_CONTROL):
        stages, start = fit_fcn_in_stages(
            train, val, budget=plan, profile=profile, preset=preset, input_shape=input_shape,
            skips=name == "fcn8s", **fit_args,
        )  # fmt: skip
        last = list(stages.values())[-1]
        fits = {k: s.fit for k, s in stages.items()}
        return Part3Run(last.model, last.fit, plan, start, fits, weights, balancing)
    scratch = name.endswith(SCRATCH_SUFFIX)  # the control of a warm start: random weights
    model = models.build(
        name.removesuffix(SCRATCH_SUFFIX), input_shape, num_classes, preset=preset,
        **{"name": name, **build_options} if scratch else build_options,
    )  # fmt: skip
    if scratch:
        start = WarmStart([], f"{model.name}: random start (the control of the warm start)")
    elif uses_imagenet(name):
        start = WarmStart(
            [], f"{model.name}: encoder from ImageNet's EfficientNet-Lite0 (loaded when "
            "built); the decoder starts from random weights", imagenet=True,
        )  # fmt: skip
    elif model_family(name) in ENCODER_FAMILIES:
        start = warm_start(model, ENCODER_RUN, profile)
    else:
        start = WarmStart(
            [], f"{model.name}: no VGG-11 layers to take {ENCODER_RUN!r}; random start"
        )
    if verbose or start.missing:  # a warm start that could not be made is never silent
        print(start.note)
    fit = fit_segmentation(model, train, val, steps=plan.steps, epochs=plan.epochs, **fit_args)
    return Part3Run(model, fit, plan, start, {}, weights, balancing)


@dataclass
class StageResult:
    """One FCN stage: its model and its training."""

    model: keras.Model
    fit: TrainingResult


def fit_fcn_in_stages(
    train: Any,
    val: Any,
    *,
    budget: Budget,
    profile: str,
    preset: str,
    input_shape: tuple[int | None, int | None, int],
    num_classes: int,
    skips: bool = True,
    **fit_args: Any,
) -> tuple[dict[str, StageResult], WarmStart]:
    """FCN-32s, then FCN-16s started from it, then FCN-8s from that, as the paper did.

    Each stage gets its share of ``budget`` (:data:`FCN_STAGES`) and a cosine schedule of
    its own; FCN-32s starts from notebook 03's encoder where it fits. Every layer a stage
    shares with the one before is copied by name; the new skip's scoring layer starts at
    zero, so each stage starts out predicting exactly what the last one ended with.

    Args:
        skips: ``False`` for the skips' control: every stage trains FCN-32s on from the
            last, so the steps, schedules and start are FCN-8s's and only the skips differ.

    Returns:
        ``({stage name: StageResult}, the warm start of FCN-32s)``; without skips each
        stage's name still says whose steps it followed.
    """
    stages: dict[str, StageResult] = {}
    start = WarmStart([], "")
    for variant, share in FCN_STAGES:
        built = variant if skips else FCN_STAGES[0][0]
        model = models.build(built, input_shape, num_classes, preset=preset)
        if stages:
            models.copy_weights_by_name(list(stages.values())[-1].model, model)
        else:
            start = warm_start(model, ENCODER_RUN, profile)
            if fit_args.get("verbose") or start.missing:
                print(start.note)
        part = budget.share(share)
        fit = fit_segmentation(
            model, train, val, steps=part.steps, epochs=part.epochs, num_classes=num_classes,
            **fit_args,
        )  # fmt: skip
        stages[variant] = StageResult(model, fit)
    return stages, start
