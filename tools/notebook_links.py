"""Point every notebook's Colab install cell and "Open in Colab" badge, and the READMEs'
launch links, at the released course.

    python tools/notebook_links.py            # write the cells, badges and README links
    python tools/notebook_links.py --check    # change nothing; exit 1 if one is out of date

The code is :mod:`course_utils.cli.notebook_links` (its docstring says what is written);
this script runs it, from this checkout's source when the package is not installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's course_utils

from course_utils.cli.notebook_links import *  # noqa: E402, F403 - the tool's names, for tests
from course_utils.cli.notebook_links import main, tomllib  # noqa: E402, F401

if __name__ == "__main__":
    sys.exit(main())
