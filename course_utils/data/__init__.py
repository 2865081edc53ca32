"""The data layer: a registry of real datasets, verified downloads, and ``tf.data`` pipelines.

Public API::

    fetch(name) -> Path                     # download (or copy from the mirror), verify, cache
    download_size(name) -> int              # bytes fetch(name) downloads; COURSE_DATASETS
    load(name, split, image_size, batch_size, augment) -> tf.data.Dataset
    arrays(name, split, image_size, limit) -> Arrays (NumPy, for plots and metrics)
    info(name) -> DatasetInfo               # classes, colours, void id, split sizes, credits
    shapes(n, image_size, seed)             # built-in synthetic set, no download
    check_mask(...), check_image(...)       # the checks the readers run, for your own data
    read_photo(path_or_bytes) -> array      # your own photo, upright RGB, or a clear error
    frame_photo(photo, size) -> PhotoFrame  # centre-cropped to CamVid's 3:4 and resized
    border_weight_map(mask) -> weights      # U-Net's eq. 2; with_border_weights(dataset)

TensorFlow is imported only by ``load`` and ``with_border_weights``.
"""

from __future__ import annotations

from course_utils.data.cache import cached, data_dir, mirror_dir, shown_path
from course_utils.data.catalog import CATALOG, DatasetInfo
from course_utils.data.course_datasets import COURSE_DATASETS, download_size
from course_utils.data.download import fetch
from course_utils.data.errors import (
    ChecksumError,
    DatasetError,
    DataValidationError,
    DownloadError,
    SourceUnreachableError,
    UnsafeArchiveError,
)
from course_utils.data.instances import Instance, instance_map, instances_from_mask
from course_utils.data.photos import CAMVID_ASPECT, PhotoFrame, frame_photo, read_photo
from course_utils.data.pipeline import TRAINING_SPLITS, Augment, arrays, load
from course_utils.data.synthetic import shapes
from course_utils.data.validate import check_image, check_mask, read_image, read_mask
from course_utils.data.weight_map import border_weight_map, with_border_weights

__all__ = [
    "CAMVID_ASPECT",
    "COURSE_DATASETS",
    "TRAINING_SPLITS",
    "Augment",
    "ChecksumError",
    "DataValidationError",
    "DatasetError",
    "DatasetInfo",
    "DownloadError",
    "Instance",
    "PhotoFrame",
    "SourceUnreachableError",
    "UnsafeArchiveError",
    "arrays",
    "border_weight_map",
    "cached",
    "check_image",
    "check_mask",
    "data_dir",
    "datasets",
    "download_size",
    "fetch",
    "frame_photo",
    "info",
    "instance_map",
    "instances_from_mask",
    "load",
    "mirror_dir",
    "shown_path",
    "read_image",
    "read_mask",
    "read_photo",
    "shapes",
    "with_border_weights",
]


def info(name: str) -> DatasetInfo:
    """Facts about a dataset: class names, colours, void id, split sizes, credits.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
    """
    if name not in CATALOG:
        raise ValueError(f"Unknown dataset {name!r}. Known: {', '.join(datasets())}.")
    return CATALOG[name]


def datasets() -> list[str]:
    """Names of every dataset the course knows."""
    return sorted(CATALOG)
