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


def _tiny_run(keras, name: str = "tiny") -> Path:
    """Save a two-layer model as run ``name`` of the quick profile; return its scores' path."""
    from course_utils import runs

    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 1)])
    return runs.save_run(model, name, "quick", {"miou": 0.5}).with_suffix(".json")


def _edit_versions(scores: Path, change) -> None:
    record = json.loads(scores.read_text())
    change(record)
    scores.write_text(json.dumps(record))


def _other_minor(version: str) -> str:
    """Another minor version of the same major: 3.12.0 for 3.15.1, 3.1.0 for 3.0.2."""
    major, minor = map(int, version.split(".")[:2])
    return f"{major}.{minor - 1 if minor else minor + 1}.0"


def _runs_version_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def test_a_run_records_the_versions_it_was_saved_with(empty_data_dir, keras):
    import platform
    from importlib import metadata

    import tensorflow as tf

    from course_utils import runs

    _tiny_run(keras)
    assert runs.load_scores("tiny", "quick")["versions"] == {
        "course": metadata.version("segmentation-course"),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
    }
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 1)])
    given = {"keras": "3.12.0", "note": "from the teacher's machine"}
    runs.save_run(model, "given", "quick", {"miou": 0.5, "versions": given})
    assert runs.load_scores("given", "quick")["versions"] == given, "the caller's are kept"


def test_a_run_saved_by_another_keras_minor_version_warns_on_load(empty_data_dir, keras):
    from course_utils import runs

    other = _other_minor(keras.__version__)
    _edit_versions(
        _tiny_run(keras),
        lambda r: r["versions"].update(keras=other, python="3.10.14"),
    )
    with pytest.warns(RuntimeWarning) as caught:
        model = runs.load_run("tiny", "quick")
    (message,) = _runs_version_warnings(caught)
    assert f"saved by Keras {other} on Python 3.10.14" in message
    assert f"this is Keras {keras.__version__}" in message
    assert "may load differently" in message and "Train it again" in message
    assert f"load it with Keras {other.rsplit('.', 1)[0]}" in message
    assert model(np.zeros((1, 4, 4, 3), "float32")).shape == (1, 4, 4, 2), "it still loads"


def _patch_level(record: dict) -> None:
    major, minor, *rest = record["versions"]["keras"].split(".")
    patch = rest[0] if rest else "0"
    record["versions"]["keras"] = f"{major}.{minor}.{'1' if patch == '0' else '0'}"


@pytest.mark.parametrize(
    "change",
    [
        _patch_level,
        lambda r: r["versions"].pop("keras"),  # a field missing
        lambda r: r.pop("versions"),  # a run saved before versions were recorded
        lambda r: r["versions"].update(keras="unknown"),
    ],
    ids=["patch-level", "no-keras-field", "no-versions", "unreadable"],
)
def test_a_patch_level_difference_or_no_recorded_version_loads_quietly(
    empty_data_dir, keras, change
):
    import warnings

    from course_utils import runs

    _edit_versions(_tiny_run(keras), change)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs.load_run("tiny", "quick")
    assert _runs_version_warnings(caught) == []


def test_a_load_failure_of_a_run_from_another_keras_names_both_versions(
    empty_data_dir, keras, monkeypatch
):
    from course_utils import runs

    scores = _tiny_run(keras)

    def fails(*args, **kwargs):
        raise ValueError("Layer 'conv2d' expected 2 variables, but received 1")

    monkeypatch.setattr(keras.saving, "load_model", fails)
    with pytest.raises(ValueError, match="expected 2 variables") as same:
        runs.load_run("tiny", "quick")
    assert "saved by Keras" not in str(same.value), "same Keras: Keras's own error, as is"

    other = _other_minor(keras.__version__)
    _edit_versions(scores, lambda r: r["versions"].update(keras=other))
    with pytest.warns(RuntimeWarning), pytest.raises(ValueError) as failed:
        runs.load_run("tiny", "quick")
    message = str(failed.value)
    assert "Could not load run 'tiny'" in message and "expected 2 variables" in message
    assert f"saved by Keras {other}" in message and f"this is Keras {keras.__version__}" in message
    assert isinstance(failed.value.__cause__, ValueError)


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


@pytest.mark.slow  # a TensorFlow subprocess
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
    assert missing.copied == [] and "No run 'vgg11_cifar10_encoder'" in missing.note
    # never silent: it says it is a random start and what to run to have the warm one
    assert "RANDOM START" in missing.note and "course prepare --profile quick" in missing.note
    assert "course import-runs" in missing.note and missing.missing

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
    assert "random start" in unrelated.note and not unrelated.missing  # meant: no VGG layers
