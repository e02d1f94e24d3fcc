"""The result cache as one scan uses it: two levels.

1. Whole tree, per analyzer (`ScanCache.run`, behind `memo.AnalyzerMemo`): the output of an
   analyzer for a repository whose content (every inventory file's path and content digest)
   is unchanged comes from the cache. Analyzers that read the git history (`reads_history =
   True` on the analyzer) are also keyed on the commit and a shallow clone's boundary. Only
   reviewbot's own analyzers are memoised, and only when they succeed.
2. Per file (`per_file`), for the file-local tools (ruff, bandit, radon): each file's results
   are keyed by its path, role and content digest, the tool's configuration and everything in
   the base key; the tool runs only on the files that missed. mypy keeps its own incremental
   cache in a folder of ours (`mypy_cache_dir`), one per repository location.

Caching never changes a result: every key holds everything the result depends on, and an
entry that can't be read back exactly is a miss.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from reviewbot.analyzers.base import Analyzer, ScanContext
from reviewbot.cache.codec import CacheDecodeError, UncacheableError, decode_output, encode_output
from reviewbot.cache.keys import (
    base_key,
    content_digests,
    digest,
    history_digest,
    inventory_digest,
    repository_identity,
)
from reviewbot.cache.store import MISS, ResultStore, default_cache_dir, folder_bytes
from reviewbot.model import JSON, AnalyzerOutput
from reviewbot.rulebook import Rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory_model import Inventory

log = logging.getLogger(__name__)

T = TypeVar("T")

# Analyzers defined here are reviewbot's own, whose output depends only on what the key
# holds. Anything else (a plugin, a test's stand-in) always runs.
_OWN_ANALYZERS = "reviewbot.analyzers."


def cache_location(settings: Settings) -> Path:
    """The cache folder these settings use."""
    return Path(settings.cache_dir) if settings.cache_dir else default_cache_dir()


def open_store(settings: Settings) -> ResultStore:
    """The store at the settings' cache folder, bounded by `cache_max_mb`."""
    return ResultStore(cache_location(settings), max(0, settings.cache_max_mb) * 1024 * 1024)


def analyzer_identity(analyzer: Analyzer) -> str | None:
    """A stable description of the analyzer and its parameters; None when it is not one of
    reviewbot's own and must not be memoised."""
    kind = type(analyzer)
    if not kind.__module__.startswith(_OWN_ANALYZERS):
        return None
    fields: dict[str, str] = (
        {f.name: repr(getattr(analyzer, f.name)) for f in dataclasses.fields(analyzer)}
        if dataclasses.is_dataclass(analyzer)
        else {}
    )
    return digest(kind.__module__, kind.__qualname__, analyzer.name, fields)


class ScanCache:
    """The cache for one scan of one inventory; shared by the analyzers' threads."""

    def __init__(
        self, store: ResultStore, inventory: Inventory, rulebook: Rulebook, settings: Settings
    ) -> None:
        self.store = store
        self.inventory = inventory
        self.base = base_key(rulebook, settings)
        self.contents = content_digests(inventory)
        self.tree = inventory_digest(inventory, self.contents)
        self._roles = {module.path: module.role.value for module in inventory.modules}
        self._history: str | None = None
        self._lock = threading.Lock()
        # Outputs must not carry where this checkout lies: another clone reuses them.
        self._roots = {str(inventory.root), str(inventory.root.resolve())}

    def _history_digest(self) -> str:
        with self._lock:
            if self._history is None:
                self._history = history_digest(self.inventory)
            return self._history

    def _portable(self, value: JSON) -> bool:
        text = json.dumps(value, ensure_ascii=False)
        return not any(root in text for root in self._roots)

    def memo_key(self, analyzer: Analyzer) -> str | None:
        """The whole-tree key of `analyzer`'s output; None when it is not memoised."""
        identity = analyzer_identity(analyzer)
        if identity is None:
            return None
        history = self._history_digest() if getattr(analyzer, "reads_history", False) else None
        return digest("tree/1", self.base, identity, self.tree, history)

    def run(self, analyzer: Analyzer, ctx: ScanContext) -> tuple[AnalyzerOutput, bool]:
        """The analyzer's output, and whether it came from the cache."""
        key = self.memo_key(analyzer)
        if key is None:
            return analyzer.run(ctx), False
        stored = self.store.get(key)
        if stored is not MISS:
            try:
                return decode_output(stored), True
            except CacheDecodeError as exc:
                log.debug("cache entry of %s unreadable (%s): running it", analyzer.name, exc)
        output = analyzer.run(ctx)
        try:
            encoded = encode_output(output)
        except UncacheableError as exc:
            log.debug("%s's output is not cached: %s", analyzer.name, exc)
            return output, False
        if self._portable(encoded):
            self.store.put(key, encoded)
        return output, False

    def per_file(
        self,
        namespace: str,
        config: str,
        paths: Sequence[str],
        compute: Callable[[list[str]], Mapping[str, T]],
        encode: Callable[[T], JSON],
        decode: Callable[[Any], T],
    ) -> dict[str, T]:
        """Each path's result: from the cache, or from `compute` over the paths that missed
        (`compute` returns a result for every path it is given)."""
        results: dict[str, T] = {}
        keys = {
            path: digest(
                "file/1",
                self.base,
                namespace,
                config,
                path,
                self._roles.get(path),
                self.contents.get(path),
            )
            for path in paths
        }
        missed: list[str] = []
        for path in paths:
            stored = self.store.get(keys[path])
            try:
                if stored is not MISS:
                    results[path] = decode(stored)
                    continue
            except (CacheDecodeError, KeyError, TypeError, ValueError):
                pass
            missed.append(path)
        if not missed:
            return results
        computed = compute(missed)
        for path in missed:
            result = computed[path]
            results[path] = result
            encoded = encode(result)
            if self._portable(encoded):
                self.store.put(keys[path], encoded)
        return results

    def mypy_cache_dir(self) -> Path | None:
        """mypy's incremental cache for this repository location; None when unavailable."""
        return self.store.mypy_dir(repository_identity(self.inventory.root))

    def note_folder_growth(self, folder: Path, before: int) -> None:
        """Count what a tool added to a cache folder of ours, for the size bound."""
        self.store.note_written(folder_bytes(folder) - before)

    def finish(self) -> None:
        """After the scan: account for what it wrote, prune when over the bound."""
        self.store.finish()


def open_scan_cache(
    inventory: Inventory, rulebook: Rulebook, settings: Settings
) -> ScanCache | None:
    """The cache for one scan; None when the settings turn it off."""
    if not settings.cache:
        return None
    return ScanCache(open_store(settings), inventory, rulebook, settings)



def per_file(
    ctx: ScanContext,
    namespace: str,
    config: str,
    paths: Sequence[str],
    compute: Callable[[list[str]], Mapping[str, T]],
    encode: Callable[[T], JSON],
    decode: Callable[[Any], T],
) -> dict[str, T]:
    """Each path's result, cached per file when the scan has a cache (see ScanCache)."""
    if ctx.cache is None:
        computed = compute(list(paths))
        return {path: computed[path] for path in paths}
    return ctx.cache.per_file(namespace, config, paths, compute, encode, decode)
