"""Asking an LLM for mentor-style commentary on a graded report, and attaching it.

The report is graded before this runs and the commentary is attached with
`dataclasses.replace(report, commentary=...)`: nothing the model says can reach a score, a
letter or a criterion. Whatever happens (no key, no `openai`, a timeout, an invalid reply, a
bug here) the review goes out, with `commentary` saying why there is none.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from reviewbot.commentary.cache import ReplyCache, cache_key
from reviewbot.commentary.excerpts import PromptMaterial, TopFinding, choose_material
from reviewbot.commentary.llm import (
    ChatClient,
    LLMUnavailableError,
    OpenAIMissingError,
    RetryPolicy,
    is_local,
)
from reviewbot.commentary.prompts import (
    COMMENTARY_TASK,
    Prompt,
    commentary_context,
    render_prompt,
)
from reviewbot.commentary.redaction import redact_text
from reviewbot.commentary.schema import (
    CommentaryReply,
    InvalidReplyError,
    parse_reply,
    reply_from_cache,
    response_format,
    schema_text,
)
from reviewbot.model import JSON, Report
from reviewbot.rulebook import Rulebook, default_rulebook
from reviewbot.settings import Settings

log = logging.getLogger(__name__)

# Asked once more after an invalid reply, never more.
REPLY_ROUNDS: Final = 2
NO_KEY_REASON: Final = (
    "no API key: set OPENAI_API_KEY, or point --llm-base-url at a local "
    "OpenAI-compatible server"
)


def label(model: str) -> str:
    """How commentary is labelled wherever it is shown."""
    return f"AI-generated commentary (model {model}) — does not affect the grade"


@dataclass(slots=True)
class Usage:
    """What the requests of one run cost, summed over retries and rounds."""

    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency: float = 0.0
    requests: int = 0
    cached: bool = False

    def as_json(self) -> dict[str, JSON]:
        return {
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "latency_seconds": round(self.latency, 2),
            "requests": self.requests,
            "cached": self.cached,
        }


def _not_made(status: str, model: str, reason: str, **extra: JSON) -> dict[str, JSON]:
    return {"status": status, "model": model, "label": label(model), "reason": reason, **extra}


def _fixes(reply: CommentaryReply, findings: Sequence[TopFinding]) -> list[dict[str, JSON]]:
    by_ref = {top.ref: top.finding for top in findings}
    fixes: list[dict[str, JSON]] = []
    for fix in reply.fixes:
        finding = by_ref[fix.finding]
        # Where and which rule come from the report, never from the model.
        fixes.append({
            "finding": fix.finding,
            "rule": finding.rule,
            "location": finding.location,
            "explanation": fix.explanation,
        })
    return fixes


def _made(
    model: str, reply: CommentaryReply, material: PromptMaterial, usage: Usage,
    inputs: dict[str, JSON],
) -> dict[str, JSON]:
    return {
        "status": "ok",
        "model": model,
        "label": label(model),
        "strengths": [s.model_dump() for s in reply.strengths],
        "next_steps": [s.model_dump() for s in reply.next_steps],
        "fixes": _fixes(reply, material.findings),
        "usage": usage.as_json(),
        "input": inputs,
    }


def _inputs(prompt: Prompt, material: PromptMaterial) -> dict[str, JSON]:
    return {
        "prompt_chars": prompt.chars,
        "findings": len(material.findings),
        "findings_not_listed": material.not_listed,
        "excerpts": len(material.excerpts),
        "excerpt_chars": material.excerpt_chars,
        "budget_chars": material.budget,
        "excerpts_dropped": list(material.dropped),
    }


def _ask(
    client: ChatClient,
    prompt: Prompt,
    settings: Settings,
    grounding: tuple[Sequence[str], Sequence[str]],
    usage: Usage,
) -> CommentaryReply:
    """The validated reply, asking once more after an invalid one."""
    for round_number in range(1, REPLY_ROUNDS + 1):
        completion = client.complete(
            model=settings.llm_model,
            messages=prompt.messages(),
            response_format=response_format(),
            max_tokens=settings.llm_max_tokens,
        )
        usage.model = completion.model
        usage.prompt_tokens += completion.prompt_tokens or 0
        usage.completion_tokens += completion.completion_tokens or 0
        usage.latency += completion.latency
        usage.requests += completion.attempts
        try:
            if completion.refusal:
                raise InvalidReplyError("the model refused to answer")
            if completion.finish_reason == "length":
                raise InvalidReplyError(
                    f"the reply was cut off at {settings.llm_max_tokens} tokens "
                    "(raise --llm-max-tokens)"
                )
            return parse_reply(completion.content, *grounding)
        except InvalidReplyError as exc:
            if round_number == REPLY_ROUNDS:
                raise InvalidReplyError(f"{exc} (asked {REPLY_ROUNDS} times)") from None
            log.warning("LLM reply invalid (%s); asking once more", exc)
    raise AssertionError("unreachable")  # pragma: no cover


def _commentary(
    report: Report,
    root: Path | None,
    settings: Settings,
    book: Rulebook,
    cache: ReplyCache | None,
    client_options: dict[str, Any],
) -> dict[str, JSON]:
    model = settings.llm_model
    if report.grade.score is None:
        return _not_made("skipped", model, "the repository was not graded")
    if not settings.llm_api_key and not is_local(settings.llm_base_url):
        return _not_made("skipped", model, NO_KEY_REASON)
    try:
        client = ChatClient(
            api_key=settings.llm_api_key,
            base_url=settings.llm_base_url,
            timeout=settings.llm_timeout,
            **client_options,
        )
    except OpenAIMissingError as exc:
        return _not_made("skipped", model, str(exc))
    try:
        material = choose_material(report, root, book, settings.llm_budget_chars)
        rendered = render_prompt(COMMENTARY_TASK, commentary_context(report, material, book))
        # Belt and braces: every string was redacted on its way in; the whole is once more.
        prompt = Prompt(
            redact_text(rendered.system, unquoted=False),
            redact_text(rendered.user, unquoted=False),
        )
        inputs = _inputs(prompt, material)
        grounding = ([top.ref for top in material.findings], [c.id for c in report.criteria])
        key = cache_key(
            client.base_url, model, prompt.system, prompt.user, schema_text()
        )
        usage = Usage(model)
        entry = cache.get(key) if cache is not None else None
        if entry is not None:
            try:
                reply = reply_from_cache(entry.get("reply") or {}, *grounding)
            except InvalidReplyError:
                log.debug("LLM cache entry %s invalid; asking the server", key[:12])
            else:
                usage.cached = True
                log.info("LLM commentary from the cache (%s)", key[:12])
                return _made(model, reply, material, usage, inputs)
        try:
            reply = _ask(client, prompt, settings, grounding, usage)
        except (LLMUnavailableError, InvalidReplyError) as exc:
            return _not_made("failed", model, str(exc), usage=usage.as_json(), input=inputs)
    finally:
        client.close()
    log.info(
        "LLM commentary by %s: %d prompt + %d completion tokens, %.2f s, %d requests",
        usage.model, usage.prompt_tokens, usage.completion_tokens, usage.latency, usage.requests,
    )
    if cache is not None:
        cache.put(key, {"model": model, "reply": reply.model_dump(), "usage": usage.as_json()})
    return _made(model, reply, material, usage, inputs)


def attach(
    report: Report,
    root: Path | None,
    settings: Settings,
    *,
    rulebook: Rulebook | None = None,
    cache: ReplyCache | None = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """`report` with LLM commentary attached (or the reason there is none). Never raises for
    a failure of the LLM, its server or the cache; the grade is never touched.

    `cache` defaults to `settings.llm_cache_dir` (no cache when that is None); `policy` and
    `sleep` are the retry policy and how to wait between attempts.
    """
    if cache is None and settings.llm_cache_dir:
        cache = ReplyCache(Path(settings.llm_cache_dir))
    options: dict[str, Any] = {"policy": policy, "sleep": sleep}
    try:
        commentary = _commentary(
            report, root, settings, rulebook or default_rulebook(), cache, options
        )
    except Exception as exc:  # a bug here must not cost the learner their review
        log.debug("LLM commentary crashed", exc_info=True)
        commentary = _not_made(
            "failed", settings.llm_model, f"internal error: {type(exc).__name__}"
        )
    if commentary["status"] != "ok":
        log.warning("commentary %s: %s", commentary["status"], commentary["reason"])
    return dataclasses.replace(report, commentary=commentary)
