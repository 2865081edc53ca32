"""Do the notebooks run inside Binder's memory? Run each one under a real memory limit.

    sudo .venv/bin/python benchmarks/binder_memory.py [--limit-mb 2048] [--profile quick]
        [--only 04_]

Binder gives a session 1 to 2 GB. For each notebook this makes a Linux memory cgroup with
that limit (cgroup v1's ``memory`` controller, as on this course's machine, or cgroup v2),
starts ``run-notebooks --no-save`` inside it, and, in a private mount namespace, binds the
cgroup's folder over the memory root, so that the notebook reads the limit where a
container reads its own (``models.memory_limit_mb``) and can do the smaller thing. A
notebook that needs more is killed by the kernel's out-of-memory killer and reported as
failed. Prints, per notebook, whether it finished and the group's peak memory (page cache
included, as the limit counts it).

Needs root (to make a cgroup and a mount namespace) and ``unshare`` (util-linux); the
datasets must be in the data folder, or ``$COURSE_DATA_MIRROR`` set.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
V1 = Path("/sys/fs/cgroup/memory")
V2 = Path("/sys/fs/cgroup")


def _files(group: Path) -> tuple[str, str]:
    """The limit and peak files of a cgroup, v1 or v2."""
    if (group / "memory.limit_in_bytes").exists():
        return "memory.limit_in_bytes", "memory.max_usage_in_bytes"
    return "memory.max", "memory.peak"


def _make_group(limit_mb: int) -> Path:
    base = V1 if (V1 / "memory.limit_in_bytes").exists() else V2
    group = base / "course_binder_memory"
    group.mkdir(exist_ok=True)
    limit_file, _ = _files(group)
    (group / limit_file).write_text(str(limit_mb * 2**20))
    return group


def run(notebook: Path, group: Path, profile: str) -> tuple[bool, float]:
    """Run one notebook inside ``group``; return whether it finished and the peak (MB)."""
    _, peak_file = _files(group)
    if peak_file == "memory.max_usage_in_bytes":
        (group / peak_file).write_text("0")  # v1: reset the peak
    command = (
        f"echo $$ > {group / 'cgroup.procs'} && mount --bind {group} {group.parent} "
        f"&& exec {shlex.quote(sys.executable)} -m course_utils run-notebooks --profile {profile} "
        f"--only {shlex.quote(notebook.name[:3])} --no-save"
    )
    done = subprocess.run(
        ["unshare", "-m", "bash", "-c", command], cwd=ROOT, capture_output=True, text=True
    )
    peak = int((group / peak_file).read_text().split()[0]) / 2**20
    if done.returncode:
        print(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "", file=sys.stderr)
    return done.returncode == 0, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-mb", type=int, default=2048)
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--only", default="", help="only notebooks whose name contains this")
    args = parser.parse_args()
    group = _make_group(args.limit_mb)
    print(f"memory limit {args.limit_mb} MB, profile {args.profile}")
    failed = 0
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        if args.only not in notebook.name:
            continue
        finished, peak = run(notebook, group, args.profile)
        failed += not finished
        verdict = "finished" if finished else "FAILED (killed for memory, or an error)"
        print(f"{notebook.stem:<42} {verdict:<40} peak {peak:6.0f} MB", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
