"""The peak memory of the processes a command starts (a notebook's kernel and its children)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def peak_memory_of_children(interval_s: float = 0.1) -> Iterator[list[float]]:
    """Sample, ten times a second, the memory (RSS, MB) of all processes started from here.

    Yields a one-item list whose item is the peak so far: the kernel's memory plus that
    of any process it starts (notebook 11's memory probes), which is what a notebook needs
    from a machine with little memory (Binder gives 1-2 GB).
    """
    import threading

    import psutil

    peak = [0.0]
    stop = threading.Event()
    me = psutil.Process()

    def sample() -> None:
        while True:  # a first sample at once: a short notebook may end within one interval
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:  # it ended between the listing and the reading
                    continue
            peak[0] = max(peak[0], total / 2**20)
            if stop.wait(interval_s):
                return

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()
