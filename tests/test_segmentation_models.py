"""Part 3's model builders: output shapes and dtypes, input-size errors, the custom layers
against TensorFlow and NumPy, FCN's initialisation and staged weight transfer, saving."""

from __future__ import annotations

import numpy as np
import pytest

SMALL = {
    "encoder_decoder": dict(widths=(4, 8)),
    "fcn": dict(config="vgg11", width=0.125, batch_norm=True, fc_filters=16, fc_kernel=3),
    "segnet": dict(widths=(4, 8, 8), convs=(1, 1, 2)),
    "unet": dict(widths=(4, 8, 16)),
    "deeplabv3plus": dict(
        widths=(4, 8, 8, 16, 16, 16), middle_blocks=1, aspp_filters=8, decoder_filters=8,
        low_level_filters=4, aspp_rates=(1, 2),
    ),
}  # fmt: skip


def _shape(t):
    return tuple(int(d) for d in t.shape)


@pytest.mark.parametrize("builder", sorted(SMALL))
def test_every_builder_outputs_float32_logits_at_input_resolution(keras, models, builder):
    model = getattr(models, builder)((64, 96, 3), 5, **SMALL[builder])
    out = model(np.random.default_rng(0).random((2, 64, 96, 3)).astype("float32"))
    assert _shape(out) == (2, 64, 96, 5)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"


@pytest.mark.parametrize(
    "builder, size, message",
    [
        ("fcn", (100, 96, 3), "multiple of 32; got 100"),
        ("unet", (64, 90, 3), "multiple of 4; got 90"),
        ("segnet", (4, 64, 3), "at least 8 pixels; got 4"),
        ("deeplabv3plus", (16, 64, 3), "at least 32 pixels; got 16"),
    ],
)
def test_builders_refuse_sizes_they_cannot_take(models, builder, size, message):
    with pytest.raises(ValueError, match=message):
        getattr(models, builder)(size, 3, **SMALL[builder])


def test_segnet_and_deeplab_take_odd_sizes(models):
    for builder in ("segnet", "deeplabv3plus"):
        model = getattr(models, builder)((45, 61, 3), 3, **SMALL[builder])
        assert _shape(model(np.zeros((1, 45, 61, 3), "float32"))) == (1, 45, 61, 3)
    nearest = dict(SMALL["segnet"], unpooling="nearest")
    with pytest.raises(ValueError, match="multiple of 8"):
        models.segnet((45, 64, 3), 3, **nearest)


def test_deeplab_takes_sizes_unknown_at_build_time(models):
    model = models.deeplabv3plus((None, None, 3), 3, **SMALL["deeplabv3plus"])
    for size in [(64, 64), (96, 128), (50, 70)]:
        assert _shape(model(np.zeros((1, *size, 3), "float32")))[1:3] == size
    # traced by fit with sizes unknown in the graph, as when training on random crops
    import keras
    import tensorflow as tf

    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(True))
    x = np.random.default_rng(0).random((4, 64, 64, 3), "float32")
    y = np.random.default_rng(1).integers(0, 3, (4, 64, 64, 1))
    crops = tf.data.Dataset.from_generator(
        lambda: ((a[:48], b[:48]) for a, b in zip(x, y, strict=True)),
        output_signature=(
            tf.TensorSpec((None, None, 3), tf.float32),
            tf.TensorSpec((None, None, 1), tf.int64),
        ),
    )  # 48x64 crops whose size the graph does not know
    losses = model.fit(
        crops.batch(2).repeat(), epochs=2, steps_per_epoch=2, shuffle=False, verbose=0
    ).history["loss"]
    assert np.isfinite(losses).all()
    assert _shape(model.predict(np.zeros((1, 96, 128, 3)), verbose=0))[1:3] == (96, 128)


def test_max_pool_with_argmax_and_unpool_match_tensorflow_and_numpy(models):
    import tensorflow as tf

    from course_utils import ops

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 7, 3)).astype("float32")  # odd sizes, batch of 2
    pooled, indices = models.MaxPoolWithArgmax()(x)
    tf_pooled, tf_indices = tf.nn.max_pool_with_argmax(x, 2, 2, "SAME", include_batch_in_index=True)
    np.testing.assert_array_equal(np.asarray(pooled), tf_pooled.numpy())
    np.testing.assert_array_equal(np.asarray(indices), tf_indices.numpy())
    assert _shape(pooled) == (2, 3, 4, 3) and str(indices.dtype) == "<dtype: 'int64'>"
    restored = np.asarray(models.MaxUnpool()([pooled, indices, x]))
    assert restored.shape == x.shape
    # the second image's channel 1, cropped to even size, agrees with the NumPy reference
    ref_pooled, ref_idx = ops.max_pool_with_indices(x[1, :4, :6, 1])
    np.testing.assert_allclose(np.asarray(pooled)[1, :2, :3, 1], ref_pooled)
    np.testing.assert_allclose(restored[1, :4, :6, 1], ops.max_unpool(ref_pooled, ref_idx, (4, 6)))
    assert (restored != 0).sum() == pooled.shape[0] * 3 * 4 * 3  # one value per pooled cell


