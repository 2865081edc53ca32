"""``course lab`` (what ``make lab`` runs): JupyterLab on the notebooks, as root and remotely.

It starts ``jupyter lab``, passing ``--allow-root`` when the user is root (JupyterLab
refuses root otherwise) and saying so, waits until the server answers HTTP, and then
prints the address to open, token included, as its last line. With ``--remote`` no
browser is opened, and the line before the address says how to reach it from your own
computer (an SSH tunnel, or the machine's name when it listens on every interface).

JupyterLab's own messages are passed through as they come. Ctrl-C goes to JupyterLab,
which asks before it stops; a ``SIGTERM`` or ``SIGHUP`` (a closed SSH session) stops it.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

#: Addresses that mean "every interface"; the server is probed on 127.0.0.1 then.
_WILDCARD_IPS = {"", "0.0.0.0", "::", "*"}
#: After the server answers, JupyterLab may still print its banner: wait for this much
#: silence (at most _QUIET_MAX_S) so that the address stays the last line.
_QUIET_S, _QUIET_MAX_S = 1.0, 10.0


def is_root() -> bool:
    """Whether this process runs as root (``False`` where there are no user ids)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_command(
    folder: str, *, port: int | None = None, ip: str | None = None, open_browser: bool = True
) -> list[str]:
    """The ``jupyter lab`` command line :func:`launch` runs, with this Python's JupyterLab.

    Args:
        folder: the folder JupyterLab opens (its root).
        port: the port to listen on; JupyterLab's default (8888, or the next free one) if ``None``.
        ip: the address to listen on; JupyterLab's default (``localhost``) if ``None``.
        open_browser: open a browser on this machine.
    """
    command = [sys.executable, "-m", "jupyterlab", folder]
    if port is not None:
        command.append(f"--ServerApp.port={port}")
    if ip is not None:
        command.append(f"--ServerApp.ip={ip}")
    if not open_browser:
        command.append("--no-browser")
    if is_root():
        command.append("--allow-root")
    return command


def lab_url(info: dict[str, Any]) -> str:
    """The address to open, token included, from a server's runtime information."""
    url = str(info["url"]).rstrip("/") + "/lab"
    token = info.get("token")
    return f"{url}?token={token}" if token else url


def _runtime_file(pid: int) -> Path:
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir()) / f"jpserver-{pid}.json"


def _read_info(path: Path) -> dict[str, Any] | None:
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):  # not written yet, or half written
        return None
    return info if isinstance(info, dict) and "url" in info and "port" in info else None


def _probe_url(info: dict[str, Any], ip: str | None) -> str:
    """Where to ask whether the server answers: 127.0.0.1 unless it listens elsewhere only."""
    host = "127.0.0.1" if ip is None or ip in _WILDCARD_IPS | {"localhost"} else ip
    host = f"[{host}]" if ":" in host else host
    scheme = "https" if info.get("secure") else "http"
    return f"{scheme}://{host}:{info['port']}{info.get('base_url', '/')}api"


def _answers(url: str) -> bool:
    """Whether an HTTP server answers at ``url`` (any status counts), bypassing proxies."""
    import ssl

    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # a local probe only
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    try:
        with opener.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        return False


class _Relay(threading.Thread):
    """Copy the child's output to ours as it comes, and note when it last spoke."""

    def __init__(self, source: IO[bytes], lock: threading.Lock):
        super().__init__(daemon=True)
        self.source, self.lock = source, lock
        self.last = time.monotonic()

    def run(self) -> None:
        out = sys.stdout.buffer
        fd = self.source.fileno()
        while chunk := os.read(fd, 65536):
            with self.lock:
                sys.stdout.flush()  # what print() holds goes first
                out.write(chunk)
                out.flush()
            self.last = time.monotonic()

    def wait_quiet(self, quiet: float = _QUIET_S, longest: float = _QUIET_MAX_S) -> None:
        """Wait until nothing came for ``quiet`` seconds (or ``longest`` seconds passed)."""
        end = time.monotonic() + longest
        while time.monotonic() < end and time.monotonic() - self.last < quiet:
            time.sleep(0.1)


