"""The terminal report: what `reviewbot scan` prints for a person at a terminal.

Rendered with rich into a string of fixed width, so the output depends on the report and the
two arguments only, never on the terminal it ends up in. Colour is the caller's decision (the
CLI turns it off for NO_COLOR or a pipe).

Repo text (paths, messages, tool output) is only ever put into `rich.text.Text` objects, never
into markup strings: rich does not parse markup or emoji codes in a `Text`, so a file named
`[bold]x.py` prints as exactly that. Control characters are made visible first (`printable`),
because rich passes ANSI escapes in a `Text` through to the terminal.
"""

from __future__ import annotations

import io
import re

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from reviewbot.commentary.view import CommentaryView, commentary_view
from reviewbot.model import AnalyzerStatus, CriterionStatus, Finding, Report, Severity
from reviewbot.reporters.escaping import one_line, printable, shorten

MAX_FINDINGS = 15
MAX_SKIPPED_SHOWN = 3
DETAIL_LIMIT = 200

# (symbol, label, style) per status; the label is spelled out so the table reads without colour.
STATUS_LOOK: dict[CriterionStatus, tuple[str, str, str]] = {
    CriterionStatus.STRONG: ("✔", "strong", "bold green"),
    CriterionStatus.OK: ("✔", "ok", "green"),
    CriterionStatus.WEAK: ("▲", "weak", "yellow"),
    CriterionStatus.MISSING: ("✖", "missing", "bold red"),
    CriterionStatus.INCOMPLETE: ("…", "incomplete", "dim"),
    CriterionStatus.NOT_APPLICABLE: ("\N{EN DASH}", "n/a", "dim"),
}

SEVERITY_STYLE: dict[Severity, str] = {
    Severity.ERROR: "red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}

ANALYZER_STATUS_WORDS: dict[AnalyzerStatus, str] = {
    AnalyzerStatus.OK: "ran",
    AnalyzerStatus.FAILED: "failed",
    AnalyzerStatus.TIMEOUT: "timed out",
    AnalyzerStatus.SKIPPED: "skipped",
}


def letter_style(letter: str) -> str:
    """The colour of a letter grade's band: A/B green, C yellow, D orange, F red."""
    return {"A": "bold green", "B": "green", "C": "yellow", "D": "dark_orange"}.get(
        letter[:1], "bold red"
    )


def _heading(title: str) -> Text:
    return Text(title, style="bold underline")


def _header(report: Report) -> RenderableType:
    repo = report.repo
    source = Text.assemble(("Repository  ", "bold"), printable(repo.source))
    if repo.commit:
        source.append(f" @ {printable(repo.commit[:7])}", style="cyan")
    frameworks = ", ".join(printable(name) for name in repo.frameworks) or "none detected"
    lines = [
        Text(f"reviewbot {report.tool.version} · rules {report.tool.rules_version}", style="dim"),
        source,
        Text.assemble(("Frameworks  ", "bold"), frameworks),
        Text.assemble(
            ("Python      ", "bold"),
            f"{repo.python_files:,} files, {repo.python_loc:,} lines",
        ),
    ]
    return Group(*lines)


def _grade(report: Report) -> RenderableType:
    grade = report.grade
    if grade.score is None:
        verdict = report.verdict or "not a Python backend repository"
        return Text.assemble(("Verdict  ", "bold"), (printable(verdict), "bold yellow"))
    line = Text.assemble(("Grade  ", "bold"))
    if grade.letter:
        line.append(grade.letter, style=letter_style(grade.letter))
        line.append("  ")
    line.append(f"{grade.score:.1f}/100", style="bold")
    line.append(f"  level: {grade.level.value}")
    if report.verdict:
        return Group(line, Text(printable(report.verdict)))
    return line


def _criteria_table(report: Report) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
    table.add_column("", no_wrap=True)
    table.add_column("Criterion", ratio=2)
    table.add_column("Status", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Summary", ratio=3)
    for result in sorted(report.criteria, key=lambda c: c.id):
        symbol, label, style = STATUS_LOOK[result.status]
        score = "—" if result.score is None else f"{result.score:.1f}"
        table.add_row(
            Text(result.id),
            Text(printable(result.title)),
            Text(f"{symbol} {label}", style=style),
            Text(score),
            # Dim rows (incomplete, n/a) stay dim to the end, so the eye skips them.
            Text(
                printable(result.summary, keep_newlines=True),
                style="dim" if style == "dim" else "",
            ),
        )
    return table


def _findings(report: Report) -> list[RenderableType]:
    if not report.findings:
        return [_heading("Findings"), Text("No findings.")]
    ordered = sorted(report.findings, key=Finding.sort_key)
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0), expand=True)
    # Long paths fold onto more lines rather than lose their end, which names the file.
    table.add_column("where", overflow="fold", max_width=40)
    table.add_column("rule", no_wrap=True)
    table.add_column("message", ratio=1)
    for finding in ordered[:MAX_FINDINGS]:
        message = Text(printable(finding.message, keep_newlines=True))
        if finding.suppressed is not None:
            reason = one_line(finding.suppressed)
            message.append(f" (suppressed: {reason})" if reason else " (suppressed)", style="dim")
        table.add_row(
            Text(printable(finding.location)),
            Text(printable(finding.rule), style=SEVERITY_STYLE[finding.severity]),
            message,
        )
    parts: list[RenderableType] = [
        _heading(f"Most important findings ({len(ordered):,} in all)"),
        table,
    ]
    rest = len(ordered) - MAX_FINDINGS
    if rest > 0:
        parts.append(
            Text(f"and {rest:,} more (use --format json or markdown for all)", style="dim")
        )
    return parts


