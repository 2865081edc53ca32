"""The course's widgets in a real browser: JupyterLab on 127.0.0.1, driven by Playwright in
Debian's headless Chromium.

Each test opens a course notebook (a copy, so the repository's files stay untouched),
runs every cell through JupyterLab's own Run menu, moves a control of every widget the
notebook shows, and checks that the widget's text or picture changed. It fails on an
error output in the notebook or an error in the browser console. Screenshots and a
short log per notebook are kept in ``build/browser/`` as artefacts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from labdriver import BrowserSession, JupyterLab

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "browser"
# Every course notebook that shows a widget. 11 reuses the quick runs that notebooks 06-10
# saved when nbval ran them (the test command runs the notebooks first); without them it
# trains the five models itself, which takes a few minutes more. 12 reuses notebook 10's
# DeepLabV3+ on Lite0 (without it, it carries on with an untrained model and says so); its
# photo segmenter has an opacity slider, a photo drop-down and an upload button.
NOTEBOOKS = [
    "00_setup.ipynb",
    "01_cnn_building_blocks.ipynb",
    "05_encoder_decoder_toolkit.ipynb",
    "11_comparison.ipynb",
    "12_your_own_images.ipynb",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, browser_ready: None):
    workdir = tmp_path_factory.mktemp("lab")
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, workdir / name)
    with JupyterLab(workdir) as server:
        yield server


@pytest.fixture(scope="module")
def browser(lab: JupyterLab):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with BrowserSession() as session:
        yield session


@pytest.mark.browser
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_and_its_widgets_respond(lab, browser, notebook):
    page = browser.new_page()
    stem = notebook.removesuffix(".ipynb")
    log = []
    try:
        browser.open_notebook(page, lab.notebook_url(notebook))
        seconds = browser.run_all(page, timeout_s=300)
        log.append(f"{notebook}: all cells ran in {seconds:.1f} s in the browser")
        saved = browser.save_and_read(page, lab.root / notebook)
        errors = browser.error_outputs(saved)
        assert not errors, f"{notebook} shows error output: {errors}"

        views = browser.widgets(page)
        assert views, f"{notebook} shows no live widget"
        for k, view in enumerate(views):
            view.scroll_into_view_if_needed()
            view.screenshot(path=str(ARTIFACTS / f"{stem}-widget{k}-before.png"))
            before = browser.snapshot(view)
            moved = browser.move_a_control(view)
            after = browser.wait_for_change(view, before)
            view.screenshot(path=str(ARTIFACTS / f"{stem}-widget{k}-after.png"))
            caption = after[0].strip().splitlines()[-1][:120] if after[0].strip() else ""
            log.append(f"widget {k}: moved its first {moved}; text and picture changed ({caption})")
        assert not browser.console_errors, f"browser console errors: {browser.console_errors}"
    finally:
        page.screenshot(path=str(ARTIFACTS / f"{stem}-page.png"))
        (ARTIFACTS / f"{stem}.log").write_text("\n".join(log) + "\n")
        page.close()
