"""The one interface every analyzer satisfies, and what it is handed.

Analyzers observe and emit findings and facts; they never compute a grade (the rubric does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reviewbot.model import AnalyzerOutput
from reviewbot.rulebook import Rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory_model import Inventory

if TYPE_CHECKING:
    from reviewbot.cache.scan import ScanCache


class AnalyzerError(Exception):
    """The analyzer could not produce a result; its criteria come out `incomplete`."""


class ToolMissingError(AnalyzerError):
    """A wrapped tool is not installed."""


class ToolTimeoutError(AnalyzerError):
    """A wrapped tool ran past its time limit and was stopped."""


@dataclass(frozen=True, slots=True)
class ScanContext:
    inventory: Inventory
    rulebook: Rulebook
    settings: Settings
    # A private, empty directory for this analyzer: neutral working directory, tool config
    # files and caches. Never inside the scanned repository.
    workdir: Path
    timeout: float
    # The scan's result cache, for analyzers that cache per file (ruff, bandit, radon) or
    # keep a tool's own cache (mypy); None: no caching.
    cache: ScanCache | None = None


class Analyzer(Protocol):
    @property
    def name(self) -> str:
        """Short, stable name shown in the report (`ruff`, `inventory`, ...)."""

    @property
    def criteria(self) -> tuple[str, ...]:
        """The criteria this analyzer's findings and facts feed."""

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        """Observe the repository. Raise AnalyzerError (or a subclass) when it can't.

        The output must depend only on the inventory's content, the rules and the settings:
        the result cache reuses it for an unchanged repository. An analyzer that reads the
        git history declares `reads_history = True`, which adds the commit to its key.
        """
