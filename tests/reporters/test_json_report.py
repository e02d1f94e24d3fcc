"""The JSON report: the shared schema, exact fields, rounding, ordering and the round trip."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reviewbot.model import Route
from reviewbot.reporters.json_report import ReportDecodeError, from_dict, loads, render, to_dict

from .sample_reports import SAMPLES, learner_report, notebooks_report


def shared_dir() -> Path:
    """The shared fixtures next to the repository, or wherever REVIEWBOT_SHARED points."""
    override = os.environ.get("REVIEWBOT_SHARED")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema_path = shared_dir() / "report.schema.json"
    assert schema_path.is_file(), f"report schema not found at {schema_path}; set REVIEWBOT_SHARED"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_every_sample_validates_against_the_shared_schema(
    sample: str, validator: Draft202012Validator
) -> None:
    document = json.loads(render(SAMPLES[sample]()))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


def test_the_validator_rejects_a_report_that_breaks_the_contract(
    validator: Draft202012Validator,
) -> None:
    # Guards the test above: a validator that accepted anything would make it pass vacuously.
    document = to_dict(learner_report())
    del document["criteria"][0]["weight"]
    document["findings"][0]["severity"] = "fatal"
    messages = sorted(e.message for e in validator.iter_errors(document))
    assert messages == ["'fatal' is not one of ['error', 'warning', 'info']",
                        "'weight' is a required property"]


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_round_trip_gives_back_the_same_report(sample: str) -> None:
    report = SAMPLES[sample]()
    assert from_dict(to_dict(report)) == report
    assert loads(render(report)) == report


def test_top_level_grade_and_first_finding_are_exact() -> None:
    data = to_dict(learner_report())
    assert list(data) == ["schema_version", "tool", "repo", "grade", "criteria", "findings",
                          "analyzers", "next_steps", "commentary", "routes"]
    assert data["grade"] == {"score": 61.2, "letter": "D-", "level": "beginner"}
    assert data["findings"][0] == {
        "rule": "RB1501",
        "criterion": "C15",
        "severity": "error",
        "path": ".",
        "line": None,
        "end_line": None,
        "column": None,
        "message": "no tests found: no test_*.py or tests/ folder",
        "analyzer": "tests",
        "fix": None,
        "doc_url": None,
        "suppressed": None,
    }
    assert data["analyzers"][5] == {
        "name": "git-history",
        "status": "timeout",
        "seconds": 30.0,
        "detail": "no answer after 30 s",
        "criteria": ["C06"],
    }
    assert data["next_steps"][1] == {
        "criterion": "C13",
        "action": "Read SECRET_KEY from the environment instead of app/config.py",
        "gain": 3.1,
    }
    assert data["commentary"] is None


def test_scores_are_rounded_to_one_decimal() -> None:
    report = learner_report()
    criteria = (replace(report.criteria[0], score=58.349999), *report.criteria[1:])
    steps = (replace(report.next_steps[0], gain=6.3999999),)
    report = replace(report, grade=replace(report.grade, score=61.2499), criteria=criteria,
                     next_steps=steps)
    data = to_dict(report)
    assert data["grade"]["score"] == 61.2
    assert data["criteria"][0]["score"] == 58.3
    assert data["next_steps"][0]["gain"] == 6.4
    assert '"score": 61.2,' in render(report)


def test_criteria_come_out_in_id_order_and_findings_in_sort_key_order() -> None:
    report = learner_report()
    shuffled = replace(report, criteria=tuple(reversed(report.criteria)),
                       findings=tuple(reversed(report.findings)))
    data = to_dict(shuffled)
    assert [c["id"] for c in data["criteria"]] == [f"C{n:02d}" for n in range(1, 21)]
    assert data["findings"] == to_dict(report)["findings"]
    assert [(f["severity"], f["path"], f["line"]) for f in data["findings"][:3]] == [
        ("error", ".", None), ("error", ".env", None), ("error", "app/config.py", 4)]


def test_null_grade_and_verdict_of_a_non_backend_repo() -> None:
    data = to_dict(notebooks_report())
    assert data["grade"] == {"score": None, "letter": None, "level": "not-applicable"}
    assert data["repo"]["is_python_backend"] is False
    assert data["repo"]["verdict"] == (
        "not a Python backend repository: no web framework or server entry point, "
        "5 notebooks and 3 scripts"
    )
    assert {c["status"] for c in data["criteria"]} == {"not-applicable"}


def test_commentary_is_carried_through() -> None:
    report = replace(learner_report(), commentary={"summary": "Start with tests.", "model": "m"})
    data = json.loads(render(report))
    assert data["commentary"] == {"summary": "Start with tests.", "model": "m"}
    assert from_dict(data) == report


def test_unicode_is_written_as_is_and_output_ends_with_a_newline() -> None:
    report = replace(learner_report(), verdict="déjà vu ✔")
    text = render(report)
    assert '"verdict": "déjà vu ✔"' in text
    assert text.endswith("}\n")


def _broken(change: str) -> dict[str, Any]:
    data = to_dict(learner_report())
    if change == "version":
        data["schema_version"] = 2
    elif change == "missing grade":
        del data["grade"]
    elif change == "bad severity":
        data["findings"][0]["severity"] = "fatal"
    elif change == "bad level":
        data["grade"]["level"] = "guru"
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("version", "unsupported schema_version 2, expected 1"),
        ("missing grade", "report is missing the field 'grade'"),
        ("bad severity", "report has an invalid value: 'fatal' is not a valid Severity"),
        ("bad level", "report has an invalid value: 'guru' is not a valid Level"),
    ],
)
def test_from_dict_rejects_what_it_cannot_read(change: str, message: str) -> None:
    with pytest.raises(ReportDecodeError) as caught:
        from_dict(_broken(change))
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [("[1, 2]", "a JSON report is an object"),
     ("{", "not JSON: Expecting property name enclosed in double quotes: "
           "line 1 column 2 (char 1)")],
)
def test_loads_rejects_text_that_is_not_a_report_object(text: str, message: str) -> None:
    with pytest.raises(ReportDecodeError) as caught:
        loads(text)
    assert str(caught.value) == message



def test_routes_round_trip_and_appear_in_order() -> None:
    routes = (
        Route("GET", "/api/v1/posts", "list_posts", "app/routers/posts.py", 35, False, None,
              "Page[PostRead]"),
        Route("DELETE", "/api/v1/posts/{post_id}", "delete_post", "app/routers/posts.py", 70,
              True, 204, None),
    )
    report = replace(learner_report(), routes=routes)
    data = to_dict(report)
    assert data["routes"][1] == {
        "method": "DELETE", "path": "/api/v1/posts/{post_id}", "handler": "delete_post",
        "file": "app/routers/posts.py", "line": 70, "auth": True, "status_code": 204,
        "response_model": None,
    }
    assert from_dict(data) == report
