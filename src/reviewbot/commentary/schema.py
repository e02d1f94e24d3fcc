"""The shape of the LLM's reply: pydantic models, the strict JSON schema sent with the request,
and validation of what comes back.

The schema sent to the API is generated from these models (never written by hand), so the
request and the validation cannot drift apart. A reply is accepted only when it parses as
JSON, validates against the models and is grounded: every criterion it names exists and every
fix explains a finding the prompt listed. Nothing is "repaired": an invalid reply is rejected
with the reason, and the caller decides whether to ask again.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SCHEMA_NAME: Final = "reviewbot_commentary"
MAX_STRENGTHS: Final = 5
NEXT_STEPS: Final = 3
MAX_FIXES: Final = 8
CRITERION_PATTERN: Final = r"^C(0[1-9]|1[0-9]|20)$"
FINDING_REF_PATTERN: Final = r"^F[1-9][0-9]?$"


class InvalidReplyError(Exception):
    """The reply is not the commentary asked for. The message says why, without quoting it."""


class Strength(BaseModel):
    """Something the repository already shows the learner can do."""

    model_config = ConfigDict(extra="forbid")

    criterion: str = Field(
        pattern=CRITERION_PATTERN, description="The roadmap criterion it belongs to, C01-C20."
    )
    text: str = Field(
        description="What the repository shows the learner can do, naming the files (path)."
    )


class NextStep(BaseModel):
    """One of the three things to work on next."""

    model_config = ConfigDict(extra="forbid")

    criterion: str = Field(
        pattern=CRITERION_PATTERN, description="The roadmap criterion it improves, C01-C20."
    )
    what: str = Field(description="What to do next, concretely, in this repository.")
    why: str = Field(description="Why it matters in a backend developer job.")


class FixExplanation(BaseModel):
    """How to fix one of the top findings, in the learner's own code."""

    model_config = ConfigDict(extra="forbid")

    finding: str = Field(
        pattern=FINDING_REF_PATTERN, description="The ref of a finding in the data, e.g. F1."
    )
    explanation: str = Field(
        description="The concrete fix in the learner's code, using the names in the excerpt."
    )


class CommentaryReply(BaseModel):
    """The whole reply."""

    model_config = ConfigDict(extra="forbid")

    strengths: list[Strength] = Field(min_length=1, max_length=MAX_STRENGTHS)
    next_steps: list[NextStep] = Field(min_length=NEXT_STEPS, max_length=NEXT_STEPS)
    fixes: list[FixExplanation] = Field(max_length=MAX_FIXES)


# Keywords OpenAI's strict structured outputs reject; pydantic emits `default` for defaults.
_UNSUPPORTED: Final = frozenset({"default", "minLength", "maxLength", "format"})


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "$defs") and isinstance(value, dict):
            # Names of properties and definitions are not keywords: keep them all.
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        elif key not in _UNSUPPORTED:
            out[key] = _strict(value)
    if out.get("type") == "object" and "properties" in out:
        # Strict mode: every property required, nothing else allowed.
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out


def strict_schema(model: type[BaseModel] = CommentaryReply) -> dict[str, Any]:
    """The model's JSON schema made acceptable to strict structured outputs: every object has
    `additionalProperties: false` and all its properties required."""
    schema: dict[str, Any] = _strict(model.model_json_schema())
    return schema


def response_format() -> dict[str, Any]:
    """The `response_format` argument of a chat completion asking for a CommentaryReply."""
    return {
        "type": "json_schema",
        "json_schema": {"name": SCHEMA_NAME, "schema": strict_schema(), "strict": True},
    }


def schema_text() -> str:
    """The sent schema as canonical text, for the cache key."""
    return json.dumps(response_format(), sort_keys=True, separators=(",", ":"))


def _describe(error: ValidationError) -> str:
    # Locations and messages only: pydantic's str() quotes the input, i.e. the reply itself.
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(part) for part in item["loc"]) or "reply"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def parse_reply(
    content: str | None, finding_refs: Collection[str], criteria: Collection[str]
) -> CommentaryReply:
    """The validated reply, or InvalidReplyError saying what is wrong with it.

    `finding_refs` are the refs the prompt listed (F1, F2, ...), `criteria` the report's
    criterion ids: a reply naming anything else is not grounded in the review and rejected.
    """
    if not content or not content.strip():
        raise InvalidReplyError("the reply was empty")
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise InvalidReplyError(f"the reply is not JSON ({exc.msg})") from None
    try:
        reply = CommentaryReply.model_validate(data)
    except ValidationError as exc:
        raise InvalidReplyError(f"the reply does not match the schema: {_describe(exc)}") from None
    named = [s.criterion for s in reply.strengths] + [s.criterion for s in reply.next_steps]
    unknown = sorted(set(named) - set(criteria))
    if unknown:
        raise InvalidReplyError(f"the reply names criteria not in the review: {unknown}")
    refs = [fix.finding for fix in reply.fixes]
    stray = sorted(set(refs) - set(finding_refs))
    if stray:
        raise InvalidReplyError(f"the reply explains findings not in the review: {stray}")
    if len(set(refs)) != len(refs):
        raise InvalidReplyError("the reply explains the same finding twice")
    return reply


def reply_from_cache(
    data: Mapping[str, Any], finding_refs: Collection[str], criteria: Collection[str]
) -> CommentaryReply:
    """A cached reply, validated again as if it had just arrived (the cache is a file anyone
    with access to the machine could edit)."""
    return parse_reply(json.dumps(data), finding_refs, criteria)
