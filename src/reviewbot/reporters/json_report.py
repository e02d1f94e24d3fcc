"""The JSON report: the `Report` as `report.schema.json` (schema version 1) describes it.

`to_dict` and `from_dict` are inverses on everything the JSON carries, so a later run (the
GitHub Action comparing with the base branch) can load a previous report back into a `Report`.
Beyond the schema's required fields this writes a few additive optional ones: `repo.verdict`,
`criteria[].phase`, `findings[].suppressed` and `analyzers[].criteria`. An analyzer's raw
output (its findings and facts) is not part of the JSON form: its findings are already listed
in `findings`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reviewbot.model import (
    AnalyzerRun,
    AnalyzerStatus,
    CriterionResult,
    CriterionStatus,
    Finding,
    Grade,
    Level,
    NextStep,
    RepoInfo,
    Report,
    Route,
    Severity,
    SkippedFile,
    ToolInfo,
)

SCHEMA_VERSION = 1


class ReportDecodeError(ValueError):
    """The data is not a reviewbot JSON report of a schema version this code can read."""


def _score(value: float | None) -> float | None:
    # One decimal: enough to compare runs, and no float noise (72.30000000000001) in the output.
    return None if value is None else round(float(value), 1)


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "criterion": finding.criterion,
        "severity": finding.severity.value,
        "path": finding.path,
        "line": finding.line,
        "end_line": finding.end_line,
        "column": finding.column,
        "message": finding.message,
        "analyzer": finding.analyzer,
        "fix": finding.fix,
        "doc_url": finding.doc_url,
        "suppressed": finding.suppressed,
    }


def _criterion(result: CriterionResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "title": result.title,
        "status": result.status.value,
        "score": _score(result.score),
        "weight": float(result.weight),
        "summary": result.summary,
        "evidence": list(result.evidence),
        "phase": result.phase,
    }


def _analyzer(run: AnalyzerRun) -> dict[str, Any]:
    return {
        "name": run.name,
        "status": run.status.value,
        "seconds": round(run.seconds, 2),
        "detail": run.detail,
        "criteria": list(run.criteria),
    }


def to_dict(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data: criteria ordered by id, findings by `Finding.sort_key`."""
    repo = report.repo
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {
            "name": report.tool.name,
            "version": report.tool.version,
            "rules_version": report.tool.rules_version,
        },
        "repo": {
            "source": repo.source,
            "commit": repo.commit,
            "frameworks": list(repo.frameworks),
            "python_files": repo.python_files,
            "python_loc": repo.python_loc,
            "is_python_backend": repo.is_python_backend,
            "skipped_files": [{"path": s.path, "reason": s.reason} for s in repo.skipped_files],
            "verdict": report.verdict,
        },
        "grade": {
            "score": _score(report.grade.score),
            "letter": report.grade.letter,
            "level": report.grade.level.value,
        },
        "criteria": [_criterion(c) for c in sorted(report.criteria, key=lambda c: c.id)],
        # Sorted so the output does not depend on the order analyzers happened to finish in.
        "findings": [_finding(f) for f in sorted(report.findings, key=Finding.sort_key)],
        "analyzers": [_analyzer(run) for run in report.analyzers],
        "next_steps": [
            {"criterion": s.criterion, "action": s.action, "gain": _score(s.gain)}
            for s in report.next_steps
        ],
        "commentary": None if report.commentary is None else dict(report.commentary),
        "routes": [_route(r) for r in report.routes],
    }


def _route(route: Route) -> dict[str, Any]:
    return {
        "method": route.method,
        "path": route.path,
        "handler": route.handler,
        "file": route.file,
        "line": route.line,
        "auth": route.auth,
        "status_code": route.status_code,
        "response_model": route.response_model,
    }


def render(report: Report) -> str:
    """The JSON report text: two-space indented, UTF-8 characters kept, newline-terminated."""
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _finding_from(data: Mapping[str, Any]) -> Finding:
    return Finding(
        rule=data["rule"],
        criterion=data["criterion"],
        severity=Severity(data["severity"]),
        path=data["path"],
        line=_optional_int(data["line"]),
        message=data["message"],
        analyzer=data["analyzer"],
        end_line=_optional_int(data.get("end_line")),
        column=_optional_int(data.get("column")),
        fix=data.get("fix"),
        doc_url=data.get("doc_url"),
        suppressed=data.get("suppressed"),
    )


def _criterion_from(data: Mapping[str, Any]) -> CriterionResult:
    return CriterionResult(
        id=data["id"],
        title=data["title"],
        status=CriterionStatus(data["status"]),
        score=_optional_float(data["score"]),
        weight=float(data["weight"]),
        summary=data.get("summary", ""),
        evidence=tuple(data.get("evidence", ())),
        phase=data.get("phase", ""),
    )


def _analyzer_from(data: Mapping[str, Any]) -> AnalyzerRun:
    return AnalyzerRun(
        name=data["name"],
        status=AnalyzerStatus(data["status"]),
        seconds=float(data["seconds"]),
        criteria=tuple(data.get("criteria", ())),
        detail=data.get("detail", ""),
    )


def _repo_from(data: Mapping[str, Any]) -> RepoInfo:
    return RepoInfo(
        source=data["source"],
        commit=data["commit"],
        frameworks=tuple(data["frameworks"]),
        python_files=int(data["python_files"]),
        python_loc=int(data["python_loc"]),
        is_python_backend=bool(data["is_python_backend"]),
        skipped_files=tuple(
            SkippedFile(path=s["path"], reason=s["reason"]) for s in data.get("skipped_files", ())
        ),
    )


def from_dict(data: Mapping[str, Any]) -> Report:
    """Load a report written by `to_dict` (or read from a JSON report file) back into a Report.

    Raises ReportDecodeError when the schema version is not 1 or a required field is missing
    or has a value the model does not know.
    """
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ReportDecodeError(f"unsupported schema_version {version!r}, expected 1")
    try:
        tool, grade = data["tool"], data["grade"]
        return Report(
            tool=ToolInfo(tool["name"], tool["version"], tool["rules_version"]),
            repo=_repo_from(data["repo"]),
            grade=Grade(_optional_float(grade["score"]), grade["letter"], Level(grade["level"])),
            criteria=tuple(_criterion_from(c) for c in data["criteria"]),
            findings=tuple(_finding_from(f) for f in data["findings"]),
            analyzers=tuple(_analyzer_from(a) for a in data["analyzers"]),
            next_steps=tuple(
                NextStep(s["criterion"], s["action"], _optional_float(s.get("gain")))
                for s in data["next_steps"]
            ),
            verdict=data["repo"].get("verdict", ""),
            commentary=data.get("commentary"),
            routes=tuple(Route(**r) for r in data.get("routes", [])),
        )
    except KeyError as missing:
        raise ReportDecodeError(f"report is missing the field {missing}") from None
    except (TypeError, ValueError) as bad:
        raise ReportDecodeError(f"report has an invalid value: {bad}") from None


def loads(text: str) -> Report:
    """Parse JSON report text into a Report (see `from_dict`)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as bad:
        raise ReportDecodeError(f"not JSON: {bad}") from None
    if not isinstance(data, dict):
        raise ReportDecodeError("a JSON report is an object")
    return from_dict(data)
