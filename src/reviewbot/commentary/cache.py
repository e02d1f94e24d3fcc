"""A small on-disk cache of validated LLM replies, so the same prompt to the same model is
never paid for twice (re-running the Action on an unchanged commit costs nothing).

Entries are JSON files named by the SHA-256 of everything that decides the reply: the
endpoint, the model, the rendered prompt and the response schema. Only replies that passed
validation are stored, never the prompt. Writes are atomic (a temporary file in the same
folder, then an atomic rename), so concurrent runs see either no entry or a whole one; the folder
keeps at most `max_entries` files, the least recently used going first. The cache is a
convenience: any failure to read or write it is logged and otherwise ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

log = logging.getLogger(__name__)

MAX_ENTRIES: Final = 200
# A temporary file older than this was left by a run that died mid-write.
STALE_TEMP_SECONDS: Final = 3600.0
_TEMP_PREFIX: Final = ".tmp-"


def cache_key(*parts: str) -> str:
    """SHA-256 of the parts, each length-prefixed so no two lists of parts collide."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        digest.update(f"{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


class ReplyCache:
    """Validated replies under `directory`, one JSON file per key."""

    def __init__(self, directory: Path, max_entries: int = MAX_ENTRIES) -> None:
        self.directory = directory
        self.max_entries = max_entries

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry stored under `key`, or None when there is none or it is unreadable."""
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            log.debug("LLM cache entry %s unreadable: %s", path.name, exc)
            return None
        if not isinstance(data, dict):
            return None
        # Touched on use, so eviction drops the least recently used entries.
        with contextlib.suppress(OSError):
            os.utime(path)
        return data

    def put(self, key: str, entry: Mapping[str, Any]) -> None:
        """Store `entry` under `key` atomically, then trim the folder to `max_entries`."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, temp = tempfile.mkstemp(dir=self.directory, prefix=_TEMP_PREFIX, suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(entry, handle, ensure_ascii=False, sort_keys=True)
                Path(temp).replace(self._path(key))
            except BaseException:
                with contextlib.suppress(OSError):
                    Path(temp).unlink()
                raise
        except OSError as exc:
            log.warning("could not write the LLM cache in %s: %s", self.directory, exc)
            return
        self.evict()

    def evict(self) -> None:
        """Remove the least recently used entries beyond `max_entries`, and stale temporary
        files. Other runs may be evicting at the same time: files already gone are fine."""
        entries: list[tuple[float, Path]] = []
        now = time.time()
        try:
            names = list(self.directory.iterdir())
        except OSError:
            return
        for path in names:
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            if path.name.startswith(_TEMP_PREFIX):
                if now - mtime > STALE_TEMP_SECONDS:
                    with contextlib.suppress(OSError):
                        path.unlink()
            elif path.suffix == ".json":
                entries.append((mtime, path))
        entries.sort()
        for _, path in entries[: max(0, len(entries) - self.max_entries)]:
            with contextlib.suppress(OSError):
                path.unlink()
