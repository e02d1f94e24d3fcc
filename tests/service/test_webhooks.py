"""`POST /webhooks/github` through FastAPI's TestClient, on a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reviewbot.rulebook import default_rulebook
from reviewbot.service.app import create_app
from reviewbot.service.config import ServiceConfig
from reviewbot.service.store import Delivery, Job, JobState, Repository, Review
from reviewbot.service.webhooks import sign
from tests.service.deliveries import SECRET, fixture_body, fixture_payload, headers

PR = "pull_request.opened.json"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def make_config(tmp_path: Path, **changes: object) -> ServiceConfig:
    values: dict[str, object] = {
        "webhook_secret": SECRET, "database_url": f"sqlite:///{tmp_path / 'service.db'}",
        "data_dir": tmp_path, "workers": 0,
    }
    values.update(changes)
    return ServiceConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def config(tmp_path: Path) -> ServiceConfig:
    return make_config(tmp_path)


@pytest.fixture
def client(config: ServiceConfig) -> Iterator[TestClient]:
    with TestClient(create_app(config)) as test_client:
        yield test_client


def post(client: TestClient, name: str, delivery: str, **kwargs: str | None) -> tuple[int, dict]:
    response = client.post("/webhooks/github", content=fixture_body(name),
                           headers=headers(name, delivery, **kwargs))  # type: ignore[arg-type]
    return response.status_code, response.json()


def deliveries(client: TestClient) -> list[tuple[str, str, str]]:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return [(d.id, d.event, d.outcome) for d in session.scalars(
            select(Delivery).order_by(Delivery.received_at))]


def jobs(client: TestClient) -> list[Job]:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(Job).order_by(Job.id)))


def test_pull_request_is_accepted_and_queued(client: TestClient) -> None:
    assert post(client, PR, "d-1") == (202, {"status": "accepted",
                                             "reason": "pull_request.opened", "jobs": [1]})
    (job,) = jobs(client)
    assert (job.kind, job.state, job.delivery_id, job.attempts) == ("review", JobState.QUEUED,
                                                                   "d-1", 0)
    assert job.payload == {
        "repo": "Codertocat/Hello-World", "installation_id": 1, "sha": HEAD,
        "ref": "refs/heads/changes", "learner": "Codertocat", "trigger": "pull_request.opened",
        "pr_number": 2, "base_sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        "head_repo": "Codertocat/Hello-World",
    }
    assert deliveries(client) == [("d-1", "pull_request", "accepted")]


def test_duplicate_delivery_is_not_queued_again(client: TestClient) -> None:
    assert post(client, PR, "d-1")[0] == 202
    assert post(client, PR, "d-1") == (200, {"status": "duplicate", "delivery": "d-1"})
    assert len(jobs(client)) == 1


@pytest.mark.parametrize("signature", [
    "sha256=" + "0" * 64, "sha1=4a5e000449616d9730ae6bde19667e4a2a47f1c4", "bogus",
])
def test_bad_signature_is_401(client: TestClient, signature: str) -> None:
    assert post(client, PR, "d-1", signature=signature) == (
        401, {"status": "rejected", "error": "bad signature"})
    assert deliveries(client) == []


def test_missing_signature_is_401(client: TestClient) -> None:
    sent = headers(PR, "d-1")
    del sent["X-Hub-Signature-256"]
    response = client.post("/webhooks/github", content=fixture_body(PR), headers=sent)
    assert (response.status_code, response.json()) == (
        401, {"status": "rejected", "error": "missing X-Hub-Signature-256"})
    assert deliveries(client) == []


def test_oversize_body_is_413_by_content_length(tmp_path: Path) -> None:
    with TestClient(create_app(make_config(tmp_path, body_limit=1000))) as small:
        assert post(small, PR, "d-1") == (
            413, {"status": "rejected", "error": "the body is over 1,000 bytes"})
        assert deliveries(small) == []


def test_oversize_body_is_413_when_streamed(tmp_path: Path) -> None:
    body = fixture_body(PR)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 500):
            yield body[start:start + 500]

    with TestClient(create_app(make_config(tmp_path, body_limit=1000))) as small:
        response = small.post("/webhooks/github", content=chunks(), headers=headers(PR, "d-1"))
        assert "content-length" not in {k.lower() for k in response.request.headers}
        assert response.status_code == 413
        assert deliveries(small) == []


def test_body_at_the_cap_is_accepted(tmp_path: Path) -> None:
    with TestClient(create_app(make_config(tmp_path, body_limit=len(fixture_body(PR))))) as c:
        assert post(c, PR, "d-1")[0] == 202


@pytest.mark.parametrize(("body", "error"), [
    (b"{not json", "malformed payload: Expecting property name enclosed in double quotes: "
                   "line 1 column 2 (char 1)"),
    (b"[1, 2]", "malformed payload: the payload is not a JSON object"),
    (b"\xff\xfe", "malformed payload: 'utf-8' codec can't decode byte 0xff in position 0: "
                  "invalid start byte"),
])
def test_malformed_payload_is_400(client: TestClient, body: bytes, error: str) -> None:
    sent = headers(PR, "d-1", signature=sign(SECRET, body))
    response = client.post("/webhooks/github", content=body, headers=sent)
    assert (response.status_code, response.json()) == (400, {"status": "rejected",
                                                             "error": error})
    assert deliveries(client) == []


def test_form_encoded_payload_is_accepted(client: TestClient) -> None:
    body = urlencode({"payload": fixture_body(PR).decode("utf-8")}).encode("ascii")
    sent = headers(PR, "d-1", signature=sign(SECRET, body))
    sent["Content-Type"] = "application/x-www-form-urlencoded"
    response = client.post("/webhooks/github", content=body, headers=sent)
    assert response.status_code == 202
    assert jobs(client)[0].payload["sha"] == HEAD


@pytest.mark.parametrize(("name", "reason"), [
    ("ping.json", "ping: the webhook is set up"),
    ("push.json", "push deleting refs/tags/simple-tag"),
    ("pull_request.closed.json", "pull_request.closed is not reviewed"),
])
def test_ignored_events(client: TestClient, name: str, reason: str) -> None:
    assert post(client, name, "d-1") == (200, {"status": "ignored", "reason": reason})
    assert jobs(client) == []
    assert [d[2] for d in deliveries(client)] == ["ignored"]


def test_unknown_event_is_ignored(client: TestClient) -> None:
    assert post(client, "ping.json", "d-1", event="star") == (
        200, {"status": "ignored", "reason": "event 'star' is not acted on"})


def test_installation_registers_then_forgets(client: TestClient) -> None:
    assert post(client, "installation.created.json", "d-1") == (200, {
        "status": "registered", "reason": "installation.created",
        "added": ["Codertocat/Hello-World"], "removed": []})
    assert post(client, "installation_repositories.added.json", "d-2")[0] == 200
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        repos = {r.full_name: (r.installation_id, r.removed_at) for r in
                 session.scalars(select(Repository))}
    assert repos == {"Codertocat/Hello-World": (957387, None), "Codertocat/Space": (957387, None)}
    # The fixture's deletion is of another installation (2): ours keeps its repositories.
    assert post(client, "installation.deleted.json", "d-3")[0] == 200
    assert removed_repos(client) == {"Codertocat/Hello-World": False, "Codertocat/Space": False}
    payload = fixture_payload("installation.deleted.json")
    payload["installation"]["id"] = 957387
    body = json.dumps(payload).encode("utf-8")
    sent = headers("installation.deleted.json", "d-4", signature=sign(SECRET, body))
    assert client.post("/webhooks/github", content=body, headers=sent).status_code == 200
    assert removed_repos(client) == {"Codertocat/Hello-World": True, "Codertocat/Space": True}


def removed_repos(client: TestClient) -> dict[str, bool]:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return {r.full_name: r.removed_at is not None for r in
                session.scalars(select(Repository))}


def test_commit_already_reviewed_is_ignored(client: TestClient) -> None:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        session.add(Review(repo="Codertocat/Hello-World", learner="Codertocat", sha=HEAD,
                           ref="refs/heads/changes", pr_number=2,
                           rules_version=default_rulebook().version, score=80.0, letter="B",
                           level="beginner", criteria={}, finding_counts={}, duration=1.0,
                           report_json="{}", published=True))
        session.commit()
    assert post(client, PR, "d-1") == (200, {"status": "ignored",
                                             "reason": "the commit was already reviewed"})
    assert jobs(client) == []


def test_commit_reviewed_but_not_published_queues_a_job(client: TestClient) -> None:
    """Its publication failed for good: a new delivery's job publishes the stored review."""
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        session.add(Review(repo="Codertocat/Hello-World", learner="Codertocat", sha=HEAD,
                           ref="refs/heads/changes", pr_number=2,
                           rules_version=default_rulebook().version, score=80.0, letter="B",
                           level="beginner", criteria={}, finding_counts={}, duration=1.0,
                           report_json="{}"))
        session.commit()
    assert post(client, PR, "d-1") == (202, {"status": "accepted",
                                             "reason": "pull_request.opened", "jobs": [1]})


