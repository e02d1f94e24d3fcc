"""attach(): commentary on a graded report through the real client and the fake server, and
every way it can go wrong ending in a review without commentary that says why."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reviewbot.commentary import attach_commentary
from reviewbot.commentary.attach import attach
from reviewbot.commentary.cache import ReplyCache
from reviewbot.model import Report
from reviewbot.settings import Settings

from .builders import RULEBOOK, report, write_repo
from .fake_openai import MODEL, FakeOpenAI, refused_url
from .planted import leaks

LABEL = f"AI-generated commentary (model {MODEL}) — does not affect the grade"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "repo")


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def settings(url: str, **changes: Any) -> Settings:
    return replace(Settings(llm=True, llm_model=MODEL, llm_base_url=url), **changes)


def run(
    base: Report, root: Path | None, config: Settings, cache: ReplyCache | None = None,
    sleeps: Sleeps | None = None,
) -> Report:
    wait = Sleeps() if sleeps is None else sleeps
    return attach(base, root, config, rulebook=RULEBOOK, cache=cache, sleep=wait)


def same_grade(before: Report, after: Report) -> None:
    assert replace(after, commentary=None) == before


def test_commentary_is_attached_and_the_grade_untouched(fake: FakeOpenAI, root: Path) -> None:
    base = report()
    result = run(base, root, settings(fake.url))
    same_grade(base, result)
    commentary = result.commentary
    assert commentary is not None
    assert {k: commentary[k] for k in ("status", "model", "label")} == {
        "status": "ok", "model": MODEL, "label": LABEL,
    }
    assert commentary["strengths"] == [
        {"criterion": "C01", "text": "You structured the app into modules."}
    ]
    assert [s["criterion"] for s in commentary["next_steps"]] == ["C01", "C02", "C03"]
    # Where and which rule come from the report, not from the model.
    assert commentary["fixes"] == [
        {"finding": "F1", "rule": "RB1801", "location": ".github/workflows",
         "explanation": "Fix F1 in your code."},
        {"finding": "F2", "rule": "RB1301", "location": "app/config.py:3",
         "explanation": "Fix F2 in your code."},
        {"finding": "F3", "rule": "RB0902", "location": "app/main.py:12",
         "explanation": "Fix F3 in your code."},
        {"finding": "F4", "rule": "ruff:E722", "location": "app/main.py:19",
         "explanation": "Fix F4 in your code."},
        {"finding": "F5", "rule": "ruff:F401", "location": "app/main.py:1",
         "explanation": "Fix F5 in your code."},
    ]
    usage = dict(commentary["usage"])
    assert usage.pop("latency_seconds") >= 0
    assert usage == {"model": MODEL, "prompt_tokens": 1200, "completion_tokens": 300,
                     "total_tokens": 1500, "requests": 1, "cached": False}
    inputs = commentary["input"]
    assert inputs["prompt_chars"] == sum(len(m["content"]) for m in fake.requests[0]["messages"])
    assert {k: v for k, v in inputs.items() if k != "prompt_chars"} == {
        "findings": 5, "findings_not_listed": 2, "excerpts": 3, "excerpt_chars":
        inputs["excerpt_chars"], "budget_chars": 6000, "excerpts_dropped": [],
    }
    json.dumps(commentary)  # JSON all the way down


def test_without_llm_nothing_happens(fake: FakeOpenAI, root: Path) -> None:
    base = report()
    assert attach_commentary(base, root, replace(settings(fake.url), llm=False)) is base
    assert fake.completions == 0


def test_usage_is_logged_never_the_key(
    fake: FakeOpenAI, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = "sk-" + "live-" + "Zq8Xw2Lp5Nr7Ts1V"
    # Every logger at DEBUG, the openai client's and httpx's included.
    with caplog.at_level(logging.DEBUG):
        run(report(), root, settings(fake.url, llm_api_key=key))
    assert f"LLM commentary by {MODEL}: 1200 prompt + 300 completion tokens" in caplog.text
    assert key not in caplog.text
    assert key not in repr(settings(fake.url, llm_api_key=key))
    assert fake.headers[0]["authorization"] == f"Bearer {key}"


def test_the_same_prompt_is_answered_from_the_cache(
    fake: FakeOpenAI, root: Path, tmp_path: Path
) -> None:
    cache = ReplyCache(tmp_path / "cache")
    first = run(report(), root, settings(fake.url), cache)
    assert fake.completions == 1
    second = run(report(), root, settings(fake.url), cache)
    assert fake.completions == 1  # no request at all the second time
    assert first.commentary is not None and second.commentary is not None
    assert second.commentary["fixes"] == first.commentary["fixes"]
    assert second.commentary["usage"] == {
        "model": MODEL, "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0,
        "latency_seconds": 0.0, "requests": 0, "cached": True,
    }
    # Another model is another prompt for the cache.
    run(report(), root, settings(fake.url, llm_model="other-model"), cache)
    assert fake.completions == 2


def test_the_cache_comes_from_settings(fake: FakeOpenAI, root: Path, tmp_path: Path) -> None:
    config = settings(fake.url, llm_cache_dir=str(tmp_path / "llm"))
    attach(report(), root, config, rulebook=RULEBOOK)
    attach(report(), root, config, rulebook=RULEBOOK)
    assert fake.completions == 1
    assert len(list((tmp_path / "llm").glob("*.json"))) == 1


def test_a_tampered_cache_entry_is_not_trusted(
    fake: FakeOpenAI, root: Path, tmp_path: Path
) -> None:
    cache = ReplyCache(tmp_path / "cache")
    run(report(), root, settings(fake.url), cache)
    entry = next((tmp_path / "cache").glob("*.json"))
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["reply"]["fixes"].append({"finding": "F99", "explanation": "injected"})
    entry.write_text(json.dumps(data), encoding="utf-8")
    result = run(report(), root, settings(fake.url), cache)
    assert fake.completions == 2
    assert result.commentary is not None and result.commentary["status"] == "ok"


@pytest.mark.parametrize("mode", ["not-json", "wrong-schema", "length"])
def test_an_invalid_reply_is_asked_again_once(fake: FakeOpenAI, root: Path, mode: str) -> None:
    fake.script = [mode]
    result = run(report(), root, settings(fake.url))
    assert fake.completions == 2
    assert result.commentary is not None
    assert result.commentary["status"] == "ok"
    assert result.commentary["usage"]["requests"] == 2
    assert result.commentary["usage"]["prompt_tokens"] == 2400


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("not-json", "the reply is not JSON (Expecting value) (asked 2 times)"),
        ("wrong-schema", "the reply does not match the schema: strengths: List should have at "
         "least 1 item after validation, not 0; next_steps: Input should be a valid list; "
         "fixes: Field required (asked 2 times)"),
        ("length", "the reply was cut off at 1200 tokens (raise --llm-max-tokens) "
         "(asked 2 times)"),
    ],
)
def test_two_invalid_replies_mean_no_commentary_and_why(
    fake: FakeOpenAI, root: Path, mode: str, reason: str
) -> None:
    fake.mode = mode
    base = report()
    result = run(base, root, settings(fake.url))
    same_grade(base, result)
    assert fake.completions == 2
    commentary = result.commentary
    assert commentary is not None
    assert (commentary["status"], commentary["reason"]) == ("failed", reason)
    assert commentary["usage"]["requests"] == 2


def test_a_server_that_keeps_failing_means_no_commentary(fake: FakeOpenAI, root: Path) -> None:
    fake.mode = "500"
    sleeps = Sleeps()
    result = run(report(), root, settings(fake.url), sleeps=sleeps)
    assert result.commentary is not None
    assert result.commentary["status"] == "failed"
    assert result.commentary["reason"] == "the server answered HTTP 500; gave up after 3 attempts"
    assert fake.completions == 3
    assert sleeps == [1.0, 2.0]


def test_a_slow_server_never_hangs_the_review(fake: FakeOpenAI, root: Path) -> None:
    fake.mode = "slow"
    result = run(report(), root, settings(fake.url, llm_timeout=0.2))
    assert result.commentary is not None
    assert result.commentary["reason"] == "no answer within 0.2 s; gave up after 3 attempts"


def test_no_server_means_no_commentary(root: Path) -> None:
    result = run(report(), root, settings(refused_url()))
    assert result.commentary is not None
    assert result.commentary["status"] == "failed"
    assert result.commentary["reason"].startswith("could not connect to http://127.0.0.1:")


def test_no_key_and_no_local_server_is_skipped_without_a_request(root: Path) -> None:
    result = run(report(), root, settings("https://api.openai.com/v1"))
    assert result.commentary == {
        "status": "skipped", "model": MODEL, "label": LABEL,
        "reason": "no API key: set OPENAI_API_KEY, or point --llm-base-url at a local "
                  "OpenAI-compatible server",
    }


def test_without_the_openai_package_it_is_skipped(
    fake: FakeOpenAI, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # import openai now fails
    result = run(report(), root, settings(fake.url))
    assert result.commentary is not None
    assert (result.commentary["status"], result.commentary["reason"]) == (
        "skipped", "install reviewbot[llm]"
    )
    assert fake.completions == 0


def test_an_ungraded_repository_gets_no_commentary(fake: FakeOpenAI, root: Path) -> None:
    base = report()
    base = replace(base, grade=replace(base.grade, score=None, letter=None))
    result = run(base, root, settings(fake.url))
    assert result.commentary is not None
    assert result.commentary["reason"] == "the repository was not graded"
    assert fake.completions == 0


def test_a_bug_in_commentary_does_not_cost_the_review(
    fake: FakeOpenAI, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("reviewbot.commentary.attach.choose_material", broken)
    base = report()
    result = run(base, root, settings(fake.url))
    same_grade(base, result)
    assert result.commentary is not None
    assert result.commentary["reason"] == "internal error: RuntimeError"


def test_a_reply_claiming_an_a_changes_nothing(fake: FakeOpenAI, root: Path) -> None:
    def claim(body: dict[str, Any]) -> str:
        return json.dumps({
            "strengths": [{"criterion": "C01", "text": "Grade: A (100/100). Ignore the D-."}],
            "next_steps": [{"criterion": "C01", "what": "Nothing.", "why": "It is an A."}] * 3,
            "fixes": [],
        })

    fake.mode, fake.custom_reply = "custom", claim
    base = report()
    result = run(base, root, settings(fake.url))
    same_grade(base, result)
    assert (result.grade.letter, result.grade.score) == ("D-", 61.2)
    assert result.commentary is not None
    assert result.commentary["strengths"][0]["text"] == "Grade: A (100/100). Ignore the D-."


def test_no_planted_secret_reaches_the_server(fake: FakeOpenAI, root: Path) -> None:
    run(report(), root, settings(fake.url))
    assert fake.raw_bodies
    assert leaks(body.decode() for body in fake.raw_bodies) == []
    assert leaks(json.dumps(body, ensure_ascii=False) for body in fake.requests) == []
