"""Reporters: pure functions from a `Report` to text, one module per format.

`render(report, fmt)` is the entry point the CLI and publishers use; each module's own
`render` is there for callers that want one format directly.
"""

from __future__ import annotations

from reviewbot.model import Report
from reviewbot.reporters import json_report, markdown, terminal

FORMATS: tuple[str, ...] = ("terminal", "json", "markdown")


def render(report: Report, fmt: str, *, color: bool = False, width: int = 100) -> str:
    """The report in format `fmt` (one of FORMATS).

    `color` and `width` concern the terminal format only; the others are the same whatever
    they are. Raises ValueError for an unknown format.
    """
    if fmt == "terminal":
        return terminal.render(report, color=color, width=width)
    if fmt == "json":
        return json_report.render(report)
    if fmt == "markdown":
        return markdown.render(report)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