def test_queued_job_survives_a_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with TestClient(create_app(config)) as first:
        assert post(first, PR, "d-1")[0] == 202
    with TestClient(create_app(config)) as second:
        assert [(j.id, j.state) for j in jobs(second)] == [(1, JobState.QUEUED)]
        assert post(second, PR, "d-1")[1]["status"] == "duplicate"


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready",
                                                             "database": "ok"})


def test_concurrent_copies_of_a_delivery_queue_one_job(client: TestClient) -> None:
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: post(client, PR, "d-1"), range(8)))
    assert sorted(status for status, _ in results) == [200] * 7 + [202]
    assert {body["status"] for status, body in results if status == 200} == {"duplicate"}
    assert len(jobs(client)) == 1


def post_payload(client: TestClient, name: str, delivery: str,
                 payload: dict[str, object]) -> tuple[int, dict]:
    body = json.dumps(payload).encode("utf-8")
    response = client.post("/webhooks/github", content=body,
                           headers=headers(name, delivery, signature=sign(SECRET, body)))
    return response.status_code, response.json()


def test_deliveries_out_of_order_each_queue_their_own_commit(client: TestClient) -> None:
    # The synchronize of a newer head arrives before the opened of the older one, then the
    # installation event that should have come first, then GitHub's redelivery of the first.
    newer = "1" * 40
    synchronize = fixture_payload("pull_request.synchronize.json")
    synchronize["pull_request"]["head"]["sha"] = newer  # type: ignore[index]
    assert post_payload(client, "pull_request.synchronize.json", "d-2", synchronize)[0] == 202
    assert post(client, PR, "d-1")[0] == 202
    assert post(client, "installation.created.json", "d-0")[0] == 200
    assert post_payload(client, "pull_request.synchronize.json", "d-2", synchronize) == (
        200, {"status": "duplicate", "delivery": "d-2"})
    assert [(j.delivery_id, j.payload["sha"], j.payload["pr_number"]) for j in jobs(client)] == [
        ("d-2", newer, 2), ("d-1", HEAD, 2)]
    assert deliveries(client) == [("d-2", "pull_request", "accepted"),
                                  ("d-1", "pull_request", "accepted"),
                                  ("d-0", "installation", "registered")]
    assert removed_repos(client) == {"Codertocat/Hello-World": False}
