"""The texts reviewbot posts on GitHub: summary, review, inline comments, check run.

Pure functions of the report and what the run knows about earlier runs. Repository text is
escaped with `reporters.escaping` (paths and rule ids as code spans, messages as inert
prose), and every body stays under GitHub's limits: 65,536 characters for comments and
65,535 for a check run's summary and text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reviewbot.github.regression import Regression
from reviewbot.github.state import SUMMARY_MARKER, KnownFinding
from reviewbot.model import Finding, Report, Severity
from reviewbot.reporters.escaping import md_code, md_text, one_line, shorten
from reviewbot.reporters.markdown import SEVERITY_LABEL, STATUS_LABEL, commentary_section
from reviewbot.rulebook import Rulebook

COMMENT_LIMIT = 65_536
CHECK_TEXT_LIMIT = 65_535
MAX_FIXED_SHOWN = 10
MAX_NEXT_STEPS = 5
MESSAGE_LIMIT = 1_000
ANNOTATION_TITLE_LIMIT = 255
ANNOTATION_MESSAGE_LIMIT = 4_000

ANNOTATION_LEVEL: dict[Severity, str] = {
    Severity.ERROR: "failure",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
}


@dataclass(frozen=True, slots=True)
class SinceLast:
    """The change against the last review of this pull request (another head commit)."""

    sha: str
    score: float | None
    fixed: tuple[KnownFinding, ...]
    new: int


@dataclass(frozen=True, slots=True)
class InlineStats:
    """What became of the findings on a pull request's review."""

    posted: int
    over_cap: int
    already_commented: int
    outside_diff: int
    cap: int


def grade_line(report: Report) -> str:
    """`C+ · 72.3/100 · intermediate`, or the verdict when there is no grade."""
    grade = report.grade
    if grade.score is None:
        return "not a Python backend repository"
    letter = f"{grade.letter} · " if grade.letter else ""
    return f"{letter}{grade.score:.1f}/100 · {grade.level.value}"


def _signed(value: float) -> str:
    return "±0.0" if abs(value) < 0.05 else f"{value:+.1f}"


def _short(sha: str) -> str:
    return md_code(sha[:7])


def _change_lines(
    report: Report, regression: Regression | None, base_note: str, since: SinceLast | None
) -> list[str]:
    parts = []
    if regression is not None and regression.delta is not None:
        parts.append(
            f"{_signed(regression.delta)} against the base branch ({_short(regression.base_sha)})"
        )
    elif base_note:
        parts.append(md_text(base_note))
    if since is not None and since.score is not None and report.grade.score is not None:
        delta = round(report.grade.score, 1) - round(since.score, 1)
        parts.append(f"{_signed(delta)} since the last review ({_short(since.sha)})")
    return [f"**Change:** {' · '.join(parts)}", ""] if parts else []


def _since_lines(since: SinceLast | None) -> list[str]:
    if since is None:
        return []
    lines = [f"### Since the last review ({_short(since.sha)})", ""]
    if since.fixed:
        shown = [
            f"{md_code(f.rule)} at {md_code(f'{f.path}:{f.line}' if f.line else f.path)}"
            for f in since.fixed[:MAX_FIXED_SHOWN]
        ]
        more = len(since.fixed) - len(shown)
        tail = f" and {more:,} more" if more > 0 else ""
        lines.append(f"- fixed since the last review: {', '.join(shown)}{tail}")
    else:
        lines.append("- fixed since the last review: nothing")
    noun = "finding" if since.new == 1 else "findings"
    lines += [f"- new since the last review: {since.new:,} {noun}", ""]
    return lines


def _criteria_table(report: Report, regression: Regression | None) -> list[str]:
    if regression is None:
        lines = ["| | Criterion | Status | Score |", "|---|---|---|---:|"]
    else:
        lines = ["| | Criterion | Status | Score | Base | Change |",
                 "|---|---|---|---:|---:|---:|"]
    for result in sorted(report.criteria, key=lambda c: c.id):
        score = "—" if result.score is None else f"{result.score:.1f}"
        row = f"| {result.id} | {md_text(result.title)} | {STATUS_LABEL[result.status]} | {score} |"
        if regression is not None:
            change = regression.change(result.id)
            base = "—" if change is None or change.base_score is None else (
                f"{change.base_score:.1f}")
            delta = "—" if change is None or change.delta is None else _signed(change.delta)
            row += f" {base} | {delta} |"
        lines.append(row)
    return ["### Criteria", "", *lines, ""]


def _next_steps(report: Report) -> list[str]:
    if not report.next_steps:
        return []
    lines = ["### Next steps", ""]
    for number, step in enumerate(report.next_steps[:MAX_NEXT_STEPS], start=1):
        gain = "" if step.gain is None else f" (+{step.gain:.1f} points)"
        action = md_text(shorten(step.action, MESSAGE_LIMIT))
        lines.append(f"{number}. **{md_text(step.criterion)}** {action}{gain}")
    return [*lines, ""]


