"""The installation registry decides which repositories are reviewed: a repository removed
from the App's installation is not reviewed any more; one first seen in a signed delivery
is registered under the delivery's installation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reviewbot.service.app import create_app
from reviewbot.service.events import Admission, ReviewRequest, admission
from reviewbot.service.store import Delivery, Repository
from reviewbot.service.webhooks import sign
from tests.service.deliveries import SECRET, fixture_payload, headers
from tests.service.test_webhooks import jobs, make_config

REPO = "Codertocat/Hello-World"
PR = "pull_request.opened.json"
IGNORED = (200, {"status": "ignored", "reason": "repo not installed"})


def request(installation_id: int | None) -> ReviewRequest:
    return ReviewRequest(repo=REPO, installation_id=installation_id, sha="a" * 40,
                         ref="refs/heads/main", learner="Codertocat", trigger="push")


@pytest.mark.parametrize(("installation", "registered", "removed", "expected"), [
    (1, None, False, Admission.REGISTER),
    (None, None, False, Admission.REVIEW),
    (1, 1, False, Admission.REVIEW),
    (2, 1, False, Admission.REVIEW),
    (None, 1, False, Admission.REVIEW),
    (1, 1, True, Admission.REFUSE),
    (None, 1, True, Admission.REFUSE),
    (2, 1, True, Admission.REREGISTER),
])
def test_admission(installation: int | None, registered: int | None, removed: bool,
                   expected: Admission) -> None:
    assert admission(request(installation), registered, removed) is expected


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_config(tmp_path))) as test_client:
        yield test_client


def send(client: TestClient, fixture: str, delivery: str, payload: dict[str, Any] | None = None
         ) -> tuple[int, dict[str, Any]]:
    body = json.dumps(payload or fixture_payload(fixture)).encode("utf-8")
    response = client.post("/webhooks/github", content=body, headers=headers(
        fixture, delivery, signature=sign(SECRET, body)))
    answer: dict[str, Any] = response.json()
    return response.status_code, answer


def pull_request(installation_id: int) -> dict[str, Any]:
    payload = fixture_payload(PR)
    payload["installation"]["id"] = installation_id
    return payload


def registry(client: TestClient) -> dict[str, tuple[int, bool]]:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return {r.full_name: (r.installation_id, r.removed_at is not None)
                for r in session.scalars(select(Repository))}


def delivery(client: TestClient, delivery_id: str) -> tuple[str, str | None]:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        row = session.get_one(Delivery, delivery_id)
        return row.outcome, row.detail


def test_removed_repository_is_ignored_until_added_again(client: TestClient) -> None:
    assert send(client, "installation.created.json", "d-1")[0] == 200
    assert registry(client) == {REPO: (957387, False)}
    assert send(client, PR, "d-2", pull_request(957387))[0] == 202

    removed = fixture_payload("installation_repositories.removed.json")
    removed["installation"]["id"] = 957387
    removed["repositories_removed"][0]["full_name"] = REPO
    assert send(client, "installation_repositories.removed.json", "d-3", removed) == (200, {
        "status": "registered", "reason": "installation_repositories.removed", "added": [],
        "removed": [REPO]})
    assert registry(client) == {REPO: (957387, True)}
    assert send(client, PR, "d-4", pull_request(957387)) == IGNORED
    assert delivery(client, "d-4") == ("ignored", "repo not installed")
    assert [job.delivery_id for job in jobs(client)] == ["d-2"]

    added = fixture_payload("installation_repositories.added.json")
    added["repositories_added"][0]["full_name"] = REPO
    assert send(client, "installation_repositories.added.json", "d-5", added)[0] == 200
    assert registry(client) == {REPO: (957387, False)}
    assert send(client, PR, "d-6", pull_request(957387))[0] == 202
    assert [job.delivery_id for job in jobs(client)] == ["d-2", "d-6"]


def test_deleted_installation_stops_reviews_a_new_one_restarts_them(
        client: TestClient) -> None:
    # First sight: the pull request's installation (1) registers the repository.
    assert send(client, PR, "d-1")[0] == 202
    assert registry(client) == {REPO: (1, False)}
    deleted = fixture_payload("installation.deleted.json")
    deleted["installation"]["id"] = 1
    assert send(client, "installation.deleted.json", "d-2", deleted)[0] == 200
    assert registry(client) == {REPO: (1, True)}
    # A late or redelivered delivery of the deleted installation is ignored.
    assert send(client, PR, "d-3") == IGNORED
    # The App installed again (the installation event was missed): its deliveries count.
    assert send(client, PR, "d-4", pull_request(7))[0] == 202
    assert registry(client)[REPO] == (7, False)
    assert [job.delivery_id for job in jobs(client)] == ["d-1", "d-4"]


def test_push_to_a_removed_repository_is_ignored(client: TestClient) -> None:
    assert send(client, "push.with-installation.json", "d-0", _push())[0] == 202
    deleted = fixture_payload("installation.deleted.json")
    deleted["installation"]["id"] = 1
    deleted["repositories"] = []
    assert send(client, "installation.deleted.json", "d-1", deleted)[0] == 200
    assert send(client, "push.with-installation.json", "d-2", _push()) == IGNORED


def _push() -> dict[str, Any]:
    """push.with-installation.json made a push to the default branch (the fixture deletes
    a tag)."""
    payload = fixture_payload("push.with-installation.json")
    payload.update(ref="refs/heads/main", deleted=False, after="b" * 40)
    payload["repository"]["default_branch"] = "main"
    return payload


def test_first_deliveries_of_a_new_repository_all_count(client: TestClient) -> None:
    """Concurrent first deliveries each register the repository; one row results and no
    delivery is mistaken for a duplicate."""
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda n: send(client, PR, f"d-{n}"), range(6)))
    assert [status for status, _ in answers] == [202] * 6
    assert registry(client) == {REPO: (1, False)}
    assert len(jobs(client)) == 6
