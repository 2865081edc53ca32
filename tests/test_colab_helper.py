"""``course_utils.colab``: what the Colab cell keeps, installs, and says, with fake versions.

No pip and no Colab here: the decisions are pure functions of versions and module names, and
:func:`course_utils.colab.install` is run with pip and the installed versions replaced.
tests/test_colab_install.py runs the cell itself against a stand-in of Colab's packages.
"""

from __future__ import annotations

import sys
import types
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from course_utils import colab, paths

#: The course's requirements as its metadata lists them: each twice (the dependencies and the
#: ``colab`` extra), plus one only another extra names and one for old Pythons only.
REQUIRES = [
    "tensorflow<2.22,>=2.21",
    "keras<4,>=3.10",
    "numpy>=1.26",
    "ipywidgets>=8.1",
    "pooch>=1.8",
    'tensorflow<2.22,>=2.21; extra == "colab"',
    'keras<4,>=3.10; extra == "colab"',
    'numpy>=1.26; extra == "colab"',
    'ipywidgets>=8.1; extra == "colab"',
    'pooch>=1.8; extra == "colab"',
    'jupyterlab>=4.2; extra == "lab"',
    'segmentation-course[lab,slides]; extra == "test"',
    'tomli>=2.0; python_version < "3.0" and extra == "colab"',
]
#: A Colab runtime: TensorFlow, Keras and NumPy in range, an ipywidgets too old, no pooch.
COLAB = {"tensorflow": "2.21.0", "keras": "3.13.2", "numpy": "2.0.2", "ipywidgets": "7.7.1"}


def _requirements() -> list[Requirement]:
    return colab.course_requirements(REQUIRES, extra="colab")


def test_the_requirements_are_the_courses_and_its_extras_for_this_python():
    names = [r.name for r in _requirements()]
    assert sorted(set(names)) == ["ipywidgets", "keras", "numpy", "pooch", "tensorflow"]
    assert "jupyterlab" not in names and "tomli" not in names
    assert "segmentation-course" not in names


def test_the_installed_courses_metadata_is_read():
    """The course installed in this environment: the colab extra, without the lab tools."""
    try:
        found = {r.name for r in colab.course_requirements()}
    except metadata.PackageNotFoundError:
        pytest.skip("the course is not installed here (only on its source path)")
    assert {"tensorflow", "keras", "numpy", "ipywidgets", "packaging"} <= found
    assert not found & {"jupyterlab", "pytest", "ipykernel", "nbclient"}


def test_what_is_in_range_is_kept_and_only_the_rest_is_installed():
    chosen = colab.plan(_requirements(), COLAB)
    assert chosen.kept == {"tensorflow": "2.21.0", "keras": "3.13.2", "numpy": "2.0.2"}
    assert chosen.install == ["ipywidgets>=8.1", "pooch>=1.8"]
    assert chosen.reasons == {"ipywidgets": "7.7.1, outside >=8.1", "pooch": "missing"}


def test_a_tensorflow_out_of_range_is_installed_with_cuda_on_a_gpu():
    older = {**COLAB, "tensorflow": "2.19.0", "ipywidgets": "8.1.5", "pooch": "1.8.2"}
    assert colab.plan(_requirements(), older).install == ["tensorflow<2.22,>=2.21"]
    with_gpu = colab.plan(_requirements(), older, gpu=True)
    assert with_gpu.install == ["tensorflow[and-cuda]<2.22,>=2.21"]
    assert with_gpu.reasons == {"tensorflow": "2.19.0, outside <2.22,>=2.21"}
    # in range, a GPU changes nothing: Colab's own build stays
    assert colab.plan(_requirements(), {**older, "tensorflow": "2.21.0"}, gpu=True).install == []


def test_prereleases_local_versions_and_odd_versions():
    reqs = colab.course_requirements(["keras>=3.10", "numpy>=1.26", "pooch>=1.8"])
    installed = {"keras": "3.14.0rc1", "numpy": "2.0.2+colab", "pooch": "not-a-version"}
    chosen = colab.plan(reqs, installed)
    assert set(chosen.kept) == {"keras", "numpy"}
    assert chosen.install == ["pooch>=1.8"]


