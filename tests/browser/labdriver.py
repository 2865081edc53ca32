"""Start JupyterLab on 127.0.0.1 and drive it with Playwright in Debian's Chromium."""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
# Chromium flags for a closed network: without the background-networking ones it keeps
# trying to reach Google's services.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
Snapshot = tuple[str, list[str | None]]
WIDGET_OUTPUT = ".jp-OutputArea-output:has(> .jupyter-widgets)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: Any address that is not this machine's.
_REMOTE = re.compile(r"^https?://(?!127\.0\.0\.1[:/]|localhost[:/]|\[::1\])")
_EMPTY_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


class JupyterLab:
    """A JupyterLab server on 127.0.0.1 with a random token, serving ``root``.

    Use as a context manager; the server's log is kept in ``root / "jupyterlab.log"``.
    """

    def __init__(self, root: Path, startup_timeout_s: float = 90.0) -> None:
        self.root = Path(root)
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.startup_timeout_s = startup_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def url(self, path: str = "") -> str:
        """An address on this server, token included."""
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path}{sep}token={self.token}"

    def notebook_url(self, name: str) -> str:
        """A notebook in a fresh, empty workspace of its own (no tabs restored)."""
        return self.url(f"lab/workspaces/{name.split('.')[0]}/tree/{name}?reset")

    def __enter__(self) -> JupyterLab:
        state = self.root / ".lab-state"  # workspaces and settings of this server only
        news = state / "settings" / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True, exist_ok=True)
        (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        self._log = open(self.root / "jupyterlab.log", "wb")  # noqa: SIM115  closed in __exit__
        self._process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyter", "lab", "--no-browser",
                "--ip=127.0.0.1", f"--port={self.port}",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
                "--LabApp.news_url=",  # no announcements fetched from the internet
                "--LabApp.extension_manager=readonly",  # no PyPI queries
                "--allow-root",  # CI containers run as root
                f"--LabApp.workspaces_dir={state / 'workspaces'}",
                f"--LabApp.user_settings_dir={state / 'settings'}",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "JUPYTER_PLATFORM_DIRS": "1"},
        )  # fmt: skip
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early; see {self.root / 'jupyterlab.log'}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as response:
                    json.load(response)
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        self.__exit__()
        raise RuntimeError(f"JupyterLab did not answer in {self.startup_timeout_s:.0f} s")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if self._log is not None:
            self._log.close()


