"""The one interface every analyzer satisfies, and what it is handed.

Analyzers observe and emit findings and facts; they never compute a grade (the rubric does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reviewbot.model import AnalyzerOutput
from reviewbot.rulebook import Rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory_model import Inventory


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


class Analyzer(Protocol):
    @property
    def name(self) -> str:
        """Short, stable name shown in the report (`ruff`, `inventory`, ...)."""

    @property
    def criteria(self) -> tuple[str, ...]:
        """The criteria this analyzer's findings and facts feed."""

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        """Observe the repository. Raise AnalyzerError (or a subclass) when it can't."""
