"""A build checker leaves the notebook as it found it: precision policy and random state.

Notebooks run exercise cells before training cells; if a checker drew from Keras' global
seed generator, the weights that training starts from would depend on whether the
learner ran the exercise.
"""

from __future__ import annotations

import random

import numpy as np


def _draws(keras):
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    return np.asarray(layer.kernel), random.random()


def test_a_checker_does_not_change_the_weights_training_starts_from():
    import keras

    from course_utils import exercises

    def head(features, num_classes):
        x = keras.layers.Conv2D(num_classes, 1)(features)
        return keras.layers.Softmax()(keras.layers.GlobalAveragePooling2D()(x))

    keras.utils.set_random_seed(7)
    _draws(keras)  # the global seed generator exists and has advanced
    expected = _draws(keras)
    keras.utils.set_random_seed(7)
    _draws(keras)
    assert exercises.check_conv_head(head)  # builds layers and trains them a little
    got = _draws(keras)
    np.testing.assert_array_equal(got[0], expected[0])
    assert got[1] == expected[1]

    # and the check can fail: drawing a layer's weights in between does change them
    keras.utils.set_random_seed(7)
    _draws(keras)
    _draws(keras)
    assert not np.array_equal(_draws(keras)[0], expected[0])