class BrowserSession:
    """Headless Chromium through Playwright; collects console errors of every page."""

    def __init__(self) -> None:
        self.console_errors: list[str] = []

    def __enter__(self) -> BrowserSession:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        self.context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        # No network here (nor on a learner's offline laptop): a request that leaves the
        # machine, such as a notebook's "Open in Colab" badge image, gets an empty picture
        # instead of a console error, and is recorded.
        self.remote_requests: list[str] = []
        self.context.route(_REMOTE, self._stand_in)
        return self

    def _stand_in(self, route: Any) -> None:
        self.remote_requests.append(route.request.url)
        route.fulfill(status=200, content_type="image/svg+xml", body=_EMPTY_SVG)

    def __exit__(self, *exc: object) -> None:
        self.context.close()
        self.browser.close()
        self._playwright.stop()

    def new_page(self) -> Any:
        """A page whose console errors and uncaught exceptions are recorded."""
        page = self.context.new_page()
        page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda err: self.console_errors.append(f"uncaught: {err}"))
        page.on(
            "response",
            lambda r: (
                self.console_errors.append(f"HTTP {r.status} for {r.url}")
                if r.status >= 400
                else None
            ),
        )
        return page

    @staticmethod
    def open_notebook(page: Any, url: str, timeout_s: float = 90) -> None:
        """Open a notebook and wait until its kernel is idle."""
        page.goto(url)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_s * 1000)
        dialog = page.locator(".jp-Dialog .jp-mod-accept")  # e.g. "Select Kernel": take the default
        if dialog.count() and dialog.first.is_visible():
            dialog.first.click()
        page.wait_for_selector(
            '.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=timeout_s * 1000
        )

    @staticmethod
    def run_all(page: Any, timeout_s: float) -> float:
        """Run every cell through JupyterLab's Run menu; return the seconds it took.

        Finished means: the kernel is idle and no cell's prompt shows ``[*]``.
        """
        _menu_until(
            page,
            ("Edit", "Clear Outputs of All Cells"),
            """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                .every(p => !/\\d/.test(p.textContent))""",
            what="Clear Outputs of All Cells did not clear the prompts",
        )
        page.wait_for_function(  # the kernel is connected and idle (status bar)
            """() => /\\|\\s*Idle/.test(
                document.querySelector('#jp-main-statusbar')?.textContent ?? '')""",
            timeout=120_000,
        )
        start = time.monotonic()
        _menu_until(  # a click before the kernel is wired up can be lost
            page,
            ("Run", "Run All Cells"),
            """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                .some(p => /[*\\d]/.test(p.textContent))""",
            what="Run All Cells did not start the notebook",
        )
        page.wait_for_function(
            """() => {
                const busy = document.querySelector('.jp-Notebook-ExecutionIndicator')
                    ?.getAttribute('data-status') !== 'idle';
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                const pending = prompts.some(p => p.textContent.includes('*'));
                const last = prompts.at(-1)?.textContent ?? '';
                return !busy && !pending && /\\d/.test(last);
            }""",
            timeout=timeout_s * 1000,
            polling=500,
        )
        return time.monotonic() - start

    @staticmethod
    def save_and_read(page: Any, path: Path, timeout_s: float = 30) -> dict[str, Any]:
        """Save the notebook from the browser (Ctrl+S) and return the saved file."""
        before = path.stat().st_mtime_ns
        page.locator(".jp-Notebook").first.click()
        page.keyboard.press("Control+s")
        deadline = time.monotonic() + timeout_s
        while path.stat().st_mtime_ns == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"JupyterLab did not save {path.name} in {timeout_s:.0f} s")
            time.sleep(0.2)
        time.sleep(0.5)  # let the write finish
        return json.loads(path.read_text())

    @staticmethod
    def error_outputs(notebook: dict[str, Any]) -> list[str]:
        """The error outputs (tracebacks) of a saved notebook."""
        return [
            f"{out.get('ename')}: {out.get('evalue')}"
            for cell in notebook["cells"]
            for out in cell.get("outputs", [])
            if out.get("output_type") == "error"
        ]

    @staticmethod
    def widgets(page: Any) -> list[Any]:
        """The live widget views in the notebook's outputs."""
        page.wait_for_selector(WIDGET_OUTPUT + " img", state="attached")
        return page.locator(WIDGET_OUTPUT).all()

    @staticmethod
    def snapshot(widget: Any) -> Snapshot:
        """The widget's visible text and its pictures' addresses."""
        images = [img.get_attribute("src") for img in widget.locator("img").all()]
        return widget.inner_text(), images

    @staticmethod
    def move_a_control(widget: Any) -> str:
        """Move the widget's first slider one step right (or pick another option of its
        first drop-down); return what was moved."""
        handle = widget.locator(".noUi-handle")
        if handle.count():
            handle.first.scroll_into_view_if_needed()
            handle.first.focus()
            handle.first.press("ArrowRight")
            return "slider"
        select = widget.locator("select").first
        options = select.locator("option").all()
        current = select.input_value()
        values = [o.get_attribute("value") for o in options]
        other = next(v for v in values if v != current)
        select.select_option(other)
        return "drop-down"

    def wait_for_change(self, widget: Any, before: Snapshot, timeout_s: float = 30) -> Snapshot:
        """Wait until the widget's text or pictures differ from ``before``; return the new ones."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            now = self.snapshot(widget)
            if now[0] != before[0] and now[1] != before[1]:  # text and picture both new
                return now
            time.sleep(0.2)
        raise AssertionError(f"the widget did not change within {timeout_s:.0f} s of a move")


def _menu_until(
    page: Any, path: tuple[str, str], condition_js: str, what: str, attempts: int = 3
) -> None:
    """Click a menu item until ``condition_js`` holds; a click on a page still
    wiring itself up (the first notebook of a cold JupyterLab) can be lost."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    menu, item = path
    for _attempt in range(attempts):
        page.get_by_role("menuitem", name=menu, exact=True).click()
        page.get_by_role("menuitem", name=item, exact=True).click()
        try:
            page.wait_for_function(condition_js, timeout=30_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"{what} after {attempts} attempts")
