from __future__ import annotations

import numpy as np
import pytest

from course_utils import exercises


def test_save_and_load_a_run(empty_data_dir):
    import keras

    from course_utils import runs
    from course_utils.metrics import MeanIoU

    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 1)])
    model.compile(loss="mse", metrics=[MeanIoU(num_classes=2)])
    assert not runs.has_run("tiny", "quick")
    with pytest.raises(FileNotFoundError, match="Run the notebook"):
        runs.load_run("tiny", "quick")
    path = runs.save_run(model, "tiny", "quick", {"miou": np.float32(0.5), "epochs": 3})
    assert path.name == "tiny.keras" and runs.has_run("tiny", "quick")
    assert not runs.has_run("tiny", "default"), "profiles keep separate runs"
    assert runs.load_scores("tiny", "quick")["miou"] == 0.5
    loaded = runs.load_run("tiny", "quick")
    x = np.random.default_rng(0).random((1, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    assert not list(path.parent.glob(".*partial*"))


def test_imagenet_backbone_falls_back_honestly(monkeypatch):
    import keras

    from course_utils.models.pretrained import imagenet_backbone

    real = keras.applications.MobileNetV2

    def offline(*args, weights=None, **kwargs):
        if weights == "imagenet":
            raise Exception(
                "URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3]"
            )
        return real(*args, weights=weights, **kwargs)

    monkeypatch.setattr(keras.applications, "MobileNetV2", offline)
    model, weights = imagenet_backbone("MobileNetV2", (32, 32, 3))
    assert (
        weights.startswith("random")
        and "could not be downloaded" in weights
        and "URL fetch" in weights
    )
    assert model.output_shape[-1] == 1280
    with pytest.raises(ValueError, match="no 'NoSuchNet'"):
        imagenet_backbone("NoSuchNet")


def test_receptive_field_checker():
    assert exercises.check_stacked_receptive_field(lambda n: 2 * n + 1).correct
    wrong = exercises.check_stacked_receptive_field(lambda n: 3 * n)
    assert not wrong and "n=1" not in wrong.message and "n=2" in wrong.message


def test_inception_checker():
    filters = (64, 96, 128, 16, 32, 32)  # GoogLeNet's module 3a
    right = (
        192 * 64 + 64
        + 192 * 96 + 96 + 9 * 96 * 128 + 128
        + 192 * 16 + 16 + 25 * 16 * 32 + 32
        + 192 * 32 + 32
    )  # fmt: skip
    assert exercises.check_inception_params(right, 192, filters).correct
    no_bias = exercises.check_inception_params(right - (64 + 96 + 128 + 16 + 32 + 32), 192, filters)
    assert not no_bias and "bias" in no_bias.hint
    no_reduce = 192 * 64 + 9 * 192 * 128 + 25 * 192 * 32 + 192 * 32 + 64 + 128 + 32 + 32
    assert "reduce" in exercises.check_inception_params(no_reduce, 192, filters).hint


def test_runs_with_course_layers_load_in_a_fresh_process(empty_data_dir):
    """Custom layers register on import: load_run must import them itself."""
    import os
    import subprocess
    import sys

    from course_utils import models, runs

    model = models.build("segnet", (32, 32, 3), 3, preset="tiny")
    model.compile(loss=models.DiceLoss(3))
    runs.save_run(model, "segnet_tiny", "quick", {"miou": 0.1})
    code = (
        "from course_utils import runs; m = runs.load_run('segnet_tiny', 'quick'); "
        "print(type(m.get_layer('block1_pool')).__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("MaxPoolWithArgmax")


def test_warm_start_copies_a_saved_encoder_or_says_why_not(empty_data_dir):
    from course_utils import models, runs

    def encoder(width):
        return models.vgg(
            (32, 32, 3), 10, config="vgg11", width=width, dense_units=0, batch_norm=True
        )

    fcn = models.build("fcn8s", (64, 64, 3), 11, preset="tiny")  # vgg11 at width 0.125
    before = [w.copy() for w in fcn.get_weights()]
    missing = runs.warm_start(fcn, "vgg11_cifar10_encoder", "quick")
    assert missing.copied == [] and "no run 'vgg11_cifar10_encoder'" in missing.note

    runs.save_run(encoder(0.25), "vgg11_cifar10_encoder", "quick", {})  # another width
    refused = runs.warm_start(fcn, "vgg11_cifar10_encoder", "quick")
    assert (
        refused.copied == [] and "does not fit" in refused.note and "random start" in refused.note
    )
    assert all(np.array_equal(a, b) for a, b in zip(before, fcn.get_weights(), strict=True)), (
        "a refused copy must leave every weight as it was"
    )

    trained = encoder(0.125)
    runs.save_run(trained, "vgg11_cifar10_encoder", "quick", {})
    started = runs.warm_start(fcn, "vgg11_cifar10_encoder", "quick")
    assert "block1_conv1" in started.copied and "logits" not in started.copied
    assert f"{len(started.copied)} layers from run" in started.note
    np.testing.assert_array_equal(
        fcn.get_layer("block5_conv2").get_weights()[0],
        trained.get_layer("block5_conv2").get_weights()[0],
    )

    unet = models.build("unet", (64, 64, 3), 11, preset="tiny")  # no layer of VGG's names
    unrelated = runs.warm_start(unet, "vgg11_cifar10_encoder", "quick")
    assert unrelated.copied == [] and "matches a layer" in unrelated.note
    assert "random start" in unrelated.note
