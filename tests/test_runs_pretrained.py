from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

import course_utils


def test_save_and_load_a_run(empty_data_dir):
    import keras

    from course_utils import runs
    from course_utils.metrics import MeanIoU

    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 1)])
    model.compile(loss="mse", metrics=[MeanIoU(num_classes=2)])
    model.optimizer.build(model.trainable_variables)  # saved with its slots: loads quietly
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


def _registered_in_models() -> set[str]:
    """Names of the classes ``course_utils/models`` registers with Keras, read from the source."""
    names = set()
    for path in (Path(course_utils.__file__).parent / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                "register_keras_serializable" in ast.unparse(d) for d in node.decorator_list
            ):
                names.add(node.name)
    return names


def test_register_custom_objects_returns_every_registered_model_object():
    import keras

    from course_utils import models

    objects = models.register_custom_objects()
    assert "register_custom_objects" in models.__all__
    assert {cls.__name__ for cls in objects.values()} == _registered_in_models()
    assert {"MaxPoolWithArgmax", "BilinearUpsampling", "DiceLoss"} <= _registered_in_models()
    for name, cls in objects.items():
        assert keras.saving.get_registered_object(name) is cls, f"{name} is not registered"
    assert objects == models.register_custom_objects(), "calling it twice changes nothing"


def test_runs_with_course_layers_load_in_a_fresh_process(empty_data_dir):
    """Each custom layer, initialiser, loss and the metric of the course is in a saved run,
    and ``runs.load_run`` loads them in a process that imported nothing else first."""
    import os
    import subprocess
    import sys

    import keras

    from course_utils import metrics, models, runs

    segnet = models.build("segnet", (32, 32, 3), 3, preset="tiny")  # argmax pooling, unpooling
    segnet.compile(loss=models.DiceLoss(3))
    fcn = models.build("fcn8s", (32, 32, 3), 3, preset="tiny")  # bilinear initialiser
    fcn.compile(loss=models.WeightedCrossEntropy([1.0, 2.0, 0.5]))
    deeplab = models.build("deeplabv3plus", (32, 32, 3), 3, preset="tiny")  # ResizeLike
    deeplab.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[metrics.MeanIoU(3)],
    )
    for name, model in {"segnet_tiny": segnet, "fcn_tiny": fcn, "deeplab_tiny": deeplab}.items():
        runs.save_run(model, name, "quick", {"miou": 0.1})
    code = """
import json
import numpy as np
from course_utils import runs

def kinds(model):
    found = {type(model.loss).__name__}
    for layer in model._flatten_layers(include_self=False):
        found.add(type(layer).__name__)
        for attr in ("kernel_initializer", "depthwise_initializer"):
            found.add(type(getattr(layer, attr, None)).__name__)
    return found

found, logs = set(), {}
x, y = np.zeros((1, 32, 32, 3), "float32"), np.zeros((1, 32, 32, 1), "int32")
for name in ("segnet_tiny", "fcn_tiny", "deeplab_tiny"):
    model = runs.load_run(name, "quick")
    found |= kinds(model)
    logs[name] = sorted(model.evaluate(x, y, verbose=0, return_dict=True))
print(json.dumps({"found": sorted(found), "logs": logs}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    expected = {cls.__name__ for cls in models.register_custom_objects().values()}
    assert expected <= set(loaded["found"]), sorted(expected - set(loaded["found"]))
    assert "miou" in loaded["logs"]["deeplab_tiny"], "the course's MeanIoU came back compiled"


def test_warm_start_copies_a_saved_encoder_or_says_why_not(empty_data_dir):
    from course_utils import models, runs, training

    assert not hasattr(runs, "warm_start"), "runs stores runs; the warm-start policy is training's"

    def encoder(width):
        return models.vgg(
            (32, 32, 3), 10, config="vgg11", width=width, dense_units=0, batch_norm=True
        )

    fcn = models.build("fcn8s", (64, 64, 3), 11, preset="tiny")  # vgg11 at width 0.125
    before = [w.copy() for w in fcn.get_weights()]
    missing = training.warm_start(fcn, "vgg11_cifar10_encoder", "quick")
    assert missing.copied == [] and "no run 'vgg11_cifar10_encoder'" in missing.note

    runs.save_run(encoder(0.25), "vgg11_cifar10_encoder", "quick", {})  # another width
    refused = training.warm_start(fcn, "vgg11_cifar10_encoder", "quick")
    assert (
        refused.copied == [] and "does not fit" in refused.note and "random start" in refused.note
    )
    assert all(np.array_equal(a, b) for a, b in zip(before, fcn.get_weights(), strict=True)), (
        "a refused copy must leave every weight as it was"
    )

    trained = encoder(0.125)
    runs.save_run(trained, "vgg11_cifar10_encoder", "quick", {})
    started = training.warm_start(fcn, "vgg11_cifar10_encoder", "quick")
    assert "block1_conv1" in started.copied and "logits" not in started.copied
    assert f"{len(started.copied)} layers from run" in started.note
    np.testing.assert_array_equal(
        fcn.get_layer("block5_conv2").get_weights()[0],
        trained.get_layer("block5_conv2").get_weights()[0],
    )

    unet = models.build("unet", (64, 64, 3), 11, preset="tiny")  # no layer of VGG's names
    unrelated = training.warm_start(unet, "vgg11_cifar10_encoder", "quick")
    assert unrelated.copied == [] and "matches a layer" in unrelated.note
    assert "random start" in unrelated.note
