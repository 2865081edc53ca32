"""The package installs what it declares, imports fast, and its two environment files agree."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(requirement: str) -> str:
    return requirement.strip().replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r): _spec(r) for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = {}
    for dep in env["dependencies"]:
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            if entry.startswith("-e") or _name(entry) in {"python", "pip"}:
                continue
            listed[_name(entry)] = _spec(entry)
    assert listed == declared, "environment.yml and pyproject.toml list different dependencies"
    assert any(isinstance(d, dict) and "-e ." in d["pip"] for d in env["dependencies"])


def test_import_is_fast_and_does_not_import_tensorflow():
    code = (
        "import sys, time; t = time.perf_counter();"
        "import course_utils, course_utils.data, course_utils.metrics, course_utils.viz,"
        " course_utils.models, course_utils.exercises, course_utils.widgets, course_utils.runs;"
        "print(time.perf_counter() - t); print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    _seconds, flags = out.stdout.strip().splitlines()
    assert flags == "False False", "importing course_utils must not import TensorFlow or Keras"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = re.search(r"```bash\n# run every test.*?\n(.+?)\n```", readme, re.S).group(1).strip()
    assert command in ci.splitlines(), f"README says {command!r}; .ci/run must run exactly that"
