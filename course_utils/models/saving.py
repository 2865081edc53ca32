"""The course's Keras objects that a saved model names, so that it loads anywhere.

A ``.keras`` file refers to a custom layer, initialiser or loss by its registered name
(``"course_utils>MaxUnpool"``). Keras finds the class only once the module that defines
it has run its ``@keras.saving.register_keras_serializable`` decorator; before that,
``keras.saving.load_model`` fails in a fresh process. :func:`register_custom_objects`
imports them all and returns them, ready for ``custom_objects=``. :func:`as_float32` rebuilds
a mixed-precision model in float32, for a model that leaves the course (an export).
"""

from __future__ import annotations

import importlib
from typing import Any

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


def _float32_policies(config: Any) -> Any:
    """A model config with every layer's dtype policy set to float32."""
    if isinstance(config, dict):
        if config.get("class_name") in _POLICY_CLASSES and isinstance(config.get("config"), dict):
            config = {**config, "config": {**config["config"], "name": "float32"}}
        return {key: _float32_policies(value) for key, value in config.items()}
    if isinstance(config, list):
        return [_float32_policies(value) for value in config]
    return config


_POLICY_CLASSES = ("DTypePolicy", "FloatDTypePolicy")


def as_float32(model: keras.Model) -> keras.Model:
    """The same model computing in float32 throughout: rebuilt from its config with every
    layer's dtype policy float32, and given the model's weights (in a mixed-precision
    model they are float32 already, so nothing is rounded).

    ``setup()`` trains in ``mixed_bfloat16`` on CPUs with native bfloat16; a model meant
    for other machines (an exported SavedModel, a TFLite file for a phone) should compute
    in float32, which every CPU runs and TFLite converts. The model returned is not
    compiled. A float32 model is returned as it is.

    Raises:
        TypeError: for a model that is not a functional ``keras.Model`` (one built from a
            config; a subclassed model has none).
    """
    layers = [model, *model._flatten_layers(include_self=False)]
    if all(layer.dtype_policy.name == "float32" for layer in layers):
        return model
    try:
        config = model.get_config()
    except NotImplementedError as err:
        raise TypeError(
            f"as_float32 needs a functional model; {model.name} has no config."
        ) from err
    from course_utils.random_state import preserved

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")  # layers with no policy of their own take this
    try:
        # building draws initial weights (overwritten below) from Keras' seed stream: put
        # the stream back, so that a notebook's later training does not depend on the copy
        with preserved():
            copy = model.__class__.from_config(
                _float32_policies(config), custom_objects=register_custom_objects()
            )
    finally:
        keras.config.set_dtype_policy(before)
    copy.set_weights(model.get_weights())
    return copy
