"""What the repository keeps in a course notebook, in one place.

``course run-notebooks`` applies these rules when it saves a notebook (:func:`clean`);
``tools/check_notebooks.py``, the pre-commit hook and the tests check them
(:func:`problems`, :func:`file_problems`). A rule changed here changes both.

The rules: a kernelspec in the metadata; execution counts 1..N, top to bottom, and
each result numbered like its cell; no saved widget state or widget views (they are
large and show nothing without a live kernel); no execution timestamps in cell metadata
(they change on every run and say nothing); no stored error output; every hidden exercise
solution (a Markdown cell that starts with :data:`SOLUTION_START`) tagged
:data:`SOLUTION_TAG`, and no other cell (the student edition, ``tools/student_edition.py``,
removes the solutions by that tag); a file under :data:`MAX_BYTES`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: Largest notebook file the repository keeps (lower figure sizes to stay under it).
MAX_BYTES = 3_000_000
#: Notebook metadata key where Jupyter saves widget state.
WIDGET_STATE_KEY = "widgets"
#: Cell metadata key where nbclient saves each cell's execution timestamps.
TIMING_KEY = "execution"
#: Output data type of a widget view.
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
#: File names of the course notebooks, in course order: ``NN_topic.ipynb``.
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
#: ``runs.save_run(<model>, "<name>", ...)``, the run's name a string literal or a name.
_SAVE_RUN = re.compile(r"save_run\(\s*[\w.\[\]]+\s*,\s*([\"']?)(\w+)\1\s*,", re.S)
#: ``NAME = "value"`` at the start of a line: a notebook's string constant.
_CONSTANT = re.compile(r"^(\w+)\s*=\s*[\"'](\w+)[\"']", re.M)
#: How a hidden exercise solution starts: a collapsed ``<details>`` block in a Markdown cell.
SOLUTION_START = "<details><summary><b>Solution</b>"
#: The cell tag of those cells (``metadata.tags``).
SOLUTION_TAG = "solution"

Notebook = dict[str, Any]


def notebook_paths(folder: Path, only: str | None = None) -> list[Path]:
    """The course notebooks in ``folder``, in order, optionally filtered by a substring.

    Args:
        folder: the notebooks folder.
        only: keep only notebooks whose file name contains this.

    Returns:
        The paths, sorted by name (``00_...``, ``01_...``).
    """
    paths = sorted(Path(folder).glob(NOTEBOOK_GLOB))
    return [p for p in paths if only is None or only in p.name]


def saved_runs(path: Path) -> tuple[str, ...]:
    """The run names a notebook saves: the names passed to ``runs.save_run`` as string
    literals, or as a constant the notebook sets to one (``LITE0 = "deeplabv3plus_lite0"``)."""
    cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    code = "\n".join("".join(c["source"]) for c in cells if c.get("cell_type") == "code")
    constants = dict(_CONSTANT.findall(code))
    names = [name if quote else constants.get(name) for quote, name in _SAVE_RUN.findall(code)]
    return tuple(dict.fromkeys(n for n in names if n))


def runs_trained_since(profile: str, since: float) -> dict[str, float]:
    """The runs of ``profile`` saved at or after ``since`` (a ``time.time()``), each with
    the training seconds it recorded (0 when it recorded none): what a notebook that ran
    from ``since`` trained, whatever name it gave the run."""
    from course_utils import runs

    trained = {}
    for entry in runs.list_runs():
        scores = next((f for f in entry.files if f.suffix == ".json"), None)
        if entry.profile == profile and scores and scores.stat().st_mtime >= since:
            seconds = runs.load_scores(entry.name, profile).get("train_seconds")
            trained[entry.name] = float(seconds or 0.0)
    return trained


def _code_cells(nb: Notebook) -> list[dict[str, Any]]:
    return [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def is_solution(cell: dict[str, Any]) -> bool:
    """Whether a cell is a hidden exercise solution: Markdown that starts with
    :data:`SOLUTION_START` (after blank lines or spaces, if any)."""
    return cell.get("cell_type") == "markdown" and _source(cell).lstrip().startswith(SOLUTION_START)


def _source(cell: dict[str, Any]) -> str:
    return "".join(cell.get("source", ""))


def _tags(cell: dict[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def tag_solutions(nb: Notebook) -> int:
    """Tag every solution cell :data:`SOLUTION_TAG` and untag every other cell, in place.

    Only ``metadata.tags`` changes: the tag is appended to a cell's tags (``tags`` is
    created, in key order when the metadata's keys are sorted, as nbformat writes them)
    or removed from them (``tags`` is dropped when nothing is left). Idempotent.

    Args:
        nb: a notebook as a dict.

    Returns:
        How many cells changed.
    """
    changed = 0
    for cell in nb.get("cells", []):
        tags = _tags(cell)
        wanted = is_solution(cell)
        if wanted == (SOLUTION_TAG in tags):
            continue
        meta = cell.setdefault("metadata", {})
        tags = [*tags, SOLUTION_TAG] if wanted else [t for t in tags if t != SOLUTION_TAG]
        if not tags:
            meta.pop("tags", None)
        else:
            was_sorted = list(meta) == sorted(meta)
            meta["tags"] = tags
            if was_sorted:
                ordered = {key: meta.pop(key) for key in sorted(meta)}
                meta.update(ordered)
        changed += 1
    return changed


def solution_tag_problems(nb: Notebook, name: str = "notebook") -> list[str]:
    """Solution cells without the :data:`SOLUTION_TAG` tag, and other cells with it.

    Also reports a solution block that does not start its Markdown cell: the tag (and
    so the student edition) would miss it.

    Args:
        nb: the notebook as a dict.
        name: how to name the notebook in the messages (its file name).

    Returns:
        One message per problem, saying what to do (empty when the tags are right).
    """
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        tagged = SOLUTION_TAG in _tags(cell)
        if is_solution(cell) and not tagged:
            found.append(
                f"{name}: cell {index} is an exercise solution without the "
                f"{SOLUTION_TAG!r} tag (run python tools/tag_solutions.py)"
            )
        elif tagged and not is_solution(cell):
            found.append(
                f"{name}: cell {index} is tagged {SOLUTION_TAG!r} but does not start with "
                f"{SOLUTION_START!r} (run python tools/tag_solutions.py)"
            )
        if SOLUTION_START in _source(cell) and not is_solution(cell):
            found.append(
                f"{name}: cell {index} has a solution block after other text; give the "
                "solution a Markdown cell of its own, starting with the block"
            )
    return found


def _needs_ids(nb: Notebook) -> bool:
    """Whether the notebook's format (nbformat 4.5 or later) requires every cell to have an id."""
    return (nb.get("nbformat") or 0, nb.get("nbformat_minor") or 0) >= (4, 5)


