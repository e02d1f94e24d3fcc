"""What of the review goes into the prompt: the top findings and short code excerpts around
them, within a character budget, the most valuable first.

A finding's value is its severity rank times its rule's weight (the penalty points it costs),
so an SQL injection outranks an unused import. One finding per rule is kept (the learner
learns a fix once; the others are counted), suppressed findings are left out, and excerpts
of the same file that overlap are merged. Every excerpt line is redacted
(`redaction.redact_line`) and the lines of findings about secrets are hidden entirely.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reviewbot.commentary.redaction import redact_line
from reviewbot.model import Finding, Report
from reviewbot.reporters.escaping import printable, shorten
from reviewbot.reporters.excerpts import SourceFiles
from reviewbot.rulebook import Rulebook

MAX_TOP_FINDINGS: Final = 8
# Lines either side of a finding; the narrow form is tried when the wide one does not fit.
CONTEXT: Final = 3
NARROW_CONTEXT: Final = 1
# A finding spanning a whole function shows its first lines only.
MAX_SPAN: Final = 6
MAX_LINE_CHARS: Final = 160
HIDDEN_LINE: Final = "[line hidden: a secret was detected here]"
# Rules whose finding line holds the secret itself: the line is never quoted.
SECRET_RULES: Final = frozenset({"bandit:B105", "bandit:B106", "bandit:B107"})


@dataclass(frozen=True, slots=True)
class TopFinding:
    """A finding chosen for the prompt, with the ref (F1, F2, ...) the reply uses."""

    ref: str
    finding: Finding
    value: float
    # Other findings of the same rule, not listed.
    more: int


@dataclass(frozen=True, slots=True)
class CodeExcerpt:
    """Numbered, redacted lines `start`-`end` of `path`, around the findings `refs`."""

    path: str
    start: int
    end: int
    refs: tuple[str, ...]
    text: str

    @property
    def header(self) -> str:
        return f"{self.path}:{self.start}-{self.end}"


@dataclass(frozen=True, slots=True)
class PromptMaterial:
    """The findings and excerpts chosen, and what the budget left out."""

    findings: tuple[TopFinding, ...]
    excerpts: tuple[CodeExcerpt, ...]
    budget: int
    # Refs of findings whose excerpt did not fit in the budget.
    dropped: tuple[str, ...] = ()
    # Findings not listed at all (beyond MAX_TOP_FINDINGS distinct rules, or duplicates).
    not_listed: int = 0
    excerpt_chars: int = 0


def finding_value(finding: Finding, rulebook: Rulebook) -> float:
    """Severity rank times the rule's weight (as the rubric counts it): how much fixing it is
    worth."""
    rule = rulebook.rule(finding.rule)
    if rule is not None and finding.severity is rule.severity:
        weight = rule.weight
    else:
        weight = rulebook.severity_weights.get(finding.severity.value, 1.0)
    return finding.severity.rank * weight


def _in_code(finding: Finding, rulebook: Rulebook) -> bool:
    rule = rulebook.rule(finding.rule)
    return rule is None or rule.scope == "code"


def is_secret_finding(finding: Finding) -> bool:
    """Findings whose own line is the secret: the secrets analyzer's and bandit's passwords."""
    return finding.analyzer == "secrets" or finding.rule in SECRET_RULES


def _one_per_rule(findings: Sequence[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for finding in findings:
        if finding.rule not in seen:
            seen.add(finding.rule)
            out.append(finding)
    return out


def top_findings(
    report: Report, rulebook: Rulebook, limit: int = MAX_TOP_FINDINGS
) -> tuple[tuple[TopFinding, ...], int]:
    """The `limit` most valuable findings, one per rule, and how many findings are left out.

    Repository-level rules (a missing CI workflow, a committed `.env`) weigh points off a
    criterion directly, code rules per 1,000 lines, so their weights do not compare: half
    the places go to findings in the code (when there are that many), which are also the
    ones whose fix can be shown in the learner's own lines.
    """
    candidates = [f for f in report.findings if f.suppressed is None]
    per_rule = Counter(f.rule for f in candidates)
    ordered = _one_per_rule(
        sorted(candidates, key=lambda f: (-finding_value(f, rulebook), f.sort_key()))
    )
    code = [f for f in ordered if _in_code(f, rulebook)]
    repo = [f for f in ordered if not _in_code(f, rulebook)]
    repo_places = max(limit // 2, limit - len(code))
    chosen = set(map(id, repo[:repo_places]))
    chosen |= set(map(id, code[: limit - min(len(repo), repo_places)]))
    picked = [f for f in ordered if id(f) in chosen]
    tops = tuple(
        TopFinding(f"F{n}", f, finding_value(f, rulebook), per_rule[f.rule] - 1)
        for n, f in enumerate(picked, start=1)
    )
    return tops, len(report.findings) - len(tops)


@dataclass(frozen=True, slots=True)
class _Window:
    path: str
    start: int
    end: int
    refs: tuple[str, ...]
    hidden: frozenset[int]

    def touches(self, other: _Window) -> bool:
        return (
            self.path == other.path
            and other.start <= self.end + 1
            and self.start <= other.end + 1
        )

    def merged(self, other: _Window) -> _Window:
        return _Window(
            self.path,
            min(self.start, other.start),
            max(self.end, other.end),
            self.refs + other.refs,
            self.hidden | other.hidden,
        )


def _window(top: TopFinding, files: SourceFiles, context: int) -> _Window | None:
    finding = top.finding
    lines = files.lines(finding.path)
    if lines is None or finding.line is None or not 1 <= finding.line <= len(lines):
        return None
    last = finding.end_line if finding.end_line and finding.end_line >= finding.line else None
    span_end = min(last or finding.line, finding.line + MAX_SPAN - 1)
    hidden = range(finding.line, span_end + 1) if is_secret_finding(finding) else range(0)
    return _Window(
        finding.path,
        max(1, finding.line - context),
        min(len(lines), span_end + context),
        (top.ref,),
        frozenset(hidden),
    )


def _ref_number(ref: str) -> int:
    return int(ref[1:])


def _with(windows: Sequence[_Window], new: _Window) -> list[_Window]:
    """`windows` (no two touching) with `new` added: merged with every window of its file it
    overlaps or adjoins, in the place of the first of them."""
    merged = new
    absorbed: set[int] = set()
    changed = True
    while changed:  # a grown window may now reach a neighbour it did not before
        changed = False
        for index, window in enumerate(windows):
            if index not in absorbed and window.touches(merged):
                merged = merged.merged(window)
                absorbed.add(index)
                changed = True
    merged = dataclasses.replace(merged, refs=tuple(sorted(merged.refs, key=_ref_number)))
    out = [window for index, window in enumerate(windows) if index not in absorbed]
    out.insert(min(absorbed) if absorbed else len(out), merged)
    return out


def _render(window: _Window, files: SourceFiles) -> CodeExcerpt:
    lines = files.lines(window.path) or ()
    out = []
    for number in range(window.start, window.end + 1):
        if number in window.hidden:
            text = HIDDEN_LINE
        else:
            # Redact the whole line before cutting it, so no cut can split a secret's mask.
            text = shorten(printable(redact_line(lines[number - 1], window.path)), MAX_LINE_CHARS)
        out.append(f"{number:>4} | {text}".rstrip())
    return CodeExcerpt(window.path, window.start, window.end, window.refs, "\n".join(out))


def excerpt_size(excerpt: CodeExcerpt) -> int:
    """Characters the excerpt takes in the prompt, its delimiters included (approximately)."""
    return len(excerpt.text) + len(excerpt.header) + 60


def choose_material(
    report: Report, root: Path | None, rulebook: Rulebook, budget: int
) -> PromptMaterial:
    """The top findings and, within `budget` characters, excerpts around them, most
    valuable first: each finding gets its lines with CONTEXT lines around them, or
    NARROW_CONTEXT when that does not fit, or no excerpt. Without `root` there are none."""
    findings, not_listed = top_findings(report, rulebook)
    files = SourceFiles(root)
    if not files.available:
        return PromptMaterial(findings, (), budget, not_listed=not_listed)
    windows: list[_Window] = []
    excerpts: list[CodeExcerpt] = []
    dropped: list[str] = []
    for top in findings:
        for context in (CONTEXT, NARROW_CONTEXT):
            new = _window(top, files, context)
            if new is None:
                break
            candidate = _with(windows, new)
            rendered = [_render(window, files) for window in candidate]
            if sum(excerpt_size(e) for e in rendered) <= budget:
                windows, excerpts = candidate, rendered
                break
        else:
            dropped.append(top.ref)
    used = sum(excerpt_size(e) for e in excerpts)
    return PromptMaterial(
        findings, tuple(excerpts), budget, tuple(dropped), not_listed, excerpt_chars=used
    )