def test_segnet_trains_on_cpu_without_xla_and_gradients_flow_through_unpooling(keras, models):
    import tensorflow as tf

    model = models.segnet((16, 16, 3), 2, **SMALL["segnet"])
    x = np.random.default_rng(1).random((4, 16, 16, 3)).astype("float32")
    y = (x[..., :1] > 0.5).astype("int32")
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
            y, model(x, training=True)
        )
    grads = tape.gradient(loss, model.trainable_weights)
    first_conv = model.get_layer("block1_conv1").kernel
    grad = grads[[w.path for w in model.trainable_weights].index(first_conv.path)]
    assert float(tf.reduce_sum(tf.abs(grad))) > 0  # the encoder learns through the indices
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer="adam", loss=ce, jit_compile="auto")
    model.fit(x, y, epochs=1, verbose=0)
    assert model.jit_compile is False


def test_fcn_starts_as_the_32s_prediction_and_transfers_in_stages(keras, models):
    x = np.random.default_rng(2).random((1, 64, 64, 3)).astype("float32")
    small = SMALL["fcn"]
    fcn32 = models.fcn((64, 64, 3), 4, variant="32s", **small)
    fcn16 = models.fcn((64, 64, 3), 4, variant="16s", **small)
    fcn8 = models.fcn((64, 64, 3), 4, variant="8s", **small)
    score_fr = fcn32.get_layer("score_fr")  # zero at first: stand in for a trained FCN-32s
    kernel, bias = score_fr.get_weights()
    rng = np.random.default_rng(7)
    score_fr.set_weights([rng.normal(size=kernel.shape), rng.normal(size=bias.shape)])
    copied = models.copy_weights_by_name(fcn32, fcn16)
    assert "fc6" in copied and "block5_conv2" in copied and "score_fr" in copied
    models.copy_weights_by_name(fcn16, fcn8)
    # zero-initialised skip scores: before training, each fusion adds nothing, so FCN-8s
    # starts from FCN-32s's coarse scores (interpolated in three steps instead of one)
    for skip in ("pool4", "pool3"):
        probe = keras.Model(
            fcn8.input,
            [fcn8.get_layer(f"upscore_to_{skip}").output, fcn8.get_layer(f"fuse_{skip}").output],
        )
        upsampled, fused = (np.asarray(t) for t in probe(x, training=False))
        assert np.abs(upsampled).max() > 0, "the copied coarse scores are not zero"
        np.testing.assert_array_equal(fused, upsampled)
    coarse = keras.Model(fcn32.input, fcn32.get_layer("score_fr").output)(x, training=False)
    coarse8 = keras.Model(fcn8.input, fcn8.get_layer("score_fr").output)(x, training=False)
    np.testing.assert_allclose(np.asarray(coarse8), np.asarray(coarse), atol=1e-5)
    assert (
        type(fcn8.get_layer("upscore8")).__name__ == "ResizeLike"
    )  # fixed bilinear, as a resize to the input's size
    assert fcn8.get_layer("upscore_to_pool3").trainable
    assert np.abs(fcn8.get_layer("score_pool3").get_weights()[0]).max() == 0


@pytest.mark.parametrize(
    "variant, scores",
    [("32s", {"score_fr"}), ("16s", {"score_fr", "score_pool4"}),
     ("8s", {"score_fr", "score_pool4", "score_pool3"})],
)  # fmt: skip
def test_fcn_scoring_layers_start_at_zero_as_in_the_paper(models, variant, scores):
    net = models.fcn((64, 64, 3), 4, variant=variant, **SMALL["fcn"])
    scoring = [layer for layer in net.layers if layer.name.startswith("score_")]
    assert {layer.name for layer in scoring} == scores
    for layer in scoring:
        assert all(not np.any(w) for w in layer.get_weights()), layer.name
    # so an untrained FCN scores every class alike, everywhere
    x = np.random.default_rng(0).random((1, 64, 64, 3)).astype("float32")
    assert not np.any(np.asarray(net(x, training=False)))


def test_fcn_takes_a_pretrained_classifier_encoder(models):
    classifier = models.vgg(
        (32, 32, 3), 10, config="vgg11", width=0.125, dense_units=0, batch_norm=True
    )
    net = models.fcn((64, 64, 3), 3, **SMALL["fcn"])
    copied = models.copy_weights_by_name(classifier, net)
    assert len([n for n in copied if n.endswith("_bn")]) == 8 and "logits" not in copied
    wide = models.fcn((64, 64, 3), 3, **dict(SMALL["fcn"], width=0.25))
    with pytest.raises(ValueError, match="same configuration and width"):
        models.copy_weights_by_name(classifier, wide)
    with pytest.raises(ValueError, match="No layer"):
        models.copy_weights_by_name(models.unet((32, 32, 3), 3, **SMALL["unet"]), net)


