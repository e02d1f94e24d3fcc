from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reviewbot.analyzers.base import Analyzer, ScanContext
from reviewbot.model import AnalyzerOutput
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory

Files = dict[str, str | bytes]


def write_tree(root: Path, files: Files) -> Path:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def analyze(tmp_path: Path) -> Callable[[Analyzer, Files], AnalyzerOutput]:
    """Run one analyzer on a tree of files written to a temporary folder."""

    def run(analyzer: Analyzer, files: Files, *, is_git: bool = True) -> AnalyzerOutput:
        root = write_tree(tmp_path / "repo", files)
        workdir = tmp_path / "work"
        workdir.mkdir(exist_ok=True)
        inventory = build_inventory(root, is_git=is_git)
        ctx = ScanContext(inventory, default_rulebook(), Settings(), workdir, 60.0)
        return analyzer.run(ctx)

    return run
