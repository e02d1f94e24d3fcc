"""Reporters: pure functions from a `Report` to text, one module per format.

`render(report, fmt)` is the entry point the CLI and publishers use; each module's own
`render` is there for callers that want one format directly.
"""

from __future__ import annotations

from pathlib import Path

from reviewbot.model import Report

# html (jinja2) is imported when an HTML page is asked for: not on every scan's start-up.
from reviewbot.reporters import badge, json_report, markdown, sarif, terminal

FORMATS: tuple[str, ...] = ("terminal", "json", "markdown", "sarif", "html", "badge")


def render(
    report: Report,
    fmt: str,
    *,
    color: bool = False,
    width: int = 100,
    root: Path | None = None,
) -> str:
    """The report in format `fmt` (one of FORMATS).

    `color` and `width` concern the terminal format only. `root` is the reviewed checkout:
    with it the SARIF fingerprints hash the findings' source lines and the HTML page shows
    code excerpts; without it both still render, from the report alone. Raises ValueError
    for an unknown format.
    """
    if fmt == "terminal":
        return terminal.render(report, color=color, width=width)
    if fmt == "json":
        return json_report.render(report)
    if fmt == "markdown":
        return markdown.render(report)
    if fmt == "sarif":
        return sarif.render(report, root=root)
    if fmt == "html":
        from reviewbot.reporters import html  # noqa: PLC0415

        return html.render(report, root=root)
    if fmt == "badge":
        return badge.render(report)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
