"""The result cache: analyzer outputs and per-file tool results, content-addressed on disk,
so that re-scanning an unchanged repository costs almost nothing (see `scan` and `store`)."""

from reviewbot.cache.scan import (
    ScanCache,
    cache_location,
    open_scan_cache,
    open_store,
    per_file,
)
from reviewbot.cache.store import CacheInfo, ResultStore, default_cache_dir

__all__ = [
    "CacheInfo",
    "ResultStore",
    "ScanCache",
    "cache_location",
    "default_cache_dir",
    "open_scan_cache",
    "open_store",
    "per_file",
]
