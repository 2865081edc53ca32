"""Moving trained weights between models that share layer names."""

from __future__ import annotations

import keras


def copy_weights_by_name(
    source: keras.Model, target: keras.Model, skip: tuple[str, ...] = ()
) -> list[str]:
    """Copy the weights of every layer of ``source`` whose name and shapes match a layer of
    ``target`` (an encoder into a segmentation network, FCN-32s into FCN-16s).

    Args:
        source: the trained model.
        target: the model to initialise (changed in place).
        skip: layer names to leave alone.

    Returns:
        The names of the layers copied, in ``target``'s order.

    Raises:
        ValueError: when no layer matches (usually a different architecture or width),
            or when a layer of the same name has differently shaped weights.
    """
    available = {layer.name: layer for layer in _leaf_layers(source) if layer.weights}
    pairs = []
    for layer in _leaf_layers(target):
        if layer.name in skip or layer.name not in available or not layer.weights:
            continue
        weights = available[layer.name].get_weights()
        shapes = [tuple(w.shape) for w in layer.get_weights()]
        if [tuple(w.shape) for w in weights] != shapes:
            raise ValueError(
                f"Layer {layer.name!r} has weights of shapes {shapes} in {target.name!r} but "
                f"{[tuple(w.shape) for w in weights]} in {source.name!r}: build both with the "
                "same configuration and width, or pass skip=(name,)."
            )
        pairs.append((layer, weights))
    for layer, weights in pairs:  # only once every shape matched: a refusal changes nothing
        layer.set_weights(weights)
    copied = [layer.name for layer, _ in pairs]
    if not copied:
        raise ValueError(
            f"No layer of {target.name!r} matches a layer of {source.name!r} by name: were they "
            "built by the same builder (for example models.vgg and models.fcn with one config)?"
        )
    return copied


def _leaf_layers(model: keras.Model) -> list[keras.layers.Layer]:
    out = []
    for layer in model.layers:
        out.extend(_leaf_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return out
