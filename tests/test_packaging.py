"""The package imports fast, without TensorFlow, and CI runs the README's test command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_is_fast_and_does_not_import_tensorflow():
    code = (
        "import sys, time; t = time.perf_counter();"
        "import course_utils.data;"
        "print(time.perf_counter() - t);"
        "import course_utils, course_utils.metrics, course_utils.viz,"
        " course_utils.models, course_utils.exercises, course_utils.widgets, course_utils.runs;"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, flags = out.stdout.strip().splitlines()
    assert flags == "False False", "importing course_utils must not import TensorFlow or Keras"
    # about 0.2 s here (NumPy included): the budget leaves room for a busy machine
    assert float(seconds) < 1.5, f"import course_utils.data took {float(seconds):.2f} s"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = re.search(r"```bash\n# run every test.*?\n(.+?)\n```", readme, re.S).group(1).strip()
    assert command in ci.splitlines(), f"README says {command!r}; .ci/run must run exactly that"
