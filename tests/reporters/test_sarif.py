"""The SARIF reporter: valid SARIF 2.1.0 within GitHub code scanning's constraints, rule help
from the rule docs, stable fingerprints, masked secrets, and an upload body GitHub accepts."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft202012Validator

from reviewbot.model import Finding, Report
from reviewbot.reporters import sarif
from reviewbot.rulebook import default_rulebook

from .frozen_rules import frozen_rulebook
from .goldens import assert_golden
from .sample_reports import ERR, INFO, SAMPLES, WARN, finding, learner_report, notebooks_report
from .shared_fixtures import load_fixture

CONSTRAINTS = load_fixture("sarif/github-code-scanning-constraints.json")
LIMITS = {item["object"]: item["max"] for item in CONSTRAINTS["limits"]}
SHA = "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    return Draft4Validator(load_fixture("schemas/sarif-2.1.0.json"))


def with_findings(findings: list[Finding], base: Report | None = None) -> Report:
    return dataclasses.replace(base or learner_report(), findings=tuple(findings))


def run_of(log: dict[str, Any]) -> dict[str, Any]:
    assert len(log["runs"]) == 1
    run: dict[str, Any] = log["runs"][0]
    return run


def results_by_rule(log: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [r for r in run_of(log)["results"] if r["ruleId"] == rule]


def sha(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def check_github_constraints(log: dict[str, Any]) -> None:
    """GitHub code scanning's rules (sarif/github-code-scanning-constraints.json)."""
    assert log["version"] == "2.1.0"
    assert log["$schema"]
    assert 1 <= len(log["runs"]) <= LIMITS["Runs per file"]
    run = run_of(log)
    driver = run["tool"]["driver"]
    assert driver["name"] == "reviewbot"
    assert len(run["results"]) <= LIMITS["Results per run"]
    assert len(driver["rules"]) <= LIMITS["Rules per run"]
    for rule in driver["rules"]:
        assert rule["id"]
        assert len(rule["name"]) <= 255
        for key in ("shortDescription", "fullDescription"):
            assert 0 < len(rule[key]["text"]) <= 1024, (rule["id"], key)
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        tags = rule["properties"]["tags"]
        assert 0 < len(tags) <= LIMITS["Tags per rule"]
        if "security-severity" in rule["properties"]:
            assert "security" in tags
            assert 0.0 < float(rule["properties"]["security-severity"]) <= 10.0
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("note", "warning", "error")
        assert result["message"]["text"]
        assert 1 <= len(result["locations"]) <= LIMITS["Locations per result"]
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert uri and not uri.startswith("/") and ":" not in uri and ".." not in uri.split("/")
        assert physical["region"]["startLine"] >= 1
        assert physical["region"]["endLine"] >= physical["region"]["startLine"]
        assert result["partialFingerprints"]["primaryLocationLineHash"]
        assert result["partialFingerprints"][sarif.FINGERPRINT_KEY]


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_output_matches_golden(sample: str) -> None:
    assert_golden(f"{sample}.sarif", sarif.render(SAMPLES[sample](), rulebook=frozen_rulebook()))


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_samples_validate_and_respect_github_constraints(
    sample: str, validator: Draft4Validator
) -> None:
    log = sarif.to_sarif(SAMPLES[sample]())
    validator.validate(log)
    check_github_constraints(log)
    assert run_of(log)["automationDetails"] == {"id": "reviewbot/"}


def test_one_descriptor_per_rule_with_help_from_the_rule_docs() -> None:
    book = frozen_rulebook()
    run = run_of(sarif.to_sarif(learner_report(), rulebook=book))
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert list(rules) == sorted(rules)
    assert sorted(rules) == sorted({f.rule for f in learner_report().findings} - {"RB1501"})
    b105 = rules["bandit:B105"]
    assert b105["name"] == "hardcoded-password-string"
    assert b105["shortDescription"] == {
        "text": "A string literal assigned to a name that looks like a password."}
    assert b105["fullDescription"] == {
        "text": "bandit flags string literals assigned to names such as `password` or "
        "`SECRET_KEY`."}
    assert b105["defaultConfiguration"] == {"level": "note"}
    assert b105["properties"] == {
        "problem.severity": "recommendation",
        "precision": "medium",
        "security-severity": "3.0",
        "tags": ["C13", "reviewbot", "bandit", "security"],
    }
    assert b105["help"]["markdown"] == (
        "## What it checks\n\nbandit flags string literals assigned to names such as "
        "`password` or `SECRET_KEY`.\n\n"
        "## Why it matters\n\nA secret in source code is in every clone and fork of the "
        "repository forever.\n\n"
        '## Example\n\n```\nSECRET_KEY = "django-insecure-8f3k2..."\n```\n\n'
        '## Fix\n\nRead it from the environment:\n\n```python\n'
        'SECRET_KEY = os.environ["SECRET_KEY"]\n```'
    )
    assert b105["help"]["text"].startswith("What it checks\nbandit flags string literals")
    # helpUri comes from the findings' documentation link when they have one.
    assert rules["ruff:E722"]["helpUri"] == "https://docs.astral.sh/ruff/rules/bare-except"
    assert "helpUri" not in rules["bandit:B105"]
    # A code documented by its tool's family page...
    assert rules["ruff:T201"]["name"] == "ruff:T201"
    assert rules["ruff:T201"]["shortDescription"]["text"] == (
        "ruff:T201: A ruff rule without a reviewbot page of its own.")
    # ...and a rule without any doc: described from its finding.
    rb1301 = rules["RB1301"]
    assert rb1301["help"] == {
        "text": "reviewbot has no documentation page for RB1301; the message explains it.",
        "markdown": "reviewbot has no documentation page for RB1301; the message explains it.",
    }
    assert rb1301["shortDescription"] == {"text": "RB1301"}
    assert rb1301["fullDescription"] == {"text": "RB1301 (reported by security)"}
    assert rb1301["defaultConfiguration"] == {"level": "error"}
    # Its analyzer is called "security" too: tags are listed once.
    assert rb1301["properties"] == {"problem.severity": "error", "security-severity": "8.0",
                                    "tags": ["C13", "reviewbot", "security"]}


