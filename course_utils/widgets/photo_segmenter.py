"""Photo segmenter: upload your own photo, see a model's classes over it and their shares.

The widget holds a few photos (stand-ins to start with) and a ``segment`` function handed
to it (photo in, class ids of the same size out), so it knows nothing of models: an
upload is read with :func:`course_utils.data.read_photo` (a file that is not a readable
image gives its message in the caption, never a traceback), segmented once, and kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from course_utils import data, ops, viz
from course_utils.widgets.display import Explorer, figure_png, opacity


@dataclasses.dataclass(frozen=True)
class PhotoState:
    """What the segmenter shows for one photo and opacity.

    Attributes:
        name: the photo's name (a stand-in's or the uploaded file's).
        overlay: the photo with the predicted classes blended in, ``float32 (H, W, 3)``.
        shares: each class's share of the labelled pixels.
        top: the classes by share, largest first, as ``(name, share)`` (those above 0).
        alpha: the overlay's opacity.
        note: a message to show (an upload that could not be read), or ``""``.
    """

    name: str
    overlay: np.ndarray
    shares: np.ndarray
    top: tuple[tuple[str, float], ...]
    alpha: float
    note: str = ""

    def describe(self) -> str:
        """One line for the widget's caption."""
        largest = ", ".join(f"{n} {100 * s:.0f}%" for n, s in self.top[:3]) or "no labelled pixel"
        text = f"{self.name}: {largest} (opacity {self.alpha:.1f})"
        return f"{self.note} Showing {text}" if self.note else text


def photo_state(
    photo: np.ndarray,
    ids: np.ndarray,
    class_names: Sequence[str],
    palette: Any = None,
    ignore_index: int | None = None,
    alpha: float = 0.5,
    name: str = "photo",
    note: str = "",
) -> PhotoState:
    """Compute what the segmenter displays (no widgets involved).

    Args:
        photo: ``(H, W, 3)``; ids: ``(H, W)`` class ids (``ignore_index`` where nothing
            was predicted, e.g. outside the model's crop).
    """
    photo = np.asarray(photo)
    ids = np.asarray(ids)
    if ids.shape != photo.shape[:2]:
        raise ValueError(f"ids {ids.shape} and photo {photo.shape[:2]} differ in size.")
    shares = ops.class_shares(ids, len(class_names), ignore_index)
    order = np.argsort(-shares, kind="stable")
    top = tuple((class_names[i], float(shares[i])) for i in order if shares[i] > 0)
    return PhotoState(
        name=name,
        overlay=viz.overlay(photo, ids, opacity(alpha), palette, ignore_index),
        shares=shares,
        top=top,
        alpha=float(alpha),
        note=note,
    )


def upload_contents(value: Any) -> list[tuple[str, bytes]]:
    """``(file name, bytes)`` of each file in a ``FileUpload``'s value (ipywidgets 8: a
    tuple of dicts with ``name`` and ``content``; ipywidgets 7: a dict by file name)."""
    items = value.values() if isinstance(value, Mapping) else value
    out = []
    for item in items or ():
        name = str(item.get("name") or item.get("metadata", {}).get("name") or "upload")
        out.append((name, bytes(item["content"])))
    return out


