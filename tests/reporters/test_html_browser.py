"""The HTML report in a real browser (headless system Chromium via Playwright): it renders,
the chart is visible, nothing is logged as an error, and nothing but the file is requested.

Chromium missing is a failure, not a skip: CI installs it (.ci/run). Each run leaves a
full-page screenshot in test-artifacts/report.png.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewbot.reporters import html

from . import browser as browser_module
from .browser import VIEWPORT, BrowserMissingError, chromium
from .sample_reports import WARN, finding, learner_report, notebooks_report

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        with chromium() as launched:
            yield launched
    except BrowserMissingError as missing:
        pytest.fail(str(missing))


@dataclasses.dataclass
class Visit:
    page: Any
    url: str
    requests: list[str]
    console_errors: list[str]
    page_errors: list[str]
    dialogs: list[str]


def visit(browser: Any, page_file: Path) -> Visit:
    page = browser.new_page(viewport=VIEWPORT)
    seen = Visit(page, page_file.resolve().as_uri(), [], [], [], [])
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", lambda message: seen.console_errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(seen.url)
    page.wait_for_load_state("load")
    return seen


def sources(root: Path) -> None:
    """Files for some of the learner report's findings, so the page shows excerpts."""
    (root / "app" / "routers").mkdir(parents=True)
    (root / "app" / "crud.py").write_text("\n".join(
        ["from app.models import Item", ""] + [f"def helper_{n}(db, item_id):" if n % 4 == 0
                                               else f"    value_{n} = db.get({n})"
                                               for n in range(3, 45)]) + "\n")
    (root / "app" / "config.py").write_text(
        'APP_NAME = "todo"\n\nDEBUG = False\nSECRET_KEY = "sk-proj-abcd1234efgh5678ijkl9XQz"\n')
    (root / "app" / "main.py").write_text("import os\n" * 40)


def test_learner_report_renders_in_chromium(browser: Any, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    sources(root)
    report = learner_report()
    hostile = finding("ruff:F401", WARN, ("app/<script>alert(1)</script>.py", 2),
                      '<img src="https://example.com/x.png" onerror="alert(2)">')
    report = dataclasses.replace(report, findings=(*report.findings, hostile))
    page_file = tmp_path / "report.html"
    page_file.write_text(html.render(report, root=root), encoding="utf-8")

    seen = visit(browser, page_file)
    page = seen.page
    assert seen.requests == [seen.url]
    assert seen.console_errors == []
    assert seen.page_errors == []
    assert seen.dialogs == []
    assert page.title() == "reviewbot review: D- 61.2 · https://github.com/alice/todo-api"
    assert page.inner_text(".letter") == "D-"
    chart = page.locator("#criteria-chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 400
    bars = page.locator("#criteria-chart rect.bar")
    assert bars.count() == 20
    widths = [bars.nth(n).bounding_box()["width"] for n in range(20)]
    assert min(widths) > 0
    assert widths[5] > widths[0]  # C06 incomplete is drawn full width, C01 at 58.3
    assert page.locator("#criteria-chart text", has_text="C13 Security basics").is_visible()
    # 6 findings in app/crud.py, 3 in app/main.py, 1 in app/config.py (line 9 is past its end).
    assert page.locator("pre.excerpt").count() == 10
    assert "sk-proj-abcd1234" not in page.content()
    assert page.locator("li.finding code", has_text="app/<script>alert(1)</script>.py:2").count(
    ) == 1
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.close()


def test_not_a_backend_report_renders_in_chromium(browser: Any, tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_text(html.render(notebooks_report()), encoding="utf-8")
    seen = visit(browser, page_file)
    assert seen.requests == [seen.url]
    assert seen.console_errors == [] and seen.page_errors == []
    assert seen.page.inner_text(".letter") == "n/a"
    assert seen.page.locator("#criteria-chart rect.bar-not-applicable").count() == 20
    assert seen.page.locator("#criteria-chart").bounding_box()["height"] > 400
    seen.page.close()


def test_missing_chromium_is_a_clear_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser_module, "CHROMIUM", tmp_path / "chromium")
    with pytest.raises(BrowserMissingError, match=r"^Chromium not found at .*/chromium: install "
                       r"Debian's chromium package \(apt-get install chromium\)"), chromium():
        pass
