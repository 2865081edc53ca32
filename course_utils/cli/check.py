"""``course check``: the environment; ``course check --class``: is this machine ready?"""

from __future__ import annotations

import argparse
import sys


def cmd_check(args: argparse.Namespace) -> int:
    """Print versions, devices, profile, data folder and mirror (``--class``: the
    pre-class check of :mod:`course_utils.cli.readiness`); 1 when something is wrong."""
    from course_utils.data import DatasetError, data_dir, mirror_dir
    from course_utils.env import setup

    if args.for_class:
        return _check_class()
    setup(profile=args.profile)
    print(f"data folder: {data_dir()}")
    try:
        mirror = mirror_dir()
    except DatasetError as err:  # a mirror that has gone away: say so, check the rest
        print(f"dataset mirror: PROBLEM: {err}", file=sys.stderr)
        return 1
    print(f"dataset mirror: {mirror if mirror else 'none (downloads from the public URLs)'}")
    return 0


def _check_class() -> int:
    from course_utils.cli import readiness
    from course_utils.data.cache import data_dir, shown_path

    print(f"Pre-class check (data folder: {shown_path(data_dir())})", flush=True)
    findings = []
    for check in readiness.CHECKS:  # one at a time: importing TensorFlow takes a while
        finding = check()
        findings.append(finding)
        state = "ok" if finding.ok else "TO FIX"
        print(f"  {state:<7} {finding.what + ':':<10} {finding.detail}", flush=True)
    print(readiness.verdict(findings))
    return 0 if all(f.ok for f in findings) else 1
