"""The openai client seam against the fake server: what is sent, and the retry policy for
timeouts, 429s, 5xx and connection errors (bounded, deterministic, never a hang)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import openai
import pytest

from reviewbot.commentary.llm import (
    ChatClient,
    Completion,
    LLMUnavailableError,
    RetryPolicy,
    is_local,
    retry_after,
    token_limit_parameter,
)
from reviewbot.commentary.schema import response_format

from .fake_openai import MODEL, FakeOpenAI, refused_url

MESSAGES = [
    {"role": "system", "content": "You write commentary."},
    {"role": "user", "content": 'C01 | x\n<finding ref="F1" rule="r">'},
]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


class Sleeps(list[float]):
    """Records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(
    url: str, sleeps: Sleeps, timeout: float = 10.0, key: str | None = "sk-test"
) -> ChatClient:
    return ChatClient(api_key=key, base_url=url, timeout=timeout, sleep=sleeps)


def ask(chat: ChatClient, max_tokens: int = 500) -> Completion:
    return chat.complete(
        model=MODEL, messages=MESSAGES, response_format=response_format(), max_tokens=max_tokens
    )


def test_a_completion_with_usage(fake: FakeOpenAI) -> None:
    sleeps = Sleeps()
    result = ask(client(fake.url, sleeps))
    assert json.loads(result.content or "")["fixes"] == [
        {"finding": "F1", "explanation": "Fix F1 in your code."}
    ]
    assert (result.prompt_tokens, result.completion_tokens) == (1200, 300)
    assert (result.finish_reason, result.attempts, result.model) == ("stop", 1, MODEL)
    assert result.latency > 0
    assert sleeps == []


def test_the_request_is_strict_structured_output_with_a_token_budget(fake: FakeOpenAI) -> None:
    ask(client(fake.url, Sleeps()), max_tokens=321)
    body = fake.requests[0]
    assert body["model"] == MODEL
    assert body["messages"] == MESSAGES
    assert body["response_format"] == response_format()
    # A local OpenAI-compatible server gets max_tokens (OpenAI's own API the newer name).
    assert body["max_tokens"] == 321
    assert "max_completion_tokens" not in body
    assert fake.headers[0]["authorization"] == "Bearer sk-test"


def test_a_local_server_needs_no_key(fake: FakeOpenAI) -> None:
    ask(client(fake.url, Sleeps(), key=None))
    assert fake.headers[0]["authorization"] == "Bearer no-key-needed"


def test_the_real_client_lists_the_fake_models(fake: FakeOpenAI) -> None:
    models = openai.OpenAI(api_key="k", base_url=fake.url, max_retries=0).models.list()
    assert [m.id for m in models] == [MODEL]


def test_a_500_is_retried_with_backoff(fake: FakeOpenAI) -> None:
    fake.script = ["500", "500"]
    sleeps = Sleeps()
    result = ask(client(fake.url, sleeps))
    assert result.attempts == 3
    assert fake.completions == 3
    assert sleeps == [1.0, 2.0]


def test_persistent_500s_give_up_after_three_attempts(fake: FakeOpenAI) -> None:
    fake.mode = "500"
    sleeps = Sleeps()
    with pytest.raises(LLMUnavailableError) as caught:
        ask(client(fake.url, sleeps))
    assert str(caught.value) == "the server answered HTTP 500; gave up after 3 attempts"
    assert fake.completions == 3
    assert sleeps == [1.0, 2.0]


def test_a_429_waits_as_long_as_retry_after_says(fake: FakeOpenAI) -> None:
    fake.script = ["429"]
    fake.retry_after = "7"
    sleeps = Sleeps()
    result = ask(client(fake.url, sleeps))
    assert result.attempts == 2
    assert sleeps == [7.0]


def test_a_429_asking_for_too_long_a_wait_gives_up_at_once(fake: FakeOpenAI) -> None:
    fake.mode = "429"
    fake.retry_after = "3600"
    sleeps = Sleeps()
    with pytest.raises(LLMUnavailableError) as caught:
        ask(client(fake.url, sleeps))
    assert str(caught.value) == (
        "the server answered rate limited (HTTP 429); the server asks to wait 3600 s, "
        "more than 20 s"
    )
    assert fake.completions == 1
    assert sleeps == []


def test_a_wrong_key_is_not_retried_and_not_quoted(fake: FakeOpenAI) -> None:
    fake.mode = "401"
    with pytest.raises(LLMUnavailableError) as caught:
        ask(client(fake.url, Sleeps()))
    assert str(caught.value) == "the server answered HTTP 401 (check OPENAI_API_KEY)"
    assert fake.completions == 1


def test_a_slow_server_times_out_three_times_then_gives_up(fake: FakeOpenAI) -> None:
    fake.mode = "slow"
    fake.slow_seconds = 3.0
    sleeps = Sleeps()
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError) as caught:
        ask(client(fake.url, sleeps, timeout=0.3))
    elapsed = time.monotonic() - started
    assert str(caught.value) == "no answer within 0.3 s; gave up after 3 attempts"
    assert sleeps == [1.0, 2.0]
    assert fake.completions == 3
    assert elapsed < 2.5  # three timeouts of 0.3 s, not three slow replies


def test_a_trickling_server_is_given_up_on(fake: FakeOpenAI) -> None:
    # Every read succeeds within the timeout; the request as a whole is still bounded.
    fake.mode = "trickle"
    sleeps = Sleeps()
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError) as caught:
        ask(ChatClient(api_key="k", base_url=fake.url, timeout=0.3, sleep=sleeps,
                       policy=RetryPolicy(attempts=2)))
    elapsed = time.monotonic() - started
    assert str(caught.value) == "no answer within 0.3 s; gave up after 2 attempts"
    assert fake.completions == 2
    assert 2 * (0.3 * 2 + 1) <= elapsed < 6


def test_connection_refused_is_retried_then_reported() -> None:
    url = refused_url()
    sleeps = Sleeps()
    with pytest.raises(LLMUnavailableError) as caught:
        ask(client(url, sleeps))
    assert str(caught.value) == f"could not connect to {url}; gave up after 3 attempts"
    assert sleeps == [1.0, 2.0]


def test_the_endpoint_is_reported_without_credentials() -> None:
    url = refused_url().replace("http://", "http://user:pa55word@")
    with pytest.raises(LLMUnavailableError) as caught:
        ask(ChatClient(api_key="k", base_url=url, timeout=5, sleep=Sleeps(),
                       policy=RetryPolicy(attempts=1)))
    assert "pa55word" not in str(caught.value)
    assert str(caught.value).startswith("could not connect to http://127.0.0.1:")


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:11434/v1", True),
        ("http://127.0.0.1:8000/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://192.168.1.20:8000/v1", True),
        ("http://ollama.localhost/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://my-proxy.example.com/v1", False),
        (None, False),
    ],
)
def test_is_local(url: str | None, local: bool) -> None:
    assert is_local(url) is local


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (None, "max_completion_tokens"),
        ("https://api.openai.com/v1", "max_completion_tokens"),
        ("https://team.openai.azure.com/openai/v1/", "max_completion_tokens"),
        ("http://localhost:11434/v1", "max_tokens"),
        ("http://litellm.internal:4000", "max_tokens"),
    ],
)
def test_token_limit_parameter(url: str | None, name: str) -> None:
    assert token_limit_parameter(url) == name


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "Thu, 01 Jan 1970 00:00:30 GMT"}, 20.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_retry_after(headers: dict[str, str] | None, seconds: float | None) -> None:
    assert retry_after(headers, now=10.0) == seconds