def _next_steps(report: Report) -> list[RenderableType]:
    if not report.next_steps:
        return []
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1, 0, 0), expand=True)
    table.add_column("number", justify="right", no_wrap=True)
    table.add_column("step", ratio=1)
    for number, step in enumerate(report.next_steps, start=1):
        line = Text(step.criterion, style="bold")
        line.append(f" {printable(step.action, keep_newlines=True)}")
        if step.gain is not None:
            line.append(f" (+{step.gain:.1f} points)", style="green")
        table.add_row(Text(f"{number}."), line)
    return [_heading("Next steps"), table]


def _listing(rows: list[tuple[str, Text]]) -> Table:
    """Marker and text in two columns, so wrapped lines hang under the text."""
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1, 0, 0), expand=True)
    table.add_column("marker", justify="right", no_wrap=True)
    table.add_column("text", ratio=1)
    for marker, text in rows:
        table.add_row(Text(marker), text)
    return table


def _commentary_items(view: CommentaryView) -> list[RenderableType]:
    parts: list[RenderableType] = []
    if view.strengths:
        parts.append(Text("What this repository already shows", style="bold"))
        parts.append(_listing([
            ("•", Text.assemble((one_line(s.criterion), "bold"), f" {one_line(s.text)}"))
            for s in view.strengths
        ]))
    if view.next_steps:
        parts.append(Text("Three things to work on next", style="bold"))
        rows = []
        for number, step in enumerate(view.next_steps, start=1):
            line = Text.assemble((one_line(step.criterion), "bold"), f" {one_line(step.what)}")
            if step.why:
                line.append(f" Why: {one_line(step.why)}", style="dim")
            rows.append((f"{number}.", line))
        parts.append(_listing(rows))
    if view.fixes:
        parts.append(Text("How to fix the top findings", style="bold"))
        parts.append(_listing([
            ("•", Text.assemble(
                one_line(f.location), " ", (one_line(f.rule), "bold"),
                f" {one_line(f.explanation)}",
            ))
            for f in view.fixes
        ]))
    return parts


