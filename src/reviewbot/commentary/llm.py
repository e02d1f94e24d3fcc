"""The seam onto the official `openai` client, and reviewbot's own retry policy around it.

The client is made with `max_retries=0`: reviewbot does the retrying itself, so the number of
attempts, the waits between them and the total time are bounded and the same in every run.
Timeouts, connection errors, 408/409/429 and 5xx answers are retried with exponential backoff
(a 429's `retry-after` is honoured when it is short enough); anything else fails at once.
Each attempt is abandoned after twice the timeout even if the server keeps trickling bytes,
so a review never hangs on its commentary.
`openai` is imported only when a client is made: without `--llm` it is never needed.

Nothing here logs or returns the API key, request bodies or reply text.
"""

from __future__ import annotations

import email.utils
import importlib
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from openai import OpenAI

log = logging.getLogger(__name__)

OPENAI_URL: Final = "https://api.openai.com/v1"
# A request is given up after this many times the timeout, however the server trickles.
HARD_LIMIT_FACTOR: Final = 2.0
# Sent as the key to keyless local servers: the client insists on one.
NO_KEY: Final = "no-key-needed"
_RETRIED_STATUS: Final = frozenset({408, 409, 429})
_STATUS_HINT: Final = {
    401: " (check OPENAI_API_KEY)",
    403: " (check the key's permissions)",
    404: " (check --model and --llm-base-url)",
}


class LLMUnavailableError(Exception):
    """No commentary could be had from the server; the message says why, in one line."""


class OpenAIMissingError(LLMUnavailableError):
    """The `openai` package is not installed."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to try. The total time is bounded by
    attempts x timeout + (attempts - 1) x max_delay."""

    attempts: int = 3
    base_delay: float = 1.0
    # The longest wait between attempts, a server's retry-after included: a server asking
    # for more is not waited for.
    max_delay: float = 20.0


@dataclass(frozen=True, slots=True)
class Completion:
    """What came back from one successful request."""

    content: str | None
    refusal: str | None
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    latency: float
    attempts: int
    model: str


def is_local(base_url: str | None) -> bool:
    """Whether `base_url` points to this machine or a private network (a local Ollama or
    vLLM), where no API key is needed."""
    if not base_url:
        return False
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def token_limit_parameter(base_url: str | None) -> str:
    """OpenAI's own API (and Azure's) take `max_completion_tokens` (newer models reject
    `max_tokens`); OpenAI-compatible servers such as Ollama and vLLM know `max_tokens`."""
    host = (urlsplit(base_url or OPENAI_URL).hostname or "").lower()
    if host == "api.openai.com" or host.endswith(".openai.azure.com"):
        return "max_completion_tokens"
    return "max_tokens"


def retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds a server asks to wait: `retry-after-ms`, or `retry-after` in seconds or as an
    HTTP date. None when it says nothing usable."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    seconds: float = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


class _RetryableError(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class ChatClient:
    """Chat completions from one OpenAI-compatible endpoint, with bounded retries.

    `sleep` and `clock` are injectable so tests run the retry policy without waiting.
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        try:
            # An optional dependency, imported only when commentary is asked for.
            openai = importlib.import_module("openai")
        except ImportError:
            raise OpenAIMissingError("install reviewbot[llm]") from None
        self._openai = openai
        self.base_url = base_url or OPENAI_URL
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._client: OpenAI = openai.OpenAI(
            api_key=api_key or NO_KEY,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=0,
        )

    def close(self) -> None:
        self._client.close()

    def complete(
        self,
        *,
        model: str,
        messages: Sequence[Mapping[str, str]],
        response_format: Mapping[str, Any],
        max_tokens: int,
    ) -> Completion:
        """One chat completion, retried on transient failures. Raises LLMUnavailableError."""
        options: dict[str, Any] = {
            "model": model,
            "messages": [dict(message) for message in messages],
            "response_format": dict(response_format),
            "temperature": 0.2,
            token_limit_parameter(self.base_url): max_tokens,
        }
        for attempt in range(1, self.policy.attempts + 1):
            started = self._clock()
            try:
                response = self._create(options)
            except _RetryableError as exc:
                retry = exc
            except self._openai.OpenAIError as exc:
                retry = self._classify(exc)
            else:
                return _completion(response, self._clock() - started, attempt, model)
            if attempt == self.policy.attempts:
                raise LLMUnavailableError(
                    f"{retry.reason}; gave up after {attempt} attempts"
                ) from None
            wait = self._wait(attempt, retry)
            log.warning("LLM request failed (%s); retrying in %.1f s", retry.reason, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _create(self, options: Mapping[str, Any]) -> Any:
        """The request, abandoned after HARD_LIMIT_FACTOR times the timeout (plus a second)
        even when the server keeps it alive by trickling bytes: httpx's timeouts bound each
        read, not the whole request. An abandoned request ends when the client is closed."""
        outcome: dict[str, Any] = {}

        def call() -> None:
            try:
                outcome["response"] = self._client.chat.completions.create(**options)
            except BaseException as exc:  # handed over to the waiting thread
                outcome["error"] = exc

        worker = threading.Thread(target=call, name="reviewbot-llm", daemon=True)
        worker.start()
        worker.join(self.timeout * HARD_LIMIT_FACTOR + 1.0)
        if worker.is_alive():
            raise _RetryableError(f"no answer within {self.timeout:g} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["response"]

    def _wait(self, attempt: int, retry: _RetryableError) -> float:
        backoff = self.policy.base_delay * 2.0 ** (attempt - 1)
        if retry.wait is None:
            return min(backoff, self.policy.max_delay)
        if retry.wait > self.policy.max_delay:
            raise LLMUnavailableError(
                f"{retry.reason}; the server asks to wait {retry.wait:.0f} s, more than "
                f"{self.policy.max_delay:.0f} s"
            )
        return max(retry.wait, 0.0)

    def _classify(self, exc: Exception) -> _RetryableError:
        """A transient failure to retry, or LLMUnavailableError for a permanent one."""
        openai = self._openai
        if isinstance(exc, openai.APITimeoutError):
            return _RetryableError(f"no answer within {self.timeout:g} s")
        if isinstance(exc, openai.APIConnectionError):
            return _RetryableError(f"could not connect to {_endpoint(self.base_url)}")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status in _RETRIED_STATUS or status >= 500:
                headers = dict(exc.response.headers) if exc.response is not None else None
                label = "rate limited (HTTP 429)" if status == 429 else f"HTTP {status}"
                return _RetryableError(f"the server answered {label}", retry_after(headers))
            # The server's own message may quote the key partly: only the status is shown.
            raise LLMUnavailableError(
                f"the server answered HTTP {status}{_STATUS_HINT.get(status, '')}"
            ) from None
        raise LLMUnavailableError(f"unexpected answer from the server ({type(exc).__name__})")


def _endpoint(base_url: str) -> str:
    """The URL without any user:password part."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _completion(response: Any, latency: float, attempts: int, model: str) -> Completion:
    try:
        choice = response.choices[0]
        message = choice.message
    except (AttributeError, IndexError, TypeError):
        raise LLMUnavailableError("the server's answer holds no message") from None
    usage = getattr(response, "usage", None)
    return Completion(
        content=getattr(message, "content", None),
        refusal=getattr(message, "refusal", None),
        finish_reason=getattr(choice, "finish_reason", None),
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        completion_tokens=getattr(usage, "completion_tokens", None),
        latency=round(latency, 3),
        attempts=attempts,
        model=str(getattr(response, "model", None) or model),
    )