def clean(nb: Notebook) -> Notebook:
    """Apply every rule that can be applied without running anything, in place.

    Drops saved widget state, widget views and execution timestamps, numbers the code cells 1..N
    top to bottom (their results too), as after a "Restart and Run All", tags the
    exercise solutions (:func:`tag_solutions`), and gives a cell with no id (nbformat 4.5)
    one made from its position and source, so cleaning twice gives the same ids.

    Args:
        nb: a notebook as a dict (``nbformat`` notebooks are dicts too).

    Returns:
        The same notebook.
    """
    nb.get("metadata", {}).pop(WIDGET_STATE_KEY, None)
    taken = {cell.get("id") for cell in nb.get("cells", [])}
    for index, cell in enumerate(nb.get("cells", [])):
        cell.get("metadata", {}).pop(TIMING_KEY, None)
        if _needs_ids(nb) and not cell.get("id"):
            digest = hashlib.sha1(f"{index}:{_source(cell)}".encode()).hexdigest()
            cell["id"] = next(
                digest[i : i + 8] for i in range(0, 33) if digest[i : i + 8] not in taken
            )
            taken.add(cell["id"])
    tag_solutions(nb)
    for count, cell in enumerate(_code_cells(nb), 1):
        cell["execution_count"] = count
        for out in cell.get("outputs", []):
            if "execution_count" in out:
                out["execution_count"] = count
            out.get("data", {}).pop(WIDGET_VIEW_MIME, None)
    return nb


def problems(nb: Notebook, name: str = "notebook") -> list[str]:
    """The rule breaks in a notebook's content, one line each (empty when it is clean).

    Args:
        nb: the notebook as a dict.
        name: how to name the notebook in the messages (its file name).

    Returns:
        One message per problem, saying what to do.
    """
    found = []
    meta = nb.get("metadata", {})
    if not meta.get("kernelspec"):
        found.append(f"{name}: no kernelspec in metadata")
    if WIDGET_STATE_KEY in meta:
        found.append(f"{name}: saved widget state in metadata (strip it)")
    if _needs_ids(nb):
        missing = [i for i, cell in enumerate(nb.get("cells", [])) if not cell.get("id")]
        if missing:
            found.append(
                f"{name}: cells {missing} have no id, which nbformat 4.5 requires (open and save "
                "the notebook in JupyterLab, or nbformat.validator.normalize)"
            )
    cells = _code_cells(nb)
    counts = [c.get("execution_count") for c in cells]
    if counts != list(range(1, len(counts) + 1)):
        found.append(f"{name}: execution counts are not 1..N (Restart & Run All, or run-notebooks)")
    for number, cell in enumerate(cells, 1):
        for out in cell.get("outputs", []):
            kept = out.get("execution_count", cell.get("execution_count"))
            if out.get("output_type") == "execute_result" and kept != cell.get("execution_count"):
                found.append(
                    f"{name}: code cell {number} (execution count {cell.get('execution_count')}) "
                    f"holds a result numbered {kept} (Restart & Run All, or run-notebooks)"
                )
    timed = sum(TIMING_KEY in cell.get("metadata", {}) for cell in nb.get("cells", []))
    if timed:
        found.append(f"{name}: execution timestamps in {timed} cells' metadata (strip them)")
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"{name}: stored error output ({out.get('ename')})")
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                first = "".join(out.get("text", "")).strip().splitlines()[:1]
                found.append(
                    f"{name}: stderr text in a stored output ({first[0][:80] if first else ''}):"
                    " silence the warning or log line at its source"
                )
            if WIDGET_VIEW_MIME in out.get("data", {}):
                found.append(f"{name}: stored widget view (strip it)")
    found += solution_tag_problems(nb, name)
    found += caption_problems(nb, name)
    return found


