"""Build the student edition: ``make student`` runs this; it is ``course student``.

    python tools/student_edition.py [--out DIR] [--force] [NOTEBOOKS ...]

The code and its documentation are in :mod:`course_utils.cli.student`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's course_utils

from course_utils.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["student", *sys.argv[1:]]))
