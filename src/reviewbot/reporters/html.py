"""The HTML report: one self-contained page a learner opens in a browser.

Inline CSS and an inline SVG chart of the 20 criteria; no script, font, image or stylesheet
is fetched (the page's Content-Security-Policy forbids it). Jinja2 renders it with autoescape
on, so nothing from the repository (paths, messages, code) can become markup. Code excerpts
around findings are read from the checkout when `root` is given, and masked (see
`excerpts.mask_line`). Deterministic: the same report gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from reviewbot.commentary.view import commentary_view
from reviewbot.model import CriterionResult, CriterionStatus, Finding, Report
from reviewbot.reporters.escaping import printable, shorten
from reviewbot.reporters.excerpts import Excerpt, SourceFiles, excerpt
from reviewbot.rulebook import Rule, Rulebook, default_rulebook

# Bounds that keep the page small whatever the repository holds; the JSON report has it all.
MAX_FINDINGS = 1_000
MAX_EXCERPTS = 300
MAX_SKIPPED = 100
MAX_NEXT_STEPS = 10
TEXT_LIMIT = 600
PATH_LIMIT = 200
TITLE_LIMIT = 50

STATUS_LABEL: dict[CriterionStatus, str] = {
    CriterionStatus.STRONG: "strong",
    CriterionStatus.OK: "ok",
    CriterionStatus.WEAK: "weak",
    CriterionStatus.MISSING: "missing",
    CriterionStatus.INCOMPLETE: "incomplete",
    CriterionStatus.NOT_APPLICABLE: "n/a",
}

# Chart geometry, in SVG user units (the SVG scales to the page width).
CHART_WIDTH = 800
LABEL_WIDTH = 350
BAR_X = 360
BAR_WIDTH = 320
ROW_HEIGHT = 26
# A score of 0 still draws a sliver, so "missing" reads as a bar and not as a gap.
MIN_BAR = 3.0
BAR_HEIGHT = 16
CHART_TOP = 24

_SAFE_URL = re.compile(r"https://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+")
_FENCED = re.compile(r"```[\w+-]*\n(.*?)\n?```", re.DOTALL)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


@dataclass(frozen=True, slots=True)
class Bar:
    """One criterion's row in the chart."""

    id: str
    label: str
    status: str
    status_label: str
    score_text: str
    y: int
    width: float


@dataclass(frozen=True, slots=True)
class FindingView:
    finding: Finding
    location: str
    message: str
    doc_url: str | None
    fix: str
    suppressed: str | None
    excerpt: Excerpt | None


@dataclass(frozen=True, slots=True)
class RuleNote:
    """A rule's doc, shown once per criterion under its findings."""

    id: str
    summary: str
    why: str
    fix: str


@dataclass(frozen=True, slots=True)
class CriterionGroup:
    id: str
    title: str
    total: int
    findings: tuple[FindingView, ...]
    rules: tuple[RuleNote, ...]


def chart_bars(criteria: Sequence[CriterionResult]) -> tuple[Bar, ...]:
    """The chart's rows, one per criterion by id. Criteria without a score (incomplete, n/a)
    get a full-width bar drawn in their own style, so "not measured" never looks like 0."""
    bars = []
    for row, result in enumerate(sorted(criteria, key=lambda c: c.id)):
        scored = result.score is not None
        score = max(0.0, min(100.0, result.score)) if result.score is not None else 100.0
        bars.append(Bar(
            id=result.id,
            label=shorten(f"{result.id} {printable(result.title)}", TITLE_LIMIT),
            status=result.status.value,
            status_label=STATUS_LABEL[result.status],
            # The status in words too: the chart must not rely on colour alone.
            score_text=(f"{result.score:.1f} · {STATUS_LABEL[result.status]}" if scored
                        else STATUS_LABEL[result.status]),
            y=CHART_TOP + row * ROW_HEIGHT,
            width=max(MIN_BAR, round(BAR_WIDTH * score / 100, 1)),
        ))
    return tuple(bars)


def _safe_url(url: str | None) -> str | None:
    return url if url and _SAFE_URL.fullmatch(url) else None


def _finding_view(finding: Finding, files: SourceFiles, with_excerpt: bool) -> FindingView:
    return FindingView(
        finding=finding,
        location=shorten(printable(finding.location), PATH_LIMIT),
        message=shorten(printable(finding.message, keep_newlines=True), TEXT_LIMIT),
        doc_url=_safe_url(finding.doc_url),
        fix=shorten(printable(finding.fix or "", keep_newlines=True), TEXT_LIMIT),
        suppressed=None if finding.suppressed is None else shorten(
            printable(finding.suppressed), TEXT_LIMIT),
        excerpt=excerpt(files, finding) if with_excerpt else None,
    )


