"""The cycle collector around a scan: off while the inventory parses, the kept trees frozen
while analyzers run, everything unfrozen and the collector as it was once they are done."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput, AnalyzerRun
from reviewbot.rulebook import default_rulebook
from reviewbot.scheduler import run_analyzers
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from reviewbot.source.inventory_model import Inventory


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def _inventory(tmp_path: Path) -> Inventory:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/')\ndef root():\n    return {'ok': True}\n",
        encoding="utf-8",
    )
    return build_inventory(repo)


class _Progress:
    def analyzer_started(self, name: str) -> None:
        pass

    def analyzer_finished(self, run: AnalyzerRun) -> None:
        pass


class _Watcher:
    """An in-process analyzer that notes the collector's state while it runs."""

    name = "watcher"
    criteria = ("C02",)

    def __init__(self) -> None:
        self.seen: tuple[bool, bool] | None = None

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        self.seen = (gc.isenabled(), gc.get_freeze_count() > 0)
        return AnalyzerOutput()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_inventory_leaves_the_collector_as_it_found_it_and_its_trees_frozen(
    tmp_path: Path, enabled: bool
) -> None:
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()
    inventory = _inventory(tmp_path)
    assert [m.path for m in inventory.modules] == ["main.py"]
    assert gc.isenabled() is enabled
    assert gc.get_freeze_count() > 0


def test_analyzers_run_with_the_collector_on_and_the_trees_frozen_then_all_is_unfrozen(
    tmp_path: Path,
) -> None:
    inventory = _inventory(tmp_path)
    gc.unfreeze()  # as a process that built the inventory long before would have it
    watcher = _Watcher()
    runs = run_analyzers((watcher,), inventory, default_rulebook(), Settings(), _Progress())
    assert [(r.name, r.status.value) for r in runs] == [("watcher", "ok")]
    assert watcher.seen == (True, True)
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
