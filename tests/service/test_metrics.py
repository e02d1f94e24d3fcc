"""`GET /metrics`: the exact samples after real deliveries and on a seeded database, parsed
with prometheus_client's own parser."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.service.app import create_app
from reviewbot.service.config import ServiceConfig
from reviewbot.service.metrics import DatabaseCollector
from reviewbot.service.store import Job, JobState, make_engine, session_factory
from reviewbot.service.webhooks import sign
from tests.service.dashboard_seed import seed
from tests.service.deliveries import SECRET, fixture_body, headers

PR = "pull_request.opened.json"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def make_app(tmp_path: Path, name: str = "s.db") -> TestClient:
    config = ServiceConfig(webhook_secret=SECRET, data_dir=tmp_path, workers=0,
                           database_url=f"sqlite:///{tmp_path / name}")
    return TestClient(create_app(config))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_app(tmp_path) as test_client:
        yield test_client


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples if not sample.name.endswith("_created")}


def named(samples: Samples, prefix: str) -> Samples:
    return {key: value for key, value in samples.items() if key[0].startswith(prefix)}


def deliver(client: TestClient, name: str, delivery: str, **kwargs: str) -> int:
    response = client.post("/webhooks/github", content=fixture_body(name),
                           headers=headers(name, delivery, **kwargs))
    return response.status_code


def test_deliveries_by_event_and_outcome(client: TestClient) -> None:
    assert scrape(client)[("reviewbot_database_up", ())] == 1.0
    assert named(scrape(client), "reviewbot_webhook_deliveries") == {}
    assert deliver(client, PR, "d-1") == 202
    assert deliver(client, PR, "d-1") == 200  # duplicate
    assert deliver(client, PR, "d-2", signature="sha256=" + "0" * 64) == 401
    assert deliver(client, "ping.json", "d-3") == 200
    assert deliver(client, "installation.created.json", "d-4") == 200
    assert deliver(client, "pull_request.synchronize.json", "d-5") == 202
    body = b"{not json"
    bad = client.post("/webhooks/github", content=body,
                      headers=headers(PR, "d-6", signature=sign(SECRET, body)))
    assert bad.status_code == 400
    missing = headers(PR, "d-7")
    del missing["X-Hub-Signature-256"]
    missing["X-GitHub-Event"] = "made-up-event"
    assert client.post("/webhooks/github", content=fixture_body(PR),
                       headers=missing).status_code == 401

    samples = scrape(client)
    deliveries = "reviewbot_webhook_deliveries_total"
    assert named(samples, "reviewbot_webhook_deliveries") == {
        (deliveries, (("event", "pull_request"), ("outcome", "accepted"))): 2.0,
        (deliveries, (("event", "pull_request"), ("outcome", "duplicate"))): 1.0,
        (deliveries, (("event", "pull_request"), ("outcome", "rejected"))): 1.0,
        (deliveries, (("event", "unverified"), ("outcome", "rejected"))): 2.0,
        (deliveries, (("event", "ping"), ("outcome", "ignored"))): 1.0,
        (deliveries, (("event", "installation"), ("outcome", "registered"))): 1.0,
    }
    assert samples[("reviewbot_queue_depth", ())] == 2.0
    assert samples[("reviewbot_jobs", (("state", "queued"),))] == 2.0


def add_jobs(sessions: sessionmaker[Session]) -> None:
    now = time.time()
    rows = [  # state, attempts, last error
        (JobState.QUEUED, 0, None),
        (JobState.LEASED, 2, "worker died"),
        (JobState.FAILED, 1, "clone failed"),
        (JobState.DONE, 1, None),
        (JobState.DONE, 3, "timeout"),
        (JobState.DEAD, 5, "clone failed"),
    ]
    with sessions() as session:
        for state, attempts, error in rows:
            session.add(Job(kind="review", payload={"repo": "a/b"}, state=state,
                            attempts=attempts, max_attempts=5, last_error=error,
                            next_run_at=now, created_at=now))
        session.commit()


def test_database_metrics(client: TestClient) -> None:
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    seed(sessions, time.time())
    add_jobs(sessions)
    samples = scrape(client)
    assert named(samples, "reviewbot_jobs") == {
        ("reviewbot_jobs", (("state", "queued"),)): 1.0,
        ("reviewbot_jobs", (("state", "leased"),)): 1.0,
        ("reviewbot_jobs", (("state", "failed"),)): 1.0,
        ("reviewbot_jobs", (("state", "done"),)): 2.0,
        ("reviewbot_jobs", (("state", "dead"),)): 1.0,
        ("reviewbot_jobs_with_error", ()): 4.0,
    }
    assert samples[("reviewbot_queue_depth", ())] == 3.0
    # failed 1 + dead 5 + leased 2-1 + done 0 and 3-1
    assert samples[("reviewbot_job_failed_attempts_total", ())] == 9.0
    assert samples[("reviewbot_reviews_total", ())] == 10.0
    duration = "reviewbot_review_duration_seconds"
    # 2.0, 9.0, 12.5 x3, 14.0, 31.0, 48.0, 55.5, 250.0
    assert named(samples, duration) == {
        **{(f"{duration}_bucket", (("le", le),)): count for le, count in (
            ("1.0", 0.0), ("2.5", 1.0), ("5.0", 1.0), ("10.0", 2.0), ("30.0", 6.0),
            ("60.0", 9.0), ("120.0", 9.0), ("300.0", 10.0), ("600.0", 10.0), ("+Inf", 10.0))},
        (f"{duration}_count", ()): 10.0,
        (f"{duration}_sum", ()): 447.0,
    }


def test_an_empty_database_exports_zeros(client: TestClient) -> None:
    samples = scrape(client)
    assert samples[("reviewbot_database_up", ())] == 1.0
    assert samples[("reviewbot_queue_depth", ())] == 0.0
    assert samples[("reviewbot_job_failed_attempts_total", ())] == 0.0
    assert samples[("reviewbot_review_duration_seconds_count", ())] == 0.0
    assert samples[("reviewbot_review_duration_seconds_sum", ())] == 0.0
    assert samples[("reviewbot_jobs", (("state", "dead"),))] == 0.0


def test_an_unreachable_database_is_reported_not_raised(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    families = list(DatabaseCollector(session_factory(engine)).collect())
    assert [(f.name, [(s.name, s.value) for s in f.samples]) for f in families] == [
        ("reviewbot_database_up", [("reviewbot_database_up", 0.0)])]


def test_each_app_counts_its_own_deliveries(tmp_path: Path) -> None:
    with make_app(tmp_path, "one.db") as one, make_app(tmp_path, "two.db") as two:
        assert deliver(one, "ping.json", "p-1") == 200
        assert deliver(one, "ping.json", "p-2") == 200
        assert deliver(two, "ping.json", "p-1") == 200
        key = ("reviewbot_webhook_deliveries_total", (("event", "ping"), ("outcome", "ignored")))
        assert (scrape(one)[key], scrape(two)[key]) == (2.0, 1.0)
