"""The on-disk store of the result cache: JSON entries named by their key, written atomically.

Layout under the cache folder (never inside a scanned repository):

- `results/ab/<key>.json`: one entry per key. Written to a temporary file in the same
  folder and renamed over the target, so a concurrent reader sees the old entry, the new one
  or none, never half of one. An entry names its key inside: a corrupt, truncated or foreign
  file is a miss, never a crash.
- `mypy/<repository id>/`: mypy's own incremental cache, one per repository.
- `llm/`: LLM replies (the commentary's own cache; only `clear` touches it here).
- `results/size`: a running estimate of the bytes written since the last pruning, so that
  the folder is walked only when it may be over its bound.

The store holds JSON, never pickles: a cache folder may be shared or tampered with, and
reading it must not run anything.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

log = logging.getLogger(__name__)

FORMAT: Final = "reviewbot-cache/1"
RESULTS: Final = "results"
MYPY: Final = "mypy"
LLM: Final = "llm"
_COUNTER: Final = "size"
# Pruning brings the folder down to this share of its bound, so the next scans don't prune
# again straight away.
_PRUNE_TO: Final = 0.8
# mypy caches used more recently than this are never pruned: a concurrent scan's mypy may
# be writing there. (A result entry deleted under a reader is just a miss.)
_IN_USE_SECONDS: Final = 600.0
# A temporary file this old belongs to a writer that died.
_STALE_TEMP_SECONDS: Final = 3600.0
# Marks a mypy cache folder's last use (its mtime).
USED_MARKER: Final = ".reviewbot-used"


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where reviewbot caches: `$REVIEWBOT_CACHE_DIR`, else `$XDG_CACHE_HOME/reviewbot`,
    else the platform's user cache folder (`~/.cache/reviewbot` on Linux)."""
    env = os.environ if env is None else env
    if env.get("REVIEWBOT_CACHE_DIR"):
        return Path(env["REVIEWBOT_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "reviewbot"
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "reviewbot"
    if sys.platform == "win32" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "reviewbot" / "Cache"
    return home / ".cache" / "reviewbot"


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """What `reviewbot cache info` shows."""

    location: Path
    bytes: int
    results: int
    mypy_caches: int


class _Miss:
    """The one value `ResultStore.get` returns for a miss (None is a valid cached value)."""

    def __repr__(self) -> str:
        return "MISS"


MISS: Final = _Miss()


def _sizes(folder: Path) -> Iterator[tuple[Path, int]]:
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(dirpath) / name
            with contextlib.suppress(OSError):
                yield path, path.lstat().st_size


def folder_bytes(folder: Path) -> int:
    """Bytes of the files below `folder` (0 when it does not exist)."""
    return sum(size for _path, size in _sizes(folder))


class ResultStore:
    """JSON entries by key under one cache folder, bounded to `max_bytes`.

    Thread-safe; several processes may share one folder. A folder that can't be written
    makes the store read-only after one warning: the scan goes on without caching.
    """

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._written = 0
        self._warned = False
        self.writable = True

    def _path(self, key: str) -> Path:
        return self.root / RESULTS / key[:2] / f"{key}.json"

    def warn_once(self, what: str, exc: OSError) -> None:
        """One warning per store, then silence: the scan goes on without writing."""
        with self._lock:
            self.writable = False
            if self._warned:
                return
            self._warned = True
        reason = exc.strerror or str(exc)
        log.warning("result cache disabled: cannot %s in %s (%s)", what, self.root, reason)

    def get(self, key: str) -> Any:
        """The value stored under `key`, or MISS."""
        path = self._path(key)
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):  # missing, unreadable, not UTF-8, not JSON
            return MISS
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
            return MISS  # truncated mid-structure by hand, or another program's file
        if "value" not in data:
            return MISS
        # The entry's mtime is its last use, for pruning; a read-only folder just loses that.
        with contextlib.suppress(OSError):
            os.utime(path)
        return data["value"]

    def put(self, key: str, value: Any) -> None:
        """Store `value` (JSON data) under `key`, replacing any entry atomically."""
        if not self.writable:
            return
        path = self._path(key)
        text = json.dumps({"format": FORMAT, "key": key, "value": value}, ensure_ascii=False)
        data = text.encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                Path(temp).replace(path)
            except BaseException:
                with contextlib.suppress(OSError):
                    Path(temp).unlink()
                raise
        except OSError as exc:
            self.warn_once("write", exc)
            return
        with self._lock:
            self._written += len(data)

    def note_written(self, size: int) -> None:
        """Count bytes something else (mypy) wrote into the cache folder."""
        with self._lock:
            self._written += max(0, size)

    def mypy_dir(self, identity: str) -> Path | None:
        """mypy's incremental cache folder for one repository; None when it can't be made."""
        if not self.writable:
            return None
        folder = self.root / MYPY / identity
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / USED_MARKER).touch()
        except OSError as exc:
            self.warn_once("create mypy's cache", exc)
            return None
        return folder

    def finish(self) -> None:
        """After a scan: add what it wrote to the size counter; prune when over the bound."""
        with self._lock:
            written, self._written = self._written, 0
        if not self.writable or written == 0:
            return
        counter = self.root / RESULTS / _COUNTER
        try:
            total = int(counter.read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            # No counter yet (or a broken one): walk once to know where the folder stands.
            total = self.size()
        else:
            total += written
        if total > self.max_bytes:
            total = self.prune()
        self._write_counter(total)

    def _write_counter(self, total: int) -> None:
        counter = self.root / RESULTS / _COUNTER
        try:
            counter.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=counter.parent, prefix=".tmp-")
            with os.fdopen(handle, "w", encoding="ascii") as stream:
                stream.write(f"{total}\n")
            Path(temp).replace(counter)
        except OSError as exc:
            self.warn_once("write", exc)

    def _units(self) -> list[tuple[float, int, Path]]:
        """(last use, bytes, path) of every prunable unit: result entries, mypy folders."""
        units: list[tuple[float, int, Path]] = []
        now = time.time()
        for path, size in _sizes(self.root / RESULTS):
            if path.name == _COUNTER and path.parent == self.root / RESULTS:
                continue
            try:
                used = path.stat().st_mtime
            except OSError:
                continue
            if path.name.startswith(".tmp-"):
                if now - used > _STALE_TEMP_SECONDS:
                    with contextlib.suppress(OSError):
                        path.unlink()
                continue
            units.append((used, size, path))
        mypy = self.root / MYPY
        for folder in sorted(mypy.iterdir()) if mypy.is_dir() else ():
            try:
                used = (folder / USED_MARKER).stat().st_mtime
            except OSError:
                used = 0.0
            units.append((used, folder_bytes(folder), folder))
        return units

    def size(self) -> int:
        """Bytes of the result entries and mypy caches."""
        return sum(size for _used, size, _path in self._units())

    def prune(self) -> int:
        """Delete the least recently used units until the folder is well below its bound;
        return the bytes left."""
        units = sorted(self._units())
        total = sum(size for _used, size, _path in units)
        target = int(self.max_bytes * _PRUNE_TO)
        now = time.time()
        for used, size, path in units:
            if total <= target:
                break
            if path.is_dir():
                if now - used < _IN_USE_SECONDS:
                    continue  # a concurrent scan's mypy may be writing there
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
            total -= size
        log.debug("result cache pruned to %d bytes", total)
        return total

    def info(self) -> CacheInfo:
        """Location, size and number of entries."""
        units = self._units()
        return CacheInfo(
            location=self.root,
            bytes=sum(size for _used, size, _path in units),
            results=sum(1 for _used, _size, path in units if not path.is_dir()),
            mypy_caches=sum(1 for _used, _size, path in units if path.is_dir()),
        )

    def clear(self) -> int:
        """Delete every entry, mypy cache and cached LLM reply; return the bytes freed."""
        freed = 0
        for name in (RESULTS, MYPY, LLM):
            folder = self.root / name
            if folder.is_dir() and not folder.is_symlink():
                freed += folder_bytes(folder)
                shutil.rmtree(folder, ignore_errors=True)
        return freed
