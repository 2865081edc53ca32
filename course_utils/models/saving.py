"""The course's Keras objects that a saved model names, so that it loads anywhere.

A ``.keras`` file refers to a custom layer, initialiser or loss by its registered name
(``"course_utils>MaxUnpool"``). Keras finds the class only once the module that defines
it has run its ``@keras.saving.register_keras_serializable`` decorator; before that,
``keras.saving.load_model`` fails in a fresh process. :func:`register_custom_objects`
imports them all and returns them, ready for ``custom_objects=``.
"""

from __future__ import annotations

import importlib

import keras

#: The modules of :mod:`course_utils.models` that define registered objects.
_MODULES = ("layers", "losses", "normalization")


def register_custom_objects() -> dict[str, type]:
    """Register the custom layers, initialisers and losses of :mod:`course_utils.models`
    with Keras, and return them.

    Calling it again is harmless. The Keras metric of the course lives in
    :mod:`course_utils.metrics` (``metrics.MeanIoU``), not here: ``models`` imports nothing
    from its sibling parts.

    Returns:
        ``{registered name: class}``, e.g. ``{"course_utils>MaxUnpool": MaxUnpool, ...}``,
        usable as ``keras.saving.load_model(path, custom_objects=...)``.

    Example:
        >>> objects = register_custom_objects()  # doctest: +SKIP
        >>> keras.saving.load_model("segnet.keras", custom_objects=objects)  # doctest: +SKIP
    """
    names = {f"course_utils.models.{module}" for module in _MODULES}
    for name in sorted(names):
        importlib.import_module(name)
    return {
        key: obj
        for key, obj in sorted(keras.saving.get_custom_objects().items())
        if "course_utils>" in key and getattr(obj, "__module__", None) in names
    }
