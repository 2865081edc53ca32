"""Side experiments that leave a notebook's random stream as they found it.

A notebook seeds everything once (:func:`course_utils.setup`) and then draws from the
same streams in every cell: Keras layers built without a seed take their initial weights
from Python's ``random`` and Keras' global seed generator. A cell added to illustrate
something (a layer built to count its weights, a small side experiment) would therefore
shift every draw after it, and a model trained further down would start from other
weights than before. Inside :func:`preserved` it does not.
"""

from __future__ import annotations

import contextlib
import random
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np


@contextlib.contextmanager
def preserved() -> Iterator[None]:
    """Run the block, then put every random stream back where it was.

    Restores Python's ``random``, NumPy's global generator, Keras' global seed generator
    (the one unseeded Keras layers and random ops draw from), TensorFlow's global seed
    and its eager operation seeds, so the cells after the block draw exactly what they
    would have drawn without it, even when the block reseeds (a loop over seeds).

    Example:
        >>> with course_utils.random_state.preserved():  # doctest: +SKIP
        ...     layer = keras.layers.Conv2D(8, 3)  # its weights come from the block's draws
    """
    states = _save()
    try:
        yield
    finally:
        _restore(states)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run the block from ``seed`` (``keras.utils.set_random_seed``: Python, NumPy,
    TensorFlow and Keras), then put every random stream back where it was
    (:func:`preserved`). One draw of a side experiment: it repeats whatever ran before it,
    and the cells after it draw as if it had not run.

    Example:
        >>> for draw in range(3):  # doctest: +SKIP
        ...     with course_utils.random_state.seeded(100 + draw):
        ...         net = build()  # the same starting weights on every run of the notebook
    """
    import keras

    with preserved():
        keras.utils.set_random_seed(seed)
        yield


def reset_keras_seed_generator() -> None:
    """Make Keras' unseeded random ops start over from the seed set last.

    ``keras.utils.set_random_seed`` does this itself from Keras 3.13 on; Keras 3.12 (the
    last for Python 3.10) keeps its global ``SeedGenerator``, so seeding a second time
    would continue its stream instead of repeating it. A Keras without that state has
    nothing to reset.
    """
    try:
        global_state, name = _keras_global_state(), _keras_generator_name()
    except (ImportError, AttributeError):
        return
    global_state.set_global_attribute(name, None)


def _save() -> dict[str, Any]:
    states: dict[str, Any] = {"python": random.getstate(), "numpy": np.random.get_state()}
    if "keras" in sys.modules:
        generator = _keras_global_state().get_global_attribute(_keras_generator_name())
        states["keras"] = (
            generator,
            None if generator is None else np.asarray(generator.state.value),
        )
    tf_rng = _tf_eager_rng()
    if tf_rng is not None:
        from tensorflow.python.eager import context

        states["tf"] = (context.global_seed(), tf_rng.getstate())
    return states


def _restore(states: dict[str, Any]) -> None:
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    if "keras" in states:
        generator, value = states["keras"]
        _keras_global_state().set_global_attribute(_keras_generator_name(), generator)
        if generator is not None:
            generator.state.assign(value)
    if "tf" in states:
        from tensorflow.python.eager import context

        seed, rng_state = states["tf"]
        if context.global_seed() != seed:  # the block reseeded (e.g. a loop over seeds)
            context.set_global_seed(seed)
        tf_rng = _tf_eager_rng()
        if tf_rng is not None:
            tf_rng.setstate(rng_state)


def _keras_global_state() -> Any:
    from keras.src.backend.common import global_state  # no public API saves this state

    return global_state


def _keras_generator_name() -> str:
    from keras.src.random import seed_generator

    return str(seed_generator.GLOBAL_SEED_GENERATOR)


def _tf_eager_rng() -> random.Random | None:
    """TensorFlow's source of operation seeds in eager mode (set by ``tf.random.set_seed``)."""
    if "tensorflow" not in sys.modules:
        return None
    from tensorflow.python.eager import context  # no public API exposes it

    rng = getattr(context.context(), "_rng", None)
    return rng if isinstance(rng, random.Random) else None
