"""Every command in a code block of README.md and README.ko.md names something that exists.

``course`` / ``python -m course_utils`` lines are parsed by the real argument parser (an
unknown subcommand, option or dataset fails), ``make`` targets must be in the Makefile,
scripts must be files of the repository. Nothing is run.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from course_utils import cli

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", ROOT / "README.ko.md"]
#: Programs whose lines are not checked here (installers and git, with their own docs).
OTHERS = {"conda", "git", "pip", "apt-get", "sudo", "docker"}


def _commands(readme: Path) -> list[str]:
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", readme.read_text(encoding="utf-8"), re.S):
        for line in block.splitlines():
            code = line.split("  #")[0].split(" # ")[0].strip()
            if code and not code.startswith("#"):
                lines.extend(part.strip() for part in code.split("&&"))
    return lines


def _makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, re.M))


def _check(command: str) -> None:
    words = shlex.split(command)
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # VAR=value prefixes
        words = words[1:]
    program = words[0]
    if Path(program).name in OTHERS:
        return
    if program == "make":
        targets = [w for w in words[1:] if "=" not in w]
        assert set(targets) <= _makefile_targets(), f"{command}: no such make target"
        return
    if program in ("course", ".venv/bin/course"):
        args = words[1:]
    elif program.endswith("python") and words[1:3] == ["-m", "course_utils"]:
        args = words[3:]
    elif program.endswith("python"):
        script = ROOT / words[1]
        assert script.is_file(), f"{command}: no file {words[1]}"
        return
    else:
        pytest.fail(f"{command}: a command this test does not know; teach it or list it")
    try:
        cli.build_parser().parse_args(args)
    except SystemExit as exit_:
        pytest.fail(f"{command}: the course command refuses these arguments ({exit_.code})")


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.name)
def test_every_command_of_the_readme_is_real(readme: Path) -> None:
    commands = _commands(readme)
    assert len(commands) >= 3, "found no code blocks: has the README's format changed?"
    for command in commands:
        _check(command)


def test_the_checker_catches_a_wrong_command() -> None:
    with pytest.raises(pytest.fail.Exception):
        _check(".venv/bin/python -m course_utils fetch --no-such-option")
    with pytest.raises(AssertionError):
        _check("make no-such-target")
