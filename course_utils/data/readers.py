"""Dataset readers: files in the cache -> validated NumPy arrays of one split."""

from __future__ import annotations

import dataclasses
import gzip
import os
import pickle
import re
import sys
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from course_utils.data.cache import data_dir, mirror_dir, shown_path
from course_utils.data.catalog import CATALOG, DatasetInfo
from course_utils.data.download import fetch, registered_files
from course_utils.data.errors import DataValidationError, DownloadError, SourceUnreachableError
from course_utils.data.validate import check_mask, read_image, read_mask

Size = tuple[int, int]


@dataclasses.dataclass
class Arrays:
    """One split in memory: ``images`` uint8 ``(N, H, W, C)`` and ``targets``.

    ``targets`` is uint8 ``(N, H, W)`` masks for segmentation, int32 ``(N,)`` labels
    for classification, or ``None`` for a split without labels. ``source`` names the
    files the arrays came from.
    """

    images: np.ndarray
    targets: np.ndarray | None
    source: str

    def spread(self, n: int) -> Arrays:
        """``n`` examples evenly spaced over the split, first and last included.

        Splits cut from videos (CamVid) hold runs of near-identical consecutive frames;
        examples far apart show different scenes.
        """
        if n < 1:
            raise ValueError(f"spread(n={n}): ask for at least one example.")
        picks = np.linspace(0, len(self.images) - 1, min(n, len(self.images))).round()
        picks = picks.astype(int)
        targets = None if self.targets is None else self.targets[picks]
        return Arrays(self.images[picks], targets, self.source)


def _resize(array: np.ndarray, size: Size | None, nearest: bool) -> np.ndarray:
    """Resize (H, W[, C]) uint8 to ``size`` = (height, width); masks use nearest-neighbour."""
    if size is None or array.shape[:2] == tuple(size):
        return array
    from PIL import Image

    squeeze = array.ndim == 3 and array.shape[-1] == 1
    img = Image.fromarray(array[..., 0] if squeeze else array)
    resample = Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR
    out = np.asarray(img.resize((size[1], size[0]), resample=resample))
    return out[..., None] if squeeze else out


def _stack(arrays: Sequence[np.ndarray], what: str) -> np.ndarray:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise DataValidationError(
            f"{what} have different sizes ({sorted(shapes)[:3]}...): pass image_size=(H, W) to "
            "load() so every example is resized to one size."
        )
    return np.stack(arrays)


