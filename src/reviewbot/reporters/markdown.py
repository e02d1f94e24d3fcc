"""The markdown report: GitHub-flavoured markdown for job summaries and PR comments.

Everything from the scanned repository is escaped (`escaping.md_code` for paths, rule ids and
other identifiers; `escaping.md_text` for prose), so a file name cannot add links, images, HTML
or @-mentions to a comment. The whole text stays under `MAX_CHARS`: GitHub rejects comment
bodies over 65,536 characters, so findings are listed most important first, up to
`MAX_FINDINGS`, and fewer when they would not fit, with a note saying how many are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from reviewbot.commentary.view import commentary_view
from reviewbot.model import AnalyzerStatus, CriterionStatus, Finding, Report, Severity
from reviewbot.reporters.escaping import md_code, md_text, shorten

MAX_CHARS = 65_000
MAX_FINDINGS = 200
# A criterion with more findings than this gets its list folded into a <details> element.
FOLD_OVER = 5
MAX_SKIPPED_SHOWN = 20
MAX_NEXT_STEPS = 10
# Per-field limits keep every part but the findings list bounded, whatever the repo holds.
MESSAGE_LIMIT = 500
SUMMARY_LIMIT = 300
DETAIL_LIMIT = 300
PATH_LIMIT = 300
COMMENTARY_LIMIT = 400

STATUS_LABEL: dict[CriterionStatus, str] = {
    CriterionStatus.STRONG: "✅ strong",
    CriterionStatus.OK: "✔️ ok",
    CriterionStatus.WEAK: "⚠️ weak",
    CriterionStatus.MISSING: "❌ missing",
    CriterionStatus.INCOMPLETE: "⏳ incomplete",
    CriterionStatus.NOT_APPLICABLE: "\N{HEAVY MINUS SIGN} n/a",
}

ANALYZER_LABEL: dict[AnalyzerStatus, str] = {
    AnalyzerStatus.OK: "✅ ok",
    AnalyzerStatus.FAILED: "❌ failed",
    AnalyzerStatus.TIMEOUT: "⏱️ timeout",
    AnalyzerStatus.SKIPPED: "\N{HEAVY MINUS SIGN} skipped",
}

SEVERITY_LABEL: dict[Severity, str] = {
    Severity.ERROR: "**error**",
    Severity.WARNING: "**warning**",
    Severity.INFO: "info",
}

# Only plain https URLs become links; anything that could close the link syntax stays text.
_SAFE_URL = re.compile(r"https://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+")


def _title(report: Report) -> list[str]:
    grade = report.grade
    if grade.score is None:
        lines = ["# reviewbot review: not a Python backend repository", ""]
        verdict = report.verdict or "not a Python backend repository"
        return [*lines, f"> {md_text(shorten(verdict, MESSAGE_LIMIT))}", ""]
    letter = f"{grade.letter} · " if grade.letter else ""
    lines = [f"# reviewbot review: {letter}{grade.score:.1f}/100 · {grade.level.value}", ""]
    if report.verdict:
        lines += [f"> {md_text(shorten(report.verdict, MESSAGE_LIMIT))}", ""]
    return lines


def _repo_line(report: Report) -> list[str]:
    repo = report.repo
    where = md_code(shorten(repo.source, PATH_LIMIT))
    if repo.commit:
        where += f" at {md_code(repo.commit[:7])}"
    frameworks = ", ".join(md_text(name) for name in repo.frameworks) or "none detected"
    return [
        f"**Repository** {where} · **Frameworks** {frameworks} · "
        f"**Python** {repo.python_files:,} files, {repo.python_loc:,} lines",
        "",
    ]


def _criteria(report: Report) -> list[str]:
    lines = [
        "## Criteria",
        "",
        "| | Criterion | Status | Score | Summary |",
        "|---|---|---|---:|---|",
    ]
    for result in sorted(report.criteria, key=lambda c: c.id):
        score = "—" if result.score is None else f"{result.score:.1f}"
        lines.append(
            f"| {result.id} | {md_text(result.title)} | {STATUS_LABEL[result.status]} | "
            f"{score} | {md_text(shorten(result.summary, SUMMARY_LIMIT))} |"
        )
    return [*lines, ""]


def _next_steps(report: Report) -> list[str]:
    if not report.next_steps:
        return []
    lines = ["## Next steps", ""]
    for number, step in enumerate(report.next_steps[:MAX_NEXT_STEPS], start=1):
        gain = "" if step.gain is None else f" (+{step.gain:.1f} points)"
        action = md_text(shorten(step.action, MESSAGE_LIMIT))
        lines.append(f"{number}. **{md_text(step.criterion)}** {action}{gain}")
    return [*lines, ""]


def commentary_section(report: Report) -> list[str]:
    """The LLM's commentary as markdown lines, labelled as such (also for PR review bodies);
    none without commentary. Every text the model wrote is escaped like repo text: a reply
    cannot add links, images, HTML or @-mentions to a comment."""
    view = commentary_view(report.commentary)
    if view is None:
        return []
    if not view.ok:
        return [f"*{md_text(view.note)}*", ""]
    lines = [
        "## AI-generated commentary",
        "",
        f"> *AI-generated commentary (model {md_code(view.model)}) — does not affect the grade*",
        "",
    ]
    if view.strengths:
        lines += ["**What this repository already shows**", ""]
        lines += [f"- **{md_text(s.criterion)}** {md_text(shorten(s.text, COMMENTARY_LIMIT))}"
                  for s in view.strengths]
        lines.append("")
    if view.next_steps:
        lines += ["**Three things to work on next**", ""]
        for number, step in enumerate(view.next_steps, start=1):
            line = f"{number}. **{md_text(step.criterion)}** "
            line += md_text(shorten(step.what, COMMENTARY_LIMIT))
            if step.why:
                line += f" *Why:* {md_text(shorten(step.why, COMMENTARY_LIMIT))}"
            lines.append(line)
        lines.append("")
    if view.fixes:
        lines += ["**How to fix the top findings**", ""]
        lines += [f"- {md_code(shorten(f.location, PATH_LIMIT))} · {md_code(f.rule)} · "
                  f"{md_text(shorten(f.explanation, COMMENTARY_LIMIT))}" for f in view.fixes]
        lines.append("")
    if view.usage:
        lines += [f"<sub>{md_text(view.usage)}</sub>", ""]
    return lines


def _finding_line(finding: Finding) -> str:
    rule = md_code(finding.rule)
    if finding.doc_url and _SAFE_URL.fullmatch(finding.doc_url):
        rule = f"[{rule}]({finding.doc_url})"
    line = (
        f"- {SEVERITY_LABEL[finding.severity]} · {md_code(finding.location)} · {rule} · "
        f"{md_text(shorten(finding.message, MESSAGE_LIMIT))}"
    )
    if finding.suppressed is not None:
        reason = md_text(shorten(finding.suppressed, DETAIL_LIMIT))
        line += f" · *suppressed: {reason}*" if reason else " · *suppressed*"
    return line


def _criterion_block(report: Report, criterion: str, shown: Sequence[Finding]) -> list[str]:
    total = len(report.findings_for(criterion))
    try:
        title = f"{criterion} {report.criterion(criterion).title}"
    except KeyError:
        title = criterion
    noun = "finding" if total == 1 else "findings"
    lines = [f"### {md_text(title)} ({total:,} {noun})", ""]
    items = [_finding_line(f) for f in shown]
    if total > len(shown):
        items.append(f"- … and {total - len(shown):,} more not shown")
    if len(items) > FOLD_OVER:
        return [*lines, f"<details><summary>Show {total:,} {noun}</summary>", "", *items, "",
                "</details>", ""]
    return [*lines, *items, ""]


def _findings(report: Report, shown: Sequence[Finding]) -> list[str]:
    total = len(report.findings)
    if total == 0:
        return ["## Findings", "", "No findings.", ""]
    lines = [f"## Findings ({total:,})", ""]
    if len(shown) < total:
        lines += [
            f"Showing the {len(shown):,} most important of {total:,} findings; "
            "the JSON report lists them all.",
            "",
        ]
    for criterion in sorted({f.criterion for f in report.findings}):
        in_criterion = [f for f in shown if f.criterion == criterion]
        lines += _criterion_block(report, criterion, in_criterion)
    return lines


def _analyzers(report: Report) -> list[str]:
    if not report.analyzers:
        return []
    lines = ["## Analyzers", "", "| Analyzer | Status | Time | Criteria | Detail |",
             "|---|---|---:|---|---|"]
    for run in report.analyzers:
        criteria = ", ".join(md_text(c) for c in run.criteria)
        detail = md_text(shorten(run.detail, DETAIL_LIMIT))
        lines.append(
            f"| {md_code(run.name, in_table=True)} | {ANALYZER_LABEL[run.status]} | "
            f"{run.seconds:.1f} s | {criteria} | {detail} |"
        )
    return [*lines, ""]


def _skipped(report: Report) -> list[str]:
    skipped = report.repo.skipped_files
    if not skipped:
        return []
    lines = [f"## Skipped files ({len(skipped):,})", ""]
    for entry in skipped[:MAX_SKIPPED_SHOWN]:
        path = md_code(shorten(entry.path, PATH_LIMIT))
        lines.append(f"- {path}: {md_text(shorten(entry.reason, DETAIL_LIMIT))}")
    if len(skipped) > MAX_SKIPPED_SHOWN:
        lines.append(f"- … and {len(skipped) - MAX_SKIPPED_SHOWN:,} more")
    return [*lines, ""]


MAX_ROUTES_SHOWN = 100
AUTH_LABEL = {True: "yes", False: "no", None: "?"}


def _routes(report: Report) -> list[str]:
    """The app's route table, folded: long, and reference rather than advice."""
    if not report.routes:
        return []
    lines = [
        f"<details><summary>Routes ({len(report.routes):,})</summary>",
        "",
        "| Method | Path | Handler | Auth |",
        "|---|---|---|---|",
    ]
    for route in report.routes[:MAX_ROUTES_SHOWN]:
        where = f"{route.file}:{route.line}" if route.line else route.file
        handler = f"{md_code(route.handler, in_table=True)} {md_code(where, in_table=True)}"
        lines.append(
            f"| {md_text(route.method)} | {md_code(shorten(route.path, PATH_LIMIT), in_table=True)}"
            f" | {handler} | {AUTH_LABEL[route.auth]} |"
        )
    if len(report.routes) > MAX_ROUTES_SHOWN:
        lines.append(f"\n… and {len(report.routes) - MAX_ROUTES_SHOWN:,} more")
    return [*lines, "", "</details>", ""]