def summary_markdown(
    report: Report,
    *,
    regression: Regression | None = None,
    base_note: str = "",
    since: SinceLast | None = None,
) -> str:
    """The graded summary: grade, change against the base branch and the last review, what
    was fixed, the criteria table and next steps. A few thousand characters at most."""
    lines = [f"## reviewbot: {grade_line(report)}", ""]
    if report.verdict:
        lines += [f"> {md_text(shorten(report.verdict, MESSAGE_LIMIT))}", ""]
    lines += _change_lines(report, regression, base_note, since)
    lines += _since_lines(since)
    if report.grade.score is not None:
        lines += _criteria_table(report, regression)
        lines += _next_steps(report)
        lines += commentary_section(report)
    total = len(report.findings)
    lines.append(f"{total:,} finding{'' if total == 1 else 's'} in all.")
    return "\n".join(lines).rstrip("\n") + "\n"


def inline_note(stats: InlineStats) -> str:
    """One paragraph saying what was commented inline and where the rest is."""
    noun = "comment" if stats.posted == 1 else "comments"
    parts = [f"{stats.posted:,} inline {noun} on changed lines, most important first."]
    if stats.over_cap:
        parts.append(
            f"{stats.over_cap:,} more on changed lines are not commented "
            f"(at most {stats.cap} per review)."
        )
    if stats.already_commented:
        parts.append(f"{stats.already_commented:,} were commented in an earlier review.")
    if stats.outside_diff:
        parts.append(
            f"{stats.outside_diff:,} outside this pull request's diff are in the "
            "`reviewbot` check run and the job summary."
        )
    return " ".join(parts) + "\n"


def _fit(text: str, tail: str, limit: int) -> str:
    """`text` + `tail`, with `text` cut so the whole stays within `limit` characters."""
    room = limit - len(tail) - 2
    if len(text) > room:
        text = text[: max(room - 40, 0)].rstrip() + "\n\n*… cut to fit.*\n"
    return text + "\n" + tail


def sticky_comment(summary: str, notes: Sequence[str], state_marker: str) -> str:
    """The sticky summary comment: the marker first, so the next run finds it."""
    body = "\n".join([summary, *notes])
    return SUMMARY_MARKER + "\n" + _fit(body, state_marker + "\n", COMMENT_LIMIT - 40)


def review_body(summary: str, stats: InlineStats, markers: Sequence[str]) -> str:
    """The review's body: the graded summary, what was commented, hidden markers last."""
    body = summary + "\n" + inline_note(stats)
    return _fit(body, "\n".join(markers) + "\n", COMMENT_LIMIT - 40)


def inline_comment(finding: Finding, rulebook: Rulebook | None = None) -> str:
    """The body of one inline review comment."""
    rule = rulebook.rule(finding.rule) if rulebook else None
    name = f" {md_text(rule.name)}" if rule and not rule.is_family else ""
    lines = [
        f"{SEVERITY_LABEL[finding.severity]} · {md_code(finding.rule)}{name}",
        "",
        md_text(shorten(finding.message, MESSAGE_LIMIT)),
        "",
    ]
    if finding.fix:
        lines += [f"**Fix:** {md_text(shorten(finding.fix, MESSAGE_LIMIT))}", ""]
    why = f"{md_text(rule.summary)} " if rule and rule.summary else ""
    explain = md_code(f"reviewbot explain {finding.rule}")
    lines.append(f"<sub>{why}{explain} says why it matters and how to fix it.</sub>")
    return "\n".join(lines) + "\n"


def check_title(report: Report) -> str:
    return shorten(f"reviewbot: {grade_line(report)}", ANNOTATION_TITLE_LIMIT)


def check_text(text: str) -> str:
    return _fit(text, "", CHECK_TEXT_LIMIT) if len(text) > CHECK_TEXT_LIMIT else text


def annotation(finding: Finding, path: str) -> dict[str, Any]:
    """A check-run annotation for `finding`, at repository path `path`."""
    start = finding.line or 1
    end = max(finding.end_line or start, start)
    # No columns: reviewbot knows where a finding starts, not where it ends.
    data: dict[str, Any] = {
        "path": path,
        "start_line": start,
        "end_line": end,
        "annotation_level": ANNOTATION_LEVEL[finding.severity],
        "title": shorten(one_line(f"{finding.rule} ({finding.criterion})"),
                         ANNOTATION_TITLE_LIMIT),
        "message": shorten(finding.message, ANNOTATION_MESSAGE_LIMIT),
    }
    return data
