"""Every analyzer reviewbot runs: one line each. Adding one touches its module, this line,
its rule data and its test."""

from __future__ import annotations

from reviewbot.analyzers import hygiene, testsuite
from reviewbot.analyzers.base import Analyzer

ANALYZERS: tuple[Analyzer, ...] = (
    hygiene.ANALYZER,
    testsuite.ANALYZER,
)
