"""The package imports fast, without TensorFlow, and CI runs the README's test command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_does_not_import_tensorflow():
    """What makes the import fast: no TensorFlow or Keras until a function needs them. The
    import's seconds are a benchmark, not a test (``benchmarks/import_time.py``): a
    wall-clock bound fails on a loaded machine for no fault of the code."""
    code = (
        "import sys;"
        "import course_utils, course_utils.data, course_utils.metrics, course_utils.viz,"
        " course_utils.models, course_utils.exercises, course_utils.widgets, course_utils.runs,"
        " course_utils.paths, course_utils.cli, course_utils.cli.main;"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    flags = out.stdout.strip().splitlines()[-1]
    assert flags == "False False", "importing course_utils must not import TensorFlow or Keras"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = re.search(r"```bash\n# run every test.*?\n(.+?)\n```", readme, re.S).group(1).strip()
    assert command in ci.splitlines(), f"README says {command!r}; .ci/run must run exactly that"