def test_bilinear_initializer_interpolates_and_checks_its_shape(keras, models):
    from course_utils import ops

    init = models.BilinearUpsampling(2)
    kernel = np.asarray(init((4, 4, 3, 3)))
    np.testing.assert_allclose(kernel[:, :, 1, 1], ops.bilinear_kernel(2))
    assert kernel[:, :, 0, 1].sum() == 0
    with pytest.raises(ValueError, match="4-pixel square kernel"):
        init((3, 3, 2, 2))
    with pytest.raises(ValueError, match="channels must match"):
        init((4, 4, 2, 3))


@pytest.mark.parametrize("builder", ["segnet", "deeplabv3plus", "fcn"])
def test_models_with_custom_layers_save_and_load(keras, models, builder, tmp_path):
    model = getattr(models, builder)((64, 64, 3), 3, **SMALL[builder])
    x = np.random.default_rng(3).random((1, 64, 64, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(restored(x)), np.asarray(model(x)), atol=1e-5)


NAMES = [
    "encoder_decoder", "fcn32s", "fcn16s", "fcn8s", "segnet", "segnet_nearest", "unet",
    "unet_noskip",
]  # fmt: skip


@pytest.mark.parametrize("name", [*NAMES, "deeplabv3plus"])
def test_build_by_name_with_presets(models, name):
    tiny = models.build(name, (64, 64, 3), 4, preset="tiny")
    assert tuple(tiny.output.shape[1:]) == (64, 64, 4)
    cpu = models.build(name, (64, 64, 3), 4, preset="cpu")
    assert cpu.count_params() > tiny.count_params()


def test_build_refuses_unknown_names_and_presets(models):
    with pytest.raises(ValueError, match="Unknown model 'pspnet'"):
        models.build("pspnet")
    with pytest.raises(ValueError, match="preset must be one of"):
        models.build("unet", preset="huge")


def test_measure_speed_and_peak_memory_report_positive_figures(models):
    model = models.build("unet", (32, 32, 3), 3, preset="tiny")
    speed = models.measure_speed(model, batch_size=2, steps=2)
    assert (
        speed["train_images_per_s"] > 0
        and speed["infer_images_per_s"] > speed["train_images_per_s"] / 10
    )
    with pytest.raises(ValueError, match="fixed input size"):
        models.measure_speed(models.unet((None, None, 3), 2, widths=(4, 8)))
    small = models.peak_training_memory("unet", "tiny", (32, 32, 3), 2)
    large = models.peak_training_memory("unet", "tiny", (256, 256, 3), 8)
    assert 0 < small < large  # 256x the pixels (and 4x the batch) needs measurably more memory
    both = models.peak_training_memories(["unet", "fcn8s"], "tiny", (256, 256, 3), 8)
    assert list(both) == ["unet", "fcn8s"] and all(mb > 0 for mb in both.values())
    assert both["unet"] > small, "two probes side by side still measure each model alone"


def test_overlap_tile_prediction_is_seamless_and_mirrors_the_border(keras):
    from course_utils import models

    rng = np.random.default_rng(5)
    inputs = keras.Input((None, None, 1))
    x = keras.layers.Conv2D(2, 3, padding="same", dtype="float32")(inputs)
    model = keras.Model(inputs, keras.layers.Conv2D(3, 3, padding="same", dtype="float32")(x))
    image = rng.random((50, 70, 1)).astype("float32")
    tiled = models.predict_tiled(model, image, tile=24, margin=4, batch_size=3)
    # two 3x3 layers see 2 pixels each side: the same as the whole image, mirrored by 4
    padded = np.pad(image, ((4, 4), (4, 4), (0, 0)), mode="reflect")
    whole = np.asarray(model(padded[None]))[0, 4:-4, 4:-4]
    assert tiled.shape == (50, 70, 3)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)
    no_overlap = models.predict_tiled(model, image, tile=24, margin=0)
    assert not np.allclose(no_overlap, whole, atol=1e-3)  # seams where tiles met zero padding
    with pytest.raises(ValueError, match="larger than twice the margin"):
        models.predict_tiled(model, image, tile=16, margin=8)
    with pytest.raises(ValueError, match="too small to mirror"):
        models.predict_tiled(model, image[:10, :10], tile=24, margin=4)


def test_segnet_takes_the_vgg11_classifier_encoder_of_notebook_03(models):
    classifier = models.vgg(
        (32, 32, 3), 10, config="vgg11", width=0.25, dense_units=0, batch_norm=True
    )
    net = models.build("segnet", (64, 64, 3), 3, preset="cpu")
    copied = models.copy_weights_by_name(classifier, net, skip=("logits",))
    convs = [n for n in copied if n.startswith("block") and not n.endswith("_bn")]
    assert len(convs) == 8 and len(copied) == 16  # every VGG-11 convolution and its BN
    np.testing.assert_array_equal(
        net.get_layer("block5_conv2").kernel.numpy(),
        classifier.get_layer("block5_conv2").kernel.numpy(),
    )


