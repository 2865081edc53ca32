"""The ``course`` command as a user meets it: its help, ``--version``, dataset names as
choices, exit codes, errors on stderr, and Ctrl-C ending in one line instead of a traceback.

(What each command does is tested beside it: tests/test_cli.py, test_runs_archive.py, ...)
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest

from course_utils.cli import arguments
from course_utils.cli.arguments import AFTER_INTERRUPT, INTERRUPTED

main = importlib.import_module("course_utils.cli.main")  # the module (cli.main is its main())

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "course_utils" / "cli"
#: reST that would show raw in a terminal: double backquotes and Sphinx roles.
REST_MARKUP = re.compile(r"``|:(?:func|mod|class|meth|data|attr|exc|obj|ref|doc):")
EXIT_CODES = {"0", "1", "2", "130"}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


COMMANDS = _subparsers(main.build_parser())


def _examples(parser: argparse.ArgumentParser) -> list[str]:
    """The command lines of a subcommand's ``examples:`` epilog, comments cut off."""
    assert parser.epilog and parser.epilog.startswith("examples:\n"), parser.epilog
    lines = parser.epilog.splitlines()[1:]
    return [line.split("  #")[0].strip() for line in lines if line.strip()]


def _course(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """``python -m course_utils ARGS`` from this checkout, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "course_utils", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False, **kwargs,
    )  # fmt: skip


# --- help and version -------------------------------------------------------------------


def test_course_alone_prints_the_help_and_exits_0():
    done = _course()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: course") and done.stderr == ""
    for name in main.COMMANDS:
        assert re.search(rf"^\s+{re.escape(name)}\b", done.stdout, re.M), f"{name} not listed"


def test_the_help_lists_the_exit_codes():
    text = main.build_parser().format_help()
    codes = text.split("exit codes:\n", 1)[1]
    listed = set(re.findall(r"^  (\d+)\s", codes, re.M))
    assert listed == EXIT_CODES
    assert '"course COMMAND --help"' in text


def test_version_is_the_installed_distributions():
    done = _course("--version")
    assert done.returncode == 0 and done.stderr == ""
    (line,) = done.stdout.splitlines()
    assert line.startswith(
        f"course (segmentation-course) {metadata.version('segmentation-course')};"
    )
    assert f"Python {sys.version.split()[0]}" in line
    assert str(ROOT / "course_utils") in line, "it says which course_utils runs"


def test_version_outside_an_installed_distribution_says_so(monkeypatch):
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert "(not installed: run from a checkout)" in arguments.version_text()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_description_and_examples_that_parse(name):
    parser = COMMANDS[name]
    assert parser.description and parser.description.strip()[0].isupper(), name
    assert isinstance(parser.formatter_class, type)
    assert issubclass(parser.formatter_class, argparse.RawDescriptionHelpFormatter)
    examples = _examples(parser)
    assert examples, f"{name}: no example"
    for example in examples:
        words = shlex.split(example)
        assert words[:2] == ["course", name], example
        main.build_parser().parse_args(words[1:])  # SystemExit (a failure) if it is wrong


@pytest.mark.parametrize("name", ["(course)", *sorted(COMMANDS)])
def test_no_help_text_shows_raw_rest(name):
    parser = main.build_parser() if name == "(course)" else COMMANDS[name]
    found = REST_MARKUP.findall(parser.format_help())
    assert found == [], f"{name} --help shows reST markup {found}: write plain text"


def test_the_rest_check_catches_markup():
    assert REST_MARKUP.search("see ``course fetch``")
    assert REST_MARKUP.search("see :func:`course_utils.data.fetch`")
    assert not REST_MARKUP.search("what `make lab` runs, e.g. data/runs/<profile>/")


# --- dataset names as choices -----------------------------------------------------------


def test_fetch_takes_exactly_the_names_the_registry_can_fetch():
    from course_utils.data import datasets
    from course_utils.data.download import _check_name

    (names,) = [a.choices for a in COMMANDS["fetch"]._actions if a.dest == "names"]
    assert isinstance(names, arguments.DatasetNames)
    assert "camvid" in list(names) and "shapes" not in list(names)
    for name in datasets():
        if name in names:
            _check_name(name)  # fetch() accepts it
            assert main.build_parser().parse_args(["fetch", name]).names == [name]
        else:
            with pytest.raises(ValueError):
                _check_name(name)


def test_an_unknown_dataset_is_a_usage_error_that_lists_the_names(capsys):
    with pytest.raises(SystemExit) as exit_:
        main.main(["fetch", "camvd"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'camvd'" in err and "'camvid'" in err and "'isbi2012'" in err
    assert "usage: course fetch" in err


def test_no_dataset_name_is_accepted_by_the_parser_on_every_python():
    """Python 3.10/3.11's argparse checks the empty default of ``nargs="*"`` against the
    choices: ``course fetch --course`` must still parse there."""
    args = main.build_parser().parse_args(["fetch", "--course"])
    assert args.names == [] and args.course


def test_building_the_parser_reads_no_registry():
    """``course --help`` and ``course lab`` do not import the data package (and NumPy)."""
    code = (
        "import sys; from course_utils.cli.main import build_parser; "
        "build_parser().parse_args(['cache']); "
        "print(sorted(m for m in ('numpy', 'course_utils.data') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


# --- errors on stderr and exit codes ----------------------------------------------------


def test_fetch_without_names_is_a_usage_error_on_stderr(empty_data_dir, capsys):
    assert main.main(["fetch"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "course fetch: name the datasets" in captured.err
    assert "camvid" in captured.err and "shapes" not in captured.err


def _errors_on_stdout(tree: ast.Module) -> list[int]:
    """The lines of a ``print(...)`` without ``file=`` directly before ``return 1`` or
    ``return 2``: an error message that went to stdout."""
    found = []
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if not isinstance(statements, list):
                continue
            for before, after in zip(statements, statements[1:], strict=False):
                if (
                    isinstance(after, ast.Return)
                    and isinstance(after.value, ast.Constant)
                    and type(after.value.value) is int
                    and after.value.value in (1, 2)
                    and isinstance(before, ast.Expr)
                    and isinstance(before.value, ast.Call)
                    and getattr(before.value.func, "id", "") == "print"
                    and not any(k.arg == "file" for k in before.value.keywords)
                ):
                    found.append(before.lineno)
    return found


def test_error_messages_of_the_commands_go_to_stderr():
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(CLI.glob("*.py"))
        for line in _errors_on_stdout(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "print(..., file=sys.stderr) before returning a failure:\n" + "\n".join(
        found
    )


def test_the_stderr_check_catches_an_error_on_stdout():
    bad = ast.parse(
        "def f():\n    if x:\n        print('bad')\n        return 1\n"
        "    print('fine', file=sys.stderr)\n    return 2\n"
    )
    assert _errors_on_stdout(bad) == [3]
    assert _errors_on_stdout(ast.parse("def g():\n    print('done')\n    return True\n")) == []


@pytest.mark.parametrize("readme", ["README.md", "README.ko.md"])
def test_the_readmes_document_the_exit_codes(readme):
    text = (ROOT / readme).read_text(encoding="utf-8")
    line = next((x for x in text.splitlines() if "`130`" in x), "")
    paragraph = text[text.index(line) - 600 : text.index(line) + 600] if line else ""
    assert line, f"{readme}: no exit code 130 documented"
    for code in EXIT_CODES:
        assert f"`{code}`" in paragraph, f"{readme}: exit code {code} not beside the others"
    assert "course --version" in text and "course COMMAND --help" in text


# --- Ctrl-C -------------------------------------------------------------------------------


def test_every_command_says_what_an_interruption_leaves():
    assert set(AFTER_INTERRUPT) == set(main.COMMANDS)


@pytest.mark.parametrize("name", sorted(main.COMMANDS))
def test_ctrl_c_in_any_command_ends_with_one_line_and_130(name, monkeypatch, capsys):
    module = importlib.import_module(f"course_utils.cli.{main.COMMANDS[name]}")

    def interrupted(args):
        print("started")
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "cmd_" + name.replace("-", "_"), interrupted)
    argv = shlex.split(_examples(COMMANDS[name])[0])[1:]
    assert main.main(argv) == INTERRUPTED
    captured = capsys.readouterr()
    assert captured.out == "started\n"
    assert captured.err.splitlines() == [f"course {name}: interrupted; {AFTER_INTERRUPT[name]}."]


def test_ctrl_c_while_the_arguments_are_read(monkeypatch, capsys):
    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(arguments.DatasetNames, "names", interrupted)
    assert main.main(["fetch", "camvid"]) == INTERRUPTED
    assert (
        capsys.readouterr().err
        == "course: interrupted; no command had started: nothing was changed.\n"
    )


SLOW_CACHE = """
import sys, time
from course_utils.cli import cache

def slow(args):
    print("started", flush=True)
    time.sleep(60)

cache.cmd_cache = slow
from course_utils.cli.main import main
sys.exit(main(["cache"]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a POSIX signal")
def test_a_real_ctrl_c_exits_130_without_a_traceback():
    """SIGINT, as the terminal sends it on Ctrl-C, to a running command."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_CACHE],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout.readline() == "started\n"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == INTERRUPTED
    assert err.splitlines() == [f"course cache: interrupted; {AFTER_INTERRUPT['cache']}."], err


WAITING_CELL = "import pathlib, time\npathlib.Path('started').touch()\ntime.sleep(120)"


@pytest.mark.slow  # starts a Jupyter kernel
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a POSIX signal")
def test_a_real_ctrl_c_during_run_notebooks_stops_the_kernel_and_says_so(tmp_path):
    """nbclient answers SIGINT itself (it stops the kernel, then raises a dead kernel and an
    assertion of its own): the command still ends with its one line and 130, no traceback,
    and the notebook that was running is left as it was."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(WAITING_CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = tmp_path / "00_wait.ipynb"
    nbformat.write(nb, path)
    before = path.read_text()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "course_utils", "run-notebooks", "--folder", str(tmp_path)]
    proc = subprocess.Popen(
        [*command, "--profile", "quick"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )  # fmt: skip
    try:
        for _ in range(600):
            if (tmp_path / "started").exists() or proc.poll() is not None:
                break
            time.sleep(0.2)
        assert (tmp_path / "started").exists(), "the cell never started"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == INTERRUPTED, err
    line = f"course run-notebooks: interrupted; {AFTER_INTERRUPT['run-notebooks']}."
    assert err.splitlines()[-1] == line and "Traceback" not in err, err
    assert path.read_text() == before


def test_ctrl_c_before_jupyterlab_answers_stops_it(tmp_path, monkeypatch, capsys):
    """``course lab``: Ctrl-C while the server starts stops the server, then one line."""
    from course_utils.cli import lab

    started = []
    real_popen = subprocess.Popen

    def popen(command, **kwargs):
        started.append(real_popen([sys.executable, "-c", "import time; time.sleep(60)"], **kwargs))
        return started[-1]

    def not_yet_up(proc, ip, timeout):
        raise KeyboardInterrupt

    monkeypatch.setattr(lab.subprocess, "Popen", popen)
    monkeypatch.setattr(lab, "_wait_until_up", not_yet_up)
    assert main.main(["lab", str(tmp_path)]) == INTERRUPTED
    (server,) = started
    assert server.poll() is not None, "the server was stopped"
    assert capsys.readouterr().err.splitlines() == [
        f"course lab: interrupted; {AFTER_INTERRUPT['lab']}."
    ]


def test_timings_written_whole_or_not_at_all(tmp_path, monkeypatch, capsys):
    """``course timings-table --write`` interrupted while writing leaves the file as it was."""
    from course_utils.cli import notebook_rules, timings

    doc = tmp_path / "guide.md"
    before = f"# Guide\n{timings.TIMINGS_START}\nold\n{timings.TIMINGS_END}\n"
    doc.write_text(before)
    record = tmp_path / "timings.json"
    record.write_text('{"seconds": {"quick": {}}}')

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(notebook_rules.os, "replace", interrupted)
    argv = ["timings-table", "--timings", str(record), "--folder", str(tmp_path)]
    assert main.main([*argv, "--write", str(doc)]) == INTERRUPTED
    assert doc.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["guide.md", "timings.json"]
    assert "never half" in capsys.readouterr().err
