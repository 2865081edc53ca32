"""What the build-a-model checkers share: build the learner's layers, count, train a little.

The learner writes a function that takes Keras tensors and returns one (the way
``models`` builds its networks); a checker calls it on ``keras.Input``s of known shapes,
wraps the result in a ``keras.Model`` and inspects it. Everything is built in float32,
whatever precision the notebook's ``setup()`` chose, so the values a checker compares
are exact to float32 rounding.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from course_utils.exercises._lang import _t


@contextlib.contextmanager
def _float32() -> Iterator[None]:
    """Build layers in float32 for the block, and leave the notebook's state as it was.

    Restores the notebook's precision policy, and its random state: the learner's layers
    draw their initial weights from Keras' global seed generator (seeded from Python's
    ``random``), so without this a checker run before a training cell would change the
    weights that training starts from, and a notebook's results would depend on whether
    its exercises were run.
    """
    import keras

    from course_utils.random_state import preserved

    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        with preserved():
            yield
    finally:
        keras.config.set_dtype_policy(policy)


def _build(
    func: Callable[..., Any], shapes: Sequence[tuple[int | None, ...]], *extra: Any
) -> tuple[Any, str | None]:
    """Call ``func(*inputs, *extra)`` on ``keras.Input``s of ``shapes``; wrap it in a Model.

    Returns ``(model, None)``, or ``(None, "what went wrong")`` when the function raised
    or did not return a Keras tensor.
    """
    import keras

    with _float32():
        inputs = [keras.Input(shape) for shape in shapes]
        try:
            outputs = func(*inputs, *extra)
        except Exception as err:  # noqa: BLE001 - a learner's code may raise anything; report it
            return None, _t(
                en=f"your function raised {type(err).__name__}: {err}",
                ko=f"함수에서 예외가 발생했습니다({type(err).__name__}: {err})",
            )
        if not isinstance(outputs, keras.KerasTensor):
            return None, _t(
                en=f"your function returned {type(outputs).__name__}, not a Keras tensor "
                "(did you forget the `return`, or return the layer instead of calling it?)",
                ko=f"함수가 Keras 텐서가 아니라 {type(outputs).__name__}을(를) 반환했습니다"
                "(`return`을 빠뜨렸거나, 층을 호출하지 않고 층을 그대로 반환했을 수 있습니다)",
            )
        try:
            # One input as a tensor, not a list of one: Keras warns when a one-input model
            # built on a list is called on an array.
            model = keras.Model(inputs if len(inputs) > 1 else inputs[0], outputs)
        except Exception as err:  # noqa: BLE001 - e.g. an output not connected to the inputs
            return None, _t(
                en=f"Keras could not make a model of it: {type(err).__name__}: {err}",
                ko=f"Keras가 이것으로 모델을 만들지 못했습니다({type(err).__name__}: {err})",
            )
    return model, None


def _shape(model: Any) -> tuple[int | None, ...]:
    """The output shape of a one-output model, batch axis included."""
    return tuple(model.output.shape)


def _predict(model: Any, *arrays: np.ndarray) -> np.ndarray:
    """Run the model in inference mode (batch norm uses its moving statistics)."""
    out = model(list(arrays) if len(arrays) > 1 else arrays[0], training=False)
    return np.asarray(out, dtype=np.float64)


def _layers_of(model: Any, *kinds: str) -> list[Any]:
    """The model's layers whose class is one of ``kinds`` (class names)."""
    return [layer for layer in model.layers if type(layer).__name__ in kinds]


def _random(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _loss_falls(
    model: Any, inputs: list[np.ndarray], target: np.ndarray, steps: int = 20
) -> tuple[float, float]:
    """Train ``model`` on one fixed batch for ``steps`` Adam steps; return (first, last) loss.

    The loss is mean squared error to ``target``: the point is only that gradients reach
    the weights, whatever the layers compute.
    """
    import keras

    tf_logger = logging.getLogger("tensorflow")  # a new model per check: retracing warnings
    level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    try:
        with _float32():
            model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
            x = inputs if len(inputs) > 1 else inputs[0]
            first = float(model.evaluate(x, target, verbose=0))
            for _ in range(steps):
                model.train_on_batch(x, target)
            last = float(model.evaluate(x, target, verbose=0))
    finally:
        tf_logger.setLevel(level)
    return first, last