def test_every_shipped_rule_doc_fits_github_limits(validator: Draft4Validator) -> None:
    """The real rules/ data: each documented rule's descriptor within GitHub's limits."""
    book = default_rulebook()
    findings = [
        finding(rule.id, WARN, ("app/x.py", 1), "m")
        for rule in book.rules.values() if not rule.is_family
    ]
    findings = [dataclasses.replace(f, criterion=book.rules[f.rule].criterion) for f in findings]
    log = sarif.to_sarif(with_findings(findings), rulebook=book)
    validator.validate(log)
    check_github_constraints(log)
    assert len(run_of(log)["tool"]["driver"]["rules"]) == len(findings)


def test_results_carry_level_message_location_and_fingerprints() -> None:
    log = sarif.to_sarif(learner_report())
    [b105] = results_by_rule(log, "bandit:B105")
    assert b105["level"] == "error"
    assert b105["message"] == {"text": "Possible hardcoded password: 'sk-p...9XQz'"}
    assert b105["locations"] == [{"physicalLocation": {
        "artifactLocation": {"uri": "app/config.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 14, "endLine": 4},
    }}]
    digest = sha("bandit:B105", "app/config.py",
                 "message:Possible hardcoded password: 'sk-p...9XQz'")
    assert b105["partialFingerprints"] == {
        "reviewbotFingerprint/v1": f"{digest}:1",
        "primaryLocationLineHash": f"{digest[:16]}:1",
    }
    [cors] = results_by_rule(log, "RB1301")
    assert cors["locations"][0]["physicalLocation"]["region"] == {"startLine": 12, "endLine": 17}
    # A finding without a line points at line 1 of its file.
    [env] = results_by_rule(log, "RB0601")
    assert env["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "endLine": 1}
    assert [r["level"] for r in results_by_rule(log, "ruff:T201")] == ["note", "note"]
    [fixable] = [r for r in results_by_rule(log, "ruff:F401") if "fix" in r["properties"]]
    assert fixable["properties"] == {"criterion": "C01", "analyzer": "ruff",
                                     "fix": "Remove the unused import"}


def test_suppressed_findings_are_results_with_an_in_source_suppression() -> None:
    [debug] = results_by_rule(sarif.to_sarif(learner_report()), "RB1302")
    assert debug["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "local development only"}
    ]


def test_repo_level_findings_go_to_the_readme_or_are_counted(tmp_path: Path) -> None:
    without_root = run_of(sarif.to_sarif(learner_report()))
    assert results_by_rule({"runs": [without_root]}, "RB1501") == []
    assert without_root["properties"]["repositoryLevelFindingsNotShown"] == 1
    (tmp_path / "README.md").write_text("# todo api\n", encoding="utf-8")
    with_root = sarif.to_sarif(learner_report(), root=tmp_path)
    [no_tests] = results_by_rule(with_root, "RB1501")
    assert no_tests["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "README.md", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1, "endLine": 1},
    }
    assert run_of(with_root)["properties"]["repositoryLevelFindingsNotShown"] == 0


def source_report(line: int, column: int | None = None) -> Report:
    return with_findings([
        finding("ruff:E722", ERR, ("app/crud.py", line), "Do not use bare `except`",
                column=column),
    ])


def test_fingerprint_hashes_the_source_line_not_its_number(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    crud = app / "crud.py"
    crud.write_text("def f():\n    try:\n        g()\n    except:\n        pass\n")

    def fingerprint_at(line: int) -> str:
        [result] = run_of(sarif.to_sarif(source_report(line), root=tmp_path))["results"]
        value: str = result["partialFingerprints"][sarif.FINGERPRINT_KEY]
        return value

    before = fingerprint_at(4)
    assert before == sha("ruff:E722", "app/crud.py", "except:") + ":1"
    # Moved down three lines and re-indented: the same finding, the same fingerprint.
    crud.write_text("import x\n\n\ndef f():\n  try:\n    g()\n  except :\n    pass\n")
    assert fingerprint_at(7) != before  # `except :` is different text
    crud.write_text("import x\n\n\ndef f():\n  try:\n    g()\n  except:\n    pass\n")
    assert fingerprint_at(7) == before
    # Without the source, the message stands in for the line.
    [result] = run_of(sarif.to_sarif(source_report(7)))["results"]
    assert result["partialFingerprints"][sarif.FINGERPRINT_KEY] == sha(
        "ruff:E722", "app/crud.py", "message:Do not use bare `except`") + ":1"


def test_identical_lines_are_told_apart_by_occurrence(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "crud.py").write_text("print(1)\nprint(1)\n")
    report = with_findings([
        finding("ruff:T201", INFO, ("app/crud.py", 1), "`print` found"),
        finding("ruff:T201", INFO, ("app/crud.py", 2), "`print` found"),
    ])
    results = run_of(sarif.to_sarif(report, root=tmp_path))["results"]
    digest = sha("ruff:T201", "app/crud.py", "print(1)")
    assert [r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in results] == [
        f"{digest}:1", f"{digest}:2"]


def test_planted_secret_never_appears(tmp_path: Path, validator: Draft4Validator) -> None:
    secret = "sk-proj-" + "H3ruAiGkEABRvZPx323vDRe89YnBB88rxB7IzfwX"  # in pieces: no literal
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "config.py").write_text(f'OPENAI_API_KEY = "{secret}"\n')
    report = with_findings([
        finding("bandit:B105", ERR, ("app/config.py", 1),
                "Possible hardcoded password: 'sk-p…zfwX'", column=18),
    ])
    text = sarif.render(report, root=tmp_path)
    validator.validate(json.loads(text))
    assert secret not in text
    assert secret[4:20] not in text
    assert "sk-p…zfwX" in text


def test_hostile_paths_become_percent_encoded_relative_uris(validator: Draft4Validator) -> None:
    report = with_findings([
        finding("ruff:F401", WARN, ("app/<script>alert(1)</script> x.py", 1), "unused"),
        finding("ruff:F401", WARN, ("c:/windows.py", 2), "unused\x1b[31m red"),
    ])
    log = sarif.to_sarif(report)
    validator.validate(log)
    check_github_constraints(log)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run_of(log)["results"]]
    assert uris == ["app/%3Cscript%3Ealert%281%29%3C/script%3E%20x.py", "c%3A/windows.py"]
    assert run_of(log)["results"][1]["message"]["text"] == "unused\\x1b[31m red"


def test_not_a_backend_report_has_no_grade_but_its_findings(validator: Draft4Validator) -> None:
    run = run_of(sarif.to_sarif(notebooks_report()))
    assert run["properties"]["score"] is None
    assert run["properties"]["level"] == "not-applicable"
    assert [r["ruleId"] for r in run["results"]] == ["ruff:F401"]


def many_findings(count: int) -> list[Finding]:
    rules = ("ruff:F401", "ruff:E722", "mypy:arg-type", "bandit:B105", "radon:C901")
    severities = (WARN, ERR, INFO)
    return [
        finding(rules[n % len(rules)], severities[n % 3], (f"app/module_{n // 50:04d}.py",
                n % 50 + 1), f"finding number {n} with a message of moderate length", column=5)
        for n in range(count)
    ]


def test_upload_body_validates_and_stays_under_10_mb(validator: Draft4Validator) -> None:
    operations = load_fixture("rest/operations.json")
    schema = operations["operations"]["code-scanning/upload-sarif"]["request"]["body"]["schema"]
    body_validator = Draft202012Validator({**schema, "$defs": operations["$defs"]})
    report = with_findings(many_findings(5_000))
    text = sarif.render(report)
    body = sarif.upload_payload(text, commit_sha=SHA, ref="refs/pull/2/merge")
    body_validator.validate(body)
    assert set(body) == {"commit_sha", "ref", "sarif"}
    packed = base64.b64decode(body["sarif"])
    assert len(packed) <= 10 * 1024 * 1024
    assert gzip.decompress(packed).decode() == text
    # Deterministic: no timestamp in the gzip header.
    assert sarif.upload_payload(text, commit_sha=SHA, ref="refs/pull/2/merge") == body
    log = json.loads(text)
    validator.validate(log)
    assert len(run_of(log)["results"]) == 5_000
    bad = sarif.upload_payload(text, commit_sha=SHA, ref="main")
    assert not body_validator.is_valid(bad)


def test_results_are_capped_most_important_first() -> None:
    count = LIMITS["Results per run"] + 10
    report = with_findings(sorted(many_findings(count), key=Finding.sort_key))
    run = run_of(sarif.to_sarif(report))
    assert len(run["results"]) == LIMITS["Results per run"]
    assert run["properties"]["resultsLeftOut"] == 10
    levels = [r["level"] for r in run["results"]]
    assert levels[-1] == "note" and "note" not in levels[: count // 3]
