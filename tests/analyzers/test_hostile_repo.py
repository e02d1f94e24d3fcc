"""The wrapped tools on a repository built to catch anything that runs what it scans."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import make_hostile_repo

from reviewbot.analyzers import bandit, mypy, radon, ruff, typing_coverage
from reviewbot.analyzers.base import Analyzer, ScanContext
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory


@pytest.mark.parametrize(
    "analyzer",
    [ruff.ANALYZER, mypy.ANALYZER, bandit.ANALYZER, radon.ANALYZER, typing_coverage.ANALYZER],
    ids=lambda a: a.name,
)
def test_no_trap_fires_and_nothing_outside_is_read(tmp_path: Path, analyzer: Analyzer) -> None:
    hostile = make_hostile_repo(tmp_path / "repo", tmp_path / "outside")
    inventory = build_inventory(hostile.root, is_git=True)
    workdir = tmp_path / "work"
    workdir.mkdir()
    output = analyzer.run(ScanContext(inventory, default_rulebook(), Settings(), workdir, 120.0))
    assert hostile.fired() == []
    assert not [f for f in output.findings if hostile.canary in repr(f)]
    assert not [f for f in output.findings if f.path in hostile.symlinks]
