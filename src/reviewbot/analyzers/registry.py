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

# The order of the report. The scheduler runs the tool analyzers (`runs_subprocess`) on
# threads of their own and the in-process ones in COST_ORDER.
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

# In-process analyzers, slowest first (measured with `reviewbot scan --profile` on this
# repository and on bench/make_repo.py's repos): started first, the longest ones don't end
# up alone at the end of a scan while a core idles.
COST_ORDER: tuple[str, ...] = (
    "databases",
    "typing",
    "tests",
    "n_plus_one",
    "secrets",
    "auth",
    "observability",
    "advanced",
    "config",
    "docs",
    "async",
    "history",
    "ci",
    "api",
    "hygiene",
    "docker",
)