def read_pairs(
    pairs: Sequence[tuple[Path, Path]],
    info: DatasetInfo,
    image_size: Size | None,
    mask_map: Callable[[np.ndarray], np.ndarray] | None = None,
    convert: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Read (image, mask) file pairs, check each pair, resize, and stack."""

    def one(pair: tuple[Path, Path]) -> tuple[np.ndarray, np.ndarray]:
        image_path, mask_path = pair
        image = read_image(image_path, info.channels, convert=convert)
        mask = read_mask(mask_path)
        if mask_map is not None:
            mask = mask_map(mask)
        check_mask(mask, image.shape, info.num_classes, info.ignore_index, source=str(mask_path))
        return _resize(image, image_size, nearest=False), _resize(mask, image_size, nearest=True)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, pairs))
    images = _stack([r[0] for r in results], f"{info.name} images")
    masks = _stack([r[1] for r in results], f"{info.name} masks")
    return images, masks


def _read_images(paths: Sequence[Path], info: DatasetInfo, image_size: Size | None) -> np.ndarray:
    def one(path: Path) -> np.ndarray:
        return _resize(read_image(path, info.channels), image_size, nearest=False)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return _stack(list(pool.map(one, paths)), f"{info.name} images")


#: CamVid's splits chosen by drive, for decisions that must transfer to a drive never
#: seen in training (as test's Seq05VD is): ``tune_val`` is drive 0006R0 (101 frames of
#: ``train``), ``tune_train`` the rest of ``train`` and all of ``val`` (drives 0001TP and
#: 0016E5, 367 frames). Each maps to (source split, drives) pairs.
CAMVID_DRIVE_SPLITS = {
    "tune_train": (("train", ("0001TP", "0016E5")), ("val", ("0016E5",))),
    "tune_val": (("train", ("0006R0",)),),
}


def _camvid(split: str, image_size: Size | None, limit: int | None) -> Arrays:
    parts = CAMVID_DRIVE_SPLITS.get(split, ((split, None),))
    pairs: list[tuple[Path, Path]] = []
    for source, drives in parts:
        root, found = _camvid_pairs(source)
        pairs += [p for p in found if drives is None or p[0].name.startswith(drives)]
    images, masks = read_pairs(pairs[:limit], CATALOG["camvid"], image_size)
    shown = split if split not in CAMVID_DRIVE_SPLITS else f"{split} (drives by name)"
    return Arrays(images, masks, f"{root}/{shown}")


def _camvid_pairs(split: str) -> tuple[Path, list[tuple[Path, Path]]]:
    # Fetch (and verify) only this split's files: its list, images and label images.
    folders = (f"camvid/{split}/", f"camvid/{split}annot/")
    files = [f.split("/", 1)[1] for f in registered_files("camvid") if f.startswith(folders)]
    root = fetch("camvid", only=[f"{split}.txt", *files])
    pairs = []
    for line in (root / f"{split}.txt").read_text().split("\n"):
        if line.strip():
            image, mask = line.split()
            pairs.append(
                (root / split / Path(image).name, root / f"{split}annot" / Path(mask).name)
            )
    return root, pairs


def _isbi(split: str, image_size: Size | None, limit: int | None) -> Arrays:
    root = fetch("isbi2012")
    info = CATALOG["isbi2012"]

    def numbered(folder: Path) -> list[Path]:
        return sorted(folder.glob("*.png"), key=lambda p: int(p.stem))

    if split == "test":
        paths = numbered(root / "test")[:limit]
        return Arrays(_read_images(paths, info, image_size), None, f"{root}/test")
    images = numbered(root / "train" / "image")
    labels = numbered(root / "train" / "label")
    pairs = list(zip(images, labels, strict=True))
    pairs = pairs[:24] if split == "train" else pairs[24:]

    def to_ids(mask: np.ndarray) -> np.ndarray:
        # Files hold 0 (membrane) and 255 (cell); anything else is reported by check_mask.
        return np.where(mask == 255, 1, np.where(mask == 0, 0, mask)).astype(np.uint8)

    imgs, masks = read_pairs(pairs[:limit], info, image_size, mask_map=to_ids)
    return Arrays(imgs, masks, f"{root}/train ({split})")


_IDX_UNSIGNED_BYTE = 0x08
_IDX_TYPES = {
    0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "short", 0x0C: "int", 0x0D: "float",
    0x0E: "double",
}  # fmt: skip


def _read_idx(path: Path, ndim: int | None = None) -> np.ndarray:
    """Read a gzipped IDX file of unsigned bytes (MNIST's format), checking its header.

    The header is two zero bytes, a type byte (0x08 for unsigned bytes), the number of
    dimensions, then one big-endian 32-bit size per dimension; the data follow.

    Raises:
        DataValidationError: for a file that is not IDX, holds another type than
            unsigned bytes, has ``ndim`` given and other dimensions, or a size that does
            not match its header.
    """
    with gzip.open(path, "rb") as f:
        data = f.read()
    again = "Delete it and fetch the dataset again (python -m course_utils fetch mnist)."
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataValidationError(
            f"{path}: not an IDX file: it starts with bytes {data[:4].hex(' ')}, where an IDX "
            f"file starts with 00 00, a type byte and a dimension count. {again}"
        )
    kind, dims_count = data[2], data[3]
    if kind != _IDX_UNSIGNED_BYTE:
        name = _IDX_TYPES.get(kind, "an unknown type")
        raise DataValidationError(
            f"{path}: IDX type byte 0x{kind:02x} ({name}); MNIST files hold unsigned bytes "
            f"(0x08), the only type this reader reads. {again}"
        )
    if ndim is not None and dims_count != ndim:
        raise DataValidationError(
            f"{path}: an IDX file of {dims_count} dimension(s) where {ndim} were expected "
            f"(images have 3, labels 1): is it the right file? {again}"
        )
    header = 4 + 4 * dims_count
    if len(data) < header:
        raise DataValidationError(f"{path}: the IDX header is cut short. {again}")
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims_count)]
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        raise DataValidationError(
            f"{path}: the header promises {' x '.join(map(str, dims))} bytes of data but "
            f"the file holds {len(data) - header}. {again}"
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims)


def _labelled(
    images: np.ndarray, labels: np.ndarray, source: str, image_size: Size | None, limit: int | None
) -> Arrays:
    """A classification split, cut to ``limit`` and resized (bilinear) if asked."""
    images, labels = images[:limit], labels[:limit]
    if image_size is not None:
        images = np.stack([_resize(im, image_size, nearest=False) for im in images])
    return Arrays(images, labels, source)


def _mnist(split: str, image_size: Size | None, limit: int | None) -> Arrays:
    prefix = "train" if split == "train" else "t10k"
    root = fetch("mnist", only=[f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"])
    images = _read_idx(root / f"{prefix}-images-idx3-ubyte.gz", ndim=3)[..., None]
    labels = _read_idx(root / f"{prefix}-labels-idx1-ubyte.gz", ndim=1).astype(np.int32)
    if len(images) != len(labels):
        raise DataValidationError(
            f"{root}: {len(images)} {prefix} images but {len(labels)} labels: the files do not "
            "belong together. Delete them and fetch mnist again."
        )
    return _labelled(images, labels, str(root), image_size, limit)


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """``_codecs.encode`` as Python 3's pickle protocol 2 uses it for bytes, and no more."""
    if encoding.lower().replace("-", "").replace("_", "") not in ("latin1", "iso88591"):
        raise pickle.UnpicklingError(f"asks to encode text as {encoding!r}, not latin-1")
    return text.encode("latin-1")


def _pickle_globals() -> dict[tuple[str, str], Any]:
    """What a CIFAR-10 batch may name: NumPy's array rebuilders (under the module names of
    NumPy 1 and 2) and the bytes encoder of protocol 2; dict, list, bytes, str and int
    need no name at all."""
    array = np.zeros(1, np.uint8)
    reconstruct = array.__reduce__()[0]  # numpy.core.multiarray._reconstruct, any NumPy
    frombuffer = array.__reduce_ex__(5)[0]  # numpy.core.numeric._frombuffer (protocol 5)
    allowed: dict[tuple[str, str], Any] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
    }
    for core in ("numpy.core", "numpy._core"):
        allowed[(f"{core}.multiarray", "_reconstruct")] = reconstruct
        allowed[(f"{core}.numeric", "_frombuffer")] = frombuffer
    return allowed


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler that builds only what a CIFAR-10 batch holds and refuses every other
    name a pickle may ask for (``os.system``, ``builtins.eval``, ...)."""

    _allowed = _pickle_globals()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"asks for {module}.{name}, which a CIFAR-10 batch never holds"
            ) from None


def _read_cifar10_batch(path: Path) -> dict[bytes, Any]:
    """Read one batch file of the official CIFAR-10 archive (a Python 2 pickle) safely.

    Only dicts, lists, bytes, strings, numbers and NumPy arrays are built: a file that asks
    for anything else (code to run, as a replaced file could) is refused before any of it
    is built.

    Raises:
        DataValidationError: for a file that is not such a pickle, saying what to do.
    """
    again = (
        f"The data folder's copy was replaced or damaged: delete {path.parent.parent} "
        "and fetch cifar10 again (python -m course_utils fetch cifar10)."
    )
    try:
        with open(path, "rb") as f:
            batch = _BatchUnpickler(f, encoding="bytes").load()
    except pickle.UnpicklingError as err:
        raise DataValidationError(f"Refusing to read {path}: it {err}. {again}") from err
    except (EOFError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise DataValidationError(
            f"{path} is not a CIFAR-10 batch ({type(err).__name__}: {err}). {again}"
        ) from err
    if not isinstance(batch, dict) or not isinstance(batch.get(b"data"), np.ndarray):
        raise DataValidationError(f"{path} holds no CIFAR-10 batch (no data array). {again}")
    if not isinstance(batch.get(b"labels"), list):
        raise DataValidationError(f"{path} holds no CIFAR-10 labels. {again}")
    return batch


def _cifar10_official(split: str) -> tuple[np.ndarray, np.ndarray, str]:
    root = fetch("cifar10") / "cifar-10-python" / "cifar-10-batches-py"
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    images, labels = [], []
    for name in names:
        batch = _read_cifar10_batch(root / name)
        images.append(batch[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(np.asarray(batch[b"labels"], np.int32))
    return np.concatenate(images), np.concatenate(labels), f"official archive ({root.parent})"


def _cifar10_jpeg(split: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Decode the JPEG copy straight from its tar, once; later calls read a NumPy cache."""
    import tarfile

    from PIL import Image

    root = fetch("cifar10_jpeg")
    archive = root / "cifar10_jpeg.tar.gz"
    cache = root / f"{split}_arrays.npz"
    source = f"JPEG copy ({shown_path(archive)}, {split})"
    if cache.is_file() and cache.stat().st_mtime >= archive.stat().st_mtime:
        try:
            with np.load(cache) as data:
                return data["images"], data["labels"], source
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            cache.unlink()  # damaged (an interrupted earlier run): rebuild it below
    classes = {name: i for i, name in enumerate(CATALOG["cifar10_jpeg"].class_names)}
    images, labels = [], []
    pattern = re.compile(rf"^cifar10_jpeg/{split}/([a-z]+)/(\d+)\.jpg$")
    with tarfile.open(archive) as tar:
        for member in tar:
            match = pattern.match(member.name)
            content = tar.extractfile(member) if match and member.isfile() else None
            if match is None or content is None:
                continue
            with Image.open(content) as img:
                images.append(np.asarray(img.convert("RGB"), np.uint8))
            labels.append(classes[match.group(1)])
    if len(images) != CATALOG["cifar10_jpeg"].split_sizes[split]:
        raise DataValidationError(
            f"{archive} holds {len(images)} {split} images, expected "
            f"{CATALOG['cifar10_jpeg'].split_sizes[split]}: the archive is not the expected copy."
        )
    order = np.random.default_rng(0).permutation(len(labels))  # the tar is sorted by class
    images_arr = np.stack(images)[order]
    labels_arr = np.asarray(labels, np.int32)[order]
    partial = cache.with_suffix(".partial.npz")
    np.savez(partial, images=images_arr, labels=labels_arr)
    os.replace(partial, cache)  # atomic: a cache file is complete or absent
    return images_arr, labels_arr, source


#: Notices printed once per process (the CIFAR-10 fallback), by key.
_NOTICES_SHOWN: dict[str, bool] = {}


def _first_sentence(text: str) -> str:
    return text.split(". ", 1)[0].rstrip(".")


def _cifar10(split: str, image_size: Size | None, limit: int | None) -> Arrays:
    """The official archive; its JPEG copy only when the archive cannot be reached.

    A corrupt or tampered archive (:class:`ChecksumError`), an interrupted download or an
    unsafe archive is never papered over with the JPEG copy: those errors reach the learner.
    """
    try:
        images, labels, source = _cifar10_official(split)
    except SourceUnreachableError as official:
        try:
            images, labels, source = _cifar10_jpeg(split)
        except DownloadError as jpeg:
            raise SourceUnreachableError(
                f"CIFAR-10: the official archive could not be fetched: {official}\n"
                "The JPEG copy that stands in for it when the archive cannot be reached "
                f"could not be had either: {jpeg}"
            ) from official
        if not _NOTICES_SHOWN.get("cifar10_fallback"):  # once per process, not per split
            _NOTICES_SHOWN["cifar10_fallback"] = True
            reason = _first_sentence(str(official))
            for folder in (mirror_dir(), data_dir()):
                if folder is not None:
                    reason = reason.replace(str(folder), shown_path(folder))
            print(
                f"CIFAR-10: the official archive could not be fetched ({reason}).\nUsing the "
                "JPEG copy of CIFAR-10 from the local mirror instead: same images and labels, "
                "re-encoded as JPEG (accuracies close to, not identical with, the official "
                "archive's).",
                file=sys.stdout,
            )
    return _labelled(images, labels, source, image_size, limit)


def _cifar10_jpeg_reader(split: str, image_size: Size | None, limit: int | None) -> Arrays:
    return _labelled(*_cifar10_jpeg(split), image_size, limit)


def _oxford_pets(split: str, image_size: Size | None, limit: int | None) -> Arrays:
    root = fetch("oxford_pets")
    ann = root / "annotations" / "annotations"
    names = [
        line.split()[0] for line in (ann / f"{split}.txt").read_text().splitlines() if line.strip()
    ]
    pairs = [
        (root / "images" / "images" / f"{n}.jpg", ann / "trimaps" / f"{n}.png")
        for n in names[:limit]
    ]
    # Trimaps: 1 pet, 2 background, 3 border -> 1 pet, 0 background, 2 void.
    lut = np.array([255, 1, 0, 2] + [255] * 252, np.uint8)
    images, masks = read_pairs(
        pairs, CATALOG["oxford_pets"], image_size, mask_map=lambda m: lut[m], convert=True
    )
    return Arrays(images, masks, str(root))


def _voc2012(split: str, image_size: Size | None, limit: int | None) -> Arrays:
    root = fetch("voc2012") / "VOCtrainval_11-May-2012" / "VOCdevkit" / "VOC2012"
    ids = (root / "ImageSets" / "Segmentation" / f"{split}.txt").read_text().split()
    pairs = [
        (root / "JPEGImages" / f"{i}.jpg", root / "SegmentationClass" / f"{i}.png")
        for i in ids[:limit]
    ]
    images, masks = read_pairs(pairs, CATALOG["voc2012"], image_size)
    return Arrays(images, masks, str(root))


READERS: dict[str, Callable[[str, Size | None, int | None], Arrays]] = {
    "camvid": _camvid,
    "isbi2012": _isbi,
    "mnist": _mnist,
    "cifar10": _cifar10,
    "cifar10_jpeg": _cifar10_jpeg_reader,
    "oxford_pets": _oxford_pets,
    "voc2012": _voc2012,
}
