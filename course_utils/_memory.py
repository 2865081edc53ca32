"""How much memory this process may use (a container's limit, else the machine's total)."""

from __future__ import annotations

from pathlib import Path


def memory_limit_mb() -> float:
    """The memory this process may use, in MB: the container's limit when there is one
    (cgroup v2 or v1, as on Binder and Colab), else the machine's total memory."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:  # "max" or a huge number: no limit
            return int(text) / 2**20
    import psutil

    return float(psutil.virtual_memory().total / 2**20)
