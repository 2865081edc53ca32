"""How long does `import course_utils` (and its leaf modules) take, and does it pull in TensorFlow?

    .venv/bin/python benchmarks/import_time.py

Runs each import in a fresh interpreter several times and prints the median.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

TARGETS = [
    "course_utils",
    "course_utils, course_utils.data",
    "course_utils, course_utils.data, course_utils.metrics, course_utils.viz",
]
CODE = (
    "import sys, time; t = time.perf_counter(); import {mods}; "
    "print(time.perf_counter() - t, 'tensorflow' in sys.modules)"
)


def main(repeats: int = 7) -> None:
    for mods in TARGETS:
        times, tf_loaded = [], False
        for _ in range(repeats):
            out = subprocess.run(
                [sys.executable, "-c", CODE.format(mods=mods)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            times.append(float(out[0]))
            tf_loaded |= out[1] == "True"
        print(
            f"import {mods:<75} median {1000 * statistics.median(times):6.1f} ms "
            f"(min {1000 * min(times):.1f}) | TensorFlow imported: {tf_loaded}"
        )


if __name__ == "__main__":
    main()
