"""Shared fixtures: isolated data folders, the offline mirror, a local HTTP server."""

from __future__ import annotations

import base64
import contextlib
import http.server
import io
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The checkers' feedback is English unless a test asks for Korean (COURSE_LANG=ko).
os.environ.pop("COURSE_LANG", None)
os.environ.pop("COURSE_ANSWERS", None)  # and the answers are shown (the teacher's copy)

ROOT = Path(__file__).resolve().parents[1]


def _mirror_path() -> Path | None:
    env = os.environ.get("COURSE_DATA_MIRROR")
    candidate = Path(env) if env else ROOT.parent / "shared" / "datasets"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The offline dataset mirror (../shared/datasets). Required in CI."""
    path = _mirror_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI needs the dataset mirror at ../shared/datasets (or COURSE_DATA_MIRROR)."
            )
        pytest.skip("no dataset mirror here: set COURSE_DATA_MIRROR to run the real-data tests")
    return path


#: Set to 1 to run the tests marked ``network`` (pip installs from the package index)
#: outside CI; CI runs them always.
NETWORK_TESTS_ENV_VAR = "COURSE_NETWORK_TESTS"


def network_tests_enabled() -> bool:
    """Whether the ``network`` tests run here: in CI, or when opted in."""
    return bool(os.environ.get("CI")) or os.environ.get(NETWORK_TESTS_ENV_VAR) == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the ``network`` tests unless CI or ``COURSE_NETWORK_TESTS=1`` asks for them."""
    if network_tests_enabled():
        return
    skip = pytest.mark.skip(
        reason=f"installs from the package index: opt in with {NETWORK_TESTS_ENV_VAR}=1 "
        "(CI runs it always)"
    )
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _answers_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with the checkers' answers shown (the teacher's copy); a test that
    hides them (``exercises.hide_answers()`` sets ``COURSE_ANSWERS``) is undone after it."""
    monkeypatch.setenv("COURSE_ANSWERS", "")  # records that it was unset, to restore that
    monkeypatch.delenv("COURSE_ANSWERS")


@pytest.fixture(autouse=True)
def _precision_policy_kept() -> Iterator[None]:
    """A test that runs ``setup()`` (which picks mixed_bfloat16 on a CPU with bfloat16) leaves
    Keras' global precision policy as it found it, so later tests build float32 layers."""
    import sys

    keras = sys.modules.get("keras")
    before = keras.config.dtype_policy() if keras is not None else None
    yield
    keras = sys.modules.get("keras")
    if keras is not None:
        keras.config.set_dtype_policy(before if before is not None else "float32")


@pytest.fixture(scope="session")
def _session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("course-data")


