"""A slide deck opens from disk in Chromium with no network: reveal.js starts, the arrow
keys move between slides, MathJax typesets, and the console stays clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from labdriver import BrowserSession

from course_utils.cli import slides

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "browser"


@pytest.mark.browser
def test_a_deck_works_offline_in_chromium(tmp_path, browser_ready):
    deck = slides.build_decks([ROOT / "notebooks" / "01_cnn_building_blocks.ipynb"], tmp_path)[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with BrowserSession() as browser:
        page = browser.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(deck.as_uri())
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
        total = page.evaluate("() => Reveal.getTotalSlides()")
        assert total >= 8
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => Reveal.getIndices().h === 1", timeout=10_000)
        page.wait_for_function(
            "() => document.querySelectorAll('mjx-container').length > 0", timeout=30_000
        )
        page.wait_for_timeout(1500)  # let the slide transition finish
        page.screenshot(path=str(ARTIFACTS / "slides-01-second-slide.png"))
        remote = [url for url in requests if not url.startswith(("file:", "data:"))]
        assert not remote, f"the deck asked the network for {remote}"
        assert not browser.console_errors, browser.console_errors
