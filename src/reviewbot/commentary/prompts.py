"""Prompts are data: Jinja2 templates under `prompts/`, one system and one user template per
task (`<task>.system.j2`, `<task>.user.j2`), rendered with StrictUndefined so a missing value
is an error, never an empty string.

Everything that comes from the review is prepared here before a template sees it: redacted
(`redaction.redact_text`), made printable, bounded in length, and defused, so that no text
from the repository can close the `<repository_data>` block (or any other delimiter the
templates use) and pass itself off as instructions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reviewbot.commentary.excerpts import PromptMaterial
from reviewbot.commentary.redaction import redact_text
from reviewbot.commentary.schema import MAX_STRENGTHS
from reviewbot.model import Report
from reviewbot.reporters.escaping import one_line, printable, shorten
from reviewbot.rulebook import Rulebook

COMMENTARY_TASK: Final = "commentary"
MESSAGE_LIMIT: Final = 300
SUMMARY_LIMIT: Final = 200
RULE_TEXT_LIMIT: Final = 300
MAX_NEXT_STEPS: Final = 5

# The delimiters the templates use. Repository text that spells one gets its `<` replaced by
# a look-alike, so it reads the same to a model but closes nothing.
_DELIMITER: Final = re.compile(
    r"<(?=\s*/?\s*(?:repository_data|report|findings?|excerpts?|criteria|next_steps)\b)",
    re.IGNORECASE,
)
_LOOKALIKE: Final = "\u2039"


@dataclass(frozen=True, slots=True)
class Prompt:
    """A rendered system and user message."""

    system: str
    user: str

    @property
    def chars(self) -> int:
        return len(self.system) + len(self.user)

    def messages(self) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.user},
        ]


def prompts_dir() -> Path:
    """Where the prompt templates live: inside the wheel, or beside `src/` in a checkout."""
    packaged = resources.files("reviewbot") / "_data" / "prompts"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "prompts"


@cache
def _environment(directory: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        # Prompts are plain text for a model, not HTML: escaping would garble the code in
        # them. What keeps repository text inert is `data()`, applied before rendering.
        autoescape=select_autoescape(
            enabled_extensions=(), default_for_string=False, default=False
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_prompt(task: str, context: dict[str, Any], directory: Path | None = None) -> Prompt:
    """Render `<task>.system.j2` and `<task>.user.j2` with `context`."""
    env = _environment(directory or prompts_dir())
    system = env.get_template(f"{task}.system.j2").render(context)
    user = env.get_template(f"{task}.user.j2").render(context)
    return Prompt(system, user)


def data(text: str, limit: int | None = None, *, path: str | None = None) -> str:
    """Repository or report text made fit for a prompt: secrets masked, control characters
    visible, delimiters defused, cut to `limit` characters."""
    cleaned = _DELIMITER.sub(_LOOKALIKE, printable(redact_text(text, path), keep_newlines=True))
    return cleaned if limit is None else shorten(cleaned, limit)


def _line(text: str, limit: int) -> str:
    return data(one_line(text), limit)


def commentary_context(
    report: Report, material: PromptMaterial, rulebook: Rulebook
) -> dict[str, Any]:
    """The values the commentary templates are rendered with, every string prepared."""
    grade = report.grade
    findings = []
    for top in material.findings:
        finding = top.finding
        rule = rulebook.rule(finding.rule)
        findings.append({
            "ref": top.ref,
            "rule": _line(finding.rule, 80),
            "criterion": finding.criterion,
            "severity": finding.severity.value,
            "location": _line(finding.location, 200),
            "message": _line(finding.message, MESSAGE_LIMIT),
            "summary": _line(rule.summary, RULE_TEXT_LIMIT) if rule else "",
            "why": _line(rule.why, RULE_TEXT_LIMIT) if rule else "",
            "more": top.more,
        })
    return {
        "max_strengths": MAX_STRENGTHS,
        "frameworks": ", ".join(_line(name, 40) for name in report.repo.frameworks) or "none",
        "python_files": report.repo.python_files,
        "python_loc": report.repo.python_loc,
        "grade": {
            "letter": grade.letter or "none",
            "score": "none" if grade.score is None else f"{grade.score:.1f}",
            "level": grade.level.value,
        },
        "criteria": [
            {
                "id": c.id,
                "title": _line(c.title, 80),
                "status": c.status.value,
                "score": "-" if c.score is None else f"{c.score:.0f}",
                "summary": _line(c.summary, SUMMARY_LIMIT),
            }
            for c in sorted(report.criteria, key=lambda c: c.id)
        ],
        "next_steps": [
            {"criterion": s.criterion, "action": _line(s.action, MESSAGE_LIMIT)}
            for s in report.next_steps[:MAX_NEXT_STEPS]
        ],
        "findings": findings,
        "total_findings": len(report.findings),
        "excerpts": [
            {
                "path": _line(e.path, 200),
                "lines": f"{e.start}-{e.end}",
                "refs": ",".join(e.refs),
                # Already redacted line by line with the file's path; defused here.
                "text": data(e.text, path=e.path),
            }
            for e in material.excerpts
        ],
        "dropped": list(material.dropped),
    }