@pytest.mark.parametrize("output_stride, dilation, pools", [(16, 1, 4), (8, 2, 3)])
def test_deeplab_on_an_atrous_vgg_loads_a_vgg_classifier(models, output_stride, dilation, pools):
    vgg = dict(config="vgg11", width=0.125, batch_norm=True)
    classifier = models.vgg((32, 32, 3), 10, dense_units=0, **vgg)
    net = models.deeplabv3plus(
        (64, 96, 3), 5, output_stride=output_stride, backbone="vgg11", vgg_width=0.125,
        aspp_filters=8, low_level_filters=4, decoder_filters=8, aspp_rates=(1, 2),
    )  # fmt: skip
    copied = models.copy_weights_by_name(classifier, net, skip=("logits",))
    assert len(copied) == 16  # VGG-11: eight convolutions, each with its batch norm
    np.testing.assert_array_equal(
        net.get_layer("block5_conv2").get_weights()[0],
        classifier.get_layer("block5_conv2").get_weights()[0],
    )
    assert tuple(net.get_layer("backbone_output").output.shape[1:3]) == (
        64 // output_stride,
        96 // output_stride,
    )
    # poolings stop at the output stride; the convolutions after a dropped one are dilated
    assert (
        sum(layer.name.startswith("block") and layer.name.endswith("_pool") for layer in net.layers)
        == pools
    )
    assert net.get_layer("block5_conv1").dilation_rate == (dilation, dilation)
    assert net.get_layer("block3_conv2").dilation_rate == (1, 1)
    out = net(np.zeros((2, 64, 96, 3), "float32"))
    assert _shape(out) == (2, 64, 96, 5)


def test_deeplab_refuses_an_unknown_backbone(models):
    with pytest.raises(ValueError, match="backbone must be 'xception', 'lite0' or one of"):
        models.deeplabv3plus((64, 64, 3), 3, backbone="resnet50")


def test_segnet_decoder_can_have_more_convolutions_than_its_encoder(models):
    net = models.segnet((32, 32, 3), 3, widths=(4, 8), convs=(1, 1), decoder_convs=(2, 1))
    names = {layer.name for layer in net.layers}
    assert {"dec1_2_conv", "dec1_1_conv", "dec2_1_conv"} <= names
    assert "block1_conv2" not in names and "dec2_2_conv" not in names
    assert _shape(net(np.zeros((1, 32, 32, 3), "float32"))) == (1, 32, 32, 3)
    with pytest.raises(ValueError, match="same length"):
        models.segnet((32, 32, 3), 3, widths=(4, 8), convs=(1, 1), decoder_convs=(2,))


def test_unpooling_fill_spreads_each_unpooled_value_over_its_block(models, keras):
    rng = np.random.default_rng(0)
    x = rng.random((2, 8, 10, 4)).astype("float32")
    pooled, indices = models.MaxPoolWithArgmax(dtype="float32")(x)
    sparse = models.MaxUnpool(dtype="float32")([pooled, indices, x])
    assert np.mean(np.asarray(sparse) == 0) == pytest.approx(0.75), "one value per 2x2 block"

    def first_decoder_conv(initializer):
        conv = keras.layers.Conv2D(
            4, 3, padding="same", use_bias=False, kernel_initializer=initializer, dtype="float32"
        )
        return conv, np.asarray(conv(sparse))

    conv, filled = first_decoder_conv(models.UnpoolingFill(random_scale=0.0))
    box = np.asarray(keras.layers.UpSampling2D(2, dtype="float32")(pooled))
    # a pure box over each channel reaches all four positions of every block
    assert (filled >= box - 1e-6).all() and (filled > 0).all()
    kernel = conv.get_weights()[0]
    assert (kernel[:, :, 0, 0] == 1).all() and not kernel[:, :, 0, 1].any()

    noisy, _ = first_decoder_conv(models.UnpoolingFill(random_scale=0.5, seed=1))
    k = noisy.get_weights()[0]
    off_diagonal = k[:, :, 0, 1]
    assert off_diagonal.std() > 0.05, "the random part breaks the symmetry"
    assert np.mean(np.diagonal(k, axis1=2, axis2=3)) == pytest.approx(1.0, abs=0.15)

    config = models.UnpoolingFill(0.25, seed=3).get_config()
    assert models.UnpoolingFill(**config).get_config() == {"random_scale": 0.25, "seed": 3}
    with pytest.raises(ValueError, match="at least 3x3"):
        models.UnpoolingFill()((2, 2, 4, 4))  # a 2x2 window misses the block from 3 of 4 positions


def _filled_convs(net):
    """Names of the layers whose kernel starts from ``UnpoolingFill``."""
    return {
        layer.name
        for layer in net.layers
        if type(getattr(layer, "kernel_initializer", None)).__name__ == "UnpoolingFill"
    }


