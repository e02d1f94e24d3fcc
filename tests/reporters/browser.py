"""Headless Chromium for the HTML report tests: Debian's `chromium` driven by Playwright.

Playwright's own browser downloads are never used: the system browser is launched directly.
Also a tiny command to screenshot a report for the README:

    python -m tests.reporters.browser REPORT.html OUT.png [HEIGHT]
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # reported as a test failure by chromium(), not as a collection error
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (containers run as root), no GPU, and nothing that phones home on its own.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1100, "height": 900}


class BrowserMissingError(RuntimeError):
    """Chromium or Playwright is not installed: the HTML tests can't run (and must fail)."""


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless system Chromium (a Playwright Browser), closed on exit."""
    if sync_playwright is None:
        raise BrowserMissingError("playwright is not installed: pip install -e '.[test]'")
    if not CHROMIUM.is_file():
        raise BrowserMissingError(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install chromium); .ci/run installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page_file: Path, out: Path, height: int | None = None) -> None:
    """Screenshot `page_file`: the whole page, or its top `height` pixels."""
    with chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(page_file.resolve().as_uri())
        if height is None:
            page.screenshot(path=str(out), full_page=True)
        else:
            clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height}
            page.screenshot(path=str(out), full_page=True, clip=clip)


if __name__ == "__main__":
    screenshot(Path(sys.argv[1]), Path(sys.argv[2]),
               int(sys.argv[3]) if len(sys.argv) > 3 else None)
