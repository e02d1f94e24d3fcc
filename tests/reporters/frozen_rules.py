"""The frozen rulebook under tests/reporters/rulebook/ that the golden files are rendered with.

The shipped rules/ grow and get reworded as analyzers are added; rendering goldens with them
would make every rule edit look like a reporter change.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reviewbot.rulebook import Rulebook, load_rulebook

RULEBOOK_DIR = Path(__file__).resolve().parent / "rulebook"


@cache
def frozen_rulebook() -> Rulebook:
    return load_rulebook(RULEBOOK_DIR)
