"""The commentary of a report as the reporters show it.

`Report.commentary` is JSON: written by `attach`, but also read back from a saved JSON report
that anyone could have edited. `commentary_view` reads it defensively (wrong types are left
out, texts are bounded) and never raises. The texts are still raw: the model wrote them, so
each reporter escapes them for its format like any text from the repository.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from reviewbot.model import JSON

TEXT_LIMIT: Final = 600
MODEL_LIMIT: Final = 80
MAX_ITEMS: Final = 10


@dataclass(frozen=True, slots=True)
class StrengthView:
    criterion: str
    text: str


@dataclass(frozen=True, slots=True)
class NextStepView:
    criterion: str
    what: str
    why: str


@dataclass(frozen=True, slots=True)
class FixView:
    location: str
    rule: str
    explanation: str


@dataclass(frozen=True, slots=True)
class CommentaryView:
    """What to show. `ok` commentary has items and a usage line; otherwise `note` says why
    there is none ("commentary skipped: install reviewbot[llm]")."""

    status: str
    model: str
    strengths: tuple[StrengthView, ...] = ()
    next_steps: tuple[NextStepView, ...] = ()
    fixes: tuple[FixView, ...] = ()
    usage: str = ""
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def label(self) -> str:
        return f"AI-generated commentary (model {self.model}) — does not affect the grade"

    @property
    def note(self) -> str:
        return f"commentary {self.status}: {self.reason or 'no reason given'}"


def _text(data: Mapping[str, Any], key: str, limit: int = TEXT_LIMIT) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        return ""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _items(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [item for item in value[:MAX_ITEMS] if isinstance(item, Mapping)]


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_line(usage: Any) -> str:
    """"1,234 prompt + 321 completion tokens · 2.4 s", or "from the cache (no tokens used)"."""
    if not isinstance(usage, Mapping):
        return ""
    if usage.get("cached") is True:
        return "from the cache (no tokens used)"
    prompt, completion = _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))
    parts = []
    if prompt is not None and completion is not None:
        parts.append(f"{prompt:,} prompt + {completion:,} completion tokens")
    latency = usage.get("latency_seconds")
    if isinstance(latency, int | float) and not isinstance(latency, bool):
        parts.append(f"{latency:.1f} s")
    return " · ".join(parts)


def commentary_view(commentary: Mapping[str, JSON] | None) -> CommentaryView | None:
    """The commentary to show, or None when the report has none (no --llm)."""
    if not isinstance(commentary, Mapping):
        return None
    status = _text(commentary, "status", 20) or "failed"
    model = _text(commentary, "model", MODEL_LIMIT) or "unknown"
    if status != "ok":
        return CommentaryView(status, model, reason=_text(commentary, "reason"))
    return CommentaryView(
        status,
        model,
        strengths=tuple(
            StrengthView(_text(item, "criterion", 10), _text(item, "text"))
            for item in _items(commentary, "strengths")
        ),
        next_steps=tuple(
            NextStepView(_text(item, "criterion", 10), _text(item, "what"), _text(item, "why"))
            for item in _items(commentary, "next_steps")
        ),
        fixes=tuple(
            FixView(
                _text(item, "location", 300), _text(item, "rule", 100),
                _text(item, "explanation"),
            )
            for item in _items(commentary, "fixes")
        ),
        usage=usage_line(commentary.get("usage")),
    )
