"""One training recipe for every CamVid model, with a budget measured in minutes.

Comparing architectures is only fair when each gets the same budget. Epochs are a poor
unit for that: one SegNet epoch costs three FCN epochs on a CPU. :func:`fit_segmentation`
therefore trains until a number of *minutes of training* (validation excluded) has
passed, with a cosine learning-rate schedule laid over those minutes, and then reports
on the validation split with the course's metric code. :data:`BUDGETS` holds the one
budget per profile that every Part 3 notebook uses, so notebook 11 compares like with
like. :func:`warm_start` starts a model from a saved run's layers when that run fits
(Part 3 starts from notebook 03's VGG-11 encoder).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras

from course_utils import models, runs
from course_utils.metrics import MeanIoU, SegmentationReport, evaluate

#: Training budget of each CamVid model in Part 3, per profile: minutes of training
#: (``None``: no time limit) and a cap on epochs. ``full`` counts epochs, since a GPU's
#: minutes say little about another GPU's.
BUDGETS: dict[str, dict[str, float | int | None]] = {
    "quick": {"minutes": 0.25, "epochs": 1},
    "default": {"minutes": 6.0, "epochs": 200},
    "full": {"minutes": None, "epochs": 120},
}


def budget(profile: str) -> dict[str, float | int | None]:
    """The Part 3 training budget of a profile (a copy of ``BUDGETS[profile]``).

    Raises:
        ValueError: for an unknown profile.
    """
    if profile not in BUDGETS:
        raise ValueError(f"Unknown profile {profile!r}; choose one of {sorted(BUDGETS)}.")
    return dict(BUDGETS[profile])


def cosine_learning_rate(progress: float, peak: float, final_fraction: float = 0.05) -> float:
    """The learning rate of a cosine schedule at ``progress`` (0 = start, 1 = end).

    Falls from ``peak`` to ``peak * final_fraction`` along half a cosine; progress past 1
    stays at the final value.
    """
    p = min(max(progress, 0.0), 1.0)
    return peak * (final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * p)))


class TrainingBudget(keras.callbacks.Callback):
    """Stops training when a time or step budget is spent, and sets the learning rate
    from the fraction spent (a cosine schedule over minutes, not over epochs).

    Time spent in validation does not count. Progress is the larger of the time fraction
    and the step fraction, so whichever budget runs out first ends training.

    Args:
        minutes: minutes of training allowed (``None``: no time limit).
        max_steps: optimizer steps allowed (``None``: no step limit).
        peak_learning_rate: the learning rate at the start.
        final_fraction: the end learning rate as a fraction of the peak.
        clock: a function returning seconds (tests pass a fake clock).
    """

    def __init__(
        self,
        minutes: float | None,
        max_steps: int | None,
        peak_learning_rate: float,
        final_fraction: float = 0.05,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__()
        if minutes is None and max_steps is None:
            raise ValueError("Give a time budget (minutes), a step budget, or both.")
        if minutes is not None and minutes <= 0:
            raise ValueError(f"minutes must be positive, got {minutes}.")
        if max_steps is not None and max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {max_steps}.")
        self.budget_seconds = None if minutes is None else 60.0 * minutes
        self.max_steps = max_steps
        self.peak = peak_learning_rate
        self.final_fraction = final_fraction
        self._clock = clock
        self.seconds = 0.0
        self.steps = 0
        self.epoch_minutes: list[float] = []
        self._since: float | None = None

    def progress(self) -> float:
        """Fraction of the budget spent so far (at least one budget is set)."""
        fractions = []
        if self.budget_seconds is not None:
            fractions.append(self._elapsed() / self.budget_seconds)
        if self.max_steps is not None:
            fractions.append(self.steps / self.max_steps)
        return max(fractions)

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
    """

    history: dict[str, list[float]]
    report: SegmentationReport
    seconds: float
    epochs: int
    steps: int
    budget: dict[str, Any] = field(default_factory=dict)

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
    class_names: list[str] | None = None,
    ignore_index: int | None = None,
    minutes: float | None = None,
    epochs: int | None = None,
    learning_rate: float = 1e-3,
    final_fraction: float = 0.05,
    loss: Any = None,
    verbose: int = 2,
) -> TrainingResult:
    """Compile and train a segmentation model for a budget, then report on validation.

    The recipe: Adam, a cosine learning rate from ``learning_rate`` down to
    ``learning_rate * final_fraction`` over the budget, cross-entropy with the void id
    ignored (unless ``loss`` is given), mIoU on both splits after every epoch.

    Args:
        model: a model returning logits ``(B, H, W, num_classes)``.
        train, val: datasets of ``(images, masks)`` batches (``len(train)`` must be known).
        num_classes, class_names, ignore_index: as in ``metrics.evaluate``.
        minutes: minutes of training (validation excluded); ``None`` for no time limit.
        epochs: at most this many epochs; ``None`` for no epoch limit.
        learning_rate: the peak learning rate.
        final_fraction: the last learning rate as a fraction of the peak.
        loss: a Keras loss (default: sparse cross-entropy from logits, void ignored).
        verbose: passed to ``model.fit``.

    Returns:
        A :class:`TrainingResult`.

    Raises:
        ValueError: when neither ``minutes`` nor ``epochs`` is given.
    """
    if minutes is None and epochs is None:
        raise ValueError("Give a budget: minutes=..., epochs=..., or both (see training.BUDGETS).")
    steps_per_epoch = len(train)
    max_steps = None if epochs is None else epochs * steps_per_epoch
    clock = TrainingBudget(minutes, max_steps, learning_rate, final_fraction)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=loss
        or keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignore_index),
        metrics=[MeanIoU(num_classes, ignore_index=ignore_index)],
    )
    history = model.fit(
        train,
        validation_data=val,
        epochs=epochs or 10**6,
        callbacks=[clock],
        shuffle=False,  # tf.data shuffles (data.load); Keras would only warn
        verbose=verbose,
    )
    logs = {key: [float(v) for v in values] for key, values in history.history.items()}
    logs["minutes"] = [round(m, 3) for m in clock.epoch_minutes]
    report = evaluate(model, val, num_classes, class_names, ignore_index=ignore_index)
    result = TrainingResult(
        history=logs,
        report=report,
        seconds=clock.seconds,
        epochs=len(clock.epoch_minutes),
        steps=clock.steps,
        budget={"minutes": minutes, "epochs": epochs, "learning_rate": learning_rate},
    )
    if verbose:
        print(
            f"{model.name}: {result.epochs} epochs ({result.steps} steps) in "
            f"{result.seconds / 60:.1f} min of training; validation mIoU {report.miou:.3f}, "
            f"pixel accuracy {report.pixel_accuracy:.3f}"
        )
    return result


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
    """

    copied: list[str]
    note: str


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
            f"{model.name}: no run {source!r} in profile {profile!r}; random start "
            "(run the notebook that trains it first for a head start)",
        )
    try:
        copied = models.copy_weights_by_name(runs.load_run(source, profile), model, skip=skip)
    except ValueError as error:
        return WarmStart([], f"{model.name}: run {source!r} does not fit ({error}); random start")
    return WarmStart(
        copied,
        f"{model.name}: {len(copied)} layers from run {source!r} ({', '.join(copied[:3])}, ...)",
    )
