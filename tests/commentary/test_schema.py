"""The reply schema: generated from the pydantic models, strict-compatible, and validation that
rejects (never repairs) replies that are not JSON, do not match, or are not grounded."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from reviewbot.commentary.schema import (
    SCHEMA_NAME,
    CommentaryReply,
    InvalidReplyError,
    parse_reply,
    response_format,
    strict_schema,
)

CRITERIA = [f"C{n:02d}" for n in range(1, 21)]
REFS = ["F1", "F2"]


def valid() -> dict[str, Any]:
    return {
        "strengths": [{"criterion": "C15", "text": "Your tests cover the happy path."}],
        "next_steps": [
            {"criterion": "C09", "what": "Load authors eagerly.", "why": "Slow pages."},
            {"criterion": "C13", "what": "Move the key out.", "why": "Leaks."},
            {"criterion": "C18", "what": "Add CI.", "why": "Teams rely on it."},
        ],
        "fixes": [{"finding": "F1", "explanation": "Use selectinload(Post.author)."}],
    }


def objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found += objects(value)
    elif isinstance(node, list):
        for value in node:
            found += objects(value)
    return found


def test_response_format_asks_for_strict_json_schema() -> None:
    fmt = response_format()
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == SCHEMA_NAME
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"] == strict_schema()


def test_strict_schema_closes_every_object_and_requires_every_property() -> None:
    schema = strict_schema()
    nodes = objects(schema)
    assert len(nodes) == 4  # the reply, Strength, NextStep, FixExplanation
    for node in nodes:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
    text = json.dumps(schema)
    for keyword in ('"default"', '"minLength"', '"maxLength"', '"format"'):
        assert keyword not in text
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_is_generated_from_the_model() -> None:
    # The sent schema validates exactly what the model accepts, in both directions.
    schema = strict_schema()
    jsonschema.validate(valid(), schema)
    CommentaryReply.model_validate(valid())
    two_steps = valid()
    two_steps["next_steps"].pop()
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(two_steps, schema)
    assert set(schema["properties"]) == set(CommentaryReply.model_fields)


def test_a_valid_grounded_reply_parses() -> None:
    reply = parse_reply(json.dumps(valid()), REFS, CRITERIA)
    assert [s.criterion for s in reply.next_steps] == ["C09", "C13", "C18"]
    assert reply.fixes[0].finding == "F1"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "the reply was empty"),
        ("  ", "the reply was empty"),
        ("Sure! Here it is: {", "the reply is not JSON (Expecting value)"),
        ('```json\n{"strengths": []}\n```', "the reply is not JSON (Expecting value)"),
        ('{"strengths": [], "next_steps": "x", "fixes": []}',
         "the reply does not match the schema: strengths: List should have at least 1 item "
         "after validation, not 0; next_steps: Input should be a valid list"),
    ],
)
def test_invalid_replies_are_rejected_with_the_reason(content: str | None, reason: str) -> None:
    with pytest.raises(InvalidReplyError) as caught:
        parse_reply(content, REFS, CRITERIA)
    assert str(caught.value) == reason


def test_the_reason_never_quotes_the_reply() -> None:
    reply = valid()
    reply["strengths"][0]["criterion"] = "SECRET-LOOKING-TEXT"
    with pytest.raises(InvalidReplyError) as caught:
        parse_reply(json.dumps(reply), REFS, CRITERIA)
    assert "SECRET-LOOKING-TEXT" not in str(caught.value)
    assert str(caught.value) == (
        "the reply does not match the schema: strengths.0.criterion: String should match "
        "pattern '^C(0[1-9]|1[0-9]|20)$'"
    )


def test_extra_fields_are_rejected() -> None:
    reply = valid()
    reply["grade"] = "A"
    with pytest.raises(InvalidReplyError) as caught:
        parse_reply(json.dumps(reply), REFS, CRITERIA)
    assert str(caught.value) == (
        "the reply does not match the schema: grade: Extra inputs are not permitted"
    )


def test_fixes_for_findings_not_in_the_prompt_are_not_grounded() -> None:
    reply = valid()
    reply["fixes"].append({"finding": "F9", "explanation": "Invented."})
    with pytest.raises(InvalidReplyError) as caught:
        parse_reply(json.dumps(reply), REFS, CRITERIA)
    assert str(caught.value) == "the reply explains findings not in the review: ['F9']"


def test_the_same_finding_twice_is_rejected() -> None:
    reply = valid()
    reply["fixes"].append({"finding": "F1", "explanation": "Again."})
    with pytest.raises(InvalidReplyError) as caught:
        parse_reply(json.dumps(reply), REFS, CRITERIA)
    assert str(caught.value) == "the reply explains the same finding twice"


def test_criteria_not_in_the_report_are_not_grounded() -> None:
    with pytest.raises(InvalidReplyError) as caught:
        parse_reply(json.dumps(valid()), REFS, ["C01", "C09", "C13", "C18"])
    assert str(caught.value) == "the reply names criteria not in the review: ['C15']"
