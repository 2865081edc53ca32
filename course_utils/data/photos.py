"""Your own photos: read one safely, and frame it the way the models were trained.

A photo from a phone is not a CamVid frame: it may be a portrait, 4000 pixels wide,
turned by an EXIF tag, in a format PIL cannot read, or not an image at all. :func:`read_photo`
turns a file or the bytes of an upload into an upright ``uint8 (H, W, 3)`` array, or raises
an error that says what to do. :func:`frame_photo` cuts the largest centred crop of
CamVid's 3:4 shape out of it and resizes that to a model's frame size, keeping where the
crop lies so that a prediction can be put back on the photo.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np

from course_utils import ops
from course_utils.data.errors import DataValidationError

#: CamVid's frames are 360x480: height and width in the ratio 3:4.
CAMVID_ASPECT = (3, 4)
#: Photos are shrunk (antialiased) so that their longer side is at most this many pixels:
#: a 12-megapixel phone photo holds far more detail than a model at 352x480 can use, and
#: its class scores at full size would take about half a gigabyte.
MAX_SIDE = 1600
#: The smallest side a photo may have.
MIN_SIDE = 32

_FORMATS = "JPEG, PNG, WebP, BMP, GIF or TIFF"


def _what(source: object) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    return "the uploaded file"


def read_photo(
    source: str | Path | bytes | bytearray | memoryview, max_side: int | None = MAX_SIDE
) -> np.ndarray:
    """Read a photo (a file path, or the bytes of an upload) as upright ``uint8 (H, W, 3)``.

    The photo is turned as its EXIF orientation tag says (phones store portraits sideways
    and set that tag), converted to RGB (grayscale, palette, CMYK and transparent images
    included; transparency is dropped), and shrunk with antialiasing so that its longer
    side is at most ``max_side`` pixels (``None``: kept as it is).

    Raises:
        FileNotFoundError: for a path with no file.
        DataValidationError: (a ``ValueError``) for anything that is not a readable image:
            an empty, truncated or corrupt file, another kind of file, a format PIL does not
            read (HEIC, from iPhones), an image too large to open safely or too small to
            segment. The message says what was wrong and what to do.
    """
    from PIL import Image, ImageOps

    what = _what(source)
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"No photo at {path} ({'a folder' if path.is_dir() else 'no such file'}). "
                "Give the path of an image file, e.g. PHOTO = 'my_street.jpg', relative to "
                f"the folder the notebook runs in ({Path.cwd()})."
            )
        raw = path.read_bytes()
    else:
        raw = bytes(source)
    if not raw:
        raise DataValidationError(f"{what} is empty (0 bytes): choose the photo again.")
    try:
        with Image.open(io.BytesIO(raw)) as img:
            img = ImageOps.exif_transpose(img)
            rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
    except Image.DecompressionBombError as err:
        raise DataValidationError(
            f"{what} is too large to open safely ({err}). Shrink it below 50 megapixels first."
        ) from err
    except Image.UnidentifiedImageError as err:
        heic = b"ftypheic" in raw[:32] or b"ftypmif1" in raw[:32] or b"ftypheix" in raw[:32]
        hint = (
            " It looks like a HEIC photo (an iPhone's default): export it as JPEG first "
            "(on the iPhone, Settings > Camera > Formats > Most Compatible; or share it as "
            "JPEG)."
            if heic
            else ""
        )
        raise DataValidationError(
            f"{what} is not an image that PIL can read: give a photo in {_FORMATS}.{hint}"
        ) from err
    except (OSError, SyntaxError, ValueError) as err:  # truncated or corrupt image data
        raise DataValidationError(
            f"{what} is damaged: its image data cannot be decoded ({type(err).__name__}: "
            f"{err}). Copy or download the photo again, or open it in an image viewer and "
            "save it as a new JPEG or PNG."
        ) from err
    height, width = rgb.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise DataValidationError(
            f"{what} is {height}x{width} pixels: too small to segment. Give a photo at least "
            f"{MIN_SIDE} pixels on each side (a street photo of a few hundred pixels or more)."
        )
    if max_side is not None and max(height, width) > max_side:
        scale = max_side / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))
    return rgb


@dataclasses.dataclass(frozen=True)
class PhotoFrame:
    """A photo framed for a model.

    Attributes:
        photo_size: the photo's ``(height, width)``.
        box: ``(top, left, height, width)`` of the crop in the photo.
        crop: the crop at the photo's resolution, ``uint8 (height, width, 3)``.
        frame: the crop resized to the model's frame size, ``uint8 (H, W, 3)``: what the
            model sees.
    """

    photo_size: tuple[int, int]
    box: tuple[int, int, int, int]
    crop: np.ndarray
    frame: np.ndarray

    def uncrop(self, ids: np.ndarray, fill: int) -> np.ndarray:
        """Class ids of the crop ``(height, width)`` put back on the whole photo: ``fill``
        (the void id, say) where the photo lies outside the crop."""
        top, left, h, w = self.box
        ids = np.asarray(ids)
        if ids.shape[:2] != (h, w):
            raise ValueError(f"ids are {ids.shape[:2]}, the crop is {(h, w)}.")
        out = np.full(self.photo_size, fill, dtype=ids.dtype)
        out[top : top + h, left : left + w] = ids
        return out


def frame_photo(
    photo: np.ndarray, size: tuple[int, int], aspect: tuple[int, int] = CAMVID_ASPECT
) -> PhotoFrame:
    """Frame a photo as a model's training frames were: the largest centred crop of
    ``aspect`` (height : width; CamVid's 3:4 by default, :func:`course_utils.ops.centre_crop_box`),
    resized to ``size = (height, width)`` with PIL's bilinear filter (antialiased when it
    shrinks), as the dataset readers resize CamVid's 360x480 frames.

    Raises:
        DataValidationError: for an array that is not a uint8 ``(H, W, 3)``.
    """
    from PIL import Image

    photo = np.asarray(photo)
    if photo.ndim != 3 or photo.shape[-1] != 3:
        raise DataValidationError(
            f"a photo is an RGB array (H, W, 3), got shape {tuple(photo.shape)}: read it with "
            "data.read_photo(path)."
        )
    if photo.dtype != np.uint8:
        raise DataValidationError(
            f"a photo is uint8 (0-255), got {photo.dtype}: read it with data.read_photo(path), "
            "or convert it with (255 * image).round().astype('uint8') if it is in [0, 1]."
        )
    height, width = photo.shape[:2]
    top, left, h, w = ops.centre_crop_box(height, width, aspect)
    crop = np.ascontiguousarray(photo[top : top + h, left : left + w])
    frame = np.asarray(
        Image.fromarray(crop).resize((size[1], size[0]), Image.Resampling.BILINEAR), np.uint8
    )
    return PhotoFrame((height, width), (top, left, h, w), crop, frame)
