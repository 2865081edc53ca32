"""Notebook hygiene: what the repository keeps in every course notebook.

    python tools/check_notebooks.py notebooks/*.ipynb

Checks: valid JSON with a kernelspec; executed top to bottom (execution counts 1..N);
no saved widget state; no stored error output; file size under 3 MB.
Exit code 1 and one line per problem when something is wrong.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MAX_BYTES = 3_000_000


def problems(path: Path) -> list[str]:
    """Return the hygiene problems of one notebook (empty when it is clean)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        return [f"{path.name}: not a readable notebook ({err})"]
    found = []
    meta = nb.get("metadata", {})
    if not meta.get("kernelspec"):
        found.append(f"{path.name}: no kernelspec in metadata")
    if "widgets" in meta:
        found.append(f"{path.name}: saved widget state in metadata (strip it)")
    counts = [c.get("execution_count") for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    if counts != list(range(1, len(counts) + 1)):
        found.append(
            f"{path.name}: execution counts are not 1..N (Restart & Run All, or run-notebooks)"
        )
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"{path.name}: stored error output ({out.get('ename')})")
            if "application/vnd.jupyter.widget-view+json" in out.get("data", {}):
                found.append(f"{path.name}: stored widget view (strip it)")
    if path.stat().st_size > MAX_BYTES:
        found.append(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB (lower figure sizes)")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(Path("notebooks").glob("*.ipynb"))
    found = [p for path in paths for p in problems(path)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
