"""The data every stage shares: findings, analyzer runs, criterion results and the Report.

Everything here is frozen and complete when created. "The tool failed" and "not applicable"
are states of their own, never the same as "clean".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# A JSON value as analyzers report facts and as the JSON report holds them.
JSON = Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more important; used to order findings."""
        return {Severity.ERROR: 3, Severity.WARNING: 2, Severity.INFO: 1}[self]


class AnalyzerStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


class CriterionStatus(StrEnum):
    STRONG = "strong"
    OK = "ok"
    WEAK = "weak"
    MISSING = "missing"
    NOT_APPLICABLE = "not-applicable"
    INCOMPLETE = "incomplete"


class Level(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"
    JOB_READY = "job-ready"
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation at one place. `path` is relative to the repo root, forward slashes."""

    rule: str
    criterion: str
    severity: Severity
    path: str
    line: int | None
    message: str
    analyzer: str
    end_line: int | None = None
    column: int | None = None
    fix: str | None = None
    doc_url: str | None = None
    # Set when the repo carries `# reviewbot: ignore[RULE] reason`: still shown and counted.
    suppressed: str | None = None

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def sort_key(self) -> tuple[int, str, int, int, str]:
        return (-self.severity.rank, self.path, self.line or 0, self.column or 0, self.rule)


@dataclass(frozen=True, slots=True)
class AnalyzerOutput:
    """What an analyzer observed: findings, plus facts (counts, shares, presence) for the rubric."""

    findings: tuple[Finding, ...] = ()
    facts: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Usage:
    """What one analyzer's run cost, as measured by the scheduler (shown by `--profile`; not
    part of the JSON report: it changes from run to run)."""

    # Seconds after the analysis stage began that the analyzer started.
    start: float
    wall: float
    # Subprocess tools: user+sys CPU of their processes. In-process: the thread's CPU time.
    cpu: float
    # Subprocess tools: the largest RSS of any of their processes. In-process: the whole
    # reviewbot process's peak RSS when the analyzer finished. None where unmeasurable.
    peak_rss: int | None
    # Seconds spent waiting for a thread (in-process) or a subprocess slot (tools).
    waited: float
    subprocess: bool = False
    processes: int = 0


@dataclass(frozen=True, slots=True)
class AnalyzerRun:
    """How one analyzer's run went. A failed or timed-out run feeds no criterion."""

    name: str
    status: AnalyzerStatus
    seconds: float
    criteria: tuple[str, ...]
    detail: str = ""
    output: AnalyzerOutput = field(default_factory=AnalyzerOutput)
    usage: Usage | None = None
    # The output came from the result cache (reviewbot.cache): nothing ran. Not in the JSON
    # report, whose runs must not differ between a cold and a warm scan of one commit.
    cached: bool = False


@dataclass(frozen=True, slots=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class RepoInfo:
    source: str
    commit: str | None
    frameworks: tuple[str, ...]
    python_files: int
    python_loc: int
    is_python_backend: bool
    skipped_files: tuple[SkippedFile, ...] = ()


@dataclass(frozen=True, slots=True)
class CriterionResult:
    id: str
    title: str
    status: CriterionStatus
    score: float | None
    weight: float
    summary: str
    evidence: tuple[str, ...] = ()
    phase: str = ""


@dataclass(frozen=True, slots=True)
class Grade:
    score: float | None
    letter: str | None
    level: Level


@dataclass(frozen=True, slots=True)
class NextStep:
    criterion: str
    action: str
    gain: float | None


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint of the scanned app, as the route table shows it."""

    method: str
    path: str
    handler: str
    file: str
    line: int | None
    auth: bool | None = None
    status_code: int | None = None
    response_model: str | None = None


@dataclass(frozen=True, slots=True)
class ToolInfo:
    name: str
    version: str
    rules_version: str


@dataclass(frozen=True, slots=True)
class Report:
    """The one object every reporter and publisher reads; its JSON form is report.schema.json."""

    tool: ToolInfo
    repo: RepoInfo
    grade: Grade
    criteria: tuple[CriterionResult, ...]
    findings: tuple[Finding, ...]
    analyzers: tuple[AnalyzerRun, ...]
    next_steps: tuple[NextStep, ...]
    verdict: str = ""
    commentary: Mapping[str, JSON] | None = None
    routes: tuple[Route, ...] = ()

    def criterion(self, criterion_id: str) -> CriterionResult:
        for result in self.criteria:
            if result.id == criterion_id:
                return result
        raise KeyError(criterion_id)

    def findings_for(self, criterion_id: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.criterion == criterion_id)