def test_a_restart_is_needed_only_for_a_replaced_package_that_was_imported():
    before = {"ipywidgets": "7.7.1", "numpy": "2.0.2", "widgetsnbextension": "3.6.10"}
    after = {**before, "ipywidgets": "8.1.9", "widgetsnbextension": "4.0.14", "pooch": "1.8.2"}
    modules = {
        "ipywidgets": ["ipywidgets"],
        "numpy": ["numpy"],
        "widgetsnbextension": ["widgetsnbextension"],
        "pooch": ["pooch"],
    }
    assert colab.restart_reasons(before, after, ["numpy", "numpy.linalg"], modules) == []
    assert colab.restart_reasons(before, after, ["pooch"], modules) == []  # new: never imported
    assert colab.restart_reasons(before, after, ["ipywidgets.widgets", "numpy"], modules) == [
        "ipywidgets 7.7.1 -> 8.1.9"
    ]
    assert colab.restart_reasons(before, before, ["ipywidgets"], modules) == []


def test_the_report_says_what_was_kept_installed_and_whether_to_restart():
    chosen = colab.plan(_requirements(), COLAB)
    after = {**COLAB, "ipywidgets": "8.1.9", "pooch": "1.8.2", "platformdirs": "4.3.6"}
    lines = colab.report(chosen, COLAB, after, ["ipywidgets 7.7.1 -> 8.1.9"])
    assert lines[0] == (
        "Kept this runtime's tensorflow 2.21.0, keras 3.13.2, numpy 2.0.2 the course needs."
    )
    assert lines[1] == "Installed: ipywidgets 8.1.9 (was 7.7.1, outside >=8.1), pooch 1.8.2."
    assert lines[2] == "  with what they need: platformdirs 4.3.6."
    assert lines[3].startswith("RESTART NEEDED, since this runtime had imported what was just")
    assert "(ipywidgets 7.7.1 -> 8.1.9)" in lines[3]
    assert "Runtime > Restart session" in lines[3]
    quiet = colab.report(colab.plan(_requirements(), after), after, after, [])
    assert quiet[1:] == [
        "Nothing to install: this runtime has everything the course needs.",
        "No restart needed.",
    ]
    assert quiet[0].endswith("numpy 2.0.2, ipywidgets 8.1.9 and 1 more package the course needs.")


def test_the_source_line_names_the_tag_or_the_default_branch():
    tag = {"url": "https://x", "vcs_info": {"vcs": "git", "requested_revision": "v0.1.0",
                                             "commit_id": "0123456789abcdef"}}  # fmt: skip
    assert colab.source_line(tag, "0.1.0") == (
        "The course: segmentation-course 0.1.0 from v0.1.0 (commit 0123456)."
    )
    branch = {"url": "https://x", "vcs_info": {"vcs": "git", "commit_id": "fedcba9876543210"}}
    line = colab.source_line(branch, "0.1.0")
    assert "from the default branch (commit fedcba9)" in line
    assert "release tag could not be installed" in line
    assert colab.source_line(None, "0.1.0") == "The course: segmentation-course 0.1.0."
    assert colab.source_line({"dir_info": {"editable": True}}, "0.1.0").endswith("0.1.0.")


@pytest.fixture
def fake_runtime(monkeypatch):
    """``install()`` on a fake runtime: versions from a dict that a fake pip updates."""
    state = {"versions": dict(COLAB), "pip": []}

    def pip(requirements, pinned):
        state["pip"].append((list(requirements), dict(pinned)))
        state["versions"].update({"ipywidgets": "8.1.9", "pooch": "1.8.2"})

    requirements = _requirements()
    monkeypatch.setattr(colab, "course_requirements", lambda extra: requirements)
    monkeypatch.setattr(colab, "installed_versions", lambda: dict(state["versions"]))
    monkeypatch.setattr(colab, "_pip_install", pip)
    monkeypatch.setattr(colab, "_has_gpu", lambda: False)
    monkeypatch.setattr(colab, "_direct_url", lambda: None)
    monkeypatch.setattr(colab.metadata, "version", lambda name: "0.1.0")
    monkeypatch.setattr(colab, "_modules_of", lambda: {"ipywidgets": {"ipywidgets"}})
    monkeypatch.delenv(paths.DATA_DIR_ENV_VAR, raising=False)
    return state


