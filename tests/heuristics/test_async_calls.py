"""Async done right (C04): blocking calls in `async def`, sync sessions, coroutines not awaited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reviewbot.analyzers import async_calls
from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from tests.core.conftest import Files, write_tree

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "async"
EXAMPLES = HERE.parents[1] / "examples"

Row = tuple[str, str, int | None, str, str]


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.py.txt").read_text(encoding="utf-8")


def run_on(root: Path) -> AnalyzerOutput:
    inventory = build_inventory(root, is_git=False)
    ctx = ScanContext(inventory, default_rulebook(), Settings(), root, 60.0)
    return async_calls.ANALYZER.run(ctx)


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.path, f.line, f.severity.value, f.message) for f in output.findings]


@pytest.fixture
def analyze(tmp_path: Path) -> Callable[[Files], AnalyzerOutput]:
    return lambda files: run_on(write_tree(tmp_path / "repo", files))


HTTP = "every other request waits until the HTTP call returns"


def test_blocking_calls_in_async_endpoints(analyze: Callable[[Files], AnalyzerOutput]) -> None:
    output = analyze({"app/main.py": fixture("blocking_calls")})
    assert rows(output) == [
        ("RB0401", "app/main.py", 16, "error",
         f"Blocking `r.get()` (`requests.get`) inside `async def weather`: {HTTP}; use "
         "`httpx.AsyncClient` and `await client.get(...)`."),
        ("RB0401", "app/main.py", 17, "error",
         "Blocking `sleep(1)` (`time.sleep`) inside `async def weather`: the whole server "
         "freezes for the wait; use `await asyncio.sleep(1)`."),
        ("RB0401", "app/main.py", 23, "error",
         "Blocking `subprocess.run()` inside `async def build_report`: the event loop waits for "
         "the child process; use `await asyncio.create_subprocess_exec(...)`."),
        ("RB0401", "app/main.py", 24, "error",
         f"Blocking `urllib.request.urlopen()` inside `async def build_report`: {HTTP}; use "
         "`httpx.AsyncClient` and `await client.get(...)`."),
        ("RB0401", "app/main.py", 25, "error",
         f"Blocking `httpx.Client()` inside `async def build_report`: {HTTP}; use "
         "`httpx.AsyncClient` and `await client.get(...)`."),
        ("RB0401", "app/main.py", 27, "error",
         f"Blocking `httpx.post()` inside `async def build_report`: {HTTP}; use "
         "`httpx.AsyncClient` and `await client.post(...)`."),
        ("RB0401", "app/main.py", 33, "error",
         "Blocking `sqlite3.connect()` inside `async def notify`: the connection and every query "
         "block the event loop; use `aiosqlite` (`async with aiosqlite.connect(...) as db`)."),
        ("RB0401", "app/main.py", 35, "error",
         "Blocking `smtplib.SMTP()` inside `async def notify`: sending mail blocks the event "
         "loop; use `aiosmtplib`, or send it from a `BackgroundTasks` task."),
        ("RB0404", "app/main.py", 37, "info",
         "Blocking `open()` inside `async def notify`: file reads and writes block the event "
         "loop; use `aiofiles.open(...)` or `await asyncio.to_thread(path.read_text)`."),
    ]
    assert output.facts["async_functions"] == 3
    assert "not_applicable" not in output.facts


def test_async_equivalents_threads_and_plain_def_endpoints_are_silent(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze({"app/main.py": fixture("async_done_right")})
    assert rows(output) == []
    assert output.facts["async_functions"] == 5


def test_sync_sessions_in_async_def_and_async_sessions_done_right(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze(
        {
            "app/__init__.py": "",
            "app/database.py": fixture("database"),
            "app/models.py": "class Post:\n    pass\n",
            "app/sync_sessions.py": fixture("sync_sessions"),
            "app/async_sessions.py": fixture("async_sessions"),
        }
    )
    advice = (
        "every query blocks the event loop. Make it a plain `def` (FastAPI runs it in a "
        "threadpool) or use an `AsyncSession` and"
    )
    assert rows(output) == [
        ("RB0402", "app/sync_sessions.py", 17, "error",
         f"`async def list_posts` uses the sync session `db` (`db.scalars` at line 18): {advice} "
         "`await db.scalars(...)`."),
        ("RB0402", "app/sync_sessions.py", 22, "error",
         "`async def read_post` uses the sync session `session` (`session.get` at line 23): "
         f"{advice} `await session.get(...)`."),
        ("RB0402", "app/sync_sessions.py", 27, "error",
         "`async def delete_post` uses the sync session `db` (`db.get`, `db.delete`, "
         f"`db.commit` at lines 28-30): {advice} `await db.get(...)`."),
        ("RB0402", "app/sync_sessions.py", 34, "error",
         f"`async def count_posts` uses the sync session `db` (`db.query` at line 36): {advice} "
         "`await db.execute(select(...))`."),
        ("RB0402", "app/sync_sessions.py", 40, "error",
         "`async def first_post` uses the sync session `session` (`session.scalars`, "
         f"`SessionLocal().query` at lines 42-43): {advice} `await session.scalars(...)`."),
        ("RB0402", "app/sync_sessions.py", 54, "error",
         "`async def read_user` uses the sync session `db` (`crud.get_user(db)` at line 55): "
         f"{advice} `await db.execute(select(...))`."),
    ]


def test_blocking_project_helpers_are_followed_one_level(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze(
        {
            "app/__init__.py": "",
            "app/database.py": fixture("database"),
            "app/models.py": "class Post:\n    pass\n",
            "app/helpers.py": fixture("helpers"),
            "app/calls.py": fixture("calls_helpers"),
        }
    )
    assert rows(output) == [
        ("RB0403", "app/calls.py", 12, "warning",
         "`async def summary` calls `ask_openai()`, a plain function that blocks on "
         "`requests.post()` at app/helpers.py:11: run it in a thread with "
         "`await asyncio.to_thread(ask_openai, ...)` or make it async."),
        ("RB0403", "app/calls.py", 13, "warning",
         "`async def summary` calls `latest_titles()`, a plain function that blocks on database "
         "queries (`db.scalars`) at app/helpers.py:17: run it in a thread with "
         "`await asyncio.to_thread(latest_titles, ...)` or make it async."),
        ("RB0403", "app/calls.py", 14, "warning",
         "`async def summary` calls `slow_down()`, a plain function that blocks on "
         "`time.sleep(0.5)` at app/helpers.py:21: run it in a thread with "
         "`await asyncio.to_thread(slow_down, ...)` or make it async."),
    ]


def test_coroutines_that_are_never_awaited(analyze: Callable[[Files], AnalyzerOutput]) -> None:
    output = analyze(
        {"app/models.py": "class Post:\n    pass\n", "app/coroutines.py": fixture("coroutines")}
    )
    never = "returns a coroutine that is never awaited, so it never runs:"
    assert rows(output) == [
        ("RB0405", "app/coroutines.py", 29, "error",
         f"`self.publish(...)` {never} write `await self.publish(...)`."),
        ("RB0405", "app/coroutines.py", 36, "error",
         f"`session.commit()` {never} write `await session.commit()`."),
        ("RB0405", "app/coroutines.py", 37, "error",
         f"`notify_followers(...)` {never} write `await notify_followers(...)`."),
        ("RB0405", "app/coroutines.py", 38, "error",
         f"`session.execute(...)` {never} write `await session.execute(...)`."),
        ("RB0405", "app/coroutines.py", 39, "error",
         f"`client.get(...)` {never} write `await client.get(...)`."),
        ("RB0405", "app/coroutines.py", 57, "error",
         f"`notify_followers(...)` {never} make `sync_caller` async and `await` it, or run it "
         "with `asyncio.run(...)`."),
    ]


def test_django_async_views_with_the_sync_orm(analyze: Callable[[Files], AnalyzerOutput]) -> None:
    output = analyze(
        {
            "blog/models.py": "from django.db import models\n\n\nclass Post(models.Model):\n"
            "    title = models.CharField(max_length=200)\n",
            "blog/views.py": fixture("django_views"),
        }
    )
    assert rows(output) == [
        ("RB0402", "blog/views.py", 7, "error",
         "`async def post_detail` runs sync Django ORM queries (`Post.objects.get(...)`, "
         "`for ... in Post.objects.filter(...)` at lines 8-9): Django raises "
         "`SynchronousOnlyOperation`. Use the async API (`await Post.objects.aget(...)`, "
         "`async for`) or wrap the work in `sync_to_async`."),
    ]


def test_flask_async_view_and_tests_get_info(analyze: Callable[[Files], AnalyzerOutput]) -> None:
    output = analyze(
        {"app.py": fixture("flask_views"), "tests/test_worker.py": fixture("async_test")}
    )
    assert rows(output) == [
        ("RB0401", "app.py", 11, "error",
         f"Blocking `requests.get()` inside `async def quote`: {HTTP}; use `httpx.AsyncClient` "
         "and `await client.get(...)`."),
        ("RB0401", "tests/test_worker.py", 8, "info",
         "Blocking `time.sleep(0.1)` inside `async def test_waits_for_the_worker`: the whole "
         "server freezes for the wait; use `await asyncio.sleep(0.1)`."),
    ]
    # Only the app's own async code counts; the async test does not.
    assert output.facts["async_functions"] == 1


def test_django_startapp_tests_module_gets_info(analyze: Callable[[Files], AnalyzerOutput]) -> None:
    output = analyze({"blog/models.py": "x = 1\n", "blog/tests.py": fixture("async_test")})
    assert [(r[0], r[1], r[2], r[3]) for r in rows(output)] == [
        ("RB0401", "blog/tests.py", 8, "info"),
    ]


def test_no_async_code_means_not_applicable(analyze: Callable[[Files], AnalyzerOutput]) -> None:
    output = analyze(
        {
            "app.py": "import time\n\n\ndef slow():\n    time.sleep(1)\n",
            "tests/test_app.py": "async def test_x():\n    assert True\n",
        }
    )
    assert rows(output) == []
    assert output.facts["not_applicable"] == {"C04": "no async code"}


def test_learner_example_planted_async_mistakes() -> None:
    output = run_on(EXAMPLES / "learner-api")
    sync_session = (
        "every query blocks the event loop. Make it a plain `def` (FastAPI runs it in a "
        "threadpool) or use an `AsyncSession` and"
    )
    assert rows(output) == [
        ("RB0402", "main.py", 252, "error",
         "`async def add_comment` uses the sync session `db` (`db.add`, `db.commit` at lines "
         f"256-257): {sync_session} `await db.commit()`."),
        ("RB0401", "main.py", 277, "error",
         f"Blocking `requests.get()` inside `async def random_quote`: {HTTP}; use "
         "`httpx.AsyncClient` and `await client.get(...)`."),
        ("RB0402", "main.py", 285, "error",
         "`async def summarize_post` uses the sync session `db` (`db.query` at line 287): "
         f"{sync_session} `await db.execute(select(...))`."),
        ("RB0401", "main.py", 291, "error",
         "Blocking `time.sleep(2)` inside `async def summarize_post`: the whole server freezes "
         "for the wait; use `await asyncio.sleep(2)`."),
        ("RB0403", "main.py", 292, "warning",
         "`async def summarize_post` calls `ask_openai()`, a plain function that blocks on "
         "`requests.post()` at utils.py:52: run it in a thread with "
         "`await asyncio.to_thread(ask_openai, ...)` or make it async."),
    ]


def test_good_example_is_silent() -> None:
    output = run_on(EXAMPLES / "good-api")
    assert rows(output) == []
    assert output.facts["async_functions"] == 3