def test_segnet_unpool_fill_starts_only_the_convolution_after_each_unpooling(models, keras):
    kwargs = dict(widths=(4, 8), convs=(1, 1), decoder_convs=(2, 2))
    filled = models.segnet((32, 32, 3), 3, unpool_fill=True, **kwargs)
    plain = models.segnet((32, 32, 3), 3, **kwargs)
    # dec{b}_2 reads the unpooled map; dec{b}_1 follows it
    assert _filled_convs(filled) == {"dec1_2_conv", "dec2_2_conv"}
    assert _filled_convs(plain) == set()
    kernel = np.asarray(filled.get_layer("dec2_2_conv").kernel)  # (3, 3, 8, 8)
    diagonal = np.mean([kernel[:, :, c, c].mean() for c in range(8)])
    off_diagonal = np.mean(kernel[:, :, 0, 1:])
    assert diagonal > 0.5 and abs(off_diagonal) < 0.3, "a per-channel box plus noise"
    assert _shape(filled(np.zeros((1, 32, 32, 3), "float32"))) == (1, 32, 32, 3)
    with pytest.raises(ValueError, match="unpool_fill"):
        models.segnet((32, 32, 3), 3, unpooling="nearest", unpool_fill=True, **kwargs)


@pytest.mark.parametrize("preset", ["tiny", "cpu"])
def test_segnet_presets_fill_after_unpooling_and_their_nearest_twins_do_not(models, preset):
    seg = models.build("segnet", (64, 64, 3), 11, preset=preset)
    per_block = models.PRESETS["segnet"][preset]["decoder_convs"]  # the first conv is dec{b}_{n}
    first = {f"dec{b}_{n}_conv" for b, n in enumerate(per_block, start=1)}
    assert _filled_convs(seg) == first, "the one convolution after each unpooling"
    for nearest in (
        models.build("segnet_nearest", (64, 64, 3), 11, preset=preset),
        models.build("segnet", (64, 64, 3), 11, preset=preset, unpooling="nearest"),
    ):
        assert "dec5_upsample" in {layer.name for layer in nearest.layers}
        assert _filled_convs(nearest) == set()


@pytest.mark.parametrize("upsampling", ["transpose", "bilinear"])
def test_unet_without_skips_is_the_same_network_minus_the_skip_weights(models, upsampling):
    widths = (4, 8, 16, 32)
    kwargs = dict(widths=widths, upsampling=upsampling)
    full = models.unet((32, 32, 3), 5, **kwargs)
    plain = models.unet((32, 32, 3), 5, skips=False, **kwargs)
    x = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
    assert _shape(plain(x)) == _shape(full(x)) == (2, 32, 32, 5)
    assert not [layer for layer in plain.layers if type(layer).__name__ == "Concatenate"]
    concats = {f"up{level}_concat" for level in (1, 2, 3)}
    assert {layer.name for layer in full.layers} - {layer.name for layer in plain.layers} == concats
    assert {layer.name for layer in plain.layers} < {layer.name for layer in full.layers}
    # only the first convolution of each decoder level differs: its kernel lacks the w
    # channels of the skipped encoder map (a 3x3 kernel, no bias: batch norm follows)
    for level, w in enumerate(widths[:-1], start=1):
        with_skip = tuple(full.get_layer(f"up{level}a_conv").kernel.shape)
        without = tuple(plain.get_layer(f"up{level}a_conv").kernel.shape)
        assert with_skip == (3, 3, without[2] + w, w) and without[3] == w
    skip_weights = sum(3 * 3 * w * w for w in widths[:-1])
    assert full.count_params() - plain.count_params() == skip_weights


def test_unet_paper_preset_has_the_papers_widths_dropout_and_a_skipless_twin(models, keras):
    net = models.build("unet", (32, 32, 1), 2, preset="paper")
    twin = models.build("unet_noskip", (32, 32, 1), 2, preset="paper")
    assert (net.name, twin.name) == ("unet", "unet_noskip")
    filters = [net.get_layer(f"down{level}a_conv").filters for level in (1, 2, 3, 4)]
    assert [*filters, net.get_layer("bottom_a_conv").filters] == [64, 128, 256, 512, 1024]
    # "drop-out layers at the end of the contracting path": 0.5 on the 4th level's output
    # (its pooling and its skip both see the dropped map, as Caffe drops in place) and on
    # the bottom level's output
    for model in (net, twin):
        rates = {
            layer.name: layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"
        }
        assert rates == {"down4_dropout": 0.5, "bottom_dropout": 0.5}
    assert net.get_layer("down4_pool").input is net.get_layer("down4_dropout").output
    assert net.get_layer("down4_dropout").output in net.get_layer("up4_concat").input
    assert net.get_layer("up4_up").input is net.get_layer("bottom_dropout").output
    assert tuple(net.output.shape) == tuple(twin.output.shape) == (None, 32, 32, 2)
    assert net.count_params() - twin.count_params() == 9 * (64**2 + 128**2 + 256**2 + 512**2)
    assert not [layer for layer in twin.layers if type(layer).__name__ == "Concatenate"]
    with pytest.raises(ValueError, match=r"dropout is a rate in \[0, 1\)"):
        models.unet((32, 32, 3), 2, widths=(4, 8), dropout=1.5)


