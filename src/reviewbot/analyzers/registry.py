"""Every analyzer reviewbot runs: one line each. Adding one touches its module, this line,
its rule data and its test."""

from __future__ import annotations

from reviewbot.analyzers import (
    advanced,
    api_design,
    async_calls,
    auth,
    bandit,
    ci,
    databases,
    docker,
    docs,
    history,
    hygiene,
    mypy,
    n_plus_one,
    observability,
    radon,
    ruff,
    secrets,
    settings_check,
    testsuite,
    typing_coverage,
)
from reviewbot.analyzers.base import Analyzer

# Slowest first: the wrapped tools run as subprocesses and take the longest, so they start
# while the in-process analyzers share the remaining worker.
ANALYZERS: tuple[Analyzer, ...] = (
    mypy.ANALYZER,
    bandit.ANALYZER,
    radon.ANALYZER,
    ruff.ANALYZER,
    hygiene.ANALYZER,
    testsuite.ANALYZER,
    typing_coverage.ANALYZER,
    observability.ANALYZER,
    advanced.ANALYZER,
    async_calls.ANALYZER,
    databases.ANALYZER,
    n_plus_one.ANALYZER,
    api_design.ANALYZER,
    auth.ANALYZER,
    docker.ANALYZER,
    ci.ANALYZER,
    docs.ANALYZER,
    history.ANALYZER,
    secrets.ANALYZER,
    settings_check.ANALYZER,
)
