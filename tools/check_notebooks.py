"""Notebook hygiene: what the repository keeps in every course notebook.

    python tools/check_notebooks.py notebooks/*.ipynb

The rules live in ``course_utils/cli/notebook_rules.py`` (``course run-notebooks`` applies
the same ones when it saves a notebook): a kernelspec; executed top to bottom (execution
counts 1..N); no saved widget state or views; no stored error output; under 3 MB.
Exit code 1 and one line per problem when something is wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from course_utils.cli import notebook_rules
except ImportError:  # a checkout whose package is not installed: use its source
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from course_utils.cli import notebook_rules

#: The hygiene problems of one notebook file (empty when it is clean).
problems = notebook_rules.file_problems


def main(argv: list[str]) -> int:
    """Check the notebooks named in ``argv`` (default: every one in ``notebooks/``)."""
    paths = [Path(a) for a in argv] or sorted(Path("notebooks").glob("*.ipynb"))
    found = [line for path in paths for line in problems(path)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
