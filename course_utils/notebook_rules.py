"""What the repository keeps in a course notebook, in one place.

``course run-notebooks`` applies these rules when it saves a notebook (:func:`clean`);
``tools/check_notebooks.py``, the pre-commit hook and the tests check them
(:func:`problems`, :func:`file_problems`). A rule changed here changes both.

The rules: a kernelspec in the metadata; execution counts 1..N, top to bottom, and
each result numbered like its cell; no saved widget state or widget views (they are
large and show nothing without a live kernel); no execution timestamps in cell metadata
(they change on every run and say nothing); no stored error output; a file under
:data:`MAX_BYTES`.
"""

from __future__ import annotations

import json
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


def _code_cells(nb: Notebook) -> list[dict[str, Any]]:
    return [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def clean(nb: Notebook) -> Notebook:
    """Apply every rule that can be applied without running anything, in place.

    Drops saved widget state, widget views and execution timestamps, and numbers the code cells 1..N
    top to bottom (their results too), as after a "Restart and Run All".

    Args:
        nb: a notebook as a dict (``nbformat`` notebooks are dicts too).

    Returns:
        The same notebook.
    """
    nb.get("metadata", {}).pop(WIDGET_STATE_KEY, None)
    for cell in nb.get("cells", []):
        cell.get("metadata", {}).pop(TIMING_KEY, None)
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
            if WIDGET_VIEW_MIME in out.get("data", {}):
                found.append(f"{name}: stored widget view (strip it)")
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
