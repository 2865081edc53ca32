"""Classic builders: published parameter counts at ImageNet size, small variants that run,
and the FLOP counter checked by hand."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def models():
    from course_utils._tf import import_tensorflow

    import_tensorflow()
    from course_utils import models

    return models


@pytest.mark.parametrize(
    "builder, kwargs, millions",
    [
        ("vgg", {}, 138.36),  # VGG-16, as keras.applications.VGG16
        ("resnet", {}, 11.69),  # ResNet-18
        ("resnet", {"blocks": (3, 4, 6, 3)}, 21.81),  # ResNet-34
        ("alexnet", {}, 62.38),  # single-tower AlexNet, 227x227 input
        ("googlenet", {}, 7.00),  # without auxiliary classifiers
    ],
)
def test_imagenet_sizes_match_published_counts(models, builder, kwargs, millions):
    model = getattr(models, builder)(**kwargs)
    assert model.count_params() / 1e6 == pytest.approx(millions, abs=0.01)


def test_vgg16_matches_keras_applications(models):
    import keras

    ours = models.vgg()
    theirs = keras.applications.VGG16(weights=None)
    assert ours.count_params() == theirs.count_params()
    assert models.count_flops(ours) == models.count_flops(theirs)
    conv_names = [layer.name for layer in theirs.layers if "conv" in layer.name]
    assert conv_names == [layer.name for layer in ours.layers if "conv" in layer.name]


def test_flop_counter_by_hand(models):
    import keras

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)  # 8*8*4 outputs x 27 MACs
    x = keras.layers.DepthwiseConv2D(3, padding="same")(x)  # 8*8*4 x 9
    x = keras.layers.Conv2DTranspose(2, 2, strides=2)(x)  # 8*8 inputs x 4 taps x 4 in x 2 out
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(5)(x)  # 16*16*2 x 5
    model = keras.Model(inputs, outputs)
    macs = 8 * 8 * 4 * 27 + 8 * 8 * 4 * 9 + 8 * 8 * 4 * 4 * 2 + 16 * 16 * 2 * 5
    assert models.count_flops(model) == 2 * macs


@pytest.mark.parametrize("builder", ["alexnet", "vgg", "googlenet", "resnet"])
def test_small_variants_run_on_cifar_sized_images(models, builder):
    kwargs = {"input_shape": (32, 32, 3), "num_classes": 10, "width": 0.125}
    if builder != "vgg":
        kwargs["stem"] = "small"
    model = getattr(models, builder)(**kwargs)
    out = model(np.zeros((2, 32, 32, 3), "float32"))
    assert tuple(out.shape) == (2, 10) and out.dtype.name == "float32"


def test_plain_twin_has_the_same_layers_but_no_shortcuts(models):
    kwargs = {
        "input_shape": (32, 32, 3),
        "num_classes": 10,
        "blocks": (2, 2),
        "width": 0.25,
        "stem": "small",
    }
    res, plain = models.resnet(**kwargs), models.resnet(residual=False, **kwargs)
    assert res.name == "resnet10" and plain.name == "plain10"
    assert not any(type(layer).__name__ == "Add" for layer in plain.layers)
    # Projections are the only extra weights of the residual net.
    extra = sum(layer.count_params() for layer in res.layers if "proj" in layer.name)
    assert res.count_params() - plain.count_params() == extra > 0


def test_resnet_without_batch_norm_has_biases_instead(models):
    kwargs = {"input_shape": (32, 32, 3), "num_classes": 10, "blocks": (2, 2), "stem": "small"}
    with_bn = models.resnet(width=0.25, **kwargs)
    without = models.resnet(width=0.25, batch_norm=False, **kwargs)
    assert any("BatchNormalization" in type(layer).__name__ for layer in with_bn.layers)
    assert not any("BatchNormalization" in type(layer).__name__ for layer in without.layers)
    convs = [layer for layer in without.layers if type(layer).__name__ == "Conv2D"]
    assert convs and all(layer.use_bias for layer in convs)
    # each BN's 4 numbers per channel (2 trained) become 1 bias per channel
    bn_params = sum(
        layer.count_params()
        for layer in with_bn.layers
        if "BatchNormalization" in type(layer).__name__
    )
    biases = sum(layer.filters for layer in convs)
    assert without.count_params() == with_bn.count_params() - bn_params + biases


def test_bad_stem_is_explained(models):
    with pytest.raises(ValueError, match="'imagenet'.*'small'"):
        models.resnet(stem="tiny")


def test_layer_memory_gives_cs231n_vgg16_table(models):
    """VGG-16 at 224x224: about 15.2 M activations against 138.4 M weights per image, the
    first block's activations by far the largest, the weights mostly in fc1 (CS231n)."""
    rows = models.layer_memory(models.vgg((224, 224, 3), 1000, config="vgg16"))
    by_name = {row["layer"]: row for row in rows}
    assert by_name["block1_conv1"]["output"] == (224, 224, 64)
    assert by_name["block1_conv1"]["activations"] == 224 * 224 * 64
    assert by_name["block1_conv1"]["params"] == 3 * 3 * 3 * 64 + 64
    assert by_name["fc1"]["params"] == 7 * 7 * 512 * 4096 + 4096
    total_params = sum(row["params"] for row in rows)
    assert total_params == 138_357_544  # keras.applications.VGG16's count
    convs = [row for row in rows if "conv" in row["layer"]]
    assert sum(row["activations"] for row in convs) == 13_547_520
    assert max(rows, key=lambda row: row["activations"])["layer"].startswith("block1")


def test_layer_memory_refuses_a_model_of_any_input_size(models):
    any_size = models.build("unet", (None, None, 3), 11, preset="tiny")
    with pytest.raises(ValueError, match="Build it at the size to count"):
        models.layer_memory(any_size)


def test_layer_memory_counts_every_output_of_a_layer(models):
    """SegNet's pooling gives values and indices: both are kept for the decoder."""
    rows = models.layer_memory(models.build("segnet", (32, 48, 3), 11, preset="tiny"))
    pools = [row for row in rows if row["activations"] > 0 and "pool" in row["layer"]]
    assert pools, [row["layer"] for row in rows]
    first = pools[0]
    assert first["activations"] == 2 * int(np.prod(first["output"]))
