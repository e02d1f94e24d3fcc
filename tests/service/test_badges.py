"""The public README badges: SVG (golden files) and shields endpoint JSON, cache headers,
and which review they show."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reviewbot.service.app import create_app
from reviewbot.service.config import ServiceConfig
from tests.reporters.goldens import assert_golden
from tests.service.dashboard_seed import Planned, seed, store_review
from tests.service.deliveries import SECRET

GOLDEN = Path(__file__).resolve().parent / "golden"




@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # No dashboard token: the badges are public whether the dashboard is on or off.
    config = ServiceConfig(webhook_secret=SECRET, data_dir=tmp_path, workers=0,
                           database_url=f"sqlite:///{tmp_path / 's.db'}")
    app = create_app(config)
    seed(app.state.sessions, time.time())
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize(("repo", "golden", "shields"), [
    # alice's latest review is a pull request's (58.7 F): the badge shows main's, 61.2 D-.
    ("alice/todo-api", "badge-alice.svg",
     {"schemaVersion": 1, "label": "reviewbot", "message": "D- 61", "color": "orange"}),
    ("bob/shop-api", "badge-bob.svg",
     {"schemaVersion": 1, "label": "reviewbot", "message": "A- 91", "color": "brightgreen"}),
    ("carol/ml-notebooks", "badge-carol.svg",
     {"schemaVersion": 1, "label": "reviewbot", "message": "n/a", "color": "lightgrey"}),
    ("erin/first-api", "badge-erin.svg",
     {"schemaVersion": 1, "label": "reviewbot", "message": "no review yet",
      "color": "lightgrey"}),
])
def test_badges(client: TestClient, repo: str, golden: str, shields: dict[str, object]) -> None:
    svg = client.get(f"/badge/{repo}.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"] == "image/svg+xml; charset=utf-8"
    assert svg.headers["cache-control"] == "public, max-age=300"
    assert svg.headers["content-security-policy"] == "default-src 'none'; style-src " \
                                                     "'unsafe-inline'"
    assert_golden(golden, svg.text, GOLDEN)
    endpoint = client.get(f"/badge/{repo}.json")
    assert endpoint.status_code == 200
    assert endpoint.headers["content-type"] == "application/json"
    assert endpoint.headers["cache-control"] == "public, max-age=300"
    assert json.loads(endpoint.text) == shields
    assert endpoint.text.endswith("}\n")


def test_alice_badge_is_the_reporters_badge_of_her_main_review(client: TestClient) -> None:
    # The learner sample report is graded 61.2 D-, like alice's review of main.
    reporter_golden = Path(__file__).resolve().parents[1] / "reporters" / "golden" / "learner.svg"
    assert client.get("/badge/alice/todo-api.svg").text == reporter_golden.read_text()


def test_etag_and_if_none_match(client: TestClient) -> None:
    first = client.get("/badge/bob/shop-api.svg")
    tag = first.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) == 34
    assert client.get("/badge/bob/shop-api.svg").headers["etag"] == tag
    assert client.get("/badge/bob/shop-api.json").headers["etag"] != tag
    cached = client.get("/badge/bob/shop-api.svg", headers={"If-None-Match": f'"x", {tag}'})
    assert (cached.status_code, cached.content) == (304, b"")
    assert cached.headers["etag"] == tag
    assert cached.headers["cache-control"] == "public, max-age=300"
    stale = client.get("/badge/bob/shop-api.svg", headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200


def test_a_new_review_of_main_changes_the_badge(client: TestClient) -> None:
    before = client.get("/badge/bob/shop-api.json")
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        store_review(session, Planned("bob/shop-api", "strong", 79.9, "C+", {}, 0.0), time.time(),
                     50)
        session.commit()
    after = client.get("/badge/bob/shop-api.json")
    assert json.loads(after.text)["message"] == "C+ 80"
    assert json.loads(after.text)["color"] == "yellow"
    assert after.headers["etag"] != before.headers["etag"]
    # A pull request's review does not move the badge once main has one.
    with sessions() as session:
        store_review(session, Planned("bob/shop-api", "strong", 30.0, "F", {}, -10.0,
                                      pr_number=3), time.time(), 51)
        session.commit()
    assert json.loads(client.get("/badge/bob/shop-api.json").text)["message"] == "C+ 80"


@pytest.mark.parametrize("path", [
    "/badge/nobody/nothing.svg", "/badge/nobody/nothing.json",
    "/badge/zed/old-api.svg",  # the App was removed from it
    "/badge/bob/shop-api.png", "/badge/bob/shop-api", "/badge/bob/.svg",
])
def test_unknown_repositories_and_formats_are_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "cache-control" not in response.headers