def _wait_until_up(
    proc: subprocess.Popen[bytes], ip: str | None, timeout: float
) -> dict[str, Any] | None:
    """The server's runtime information once it answers HTTP; ``None`` if it ended first.

    Raises:
        TimeoutError: when it has not answered within ``timeout`` seconds.
    """
    runtime = _runtime_file(proc.pid)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return None
        info = _read_info(runtime)
        if info is not None and _answers(_probe_url(info, ip)):
            return info
        time.sleep(0.25)
    raise TimeoutError(
        f"JupyterLab did not answer within {timeout:.0f} s; its messages above say why."
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name known to this machine (some containers)
        return "<user>"


def _remote_hint(info: dict[str, Any], ip: str | None) -> str:
    port = info["port"]
    host = socket.gethostname()
    if ip is not None and ip in _WILDCARD_IPS:
        return (
            f"Remote mode: no browser opened here. The server listens on every interface: "
            f"open the address below from any computer that reaches {host} (keep the token "
            "to yourself)."
        )
    return (
        "Remote mode: no browser opened here. On your own computer, run "
        f"`ssh -N -L {port}:localhost:{port} {_user()}@{host}`, "
        "then open the address below in its browser."
    )


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into ``SystemExit``, so that the ``finally`` stops the server."""

    def leave(number: int, frame: Any) -> None:
        raise SystemExit(128 + number)

    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {number: signal.signal(number, leave) for number in wanted}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server (it shuts its kernels down on SIGTERM); kill it if it lingers."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait(proc: subprocess.Popen[bytes]) -> int:
    """Wait for the server to end; Ctrl-C is JupyterLab's to answer (it asks to confirm)."""
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue


def launch(
    folder: str = "notebooks",
    *,
    port: int | None = None,
    ip: str | None = None,
    remote: bool = False,
    timeout: float = 180.0,
) -> int:
    """Start JupyterLab on ``folder`` and print the address to open as the last line.

    Args:
        folder: the folder JupyterLab opens.
        port: the port to listen on (JupyterLab takes the next free one when it is busy,
            and the address printed says which).
        ip: the address to listen on; ``0.0.0.0`` for every interface.
        remote: open no browser, and say how to reach the server from another computer.
        timeout: seconds to wait for the server to answer.

    Returns:
        JupyterLab's exit code (0 after a normal shutdown), or 1 when it did not start.

    Raises:
        KeyboardInterrupt: Ctrl-C before the server answered (the server is stopped first);
            once it answers, Ctrl-C is JupyterLab's, which asks before it stops.
    """
    if not Path(folder).is_dir():
        print(
            f"No folder {folder}: run this from the course's folder, or name one.",
            file=sys.stderr,
        )
        return 1
    if is_root():
        print(
            "Running as root: starting JupyterLab with --allow-root (it refuses root otherwise).",
            flush=True,
        )
    command = lab_command(folder, port=port, ip=ip, open_browser=not remote)
    lock = threading.Lock()
    with _stop_on_signals():
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.stdout is not None
        relay = _Relay(proc.stdout, lock)
        relay.start()
        try:
            try:
                info = _wait_until_up(proc, ip, timeout)
            except TimeoutError as err:
                print(err, file=sys.stderr, flush=True)
                return 1
            if info is None:
                relay.join(timeout=5)
                print(
                    f"JupyterLab stopped (exit code {proc.returncode}); see its messages above.",
                    file=sys.stderr,
                )
                return proc.returncode or 1
            relay.wait_quiet()
            lines = []
            if port is not None and info["port"] != port:
                lines.append(f"Port {port} was busy: JupyterLab took port {info['port']}.")
            if remote:
                lines.append(_remote_hint(info, ip))
            lines += ["JupyterLab is running. Open this address:", lab_url(info)]
            with lock:
                print("\n".join(lines), flush=True)
            return _wait(proc)
        finally:  # Ctrl-C before the server was up too: course's main says so in one line
            _stop(proc)
            relay.join(timeout=5)


def cmd_lab(args: argparse.Namespace) -> int:
    """``course lab``: :func:`launch` with the command's arguments."""
    return launch(args.folder, port=args.port, ip=args.ip, remote=args.remote)
