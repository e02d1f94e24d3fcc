"""Advanced topics (C20): credit only, never a finding; correct use where cheap to tell."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reviewbot.analyzers import advanced
from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput, AnalyzerRun, AnalyzerStatus, CriterionStatus
from reviewbot.rubric.criteria import ADJUSTERS
from reviewbot.rubric.grade import Rubric
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from tests.core.conftest import Files, write_tree

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "advanced"
EXAMPLES = HERE.parents[1] / "examples"


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.py.txt").read_text(encoding="utf-8")


def run_on(root: Path) -> AnalyzerOutput:
    ctx = ScanContext(build_inventory(root), default_rulebook(), Settings(), root, 60.0)
    return advanced.ANALYZER.run(ctx)


@pytest.fixture
def analyze(tmp_path: Path) -> Callable[[Files], AnalyzerOutput]:
    """Each call scans a fresh folder holding exactly `files`."""
    folders = iter(range(100))
    return lambda files: run_on(write_tree(tmp_path / f"repo{next(folders)}", files))


def topic(evidence: list[str], misuse: list[str] | None = None) -> dict[str, object]:
    return {"evidence": evidence, "correct": not misuse, "misuse": misuse or []}


def test_learner_example_has_no_advanced_topic() -> None:
    output = run_on(EXAMPLES / "learner-api")
    assert output.findings == ()
    assert output.facts == {"topics": {}, "credit": 0}


def test_good_example_is_credited_for_rate_limiting_and_background_tasks() -> None:
    output = run_on(EXAMPLES / "good-api")
    assert output.findings == ()
    assert output.facts == {
        "topics": {
            "background_jobs": topic(
                ["app/api/v1/routers/comments.py:60 `background_tasks.add_task(...)`"]
            ),
            "rate_limiting": topic(
                [
                    "app/api/deps.py:78 429 Too Many Requests answered",
                    "app/api/v1/routers/auth.py:26 429 Too Many Requests answered",
                    "app/core/rate_limit.py:10 custom limiter `RateLimiter`",
                ]
            ),
        },
        "credit": 80,
    }


def test_celery_tasks_called_directly_and_redis_per_request_earn_half_credit(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze(
        {
            "app/tasks.py": fixture("celery_tasks"),
            "app/views.py": fixture("celery_views"),
            "app/cache.py": fixture("redis_cache"),
        }
    )
    assert output.findings == ()
    assert output.facts == {
        "topics": {
            "caching": topic(
                [
                    "app/cache.py:3 Redis",
                    "app/cache.py:6 `redis.Redis.from_url(...)` client",
                    "app/cache.py:20 `redis.Redis(...)` client",
                ],
                [
                    "app/cache.py:20 `redis.Redis(...)` in request handler `stats`: a new "
                    "connection per request; create the client once at start-up and reuse it",
                ],
            ),
            "background_jobs": topic(
                ["app/tasks.py:1 Celery"],
                [
                    "app/views.py:10 task `send_receipt` called directly: it runs in the request, "
                    "not in a worker; queue it with `send_receipt.delay(...)`",
                ],
            ),
        },
        "credit": 40,
    }


def test_django_settings_give_caching_throttling_and_cursor_pagination(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze({"shop/settings.py": fixture("drf_settings")})
    assert output.facts == {
        "topics": {
            "caching": topic(["shop/settings.py:7 Django CACHES on Redis/Memcached"]),
            "rate_limiting": topic(["shop/settings.py:1 DRF throttling"]),
            "cursor_pagination": topic(["shop/settings.py:1 DRF CursorPagination"]),
        },
        "credit": 100,
    }


def test_websockets_queues_limiter_cursor_and_an_unused_background_tasks(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze(
        {"main.py": fixture("websockets_app"), "signup.py": fixture("unused_background")}
    )
    assert output.facts == {
        "topics": {
            "background_jobs": topic(
                ["signup.py:7 `signup` takes FastAPI BackgroundTasks"],
                ["`BackgroundTasks` is declared but no task is ever added"],
            ),
            "rate_limiting": topic(["main.py:3 slowapi"]),
            "message_queues": topic(
                ["main.py:1 Kafka", "main.py:12 `AIOKafkaProducer(...)` client"]
            ),
            "cursor_pagination": topic(["main.py:28 `cursor` parameter in `messages`"]),
            "websockets": topic(
                ["main.py:16 `app.websocket`", "main.py:17 websocket endpoint `chat`"]
            ),
        },
        "credit": 100,
    }


def test_a_websocket_that_ignores_disconnects_and_tests_are_not_credited(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    handler = (
        "from fastapi import FastAPI, WebSocket\n\napp = FastAPI()\n\n"
        "@app.websocket('/ws')\nasync def echo(ws: WebSocket):\n"
        "    while True:\n        await ws.send_text(await ws.receive_text())\n"
    )
    output = analyze({"main.py": handler, "tests/test_cache.py": "import redis\nimport celery\n"})
    assert output.facts == {
        "topics": {
            "websockets": topic(
                ["main.py:5 `app.websocket`", "main.py:6 websocket endpoint `echo`"],
                ["main.py:6 `echo` never handles `WebSocketDisconnect`"],
            ),
        },
        "credit": 20,
    }


def test_the_rubric_turns_topics_into_credit_and_none_into_not_applicable() -> None:
    adjust = ADJUSTERS["C20"]
    facts = {"advanced": {"credit": 80, "topics": {"rate_limiting": {}, "background_jobs": {}}}}
    assert adjust(100.0, facts) == (80.0, ["rate limiting, background jobs"])
    assert adjust(100.0, {}) == (0.0, [])

    book = default_rulebook()
    rubric = Rubric(book, Settings(), lines=1000)
    for credit, status in ((0, CriterionStatus.NOT_APPLICABLE), (40, CriterionStatus.WEAK)):
        output = AnalyzerOutput((), {"topics": {"caching": {}} if credit else {}, "credit": credit})
        runs = [AnalyzerRun("advanced", AnalyzerStatus.OK, 0.1, ("C20",), "", output)]
        c20 = rubric.judge(runs, [], is_backend=True)[19]
        assert (c20.id, c20.status) == ("C20", status)
