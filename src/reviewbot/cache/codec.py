"""Explicit JSON forms of what the cache stores: findings and analyzer outputs.

Decoding checks every field's type: an entry that doesn't match is a miss (CacheDecodeError),
never a half-built Finding. Facts must already be plain JSON (dicts with string keys, lists,
strings, numbers, booleans, None); an output whose facts hold anything else (a tuple, a set,
an object) would come back different, so it is not cached at all (UncacheableError).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from reviewbot.model import JSON, AnalyzerOutput, Finding, Severity


class CacheDecodeError(ValueError):
    """A cache entry does not have the shape this version writes: treat it as a miss."""


class UncacheableError(ValueError):
    """A value whose JSON form would not read back equal to it."""


def _check_json(value: Any, where: str) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):  # JSON has no NaN; Python's json would write one anyway
            raise UncacheableError(f"{where}: {value!r}")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise UncacheableError(f"{where}: key {key!r}")
            _check_json(item, f"{where}.{key}")
        return
    raise UncacheableError(f"{where}: {type(value).__name__}")


def encode_facts(facts: Mapping[str, JSON]) -> dict[str, JSON]:
    """Facts as JSON data; UncacheableError when they hold anything JSON can't give back."""
    plain = dict(facts)
    _check_json(plain, "facts")
    return plain


def encode_finding(finding: Finding) -> dict[str, JSON]:
    return {
        "rule": finding.rule,
        "criterion": finding.criterion,
        "severity": finding.severity.value,
        "path": finding.path,
        "line": finding.line,
        "message": finding.message,
        "analyzer": finding.analyzer,
        "end_line": finding.end_line,
        "column": finding.column,
        "fix": finding.fix,
        "doc_url": finding.doc_url,
        "suppressed": finding.suppressed,
    }


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise CacheDecodeError(f"{key}: not a string")
    return value


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise CacheDecodeError(f"{key}: not a string")
    return value


def _optional_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise CacheDecodeError(f"{key}: not an integer")
    return value


def decode_finding(data: Any) -> Finding:
    """The Finding `encode_finding` wrote; CacheDecodeError for anything else."""
    if not isinstance(data, dict):
        raise CacheDecodeError("finding: not an object")
    try:
        severity = Severity(str(data.get("severity")))
    except ValueError as exc:
        raise CacheDecodeError("severity: unknown") from exc
    return Finding(
        rule=_text(data, "rule"),
        criterion=_text(data, "criterion"),
        severity=severity,
        path=_text(data, "path"),
        line=_optional_int(data, "line"),
        message=_text(data, "message"),
        analyzer=_text(data, "analyzer"),
        end_line=_optional_int(data, "end_line"),
        column=_optional_int(data, "column"),
        fix=_optional_text(data, "fix"),
        doc_url=_optional_text(data, "doc_url"),
        suppressed=_optional_text(data, "suppressed"),
    )


def encode_findings(findings: list[Finding] | tuple[Finding, ...]) -> list[JSON]:
    return [encode_finding(finding) for finding in findings]


def decode_findings(data: Any) -> list[Finding]:
    if not isinstance(data, list):
        raise CacheDecodeError("findings: not a list")
    return [decode_finding(item) for item in data]


def encode_output(output: AnalyzerOutput) -> dict[str, JSON]:
    """An analyzer's output as JSON data; UncacheableError when its facts aren't plain JSON."""
    return {"findings": encode_findings(output.findings), "facts": encode_facts(output.facts)}


def decode_output(data: Any) -> AnalyzerOutput:
    """The AnalyzerOutput `encode_output` wrote; CacheDecodeError for anything else."""
    if not isinstance(data, dict) or not isinstance(data.get("facts"), dict):
        raise CacheDecodeError("output: not an object with facts")
    return AnalyzerOutput(tuple(decode_findings(data.get("findings"))), data["facts"])
