"""The result cache between the pipeline and whatever schedules the analyzers.

`AnalyzerMemo` wraps each analyzer so that its `run` first looks in the cache and hands the
scan's cache to the analyzer (for per-file caching); the scheduler runs the wrappers like
any analyzer. Runs served from the cache come out with `cached=True`, in the live progress
and in the runs returned.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from reviewbot.analyzers.base import Analyzer, ScanContext
from reviewbot.cache.scan import ScanCache, open_scan_cache
from reviewbot.model import AnalyzerOutput, AnalyzerRun
from reviewbot.rulebook import Rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory_model import Inventory

if TYPE_CHECKING:  # the pipeline imports this module
    from reviewbot.pipeline import Progress


class _Memoized:
    """One analyzer behind the cache: same name, criteria and attributes."""

    def __init__(self, inner: Analyzer, memo: AnalyzerMemo, cache: ScanCache) -> None:
        self._inner = inner
        self._memo = memo
        self._cache = cache

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def criteria(self) -> tuple[str, ...]:
        return self._inner.criteria

    def __getattr__(self, attribute: str) -> Any:
        # Whatever else a scheduler asks of an analyzer (`runs_subprocess`...) is the inner's.
        return getattr(self._inner, attribute)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        output, cached = self._cache.run(self._inner, dataclasses.replace(ctx, cache=self._cache))
        if cached:
            self._memo.served(self._inner.name)
        return output


class _Watch:
    """A Progress that marks the runs served from the cache before showing them."""

    def __init__(self, progress: Progress, memo: AnalyzerMemo) -> None:
        self._progress = progress
        self._memo = memo

    def stage(self, text: str) -> None:
        self._progress.stage(text)

    def analyzer_started(self, name: str) -> None:
        self._progress.analyzer_started(name)

    def analyzer_finished(self, run: AnalyzerRun) -> None:
        self._progress.analyzer_finished(self._memo.marked(run))


class AnalyzerMemo:
    """The result cache for one scan's analyzers; a no-op when caching is off."""

    def __init__(self, cache: ScanCache | None) -> None:
        self.cache = cache
        self._served: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def open(cls, inventory: Inventory, rulebook: Rulebook, settings: Settings) -> AnalyzerMemo:
        return cls(open_scan_cache(inventory, rulebook, settings))

    def served(self, name: str) -> None:
        with self._lock:
            self._served.add(name)

    def wrap(self, analyzers: Sequence[Analyzer]) -> tuple[Analyzer, ...]:
        """The analyzers to schedule: behind the cache when there is one."""
        if self.cache is None:
            return tuple(analyzers)
        return tuple(_Memoized(analyzer, self, self.cache) for analyzer in analyzers)

    def watch(self, progress: Progress) -> Progress:
        """`progress`, told which runs came from the cache."""
        return progress if self.cache is None else _Watch(progress, self)

    def marked(self, run: AnalyzerRun) -> AnalyzerRun:
        """`run` with `cached` set when its output came from the cache."""
        with self._lock:
            cached = run.name in self._served
        return dataclasses.replace(run, cached=True) if cached and not run.cached else run

    def finish(self, runs: Sequence[AnalyzerRun]) -> tuple[AnalyzerRun, ...]:
        """The runs marked; the cache's size accounted for (and pruned when over its bound)."""
        if self.cache is not None:
            self.cache.finish()
        return tuple(self.marked(run) for run in runs)
