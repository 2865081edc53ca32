from __future__ import annotations

import pytest

from course_utils import _memory
from course_utils.env import choose_precision
from course_utils.profiles import profile_note, resolve_profile


def test_profile_from_argument_environment_and_default(monkeypatch):
    monkeypatch.setattr(_memory, "memory_limit_mb", lambda: 8000.0)
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    assert resolve_profile() == "quick"
    assert resolve_profile("FULL") == "full"
    monkeypatch.delenv("COURSE_PROFILE")
    assert resolve_profile() == "default"
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(
        ValueError, match=r"'fast' \(from the \$COURSE_PROFILE\).*quick, default, full"
    ):
        resolve_profile()


def test_a_small_machine_starts_in_quick_and_says_so(monkeypatch):
    """Binder gives 1-2 GB: a run that names no profile gets quick there, with a note."""
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr(_memory, "memory_limit_mb", lambda: 2048.0)
    assert resolve_profile() == "quick"
    note = profile_note()
    assert note and "2.0 GB" in note and "COURSE_PROFILE=default" in note
    assert resolve_profile("default") == "default" and profile_note("default") is None
    monkeypatch.setenv("COURSE_PROFILE", "default")
    assert resolve_profile() == "default" and profile_note() is None
    monkeypatch.delenv("COURSE_PROFILE")
    monkeypatch.setattr(_memory, "memory_limit_mb", lambda: 16000.0)
    assert resolve_profile() == "default" and profile_note() is None


@pytest.mark.parametrize(
    "requested, gpus, flags, expected",
    [
        ("auto", [], {"avx512_bf16", "avx2"}, "mixed_bfloat16"),
        ("auto", [], {"amx_bf16"}, "mixed_bfloat16"),
        ("auto", [], {"avx2"}, "float32"),
        ("auto", [(8, 0), (7, 5)], set(), "mixed_float16"),
        ("auto", [(6, 1)], {"avx512_bf16"}, "float32"),
        ("auto", [None], set(), "float32"),
        ("float32", [], {"avx512_bf16"}, "float32"),
        ("mixed_float16", [], set(), "mixed_float16"),
    ],
)
def test_precision_choice(requested, gpus, flags, expected):
    assert choose_precision(requested, gpus, flags) == expected


def test_bad_precision_is_explained():
    with pytest.raises(ValueError, match="'half' is not one of"):
        choose_precision("half", [], set())


def test_setup_seeds_prints_one_line_and_chooses(monkeypatch, capsys):
    import keras
    import numpy as np

    import course_utils

    monkeypatch.setenv("COURSE_PROFILE", "quick")
    env = course_utils.setup(seed=7, mixed_precision="float32")
    first = (np.random.rand(), float(keras.random.uniform(())))
    course_utils.setup(seed=7, mixed_precision="float32")
    second = (np.random.rand(), float(keras.random.uniform(())))
    assert first == second
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and "profile: quick" in out[0] and "TensorFlow 2.21" in out[0]
    assert env.choose(quick=1, default=2, full=3) == 1
    assert env.precision == "float32" and keras.mixed_precision.global_policy().name == "float32"
    if env.gpus == 0:
        assert "no GPU found" in out[0]


def test_course_precision_overrides_auto_only(monkeypatch, capsys):
    import keras

    import course_utils

    monkeypatch.setenv("COURSE_PRECISION", "float32")
    env = course_utils.setup("quick")
    assert env.precision == "float32" and keras.mixed_precision.global_policy().name == "float32"
    monkeypatch.setenv("COURSE_PRECISION", "half")
    with pytest.raises(ValueError, match=r"\$COURSE_PRECISION='half' is not one of"):
        course_utils.setup("quick")
    env = course_utils.setup("quick", mixed_precision="mixed_bfloat16")  # an explicit choice wins
    assert env.precision == "mixed_bfloat16"
    course_utils.setup("quick", mixed_precision="float32")
    capsys.readouterr()


def _option(parser, command: str, dest: str):
    """The argparse action of ``--dest`` in a subcommand of the course CLI."""
    import argparse

    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return next(a for a in subparsers.choices[command]._actions if a.dest == dest)


def test_one_list_of_profiles():
    """quick/default/full are named once, in course_utils.profiles; the rest use that list."""
    import inspect
    from pathlib import Path

    from course_utils import cli, profiles
    from course_utils.cli import timings
    from course_utils.env import Env

    keywords = [p for p in inspect.signature(Env.choose).parameters if p != "self"]
    assert keywords == list(profiles.PROFILES), "Env.choose takes one value per profile"
    option = _option(cli.build_parser(), "run-notebooks", "profile")
    assert option.choices is profiles.PROFILES and option.default == profiles.DEFAULT_PROFILE
    assert cli.build_parser().parse_args(["run-notebooks", "--profile", "QUICK"]).profile == "quick"
    record = {"seconds": {p: {} for p in reversed(profiles.PROFILES)}}
    header = timings.timings_table(record, Path("/nonexistent")).splitlines()[0]
    assert header == "| notebook | " + " | ".join(profiles.PROFILES) + " |"