def _join(parts: Iterable[list[str]]) -> str:
    return "\n".join(line for part in parts for line in part).rstrip("\n") + "\n"


def render(report: Report) -> str:
    """The markdown report, at most `MAX_CHARS` characters long."""
    ordered = sorted(report.findings, key=Finding.sort_key)
    head = _join([
        _title(report), _repo_line(report), _criteria(report), _next_steps(report),
        commentary_section(report),
    ])
    tail = _join([
        _routes(report),
        _analyzers(report),
        _skipped(report),
        [f"<sub>reviewbot {md_text(report.tool.version)} · rules "
         f"{md_text(report.tool.rules_version)}</sub>"],
    ])

    def assemble(count: int) -> str:
        return head + "\n" + _join([_findings(report, ordered[:count])]) + "\n" + tail

    # First guess from the lengths of the finding lines alone, then shrink until it fits:
    # headings and <details> wrappers add a little per criterion.
    budget = MAX_CHARS - len(head) - len(tail) - 200
    count, used = 0, 0
    for finding in ordered[:MAX_FINDINGS]:
        used += len(_finding_line(finding)) + 1
        if used > budget:
            break
        count += 1
    text = assemble(count)
    while len(text) > MAX_CHARS and count > 0:
        count = count * 9 // 10
        text = assemble(count)
    return text