class PhotoSegmenter(Explorer):
    """Widget: a photo (a stand-in or your upload) x opacity -> predicted classes and shares.

    Args:
        segment: ``photo (H, W, 3) uint8 -> class ids (H, W)``.
        photos: name -> ``uint8 (H, W, 3)`` photos to start with (at least one).
        class_names, palette, ignore_index: as in ``data.info(...)``.
    """

    def __init__(
        self,
        segment: Callable[[np.ndarray], np.ndarray],
        photos: Mapping[str, np.ndarray],
        class_names: Sequence[str],
        palette: Any = None,
        ignore_index: int | None = None,
    ):
        if not photos:
            raise ValueError("PhotoSegmenter needs at least one photo to start with.")
        self.segment = segment
        self.photos = {name: np.asarray(p) for name, p in photos.items()}
        self.class_names, self.palette, self.ignore_index = list(class_names), palette, ignore_index
        self.name, self.alpha, self.note = next(iter(self.photos)), 0.5, ""
        self._ids: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return f"PhotoSegmenter({self.state().describe()})"

    def ids(self, name: str) -> np.ndarray:
        """The class ids of a photo (segmented on first use, then kept)."""
        if name not in self._ids:
            self._ids[name] = np.asarray(self.segment(self.photos[name]))
        return self._ids[name]

    def state(self) -> PhotoState:
        """The current overlay and shares."""
        return photo_state(
            self.photos[self.name], self.ids(self.name), self.class_names, self.palette,
            self.ignore_index, self.alpha, self.name, self.note,
        )  # fmt: skip

    def add_photo(self, name: str, source: Any) -> str:
        """Read a photo (a path or an upload's bytes) with ``data.read_photo``, add it and
        show it; return its name (``name``, numbered when taken).

        Raises:
            DataValidationError, FileNotFoundError: as ``data.read_photo`` does.
        """
        photo = data.read_photo(source)
        base, k = name, 2
        while name in self.photos:
            name, k = f"{base} ({k})", k + 1
        self.photos[name] = photo
        self.name, self.note = name, ""
        return name

    def upload(self, value: Any) -> PhotoState:
        """Add the files of a ``FileUpload``'s value; a file that is not a readable photo
        leaves the current photo shown and puts the reason in the caption."""
        notes = []
        for name, content in upload_contents(value):
            try:
                self.add_photo(name, content)
            except (ValueError, OSError) as err:
                notes.append(f"Could not use {name}: {err}")
        self.note = " ".join(notes)
        return self.state()

    def set(self, **changes: Any) -> PhotoState:
        """Change ``photo`` (a name) or ``alpha``; return the new state."""
        for key, value in changes.items():
            if key == "photo":
                if value not in self.photos:
                    raise ValueError(f"photo must be one of {list(self.photos)}, got {value!r}.")
                if value != self.name:
                    self.note = ""
                self.name = value
            elif key == "alpha":
                self.alpha = opacity(value)
            else:
                raise ValueError(f"Unknown setting {key!r}: use photo or alpha.")
        return self.state()

    def _figure(self, st: PhotoState, title: str = "") -> Any:
        import matplotlib.pyplot as plt

        fig, (ax, bars) = plt.subplots(
            1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1.6, 1]}, layout="constrained"
        )
        ax.imshow(st.overlay)
        ax.set_title(st.name, fontsize=9)
        ax.axis("off")
        n = len(self.class_names)
        pal = viz.as_palette(self.palette, n)
        bars.barh(np.arange(n), 100 * st.shares, color=pal[:n] / 255.0)
        bars.set_yticks(np.arange(n), viz.share_labels(self.class_names, st.shares))
        bars.invert_yaxis()
        bars.tick_params(labelsize=8)
        bars.set_xlabel("share of the labelled pixels (%)", fontsize=8)
        if title:
            fig.suptitle(title, fontsize=10)
        return fig

    def static_figure(self) -> Any:
        """The first photo's segmentation, for pages without a live kernel."""
        first = next(iter(self.photos))
        st = photo_state(
            self.photos[first], self.ids(first), self.class_names, self.palette,
            self.ignore_index, self.alpha, first,
        )  # fmt: skip
        return self._figure(
            st, "Photo segmenter (static view: run the notebook to upload your own photo)"
        )

    def _build(self) -> Any:
        import ipywidgets as w

        self.controls = {
            "alpha": w.FloatSlider(value=self.alpha, min=0, max=1, step=0.1, description="opacity"),
            "photo": w.Dropdown(options=list(self.photos), value=self.name, description="photo"),
        }
        self._upload = w.FileUpload(accept="image/*", multiple=False, description="Upload a photo")
        self._connect(self._figure)
        dropdown = self.controls["photo"]

        def on_upload(change: Any) -> None:
            if not upload_contents(change["new"]):
                return  # the upload was cleared (below)
            self.upload(change["new"])
            target, note = self.name, self.note
            dropdown.options = list(self.photos)  # may move the value and redraw: undone here
            self.name, self.note = target, note
            if dropdown.value != target:
                dropdown.value = target  # redraws through the dropdown's observer
            else:
                st = self.state()
                self._picture.value = figure_png(self._figure(st))
                self._caption.value = f"<b>{st.describe()}</b>"
            self._upload.value = ()  # so that the same file can be chosen again

        self._upload.observe(on_upload, names="value")
        return w.VBox(
            [w.HBox([self.controls["alpha"], dropdown, self._upload]), self._caption, self._picture]
        )
