"""EfficientNet-Lite0 with the packaged ImageNet weights, and the restricted PyTorch reader."""

from __future__ import annotations

import os
import pickle
import sys
import types
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from course_utils.models import efficientnet, torch_pickle
from course_utils.models.torch_pickle import UnsafeWeightsFile, read_legacy_state_dict

_HEADER = [0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}]


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo this must never run",))


def _write_legacy(path: Path, payload: object, storages: dict[str, np.ndarray]) -> None:
    """A file in PyTorch's legacy layout: header pickles, the payload, keys, raw storages."""
    with open(path, "wb") as file:
        for item in _HEADER:
            pickle.dump(item, file, protocol=2)
        pickle.dump(payload, file, protocol=2)
        pickle.dump(list(storages), file, protocol=2)
        for array in storages.values():
            file.write(np.int64(array.size).tobytes())
            file.write(array.astype("<f4").tobytes())


@pytest.fixture
def fake_torch(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """Just enough of a ``torch`` module for pickle to write a state dict's names."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        def __init__(self, key: str, numel: int) -> None:
            self.key, self.numel = key, numel

    FloatStorage.__module__ = "torch"
    FloatStorage.__qualname__ = "FloatStorage"

    def _rebuild_tensor_v2(*args: object) -> None:
        raise AssertionError("never called when writing")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch.FloatStorage = FloatStorage  # type: ignore[attr-defined]
    torch._utils = utils  # type: ignore[attr-defined]
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return torch


def _state_dict_file(path: Path, torch: types.ModuleType, transpose: bool = False) -> np.ndarray:
    """Writes a one-tensor state dict whose tensor is (2, 3), C- or F-ordered in storage."""
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    storage = torch.FloatStorage("k0", 6)
    stored = values.T.copy() if transpose else values
    stride = (1, 2) if transpose else (3, 1)

    class Tensor:
        def __reduce__(self) -> tuple[object, tuple[object, ...]]:
            rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
            return (rebuild, (storage, 0, (2, 3), stride, False, OrderedDict()))

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj: object) -> object:
            if isinstance(obj, torch.FloatStorage):
                return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel, None)
            return None

    with open(path, "wb") as file:
        for item in _HEADER:
            pickle.dump(item, file, protocol=2)
        Pickler(file, protocol=2).dump(OrderedDict(w=Tensor()))
        pickle.dump(["k0"], file, protocol=2)
        file.write(np.int64(6).tobytes())
        file.write(stored.astype("<f4").tobytes())
    return values


@pytest.mark.parametrize("transpose", [False, True])
def test_reads_a_state_dict_with_any_strides(
    tmp_path: Path, fake_torch: types.ModuleType, transpose: bool
) -> None:
    path = tmp_path / "w.pth"
    expected = _state_dict_file(path, fake_torch, transpose)
    state = read_legacy_state_dict(path, torch_pickle.sha256_of(path))
    assert list(state) == ["w"]
    np.testing.assert_array_equal(state["w"], expected)


def test_refuses_a_pickle_that_names_os_system(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    _write_legacy(path, _Evil(), {})
    with pytest.raises(UnsafeWeightsFile, match=r"system.*refused"):
        read_legacy_state_dict(path, None)


def test_refuses_foreign_code_even_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps(_Evil(), protocol=2))
    with pytest.raises(UnsafeWeightsFile, match="refused"):
        read_legacy_state_dict(path, None)


def test_refuses_a_truncated_file(tmp_path: Path) -> None:
    whole = Path(efficientnet.weights_path()).read_bytes()
    for cut in (100, len(whole) // 2, len(whole) - 1):
        path = tmp_path / f"cut{cut}.pth"
        path.write_bytes(whole[:cut])
        with pytest.raises(UnsafeWeightsFile, match="truncated|not a complete"):
            read_legacy_state_dict(path, None)


def test_checks_the_checksum_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    _write_legacy(path, _Evil(), {})
    with pytest.raises(UnsafeWeightsFile, match="SHA-256"):
        read_legacy_state_dict(path, efficientnet.WEIGHTS_SHA256)


def test_the_packaged_weights_hold_lite0s_tensors() -> None:
    state = read_legacy_state_dict(efficientnet.weights_path(), efficientnet.WEIGHTS_SHA256)
    assert len(state) == 296
    params = sum(v.size for k, v in state.items() if "running" not in k and "num_batches" not in k)
    assert params == 4_652_008  # trainable weights of Lite0 (4.69 M with BN statistics)
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_fc.weight"].shape == (1000, 1280)


@pytest.fixture(scope="module")
def classifier():  # noqa: ANN201 - a keras.Model
    return efficientnet.efficientnet_lite0()


def _resized(image: np.ndarray) -> np.ndarray:
    import keras

    return keras.ops.image.resize(image[None].astype("float32"), (224, 224)).numpy()


@pytest.mark.parametrize(
    ("image", "expected"),
    [("chelsea", {281, 282, 283, 284, 285}), ("coffee", {967, 968, 504})],
)
def test_imagenet_classes_of_scikit_image_pictures(classifier, image: str, expected) -> None:  # noqa: ANN001
    import skimage.data

    logits = classifier.predict(_resized(getattr(skimage.data, image)()), verbose=0)
    top5 = efficientnet.decode_imagenet(logits)[0]
    assert top5[0][0] in expected, top5  # the best guess is one of the expected classes
    assert top5[0][2] > 0.5, top5


def test_random_weights_predict_no_cat() -> None:
    """The check above can fail: an untrained Lite0 does not find the cat."""
    import skimage.data

    untrained = efficientnet.efficientnet_lite0(weights=None)
    logits = untrained.predict(_resized(skimage.data.chelsea()), verbose=0)
    top = efficientnet.decode_imagenet(logits, top=1)[0][0]
    assert top[0] not in {281, 282, 283, 284, 285} or top[2] < 0.5


def test_encoder_features_equal_the_classifiers(classifier) -> None:  # noqa: ANN001
    import skimage.data

    encoder = efficientnet.efficientnet_lite0(input_shape=(None, None, 3), include_top=False)
    image = _resized(skimage.data.coffee())
    mine = efficientnet.efficientnet_lite0_features(encoder)(image)
    theirs = efficientnet.efficientnet_lite0_features(classifier)(image)
    shapes = {name: tuple(mine[name].shape) for name in mine}
    assert shapes == {
        "stride4": (1, 56, 56, 24),
        "stride8": (1, 28, 28, 40),
        "stride16": (1, 14, 14, 112),
        "stride32": (1, 7, 7, 1280),
    }
    for name in mine:
        np.testing.assert_allclose(np.asarray(mine[name]), np.asarray(theirs[name]), atol=1e-5)


def test_every_tensor_shape_is_checked_on_load() -> None:
    model = efficientnet.efficientnet_lite0(weights=None, num_classes=10)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="predictions"):
        efficientnet.load_imagenet_weights(model)
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # nothing set when one tensor does not fit


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_shape": (16, 224, 3)}, "at least 32"),
        ({"input_shape": (224, 224, 1)}, "RGB"),
        ({"weights": "cifar"}, "'imagenet' or None"),
        ({"num_classes": 10}, "1000 classes"),
    ],
)
def test_bad_arguments_are_explained(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        efficientnet.efficientnet_lite0(**kwargs)


def test_unknown_feature_stride() -> None:
    model = efficientnet.efficientnet_lite0(weights=None, include_top=False)
    with pytest.raises(ValueError, match="among 2, 4, 8, 16, 32"):
        efficientnet.efficientnet_lite0_features(model, strides=(64,))


def test_atrous_backbone_keeps_the_weights_and_the_resolution() -> None:
    coarse = efficientnet.efficientnet_lite0((64, 96, 3), include_top=False, weights=None)
    fine = efficientnet.efficientnet_lite0(
        (64, 96, 3), include_top=False, weights=None, output_stride=8
    )
    assert coarse.output_shape == (None, 2, 3, 1280)
    assert fine.output_shape == (None, 8, 12, 1280)
    assert fine.count_params() == coarse.count_params()  # dilation adds no weight
    dilations = {
        layer.name: layer.dilation_rate for layer in fine.layers if layer.name.endswith("_dwconv")
    }
    assert dilations["block4_dwconv"] == (1, 1) and dilations["block5_dwconv"] == (2, 2)
    assert dilations["block11_dwconv"] == (4, 4)
    with pytest.raises(ValueError, match="8, 16 or 32"):
        efficientnet.efficientnet_lite0(weights=None, output_stride=4)


def test_deeplabv3plus_on_lite0_starts_from_imagenet() -> None:
    from course_utils import models

    model = models.deeplabv3plus(
        (64, 96, 3),
        11,
        backbone="lite0",
        aspp_filters=16,
        low_level_filters=8,
        decoder_filters=16,
        aspp_rates=(1, 2),
    )
    assert model.output_shape == (None, 64, 96, 11)
    backbone = model.get_layer("backbone")
    state = read_legacy_state_dict(efficientnet.weights_path(), None)
    np.testing.assert_array_equal(
        backbone.get_layer("block3_dwconv").get_weights()[0],
        state["_blocks.3._depthwise_conv.weight"].transpose(2, 3, 0, 1),
    )
    images = np.random.default_rng(0).random((2, 64, 96, 3), dtype=np.float32)  # 0-1, as data.load
    assert np.isfinite(model.predict(images, verbose=0)).all()


def test_deeplabv3plus_on_lite0_takes_output_stride_32_and_says_what_it_takes() -> None:
    from course_utils import models

    head = {"aspp_filters": 8, "low_level_filters": 8, "decoder_filters": 8, "aspp_rates": (1,)}
    model = models.deeplabv3plus(
        (64, 96, 3), 5, backbone="lite0", backbone_weights=None, output_stride=32, **head
    )
    assert model.get_layer("backbone_output").output.shape[1:3] == (2, 3)
    assert model.output_shape == (None, 64, 96, 5)
    with pytest.raises(ValueError, match="8 or 16 for backbone 'vgg11'"):
        models.deeplabv3plus((64, 96, 3), 5, backbone="vgg11", output_stride=32)
