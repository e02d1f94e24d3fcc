"""The SARIF report: SARIF 2.1.0 for GitHub code scanning and any other SARIF viewer.

One run whose driver is reviewbot, with a rule descriptor per rule id found (help text from
the rule docs: what, why, example, fix) and a result per finding. GitHub's constraints on
uploaded SARIF are kept: relative URIs under `%SRCROOT%`, a region starting at line 1 or
later on every location, at most `MAX_RESULTS` results (most important first), short
descriptions of at most 1,024 characters, at most 20 tags per rule, `security-severity` on
security rules, and `partialFingerprints` on every result.

Fingerprints hash the rule, the path and the text of the finding's line with its whitespace
folded, never the line number, so code that moves keeps its alert. The text comes from the
checkout when `root` is given; without it the message stands in for the line.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reviewbot.model import Finding, Report, Severity
from reviewbot.reporters.escaping import printable, shorten
from reviewbot.reporters.excerpts import SourceFiles, normalised
from reviewbot.rulebook import Rule, Rulebook, default_rulebook

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
CATEGORY = "reviewbot/"
FINGERPRINT_KEY = "reviewbotFingerprint/v1"
MAX_RESULTS = 25_000
MAX_DESCRIPTION = 1_024
MAX_TAGS = 20
MAX_MESSAGE = 2_000
SRCROOT = "%SRCROOT%"
# A repository-level finding (path ".") is shown on the first of these that exists.
README_NAMES = ("README.md", "README.rst", "README.txt", "README")

LEVEL: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
}
PROBLEM_SEVERITY: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "recommendation",
}
# GitHub's bands: 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. Only rules tagged "security".
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.ERROR: "8.0",
    Severity.WARNING: "5.5",
    Severity.INFO: "3.0",
}
SECURITY_CRITERION = "C13"
PRECISION = {"high": "high", "medium": "medium", "low": "low"}


def fingerprint(finding: Finding, line_text: str | None) -> str:
    """sha256 hex of rule, path and the finding's normalised source line (or, without the
    line's text, its message): the same finding keeps it when its code moves."""
    anchor = normalised(line_text) if line_text is not None else "message:" + finding.message
    data = "\0".join((finding.rule, finding.path, anchor))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _fenced(code: str) -> str:
    """A fenced code block no backtick run inside `code` can close."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{code}\n{fence}"


def _help(rule_id: str, rule: Rule | None) -> dict[str, str]:
    if rule is None:
        text = f"reviewbot has no documentation page for {rule_id}; the message explains it."
        return {"text": text, "markdown": text}
    sections = [("What it checks", rule.what), ("Why it matters", rule.why)]
    text = "\n\n".join(f"{title}\n{body}" for title, body in sections)
    markdown = "\n\n".join(f"## {title}\n\n{body}" for title, body in sections)
    if rule.example:
        text += f"\n\nExample\n{rule.example}"
        markdown += f"\n\n## Example\n\n{_fenced(rule.example)}"
    text += f"\n\nFix\n{rule.fix}"
    markdown += f"\n\n## Fix\n\n{rule.fix}"
    return {"text": text, "markdown": markdown}


def _descriptor(rule_id: str, rule: Rule | None, sample: Finding) -> dict[str, Any]:
    severity = rule.severity if rule is not None else sample.severity
    criterion = rule.criterion if rule is not None else sample.criterion
    if rule is None:
        name, summary, full = rule_id, rule_id, f"{rule_id} (reported by {sample.analyzer})"
    elif rule.is_family:
        name, summary, full = rule_id, f"{rule_id}: {rule.summary}", rule.what
    else:
        name, summary, full = rule.name, rule.summary, rule.what
    tags = [criterion, "reviewbot", rule.analyzer if rule is not None else sample.analyzer]
    properties: dict[str, Any] = {"problem.severity": PROBLEM_SEVERITY[severity]}
    if rule is not None:
        properties["precision"] = PRECISION.get(rule.confidence, "medium")
    if criterion == SECURITY_CRITERION:
        tags.append("security")
        properties["security-severity"] = SECURITY_SEVERITY[severity]
    properties["tags"] = list(dict.fromkeys(tags))[:MAX_TAGS]
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": shorten(name, 255),
        "shortDescription": {"text": shorten(summary, MAX_DESCRIPTION)},
        "fullDescription": {"text": shorten(full, MAX_DESCRIPTION)},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "help": _help(rule_id, rule),
        "properties": properties,
    }
    if sample.doc_url and sample.doc_url.startswith("https://"):
        descriptor["helpUri"] = sample.doc_url
    return descriptor


def _artifact_path(finding: Finding, files: SourceFiles) -> str | None:
    """The file a result points at; repo-level findings go to the README when it exists."""
    if finding.path not in ("", "."):
        return finding.path
    return next((name for name in README_NAMES if files.lines(name) is not None), None)


def _region(finding: Finding, path: str) -> dict[str, int]:
    line = finding.line if finding.line and finding.line >= 1 and path == finding.path else 1
    region = {"startLine": line}
    if finding.column and finding.column >= 1 and line == finding.line:
        region["startColumn"] = finding.column
    end = finding.end_line if finding.end_line and finding.end_line >= line else line
    region["endLine"] = end
    return region


def _result(
    finding: Finding, path: str, rule_index: int, files: SourceFiles, seen: dict[str, int]
) -> dict[str, Any]:
    line_text = files.line(finding.path, finding.line)
    digest = fingerprint(finding, line_text)
    # The same rule on two identical lines of one file: the occurrence number tells them apart.
    seen[digest] = occurrence = seen.get(digest, 0) + 1
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": shorten(printable(finding.message, keep_newlines=True) or
                                    finding.rule, MAX_MESSAGE)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT},
                "region": _region(finding, path),
            }
        }],
        "partialFingerprints": {
            FINGERPRINT_KEY: f"{digest}:{occurrence}",
            "primaryLocationLineHash": f"{digest[:16]}:{occurrence}",
        },
        "properties": {"criterion": finding.criterion, "analyzer": finding.analyzer},
    }
    if finding.fix:
        result["properties"]["fix"] = shorten(printable(finding.fix), MAX_MESSAGE)
    if finding.suppressed is not None:
        suppression: dict[str, Any] = {"kind": "inSource", "status": "accepted"}
        if finding.suppressed:
            suppression["justification"] = shorten(printable(finding.suppressed), MAX_MESSAGE)
        result["suppressions"] = [suppression]
    return result


def _rules(findings: Iterable[Finding], book: Rulebook) -> list[dict[str, Any]]:
    samples: dict[str, Finding] = {}
    for finding in findings:
        sample = samples.setdefault(finding.rule, finding)
        if not sample.doc_url and finding.doc_url:
            samples[finding.rule] = finding
    return [_descriptor(rule_id, book.rule(rule_id), samples[rule_id])
            for rule_id in sorted(samples)]


def to_sarif(
    report: Report, *, root: Path | None = None, rulebook: Rulebook | None = None
) -> dict[str, Any]:
    """The report as a SARIF log (a JSON-ready dict) with one run."""
    book = rulebook or default_rulebook()
    files = SourceFiles(root)
    placed: list[tuple[Finding, str]] = []
    repo_level_skipped = 0
    for finding in sorted(report.findings, key=Finding.sort_key):
        path = _artifact_path(finding, files)
        if path is None:
            repo_level_skipped += 1
        else:
            placed.append((finding, path))
    left_out = max(0, len(placed) - MAX_RESULTS)
    placed = placed[:MAX_RESULTS]
    rules = _rules((finding for finding, _ in placed), book)
    index = {descriptor["id"]: number for number, descriptor in enumerate(rules)}
    seen: dict[str, int] = {}
    results = [_result(f, path, index[f.rule], files, seen) for f, path in placed]
    grade = report.grade
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": report.tool.name,
            "version": report.tool.version,
            "semanticVersion": report.tool.version,
            "rules": rules,
        }},
        "automationDetails": {"id": CATEGORY},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "rulesVersion": report.tool.rules_version,
            "score": grade.score,
            "letter": grade.letter,
            "level": grade.level.value,
            "repositoryLevelFindingsNotShown": repo_level_skipped,
            "resultsLeftOut": left_out,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render(report: Report, *, root: Path | None = None, rulebook: Rulebook | None = None) -> str:
    """The SARIF text: two-space indented JSON, newline-terminated."""
    log = to_sarif(report, root=root, rulebook=rulebook)
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def upload_payload(sarif_text: str, *, commit_sha: str, ref: str) -> dict[str, str]:
    """The body of `POST /repos/{owner}/{repo}/code-scanning/sarifs`: the SARIF gzipped
    (with no timestamp, so the same SARIF gives the same body) then base64-encoded."""
    packed = gzip.compress(sarif_text.encode("utf-8"), mtime=0)
    return {"commit_sha": commit_sha, "ref": ref, "sarif": base64.b64encode(packed).decode()}
