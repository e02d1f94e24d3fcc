"""The dashboard in headless Chromium against a real uvicorn server on a seeded SQLite file:
log in through the form, sort the cohort by clicking a header, open a repository's history.

Chromium missing is a failure, not a skip (CI installs it). Screenshots go to a tmp dir;
with UPDATE_SCREENSHOTS=1 they replace docs/dashboard-cohort.png and docs/dashboard-repo.png.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewbot.service.app import create_app
from reviewbot.service.config import ServiceConfig
from tests.reporters.browser import VIEWPORT, BrowserMissingError, chromium
from tests.service.dashboard_seed import HOUR, add_dead_job, seed
from tests.service.deliveries import SECRET
from tests.service.servers import Server

TOKEN = "browser-dashboard-token-42"
DOCS = Path(__file__).resolve().parents[2] / "docs"




@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    config = ServiceConfig(webhook_secret=SECRET, data_dir=tmp_path, workers=0,
                           database_url=f"sqlite:///{tmp_path / 's.db'}",
                           dashboard_token=TOKEN)
    app = create_app(config)
    now = time.time()
    seed(app.state.sessions, now)
    add_dead_job(app.state.sessions, "dave/blog-api",
                 "clone failed: fatal: could not read Username for 'https://github.com'",
                 now - 3 * HOUR)
    with Server(app) as running:
        yield running


def screenshot_path(tmp_path: Path, name: str) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        return DOCS / name
    return tmp_path / name


def test_dashboard_in_chromium(server: Server, tmp_path: Path) -> None:
    try:
        with chromium() as browser:
            page = browser.new_page(viewport=VIEWPORT)
            requests: list[str] = []
            errors: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            # The first visit is answered 401 with the login form, which Chromium logs as a
            # failed resource load: that one is expected, any other error is not.
            page.on("console", lambda message: errors.append(message.text)
                    if message.type == "error" and "401" not in message.text else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            check_dashboard(page, server.url, tmp_path)
            assert errors == []
            assert [url for url in requests if not url.startswith(server.url + "/")] == []
            page.close()
    except BrowserMissingError as missing:
        pytest.fail(str(missing))


def cohort_repos(page: Any) -> list[str]:
    return [text.strip() for text in page.locator("#cohort tbody td.repo").all_inner_texts()]


def check_dashboard(page: Any, url: str, tmp_path: Path) -> None:
    response = page.goto(url + "/dashboard")
    assert response.status == 401
    assert page.locator("form.login").is_visible()
    page.fill("#token", "not-the-token")
    page.click("form.login button[type=submit]")
    assert page.locator("p.error").inner_text() == "That token is not the dashboard token."
    page.fill("#token", TOKEN)
    page.click("form.login button[type=submit]")
    page.wait_for_url(url + "/dashboard")
    assert page.locator("h1").inner_text() == "Cohort"
    assert cohort_repos(page) == ["alice/todo-api", "bob/shop-api", "carol/ml-notebooks",
                                  "dave/blog-api", "erin/first-api"]
    assert page.locator("#needs-attention tr.dead-job").count() == 1
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["reviewbot_dashboard"]
    assert (session["httpOnly"], session["sameSite"]) == (True, "Strict")
    assert TOKEN not in session["value"]

    page.click("#cohort th >> text=Grade")
    page.wait_for_url(url + "/dashboard?sort=score&order=desc")
    assert cohort_repos(page) == ["bob/shop-api", "dave/blog-api", "alice/todo-api",
                                  "carol/ml-notebooks", "erin/first-api"]
    assert page.locator("#cohort th[aria-sort=descending]").inner_text().startswith("Grade")
    page.click("#cohort th >> text=Grade")
    page.wait_for_url(url + "/dashboard?sort=score&order=asc")
    assert cohort_repos(page)[:3] == ["alice/todo-api", "dave/blog-api", "bob/shop-api"]
    page.goto(url + "/dashboard")
    page.screenshot(path=str(screenshot_path(tmp_path, "dashboard-cohort.png")), full_page=True)

    page.click("#cohort a >> text=dave/blog-api")
    page.wait_for_url(url + "/dashboard/dave/blog-api")
    chart = page.locator("#history-chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 150
    points = page.locator("#history-chart circle.point")
    assert points.count() == 3
    xs = [points.nth(n).bounding_box()["x"] for n in range(3)]
    assert xs == sorted(xs) and xs[0] < xs[2]
    assert page.locator("figure.small").count() == 20
    assert page.locator("#chart-C03 circle.cpoint").count() == 3
    assert page.locator("#latest h2").inner_text() == "Latest review: C 75.3"
    page.screenshot(path=str(screenshot_path(tmp_path, "dashboard-repo.png")), full_page=True)

    page.click("#latest a >> text=/Review #\\d+/")
    assert page.locator("h1").inner_text().endswith("of dave/blog-api")
    page.click("header.bar button >> text=Log out")
    page.wait_for_url(url + "/dashboard/login")
    assert page.goto(url + "/dashboard").status == 401
