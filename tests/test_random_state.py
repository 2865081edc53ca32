"""``random_state.preserved()``: a side experiment leaves every later draw unchanged."""

from __future__ import annotations

import random

import numpy as np
import pytest


def _draws(keras, tf):
    """One draw from each stream a notebook cell may use after a side experiment."""
    layer = keras.layers.Conv2D(2, 3)  # unseeded: Python's random picks its seed
    layer.build((None, 5, 5, 1))
    shuffled = tf.data.Dataset.range(20).shuffle(20, seed=1)
    dropped = keras.layers.Dropout(0.5)(np.ones((1, 16), "float32"), training=True)
    return {
        "conv": np.asarray(layer.kernel),
        "dropout": np.asarray(dropped),  # its seed generator is seeded from Python's random
        "keras.random": np.asarray(keras.random.normal((3,))),  # the global seed generator
        "tf eager": tf.random.uniform((3,)).numpy(),  # TensorFlow's eager op seeds
        "numpy": np.random.random(3),
        "python": random.random(),
        "tf.data": np.asarray(list(shuffled.as_numpy_iterator())),  # global seed + op seed
    }


def _side_experiment(keras, tf):
    """What a notebook's illustration cell does: build, train a little, draw."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dropout(0.2)])
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 4)), np.zeros((8, 3)), epochs=1, verbose=0)
    tf.random.normal((2,))
    keras.random.uniform((2,))  # Keras' global seed generator
    np.random.random(5)
    random.random()


def _seed_loop(keras, tf):
    """A side experiment over seeds: it reseeds everything, TensorFlow's global seed too."""
    for seed in (11, 12):
        keras.utils.set_random_seed(seed)
        _side_experiment(keras, tf)


@pytest.fixture
def libs():
    import keras
    import tensorflow as tf

    return keras, tf


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def _with_and_without(keras, tf, block):
    """The draws after ``block`` and those without it, from the same seeded start."""
    keras.utils.set_random_seed(3)
    _draws(keras, tf)  # every stream exists and has advanced
    expected = _draws(keras, tf)
    keras.utils.set_random_seed(3)
    _draws(keras, tf)
    block()
    return _draws(keras, tf), expected


def _preserved(run):
    from course_utils.random_state import preserved

    def block():
        with preserved():
            run()

    return block


def test_draws_after_the_block_are_those_without_it(libs):
    keras, tf = libs
    got, expected = _with_and_without(keras, tf, _preserved(lambda: _side_experiment(keras, tf)))
    _assert_same(got, expected)


def test_a_block_that_reseeds_leaves_the_global_seeds_as_they_were(libs):
    keras, tf = libs
    got, expected = _with_and_without(keras, tf, _preserved(lambda: _seed_loop(keras, tf)))
    _assert_same(got, expected)


def test_without_the_block_the_side_experiment_changes_every_stream(libs):
    keras, tf = libs
    # a reseeding side experiment, not preserved, touches every stream
    got, expected = _with_and_without(keras, tf, lambda: _seed_loop(keras, tf))
    for key in expected:
        assert not np.array_equal(got[key], expected[key]), key


def test_the_state_is_restored_when_the_block_raises(libs):
    keras, tf = libs

    def failing():
        _side_experiment(keras, tf)
        raise ZeroDivisionError

    def block():
        with pytest.raises(ZeroDivisionError):
            _preserved(failing)()

    got, expected = _with_and_without(keras, tf, block)
    _assert_same(got, expected)


def test_a_seeded_block_repeats_its_draws_and_leaves_the_stream_alone():
    """``random_state.seeded``: the same seed gives the same draws inside, whatever ran
    before, and the draws after the block are those without it."""
    import keras
    import tensorflow as tf

    from course_utils import random_state

    keras.utils.set_random_seed(0)
    without = _draws(keras, tf)
    keras.utils.set_random_seed(0)
    with random_state.seeded(42):
        first = np.random.random(3)
        _side_experiment(keras, tf)
    after = _draws(keras, tf)
    for stream, values in without.items():
        np.testing.assert_array_equal(values, after[stream], err_msg=stream)
    np.random.random(7)  # something else ran before the next block
    with random_state.seeded(42):
        np.testing.assert_array_equal(np.random.random(3), first)