#: How a figure's caption starts: a Markdown cell right after the cell that drew it, so a
#: screen reader, a slide and a page without the picture can all say what it shows.
CAPTION_START = "*Figure:"


def caption_problems(nb: Notebook, name: str = "notebook") -> list[str]:
    """Figures (code cells with a picture in their outputs) without a caption cell after them.

    Args:
        nb: the notebook as a dict.
        name: how to name the notebook in the messages.

    Returns:
        One message per figure without a caption.
    """
    found = []
    cells = nb.get("cells", [])
    for index, cell in enumerate(cells):
        drawn = any(
            any(mime.startswith("image/") for mime in out.get("data", {}))
            for out in cell.get("outputs", [])
        )
        if not drawn:
            continue
        after = cells[index + 1] if index + 1 < len(cells) else {}
        if after.get("cell_type") != "markdown" or not _source(after).startswith(CAPTION_START):
            found.append(
                f"{name}: the figure of cell {index} has no caption: add a Markdown cell after "
                f"it that starts with {CAPTION_START!r} and says in one line what it shows"
            )
    return found


def file_problems(path: Path) -> list[str]:
    """The rule breaks of one notebook file, its size included (empty when it is clean).

    Args:
        path: the ``.ipynb`` file.

    Returns:
        One message per problem, starting with the file's name.
    """
    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return [f"{path.name}: not a readable notebook ({err})"]
    if not isinstance(nb, dict):
        return [f"{path.name}: not a notebook (the JSON is not an object)"]
    found = problems(nb, path.name)
    size = path.stat().st_size
    if size > MAX_BYTES:
        found.append(
            f"{path.name}: {size / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit "
            "(lower figure sizes)"
        )
    return found


def dumps(nb: Notebook) -> str:
    """A notebook as the repository stores it: one-space indent, UTF-8 kept, final newline."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


class NotebookChangedError(RuntimeError):
    """A notebook file changed between the moment it was read and the moment it was to be
    written (someone saved it meanwhile, e.g. in JupyterLab): it was not written."""


def write_atomically(path: Path, text: str, expected: str | None = None) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    The file is at every moment either what it was or the new text, never half of it;
    the temporary file goes when anything fails. A new file gets the usual permissions,
    an existing one keeps its own.

    Args:
        path: the notebook file.
        text: its new content (UTF-8).
        expected: the content the file had when it was read; when it holds anything else
            now (or is gone), nothing is written.

    Raises:
        NotebookChangedError: when ``expected`` is given and the file no longer holds it.
        OSError: when the file cannot be written; it is then left as it was.
    """
    path = Path(path)
    if expected is not None:
        try:
            now = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            now = None
        if now != expected:
            raise NotebookChangedError(
                f"{path} changed since it was read (saved from JupyterLab or another "
                "program meanwhile), so it was not written: your changes are kept. Run the "
                "command again for that notebook to record fresh outputs."
            )
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with open(descriptor, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def rewrite_notebooks(paths: Sequence[Path], transform: Callable[[str, Path], str]) -> list[Path]:
    """Apply ``transform(text, path)`` to each notebook file; write only those it changes.

    Each file is written atomically (:func:`write_atomically`), and only if it still holds
    what was read: an edit saved meanwhile is never overwritten.

    Returns:
        The paths that were written.

    Raises:
        NotebookChangedError: when a file changed while it was being transformed.
    """
    written = []
    for path in paths:
        raw = path.read_text(encoding="utf-8")
        new = transform(raw, path)
        if new != raw:
            write_atomically(path, new, expected=raw)
            written.append(path)
    return written