def _xception65_backbone_parameters() -> int:
    """Xception-65's parameters from the paper's figure 4, counted by hand: 3x3 convolutions
    and 1x1 shortcuts without bias, batch norm (4 numbers per channel) after each, and
    separable convolutions as depthwise 3x3 + BN + pointwise 1x1 + BN."""

    def conv(k, c_in, c_out):
        return k * k * c_in * c_out + 4 * c_out

    def sep(c_in, c_out):
        return 9 * c_in + 4 * c_in + c_in * c_out + 4 * c_out

    def block(c_in, outs):
        ins = [c_in, *outs[:-1]]
        shortcut = conv(1, c_in, outs[-1]) if c_in != outs[-1] else 0  # identity otherwise
        return sum(sep(i, o) for i, o in zip(ins, outs, strict=True)) + shortcut

    stem = conv(3, 3, 32) + conv(3, 32, 64)
    entry = block(64, [128] * 3) + block(128, [256] * 3) + block(256, [728] * 3)
    middle = 16 * block(728, [728] * 3)
    exit_ = block(728, [728, 1024, 1024]) + sep(1024, 1536) + sep(1536, 1536) + sep(1536, 2048)
    return stem + entry + middle + exit_


def test_deeplab_paper_preset_is_the_aligned_xception_65(models, keras):
    net = models.build("deeplabv3plus", (64, 64, 3), 21, preset="paper")
    out = net(np.zeros((1, 64, 64, 3), "float32"))
    assert _shape(out) == (1, 64, 64, 21)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    layers = {layer.name: layer for layer in net.layers}
    assert not [
        n
        for n, layer in layers.items()
        if "Pooling2D" in type(layer).__name__ and n != "aspp_image_pool"
    ]
    backbone = keras.Model(net.input, net.get_layer("backbone_output").output)
    assert tuple(backbone.output.shape) == (None, 4, 4, 2048)  # output stride 16
    # 65 = the two stem convolutions + 21 blocks of three separable convolutions
    blocks = ["entry1", "entry2", "entry3", *(f"middle{i}" for i in range(1, 17)), "exit1", "exit2"]
    assert sum(n.startswith("middle") and n.endswith("_add") for n in layers) == 16
    for b in blocks:
        assert {f"{b}_sep{i}_depthwise" for i in (1, 2, 3)} <= set(layers), b
    depthwise = [n for n in backbone.layers if type(n).__name__ == "DepthwiseConv2D"]
    assert 2 + len(depthwise) == 65
    for layer in depthwise:  # batch norm and ReLU after every 3x3 depthwise convolution
        assert {f"{layer.name}_bn", f"{layer.name}_relu"} <= set(layers)
    pointwise = {b: [layers[f"{b}_sep{i}_pointwise"].filters for i in (1, 2, 3)] for b in blocks}
    assert pointwise["entry1"] == [128] * 3 and pointwise["entry2"] == [256] * 3
    assert pointwise["entry3"] == pointwise["middle16"] == [728] * 3
    assert pointwise["exit1"] == [728, 1024, 1024] and pointwise["exit2"] == [1536, 1536, 2048]
    assert "exit2_shortcut" not in layers and "middle1_shortcut" not in layers  # identity
    assert {"entry1_shortcut", "entry3_shortcut", "exit1_shortcut"} <= set(layers)
    # strided separable convolutions replace max pooling; strides stop at 16, then dilation
    strides = {
        b: layers[f"{b}_sep3_depthwise"].strides for b in ("entry1", "entry2", "entry3", "exit1")
    }
    assert strides == {"entry1": (2, 2), "entry2": (2, 2), "entry3": (2, 2), "exit1": (1, 1)}
    assert layers["middle8_sep2_depthwise"].dilation_rate == (1, 1)
    assert layers["exit2_sep1_depthwise"].dilation_rate == (2, 2)
    assert tuple(layers["decoder_low_level_conv"].input.shape[1:]) == (16, 16, 256)  # stride 4
    assert [layers[f"aspp_rate{r}_depthwise"].dilation_rate for r in (6, 12, 18)] == [
        (6, 6), (12, 12), (18, 18)
    ]  # fmt: skip
    assert backbone.count_params() == _xception65_backbone_parameters() == 38_052_512
    # the whole model for PASCAL VOC's 21 classes: the count of the Keras port of DeepLab's
    # Xception-65 model (bonlime/keras-deeplab-v3-plus), which loads the official weights
    assert net.count_params() == 41_258_213


