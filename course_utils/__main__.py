"""``python -m course_utils ...``: see :mod:`course_utils.cli.main`."""

import sys

from course_utils.cli.main import main

sys.exit(main())