def test_install_pins_what_it_keeps_and_asks_for_a_restart_when_needed(
    fake_runtime, monkeypatch, capsys
):
    monkeypatch.setitem(sys.modules, "ipywidgets", types.ModuleType("ipywidgets"))
    colab.install()
    assert fake_runtime["pip"] == [
        (["ipywidgets>=8.1", "pooch>=1.8"],
         {"tensorflow": "2.21.0", "keras": "3.13.2", "numpy": "2.0.2"})
    ]  # fmt: skip
    out = capsys.readouterr().out
    assert "Installing ipywidgets>=8.1, pooch>=1.8 ..." in out
    assert "RESTART NEEDED" in out and "ipywidgets 7.7.1 -> 8.1.9" in out
    assert "set USE_DRIVE = True" in out


def test_install_runs_no_pip_when_nothing_is_missing(fake_runtime, capsys):
    fake_runtime["versions"].update({"ipywidgets": "8.1.9", "pooch": "1.8.2"})
    colab.install()
    assert fake_runtime["pip"] == []
    out = capsys.readouterr().out
    assert "Nothing to install" in out and "No restart needed." in out


def test_the_pip_command_pins_the_kept_packages(monkeypatch, capsys):
    calls = []

    def run(command, **kwargs):
        constraints = command[command.index("-c") + 1]
        calls.append((command, Path(constraints).read_text()))
        return types.SimpleNamespace(returncode=0, stdout="", stderr="WARNING: x\n")

    monkeypatch.setattr(colab.subprocess, "run", run)
    colab._pip_install(["pooch>=1.8"], {"tensorflow": "2.21.0"})
    ((command, constraints),) = calls
    assert command[:4] == [sys.executable, "-m", "pip", "install"] and command[-1] == "pooch>=1.8"
    assert constraints == "tensorflow==2.21.0\n"
    assert capsys.readouterr().out == "WARNING: x\n"
    monkeypatch.setattr(colab.subprocess, "run", lambda *a, **k: types.SimpleNamespace(
        returncode=1, stdout="", stderr="ERROR: no"))  # fmt: skip
    with pytest.raises(RuntimeError, match="pip could not install pooch"):
        colab._pip_install(["pooch>=1.8"], {})


def test_drive_becomes_the_data_folder(fake_runtime, tmp_path, monkeypatch, capsys):
    mounted = []
    google = types.ModuleType("google")
    google_colab = types.ModuleType("google.colab")
    google_colab.drive = types.SimpleNamespace(mount=mounted.append)
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", google_colab)
    monkeypatch.setattr(colab, "DRIVE_MOUNT_POINT", tmp_path / "drive")
    fake_runtime["versions"].update({"ipywidgets": "8.1.9", "pooch": "1.8.2"})
    colab.install(use_drive=True)
    folder = tmp_path / "drive" / "MyDrive" / "segmentation-course"
    assert mounted == [str(tmp_path / "drive")]
    assert folder.is_dir() and paths.data_dir() == folder
    assert f"Data folder: {folder} on Google Drive" in capsys.readouterr().out


def test_without_drive_a_data_folder_already_chosen_is_named(fake_runtime, monkeypatch, capsys):
    fake_runtime["versions"].update({"ipywidgets": "8.1.9", "pooch": "1.8.2"})
    monkeypatch.setenv(paths.DATA_DIR_ENV_VAR, "/somewhere")
    colab.install()
    assert "Data folder: /somewhere ($COURSE_DATA_DIR)." in capsys.readouterr().out