def _commentary(report: Report) -> list[RenderableType]:
    """The LLM's commentary, labelled as such, all of it plain text (the model wrote it)."""
    view = commentary_view(report.commentary)
    if view is None:
        return []
    if not view.ok:
        return [Text(one_line(view.note), style="dim")]
    parts: list[RenderableType] = [_heading(one_line(view.label)), *_commentary_items(view)]
    if view.usage:
        parts.append(Text(one_line(view.usage), style="dim"))
    return parts


def _analyzers(report: Report) -> list[RenderableType]:
    troubled = [run for run in report.analyzers if run.status is not AnalyzerStatus.OK]
    if not troubled:
        return []
    notes = []
    for run in troubled:
        note = f"{printable(run.name)} {ANALYZER_STATUS_WORDS[run.status]}"
        if run.detail:
            note += f" ({shorten(one_line(run.detail), DETAIL_LIMIT)})"
        notes.append(note)
    return [Text.assemble(("Analyzers not run fully: ", "bold yellow"), "; ".join(notes))]


def _skipped(report: Report) -> list[RenderableType]:
    skipped = report.repo.skipped_files
    if not skipped:
        return []
    shown = ", ".join(
        f"{printable(s.path)} ({one_line(s.reason)})" for s in skipped[:MAX_SKIPPED_SHOWN]
    )
    more = len(skipped) - MAX_SKIPPED_SHOWN
    if more > 0:
        shown += f" and {more:,} more"
    noun = "file" if len(skipped) == 1 else "files"
    return [Text.assemble((f"Skipped {len(skipped):,} {noun}: ", "bold"), shown)]


MAX_ROUTES_SHOWN = 30
_AUTH = {True: Text("✔", "green"), False: Text("✖", "red"), None: Text("?", "dim")}


def _routes(report: Report) -> list[RenderableType]:
    if not report.routes:
        return []
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in ("Method", "Path", "Handler", "Auth"):
        table.add_column(column, overflow="fold")
    for route in report.routes[:MAX_ROUTES_SHOWN]:
        where = f"{route.file}:{route.line}" if route.line else route.file
        table.add_row(
            Text(printable(route.method)),
            Text(printable(route.path)),
            Text(f"{printable(route.handler)}  {printable(where)}", "dim"),
            _AUTH[route.auth],
        )
    rows: list[RenderableType] = [_heading(f"Routes ({len(report.routes):,})"), table]
    more = len(report.routes) - MAX_ROUTES_SHOWN
    if more > 0:
        rows.append(Text(f"and {more:,} more (use --format json or markdown for all)"))
    return rows


_SGR = re.compile(r"(\x1b\[[0-9;]*m)")


def _without_trailing_blanks(line: str) -> str:
    # Rich pads table rows to the full width; trailing blanks only make goldens brittle. With
    # colour, the padding sits among style codes: drop the blanks, keep the codes in order.
    parts = _SGR.split(line)  # text at even indexes, style codes at odd ones
    codes: list[str] = []
    index = len(parts) - 1
    while index >= 0:
        if index % 2:
            codes.append(parts[index])
        elif parts[index].rstrip(" "):
            parts[index] = parts[index].rstrip(" ")
            break
        index -= 1
    return "".join(parts[: index + 1]) + "".join(reversed(codes))


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    """The terminal report as text `width` columns wide, with ANSI colour when `color`."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system="truecolor" if color else None,
        force_terminal=color,
        no_color=not color,
        legacy_windows=False,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
    )
    sections: list[list[RenderableType]] = [
        [_header(report), Text(), _grade(report)],
        [_heading("Criteria"), _criteria_table(report)],
        _findings(report),
        _next_steps(report),
        _commentary(report),
        _routes(report),
        _analyzers(report) + _skipped(report),
    ]
    first = True
    for section in sections:
        if not section:
            continue
        if not first:
            console.print()
        first = False
        for renderable in section:
            console.print(renderable)
    return "".join(_without_trailing_blanks(line) + "\n" for line in buffer.getvalue().splitlines())
