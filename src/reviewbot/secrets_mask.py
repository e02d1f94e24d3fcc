"""How a secret found in a scanned repository is shown: never in clear (DESIGN.md, decision 3).

Every output (terminal, JSON, markdown, SARIF, PR comments, logs, LLM prompts) shows the
masked form only, so a reader can recognise which key it is without being able to use it.
"""

from __future__ import annotations

from typing import Final

# Shown instead of any value too short to reveal even a little of safely.
FULLY_MASKED: Final = "••••"
ELLIPSIS: Final = "…"


def mask_secret(value: str) -> str:
    """A recognisable but unusable form of `value`.

    Values of 8 characters or fewer become "••••"; up to 16 keep 2 characters at each end,
    longer ones 4 ("sk-proj-abcd...9XQz" -> "sk-p…9XQz"). Never more than half the value is
    shown, and the length is not revealed.
    """
    if len(value) <= 8:
        return FULLY_MASKED
    keep = 2 if len(value) <= 16 else 4
    return f"{value[:keep]}{ELLIPSIS}{value[-keep:]}"
