"""Optional LLM commentary on a graded review: what the repository already shows, the three
things to work on next, and how to fix the top findings in the learner's own code.

`attach_commentary` is the one entry point. Without `settings.llm` it returns the report
untouched; `openai` itself is imported only when a request is about to be made, so it is not
needed unless commentary is asked for. The grade is computed before and never changes.
"""

from __future__ import annotations

from pathlib import Path

from reviewbot.model import Report
from reviewbot.settings import Settings

__all__ = ["attach_commentary"]


def attach_commentary(report: Report, root: Path | None, settings: Settings) -> Report:
    """`report` with LLM commentary attached when `settings.llm` asks for it (or, when none
    could be had, the reason why); `report` itself otherwise. `root` is the reviewed checkout,
    read for code excerpts. Never raises for a failure of the LLM or its server."""
    if not settings.llm:
        return report
    # Prompts, schema and redaction are imported only when asked for: every report renderer
    # imports this package (commentary.view), and a scan's start-up should not pay for them.
    from reviewbot.commentary.attach import attach  # noqa: PLC0415

    return attach(report, root, settings)