def _rule_note(rule_id: str, rule: Rule | None) -> RuleNote | None:
    if rule is None:
        return None
    summary = f"{rule_id}: {rule.summary}" if rule.is_family else rule.summary
    return RuleNote(rule_id, summary, rule.why, rule.fix)


def finding_groups(
    report: Report, files: SourceFiles, book: Rulebook
) -> tuple[CriterionGroup, ...]:
    """Findings grouped by criterion (in criterion order), most important first in each, at
    most MAX_FINDINGS in all and excerpts for the first MAX_EXCERPTS of them."""
    ordered = sorted(report.findings, key=Finding.sort_key)[:MAX_FINDINGS]
    with_excerpt = {id(f) for f in ordered[:MAX_EXCERPTS]} if files.available else set()
    titles = {c.id: c.title for c in report.criteria}
    groups = []
    for criterion in sorted({f.criterion for f in report.findings}):
        shown = [f for f in ordered if f.criterion == criterion]
        rule_ids = sorted({f.rule for f in shown})
        notes = (_rule_note(rule_id, book.rule(rule_id)) for rule_id in rule_ids)
        groups.append(CriterionGroup(
            id=criterion,
            title=printable(titles.get(criterion, "")),
            total=len(report.findings_for(criterion)),
            findings=tuple(_finding_view(f, files, id(f) in with_excerpt) for f in shown),
            rules=tuple(note for note in notes if note is not None),
        ))
    return tuple(groups)


def grade_band(letter: str | None) -> str:
    """The CSS class of a letter's band: band-a ... band-f, or band-none without a grade."""
    first = (letter or "")[:1].upper()
    return f"band-{first.lower()}" if first in "ABCDF" and first else "band-none"


def _clean(text: str, limit: int = TEXT_LIMIT) -> str:
    """Repo text for the template: control characters made visible, length bounded.
    (Autoescape then makes it inert HTML.)"""
    return shorten(printable(text, keep_newlines=True), limit)


def _spans(text: str) -> Markup:
    parts = _CODE_SPAN.split(text)
    # split() alternates text and the code spans' contents.
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if odd else escape(part)
        for odd, part in ((n % 2 == 1, part) for n, part in enumerate(parts))
    )


def prose(text: str) -> Markup:
    """Text with markdown-style code (`x`, fenced blocks) shown as code; everything else is
    escaped, so this is as safe as autoescape for repo text."""
    out: list[Markup] = []
    position = 0
    for block in _FENCED.finditer(text):
        out.append(_spans(text[position : block.start()]))
        out.append(Markup('<pre class="doc"><code>{}</code></pre>').format(block[1]))
        position = block.end()
    out.append(_spans(text[position:]))
    return Markup("").join(out)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reviewbot.reporters", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["clean"] = _clean
    env.filters["prose"] = prose
    return env


def render(report: Report, *, root: Path | None = None, rulebook: Rulebook | None = None) -> str:
    """The HTML page. With `root` (the reviewed checkout) findings show code excerpts."""
    book = rulebook or default_rulebook()
    files = SourceFiles(root)
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        repo=report.repo,
        grade=report.grade,
        band=grade_band(report.grade.letter),
        verdict=printable(report.verdict),
        criteria=sorted(report.criteria, key=lambda c: c.id),
        status_label=STATUS_LABEL,
        bars=chart_bars(report.criteria),
        chart={"width": CHART_WIDTH, "label_width": LABEL_WIDTH, "bar_x": BAR_X,
               "bar_width": BAR_WIDTH, "bar_height": BAR_HEIGHT, "top": CHART_TOP,
               "height": CHART_TOP + ROW_HEIGHT * len(report.criteria) + 4},
        groups=finding_groups(report, files, book),
        findings_total=len(report.findings),
        findings_limit=MAX_FINDINGS,
        next_steps=report.next_steps[:MAX_NEXT_STEPS],
        # The model's text: shown with `clean` only (autoescaped), never as `prose`.
        commentary=commentary_view(report.commentary),
        skipped=report.repo.skipped_files[:MAX_SKIPPED],
        skipped_total=len(report.repo.skipped_files),
        path_limit=PATH_LIMIT,
        text_limit=TEXT_LIMIT,
    )