def test_deeplab_xception_at_output_stride_8_dilates_instead_of_striding(models):
    small = dict(SMALL["deeplabv3plus"], middle_blocks=2)
    net = models.deeplabv3plus((64, 64, 3), 3, output_stride=8, **small)
    layers = {layer.name: layer for layer in net.layers}
    assert tuple(layers["backbone_output"].output.shape[1:3]) == (8, 8)
    assert layers["entry3_sep3_depthwise"].strides == (1, 1)
    dilations = {
        b: layers[f"{b}_sep1_depthwise"].dilation_rate[0]
        for b in ("entry2", "entry3", "middle2", "exit1", "exit2")
    }
    assert dilations == {"entry2": 1, "entry3": 1, "middle2": 2, "exit1": 2, "exit2": 4}
    exit_widths = [layers[f"exit2_sep{i}_pointwise"].filters for i in (1, 2, 3)]
    assert exit_widths == [24, 24, 32]  # the paper's ratios to the exit block's 16
    bare = models.deeplabv3plus((64, 64, 3), 3, **dict(small, exit_widths=()))
    assert not [layer for layer in bare.layers if layer.name.startswith("exit2")]
    with pytest.raises(ValueError, match="widths needs 6 values"):
        models.deeplabv3plus((64, 64, 3), 3, widths=(4, 8, 16))


def test_predict_ids_scales_uint8_like_the_pipeline_and_batches(models):
    import keras

    # a "model" whose class-1 score is the pixel's value minus 0.5: class 1 where value > 0.5
    inputs = keras.Input((2, 2, 1))
    scores = keras.layers.Concatenate()([keras.ops.zeros_like(inputs), inputs - 0.5])
    model = keras.Model(inputs, scores)
    images = np.array([[[[0], [255]], [[100], [200]]]] * 5, np.uint8)
    ids = models.predict_ids(model, images, batch_size=2)
    assert ids.shape == (5, 2, 2)
    assert ids[0].tolist() == [[0, 1], [0, 1]]  # 100/255 < 0.5 < 200/255
    with pytest.raises(ValueError, match="images\\[None\\]"):
        models.predict_ids(model, images[0])


def test_predict_ids_at_the_models_own_size_answers_at_the_images_size(models):
    import keras

    seen = []

    class Spy(keras.layers.Layer):
        def call(self, x):
            seen.append(tuple(x.shape[1:3]))
            return keras.ops.concatenate([keras.ops.zeros_like(x), x - 0.5], axis=-1)

    inputs = keras.Input((None, None, 1))
    model = keras.Model(inputs, Spy()(inputs))
    images = np.zeros((3, 8, 12, 1), np.uint8)
    images[:, :, 6:] = 255  # right half bright: class 1
    ids = models.predict_ids(model, images, batch_size=2, input_size=(16, 24))
    assert ids.shape == (3, 8, 12) and (16, 24) in seen
    assert (ids[:, :, :5] == 0).all() and (ids[:, :, 7:] == 1).all()


def test_predict_ids_answers_at_the_output_size_asked(models):
    import keras

    inputs = keras.Input((None, None, 1))
    scores = keras.layers.Lambda(
        lambda x: keras.ops.concatenate([keras.ops.zeros_like(x), x - 0.5], axis=-1)
    )(inputs)
    model = keras.Model(inputs, scores)
    images = np.zeros((3, 8, 12, 1), np.uint8)
    images[:, :, 6:] = 255
    ids = models.predict_ids(model, images, batch_size=2, output_size=(16, 24))
    assert ids.shape == (3, 16, 24)  # the scores up-sampled before the argmax
    assert (ids[:, :, :10] == 0).all() and (ids[:, :, 14:] == 1).all()
    assert models.predict_ids(model, images[:0], output_size=(16, 24)).shape == (0, 16, 24)


def test_predict_ids_with_flip_averages_an_image_and_its_mirror(models):
    import keras

    inputs = keras.Input((4, 6, 1))
    # class 1 scores the pixel's brightness minus its column's position: mirroring matters
    ramp = keras.ops.reshape(keras.ops.linspace(0.0, 1.0, 6), (1, 1, 6, 1))
    scores = keras.layers.Lambda(
        lambda x: keras.ops.concatenate([keras.ops.zeros_like(x), x - ramp], axis=-1)
    )(inputs)
    model = keras.Model(inputs, scores)
    images = np.full((1, 4, 6, 1), 153, np.uint8)  # 0.6: above the ramp left of 0.6 only
    plain = models.predict_ids(model, images)
    assert plain[0, 0].tolist() == [1, 1, 1, 0, 0, 0]
    # mirrored, the ramp runs the other way: the average is 0.6 - 0.5 > 0 everywhere
    assert (models.predict_ids(model, images, flip=True) == 1).all()


