"""Google Colab: install what the course needs on top of the runtime's own packages.

Every notebook's first code cell runs this on Colab only (``tools/notebook_links.py`` writes
that cell). The cell first installs the course itself without its requirements
(``pip install --no-deps``, at the release's tag, or the default branch when the tag does not
exist), then calls :func:`install`, which

1. reads what the course needs from the installed distribution's metadata (its
   ``Requires-Dist``: the requirements and those of the ``colab`` extra);
2. keeps every package of the runtime that is already inside those ranges (Colab's
   TensorFlow, Keras, NumPy, ipywidgets, ...: reinstalling them costs about 600 MB and can
   replace Colab's build of TensorFlow) and installs only what is missing or out of range,
   with the kept ones pinned so that pip leaves them alone;
3. prints what it kept, what it installed, and whether the runtime must be restarted: only
   when a package whose modules the kernel had already imported was replaced;
4. with ``use_drive=True``, mounts Google Drive and makes a folder there the course's data
   folder (``COURSE_DATA_DIR``), so datasets and trained runs outlive the runtime.

The decisions are pure functions (:func:`plan`, :func:`restart_reasons`, :func:`report`) of
versions and module names, tested without pip. This module imports only the standard
library, ``packaging`` and :mod:`course_utils.paths`: it runs before the course's
requirements are known to be there, and importing one of them would make its replacement
need a restart.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import operator
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from course_utils import paths

#: The course's distribution, whose metadata says what it needs.
DISTRIBUTION = "segmentation-course"
#: The extra of what a notebook imports at run time (``pyproject.toml``).
EXTRA = "colab"
#: Named in the report when kept: the packages whose reinstall the cell avoids.
COLAB_STACK = ("tensorflow", "keras", "numpy", "ipywidgets")
#: Where Colab mounts Google Drive.
DRIVE_MOUNT_POINT = Path("/content/drive")
#: TensorFlow's extra that brings the CUDA libraries it was built against (``pip install
#: tensorflow[and-cuda]``): used when TensorFlow must be installed on a runtime with a GPU.
TF_CUDA_EXTRA = "and-cuda"


@dataclasses.dataclass(frozen=True)
class Plan:
    """What :func:`plan` decided for each requirement of the course.

    Attributes:
        kept: canonical name -> installed version, for requirements already satisfied.
        install: the requirements to hand to pip (markers dropped), in the course's order.
        reasons: canonical name -> why it is installed: ``"missing"``, or the installed
            version and the range it is outside of (``"7.7.1, outside >=8.1"``).
    """

    kept: dict[str, str]
    install: list[str]
    reasons: dict[str, str]


def course_requirements(
    requires: Iterable[str] | None = None, extra: str = EXTRA
) -> list[Requirement]:
    """The requirements the course needs here: its own and those of ``extra``.

    Args:
        requires: ``Requires-Dist`` lines; by default the installed course's metadata.
        extra: the extra whose requirements count too.

    Returns:
        The requirements whose markers hold in this Python with ``extra`` asked for (the
        course itself, named by another extra, is left out).

    Raises:
        metadata.PackageNotFoundError: when ``requires`` is not given and the course is
            not installed.
    """
    lines = metadata.requires(DISTRIBUTION) if requires is None else requires
    environment = {"extra": extra}  # over this Python's own marker values
    found = []
    for line in lines or []:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) == DISTRIBUTION:
            continue
        if requirement.marker is None or requirement.marker.evaluate(environment):
            found.append(requirement)
    return found


def _satisfied(requirement: Requirement, version: str | None) -> bool:
    if version is None:
        return False
    if requirement.url:  # a direct reference: whatever is installed under its name
        return True
    try:
        return requirement.specifier.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


def _pip_requirement(requirement: Requirement, extras: Iterable[str] = ()) -> str:
    """``requirement`` without its marker, with ``extras`` added."""
    names = sorted(requirement.extras | set(extras))
    text = requirement.name + (f"[{','.join(names)}]" if names else "")
    if requirement.url:
        return f"{text} @ {requirement.url}"
    return text + str(requirement.specifier)


def plan(
    requirements: Iterable[Requirement], installed: Mapping[str, str], *, gpu: bool = False
) -> Plan:
    """Which requirements the runtime already satisfies and which pip must install.

    Args:
        requirements: what the course needs (:func:`course_requirements`).
        installed: canonical distribution name -> installed version.
        gpu: whether the runtime has a GPU; TensorFlow, when it must be installed, then
            comes with its CUDA libraries (``tensorflow[and-cuda]``).

    Returns:
        The :class:`Plan`. A name given twice is kept only when every one of its
        requirements holds.
    """
    groups: dict[str, list[Requirement]] = {}
    for requirement in requirements:
        groups.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    kept: dict[str, str] = {}
    install: list[str] = []
    reasons: dict[str, str] = {}
    for name, group in groups.items():
        version = installed.get(name)
        if all(_satisfied(r, version) for r in group):
            kept[name] = str(version)
            continue
        ranges = str(functools.reduce(operator.and_, (r.specifier for r in group), SpecifierSet()))
        reasons[name] = "missing" if version is None else f"{version}, outside {ranges}"
        extras = [TF_CUDA_EXTRA] if gpu and name == "tensorflow" else []
        for requirement in group:
            line = _pip_requirement(requirement, extras)
            if line not in install:
                install.append(line)
    return Plan(kept, install, reasons)


def restart_reasons(
    before: Mapping[str, str],
    after: Mapping[str, str],
    imported: Iterable[str],
    modules_of: Mapping[str, Iterable[str]],
) -> list[str]:
    """The replaced distributions whose modules the kernel had imported (restart needed).

    Args:
        before: canonical distribution name -> version before the install.
        after: the same after it.
        imported: module names loaded before the install (``sys.modules``; submodules too).
        modules_of: canonical distribution name -> its top-level module names.

    Returns:
        ``"name old -> new"`` for each such distribution, sorted; empty when a restart is
        not needed (a package installed for the first time was never imported).
    """
    loaded = {name.partition(".")[0] for name in imported}
    return sorted(
        f"{name} {before[name]} -> {after[name]}"
        for name in before
        if name in after and after[name] != before[name] and loaded & set(modules_of.get(name, ()))
    )


def _listing(versions: Mapping[str, str], names: Iterable[str]) -> str:
    return ", ".join(f"{name} {versions[name]}" for name in names)


def report(
    chosen: Plan,
    before: Mapping[str, str],
    after: Mapping[str, str],
    restart: list[str],
) -> list[str]:
    """The lines :func:`install` prints: what was kept, installed, and whether to restart.

    Args:
        chosen: the plan that was carried out.
        before: canonical distribution name -> version before the install.
        after: the same after it.
        restart: :func:`restart_reasons`.
    """
    lines = []
    stack = [name for name in COLAB_STACK if name in chosen.kept]
    others = len(chosen.kept) - len(stack)
    if stack:
        more = f" and {others} more package{'s' if others > 1 else ''}" if others else ""
        lines.append(f"Kept this runtime's {_listing(chosen.kept, stack)}{more} the course needs.")
    elif others:
        lines.append(f"Kept {others} of this runtime's packages the course needs.")
    changed = sorted(name for name in after if before.get(name) != after[name])
    asked = [name for name in chosen.reasons if name in changed]
    pulled = [name for name in changed if name not in chosen.reasons]

    def described(name: str) -> str:
        was = chosen.reasons.get(name, before.get(name, "missing"))
        return f"{name} {after[name]}" + ("" if was == "missing" else f" (was {was})")

    if asked:
        lines.append("Installed: " + ", ".join(map(described, asked)) + ".")
    if pulled:
        lines.append(
            ("  with what they need: " if asked else "Installed: ")
            + ", ".join(map(described, pulled))
            + "."
        )
    if not asked and not pulled:
        lines.append("Nothing to install: this runtime has everything the course needs.")
    if restart:
        lines.append(
            "RESTART NEEDED, since this runtime had imported what was just replaced ("
            + "; ".join(restart)
            + "): use Runtime > Restart session, then run this cell again (it installs nothing"
            " more)."
        )
    else:
        lines.append("No restart needed.")
    return lines


def source_line(direct_url: Mapping[str, object] | None, version: str) -> str:
    """Where the course was installed from, as one line.

    Args:
        direct_url: the installed course's ``direct_url.json`` (PEP 610), if any.
        version: its version.

    Returns:
        The tag or commit it came from, and, when no tag was asked for (the cell's fallback),
        that it is the default branch and not the notebook's release.
    """
    vcs = direct_url.get("vcs_info") if direct_url else None
    if not isinstance(vcs, dict):
        return f"The course: {DISTRIBUTION} {version}."
    commit = str(vcs.get("commit_id", ""))[:7]
    ref = vcs.get("requested_revision")
    if ref:
        return f"The course: {DISTRIBUTION} {version} from {ref} (commit {commit})."
    return (
        f"The course: {DISTRIBUTION} {version} from the default branch (commit {commit}), "
        "since this notebook's release tag could not be installed (not published yet?): the "
        "newest code, which may differ from this notebook."
    )


def installed_versions() -> dict[str, str]:
    """Canonical distribution name -> version of everything installed (the first found on
    ``sys.path`` wins, as for imports)."""
    importlib.invalidate_caches()
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonicalize_name(name), dist.version)
    return found


def _modules_of() -> dict[str, set[str]]:
    """Canonical distribution name -> its top-level modules."""
    found: dict[str, set[str]] = {}
    for module, dists in metadata.packages_distributions().items():
        for dist in dists:
            found.setdefault(canonicalize_name(dist), set()).add(module)
    return found


def _has_gpu() -> bool:
    """Whether an NVIDIA GPU is attached (a device file; TensorFlow is not imported for it)."""
    return any(Path("/dev").glob("nvidia[0-9]*"))


def _pip_install(requirements: list[str], pinned: Mapping[str, str]) -> None:
    """``pip install`` ``requirements`` with ``pinned`` (name -> version) held where they are.

    Raises:
        RuntimeError: when pip fails (its output is printed first).
    """
    with tempfile.TemporaryDirectory() as folder:
        constraints = Path(folder) / "kept.txt"
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in pinned.items()))
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-c", str(constraints), *requirements],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    output = (done.stdout + done.stderr).strip()
    if output:
        print(output)
    if done.returncode != 0:
        raise RuntimeError(f"pip could not install {' '.join(requirements)} (see above)")


def _direct_url() -> dict[str, object] | None:
    text = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    try:
        found = json.loads(text) if text else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def mount_drive(mount_point: Path = DRIVE_MOUNT_POINT) -> Path:
    """Mount Google Drive (Colab asks for permission) and keep the course's data there.

    Sets ``COURSE_DATA_DIR`` for this runtime to :func:`course_utils.paths.drive_data_dir`,
    so ``setup()`` and every later cell (and ``!course`` commands) put datasets and trained
    runs on Drive, where the next notebook's runtime finds them.

    Returns:
        The data folder on Drive (created if needed).
    """
    from google.colab import drive  # only on Colab

    drive.mount(str(mount_point))
    folder = paths.drive_data_dir(mount_point)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[paths.DATA_DIR_ENV_VAR] = str(folder)
    return folder


def install(*, use_drive: bool = False, extra: str = EXTRA) -> Plan:
    """Install what the course needs that this runtime lacks, and say what happened.

    Args:
        use_drive: also mount Google Drive and keep datasets and runs there (:func:`mount_drive`).
        extra: the extra of the course whose requirements count.

    Returns:
        The plan that was carried out.

    Raises:
        RuntimeError: when pip fails.
    """
    imported = list(sys.modules)
    before = installed_versions()
    chosen = plan(course_requirements(extra=extra), before, gpu=_has_gpu())
    print(source_line(_direct_url(), metadata.version(DISTRIBUTION)))
    if chosen.install:
        print("Installing " + ", ".join(chosen.install) + " ...")
        _pip_install(chosen.install, chosen.kept)
    after = installed_versions() if chosen.install else before
    replaced = [name for name in before if name in after and before[name] != after[name]]
    modules = _modules_of() if replaced else {}
    for line in report(chosen, before, after, restart_reasons(before, after, imported, modules)):
        print(line)
    if use_drive:
        folder = mount_drive(DRIVE_MOUNT_POINT)
        print(f"Data folder: {folder} on Google Drive (datasets and trained runs stay there).")
    elif os.environ.get(paths.DATA_DIR_ENV_VAR):
        print(f"Data folder: {os.environ[paths.DATA_DIR_ENV_VAR]} (${paths.DATA_DIR_ENV_VAR}).")
    else:
        print(
            "Data folder: this runtime's disk, gone with the runtime. To keep datasets and "
            "trained runs between notebooks, set USE_DRIVE = True above and run this cell again."
        )
    return chosen
