"""``make lab``: JupyterLab as root and on a remote machine, its address as the last line."""

from __future__ import annotations

import contextlib
import os
import queue
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from course_utils.cli import lab

ROOT = Path(__file__).resolve().parents[1]
START_S = 45  # the server answers in a few seconds; a busy CI machine gets room
STOP_S = 10


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_lab_command(**variables: str) -> list[str]:
    """The command ``make lab`` runs with these variables, from ``make -n`` (nothing is run),
    with this test's own Python environment in place of ``.venv``."""
    if shutil.which("make") is None:
        pytest.skip("GNU make is not installed")
    bin_dir = Path(sys.executable).parent
    args = [f"{k}={v}" for k, v in variables.items()]
    out = subprocess.run(
        ["make", "-n", "-s", "lab", f"BIN={bin_dir}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    (line,) = [line for line in out.splitlines() if " -m course_utils lab " in f"{line} "]
    return shlex.split(line)


def _get(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def _lines(stream, into: queue.Queue) -> None:
    for raw in iter(stream.readline, b""):
        into.put(raw.decode(errors="replace").rstrip("\n"))
    into.put(None)


def test_make_lab_passes_port_address_and_remote_mode():
    command = _make_lab_command(PORT="8899", REMOTE="1", IP="0.0.0.0")
    assert command[:5] == [
        str(Path(sys.executable).parent / "python"),
        "-m",
        "course_utils",
        "lab",
        "notebooks",
    ]
    assert command[5:] == ["--port", "8899", "--ip", "0.0.0.0", "--remote"]
    assert _make_lab_command(REMOTE="0")[5:] == [], "REMOTE=0 is off"


def test_the_jupyter_command_allows_root_only_for_root(monkeypatch):
    monkeypatch.setattr(lab, "is_root", lambda: True)
    command = lab.lab_command("notebooks", port=8899, open_browser=False)
    assert command[:4] == [sys.executable, "-m", "jupyterlab", "notebooks"]
    assert {"--allow-root", "--no-browser", "--ServerApp.port=8899"} <= set(command)
    monkeypatch.setattr(lab, "is_root", lambda: False)
    assert "--allow-root" not in lab.lab_command("notebooks")
    assert "--no-browser" not in lab.lab_command("notebooks")


def test_lab_url_carries_the_token():
    info = {"url": "http://localhost:8899/", "port": 8899, "token": "abc"}
    assert lab.lab_url(info) == "http://localhost:8899/lab?token=abc"
    assert lab.lab_url({**info, "token": ""}) == "http://localhost:8899/lab"


def test_make_lab_starts_the_server_and_ends_with_its_address(tmp_path):
    """The command ``make lab PORT=<free> REMOTE=1 IP=127.0.0.1`` runs (not make itself,
    which would create the environment): the server answers, the last line printed is its
    address with the token, and it stops when asked."""
    port = _free_port()
    command = _make_lab_command(PORT=str(port), REMOTE="1", IP="127.0.0.1")
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the cleanup reaches JupyterLab too
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        end = time.monotonic() + START_S
        while time.monotonic() < end:
            try:
                line = lines.get(timeout=max(0.1, end - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            seen.append(line)
            if line.startswith(f"http://127.0.0.1:{port}/lab?token="):
                break
        output = "\n".join(seen)
        assert seen and seen[-1].startswith(f"http://127.0.0.1:{port}/lab?token="), output[-3000:]
        url = seen[-1]
        token = url.split("token=", 1)[1]
        assert len(token) >= 32, "a generated token"
        assert seen[-2] == "JupyterLab is running. Open this address:"
        assert f"ssh -N -L {port}:localhost:{port}" in seen[-3], "remote mode says how to reach it"
        if os.geteuid() == 0:
            assert seen[0].startswith("Running as root: starting JupyterLab with --allow-root")
        assert "Running as root is not recommended" not in output
        time.sleep(1.5)
        assert lines.empty(), f"printed after the address: {lines.get()!r}"

        assert _get(url) == 200, "the address opens JupyterLab"
        api = f"http://127.0.0.1:{port}/api/status"
        assert _get(f"{api}?token={token}") == 200 and _get(api) == 403, "the token is needed"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the group of the launcher started above
        try:
            proc.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_S)
    assert proc.returncode is not None
    with contextlib.closing(socket.socket()) as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the server is gone"
    assert not list((tmp_path / "runtime").glob("jpserver-*.json")), "it shut down cleanly"