def test_memory_probes_run_one_at_a_time_where_memory_is_short(models):
    from course_utils.models import profiling

    assert models.memory_probe_workers(free_mb=16_000) == 2
    assert models.memory_probe_workers(free_mb=2 * profiling.PROBE_MB - 1) == 1
    assert models.memory_probe_workers(free_mb=300) == 1  # the smaller thing, never 0
    assert models.memory_probe_workers(free_mb=50_000, wanted=3) == 3
    limit = models.memory_limit_mb()
    assert 256 < limit < 2**40, limit  # a real limit or the machine's memory, in MB
    assert 0 < models.memory_left_mb() < limit  # this process holds some of it
    assert 1 <= models.memory_probe_workers() <= 2


def test_memory_probes_say_when_they_run_one_at_a_time(models, monkeypatch, capsys):
    from course_utils.models import profiling

    monkeypatch.setattr(profiling, "memory_left_mb", lambda: 1.5 * profiling.PROBE_MB)
    monkeypatch.setattr(profiling, "_run_probe", lambda spec: {"peak_mb": 1.0})
    assert models.peak_training_memories(["unet", "fcn8s"], "tiny") == {"unet": 1.0, "fcn8s": 1.0}
    assert "one at a time" in capsys.readouterr().out
    monkeypatch.setattr(profiling, "memory_left_mb", lambda: 3.0 * profiling.PROBE_MB)
    models.peak_training_memories(["unet", "fcn8s"], "tiny")
    assert capsys.readouterr().out == ""
    # not even one probe fits (Binder with 1 GB): none runs, and the notebook is told
    monkeypatch.setattr(profiling, "memory_left_mb", lambda: 0.5 * profiling.PROBE_MB)
    monkeypatch.setattr(profiling, "_run_probe", lambda spec: pytest.fail("a probe ran"))
    assert models.peak_training_memories(["unet"], "tiny") == {}
    assert "Not measured here" in capsys.readouterr().out


@pytest.mark.parametrize(
    "name", ["fcn8s_lite0", "fcn16s_lite0", "unet_lite0", "deeplabv3plus_lite0"]
)
def test_lite0_models_build_with_imagenet_backbones(models, name):
    model = models.build(name, (64, 96, 3), 5, "tiny")
    assert model.name == name
    assert _shape(model(np.zeros((1, 64, 96, 3), "float32"))) == (1, 64, 96, 5)
    backbone = model.get_layer("backbone")
    reference = models.efficientnet_lite0((64, 96, 3), include_top=False)
    np.testing.assert_array_equal(  # ImageNet weights, not a random start
        backbone.get_layer("block6_project_conv").get_weights()[0],
        reference.get_layer("block6_project_conv").get_weights()[0],
    )
    assert models.count_flops(model) > 0.05e9  # the nested backbone is counted


def test_lite0_unet_has_skips_at_strides_2_to_16(models):
    model = models.build("unet_lite0", (64, 96, 3), 5, "tiny")
    concats = {
        layer.name: layer.output.shape[1:3] for layer in model.layers if "concat" in layer.name
    }
    assert concats == {
        "up5_concat": (4, 6),
        "up4_concat": (8, 12),
        "up3_concat": (16, 24),
        "up2_concat": (32, 48),
    }
    with pytest.raises(ValueError, match="five widths"):
        models.unet((64, 96, 3), 5, widths=(8, 16, 32), backbone="lite0")


def test_predict_ids_at_several_scales_averages_the_resized_probabilities(models):
    import keras

    inputs = keras.Input((None, None, 1))
    # class 1 wins where the pixel is bright; a 2x2 average pool then 2x up-sampling keeps
    # the size, so every scale gives a map that lines up with the frame again
    pooled = keras.layers.UpSampling2D(2)(keras.layers.AveragePooling2D(2)(inputs))
    scores = keras.layers.Concatenate()([keras.ops.full_like(pooled, 0.5), pooled])
    model = keras.Model(inputs, scores)
    images = np.zeros((2, 64, 96, 1), np.uint8)
    images[:, :, 48:] = 255
    plain = models.predict_ids(model, images)
    ids = models.predict_ids(model, images, scales=(0.5, 1.0, 1.5), flip=True, output_size=(32, 48))
    assert ids.shape == (2, 32, 48)
    assert (ids[:, :, :20] == 0).all() and (ids[:, :, 28:] == 1).all()
    assert (plain[:, :, :40] == 0).all() and (plain[:, :, 56:] == 1).all()
    # the scaled inputs are rounded to multiples of 32, so skips of stride 32 line up
    assert models.predict._scaled_size((352, 480), 1.25) == (448, 608)


def test_predict_ids_refuses_scales_a_fixed_size_model_cannot_take(models):
    import keras

    inputs = keras.Input((32, 32, 1))
    model = keras.Model(inputs, keras.layers.Concatenate()([inputs, inputs]))
    with pytest.raises(ValueError, match=r"input_shape=\(None, None, 3\)"):
        models.predict_ids(model, np.zeros((1, 32, 32, 1), np.uint8), scales=(1.0, 1.5))
    with pytest.raises(ValueError, match="positive"):
        models.predict_ids(model, np.zeros((1, 32, 32, 1), np.uint8), scales=())