@pytest.fixture(autouse=True)
def _data_dir_outside_the_checkout(
    _session_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test's data folder is a temporary one (shared by the session), never the
    checkout's ``data/`` or the user's cache: a test cannot touch a learner's datasets or
    trained runs. A test that needs its own folder sets ``COURSE_DATA_DIR`` again."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(_session_data_dir))
    return _session_data_dir


@pytest.fixture(autouse=True)
def _fresh_array_cache() -> Iterator[None]:
    from course_utils.data import pipeline

    pipeline._arrays.cache_clear()
    yield
    pipeline._arrays.cache_clear()


@pytest.fixture
def empty_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty cache folder, with no mirror configured."""
    folder = tmp_path / "data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    return folder


@pytest.fixture(scope="session")
def mirrored_data_dir(tmp_path_factory: pytest.TempPathFactory, mirror: Path) -> Path:
    """One cache folder for the session, filled from the mirror by the real fetch code."""
    return tmp_path_factory.mktemp("mirrored-data")


@pytest.fixture
def use_mirror(mirrored_data_dir: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COURSE_DATA_DIR", str(mirrored_data_dir))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    return mirrored_data_dir


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; paths listed in ``server.truncate`` send half their bytes, then hang
    up; a path in ``server.fail_first`` answers 503 that many times first."""

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        name = self.path.lstrip("/")
        failing = self.server.fail_first  # type: ignore[attr-defined]
        if failing.get(name, 0) > 0:  # the server is busy: 503, a transient failure
            failing[name] -= 1
            self.server.requests.append(name)  # type: ignore[attr-defined]
            self.send_error(503, "busy, try again")
            return
        if name in self.server.truncate:  # type: ignore[attr-defined]
            data = (Path(self.directory) / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.server.requests.append(name)  # type: ignore[attr-defined]
        super().do_GET()


class LocalServer:
    def __init__(self, root: Path):
        self.root = root
        handler = lambda *a, **k: _Handler(*a, directory=str(root), **k)  # noqa: E731
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.truncate = set()
        self.httpd.fail_first = {}
        self.httpd.requests = []
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests

    def truncate(self, name: str) -> None:
        self.httpd.truncate.add(name)

    def fail_first(self, name: str, times: int) -> None:
        """Answer 503 (busy) to the first ``times`` requests of ``name``."""
        self.httpd.fail_first[name] = times


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[LocalServer]:
    """An HTTP server on 127.0.0.1 serving ``tmp_path / 'www'``."""
    root = tmp_path / "www"
    root.mkdir()
    server = LocalServer(root)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """A 127.0.0.1 URL where nothing listens (an offline machine, in effect)."""
    import socket

    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="session")
def keras():
    """Keras, imported after TensorFlow with its start-up lines silenced."""
    from course_utils._tf import import_tensorflow

    import_tensorflow()
    import keras

    return keras


@pytest.fixture(scope="session")
def models(keras):
    """``course_utils.models`` (imports Keras)."""
    from course_utils import models

    return models


@pytest.fixture
def show_recorded(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], dict[str, Any]]:
    """Call the real ``widgets.show(explorer)`` with IPython's ``display`` replaced by a
    recorder, check that it sent one raw bundle holding the explorer's live widget and a
    picture of its static figure (PNG, or JPEG for photos), and return that bundle."""
    import IPython.display
    from PIL import Image

    from course_utils import widgets
    from course_utils.widgets import display as display_module

    def run(explorer: Any) -> dict[str, Any]:
        sent, figures, rendered = [], [], []
        real_static, real_fallback = explorer.static_figure, display_module.figure_fallback

        def static_figure() -> Any:
            figures.append(real_static())
            return figures[-1]

        def figure_fallback(fig: Any, *args: Any, **kwargs: Any) -> tuple[str, bytes]:
            rendered.append((fig, real_fallback(fig, *args, **kwargs)))
            return rendered[-1][1]

        monkeypatch.setattr(explorer, "static_figure", static_figure)
        monkeypatch.setattr(display_module, "figure_fallback", figure_fallback)
        monkeypatch.setattr(IPython.display, "display", lambda *a, **k: sent.append((a, k)))
        widgets.show(explorer)

        assert len(sent) == 1, f"show() must send one output, sent {len(sent)}"
        ((objects, kwargs),) = sent
        assert len(objects) == 1 and kwargs == {"raw": True}, "one raw mimebundle"
        bundle = objects[0]
        view = bundle["application/vnd.jupyter.widget-view+json"]
        assert view["model_id"] == explorer.widget.model_id, "the explorer's own live widget"
        assert len(figures) == 1, "the fallback is the explorer's static figure"
        mime, data = next(fallback for fig, fallback in rendered if fig is figures[0])
        pictures = [key for key in bundle if key.startswith("image/")]
        assert pictures == [mime] and mime in ("image/png", "image/jpeg"), pictures
        assert base64.b64decode(bundle[mime]) == data
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.format == mime.split("/")[1].upper() and min(picture.size) >= 50
        assert bundle["text/plain"] == repr(explorer)
        return bundle

    return run


@pytest.fixture(scope="session")
def browser_ready() -> None:
    """Playwright and Debian's Chromium, or a skip (a failure in CI) that says what to do."""
    from pathlib import Path as _Path

    chromium = _Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the Python package playwright is missing (pip install -e '.[test]')")
    if not chromium.is_file():
        problems.append(
            f"no Chromium at {chromium}: run `make browser` (installs Debian's chromium "
            "package with apt-get), or set COURSE_CHROMIUM to a Chromium or Chrome binary"
        )
    if problems:
        message = "browser tests need " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
