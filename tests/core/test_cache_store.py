"""The cache's store and codec on their own: atomic JSON entries, misses for anything odd,
pruning to the size bound, the cache folder's location."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from reviewbot.cache.codec import (
    CacheDecodeError,
    UncacheableError,
    decode_output,
    encode_output,
)
from reviewbot.cache.store import MISS, USED_MARKER, ResultStore, default_cache_dir
from reviewbot.model import AnalyzerOutput, Finding, Severity
from reviewbot.settings import load_settings

KEY = "ab" + "0" * 62


def test_location_follows_the_environment() -> None:
    assert default_cache_dir({"REVIEWBOT_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}) == Path("/c")
    assert default_cache_dir({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == Path("/x/reviewbot")
    assert default_cache_dir({"HOME": "/h"}) == Path("/h/.cache/reviewbot")


def test_settings_from_the_environment() -> None:
    settings = load_settings(environ={"REVIEWBOT_CACHE_DIR": "/c", "REVIEWBOT_CACHE_MAX_MB": "64"})
    assert (settings.cache, settings.cache_dir, settings.cache_max_mb) == (True, "/c", 64)
    assert load_settings(environ={}, cache=False).cache is False


def test_an_entry_reads_back_and_names_its_key(tmp_path: Path) -> None:
    store = ResultStore(tmp_path, 1 << 20)
    assert store.get(KEY) is MISS
    store.put(KEY, {"a": [1, 2.5, None, "é"]})
    assert store.get(KEY) == {"a": [1, 2.5, None, "é"]}
    store.put(KEY, None)  # None is a value, not a miss
    assert store.get(KEY) is None
    entry = tmp_path / "results" / "ab" / f"{KEY}.json"
    assert json.loads(entry.read_text(encoding="utf-8")) == {
        "format": "reviewbot-cache/1",
        "key": KEY,
        "value": None,
    }
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]  # no temporary left


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'{"format": "reviewbot-cache/1", "key": "ab00',
        b"\xff\xfe not utf-8",
        b"[1, 2]",
        json.dumps({"format": "other/1", "key": KEY, "value": 1}).encode(),
        json.dumps({"format": "reviewbot-cache/1", "key": "cd" + KEY[2:], "value": 1}).encode(),
        json.dumps({"format": "reviewbot-cache/1", "key": KEY}).encode(),
    ],
)
def test_a_corrupt_truncated_or_foreign_entry_is_a_miss(tmp_path: Path, content: bytes) -> None:
    entry = tmp_path / "results" / "ab" / f"{KEY}.json"
    entry.parent.mkdir(parents=True)
    entry.write_bytes(content)
    assert ResultStore(tmp_path, 1 << 20).get(KEY) is MISS


def test_outputs_round_trip_and_odd_facts_are_not_cached() -> None:
    finding = Finding(
        "ruff:F401", "C01", Severity.WARNING, "app/a.py", 3, "`os` imported but unused",
        "ruff", end_line=3, column=8, fix="Remove unused import", suppressed="kept on purpose",
    )  # fmt: skip
    output = AnalyzerOutput((finding,), {"n": 1, "share": 0.25, "by": {"x": [1, None]}})
    assert decode_output(json.loads(json.dumps(encode_output(output)))) == output
    for facts in ({"t": (1, 2)}, {"s": {1}}, {"k": {1: "x"}}, {"nan": float("nan")}):
        with pytest.raises(UncacheableError):
            encode_output(AnalyzerOutput((), facts))
    broken = encode_output(output)
    broken["findings"][0]["line"] = "3"
    with pytest.raises(CacheDecodeError):
        decode_output(broken)


def _age(path: Path, seconds_ago: float) -> None:
    when = time.time() - seconds_ago
    os.utime(path, (when, when))


def test_pruning_keeps_the_most_recently_used_below_the_bound(tmp_path: Path) -> None:
    store = ResultStore(tmp_path, 20_000)
    keys = [f"{i:02x}" + "0" * 62 for i in range(40)]
    for age, key in zip(range(40, 0, -1), keys, strict=True):
        store.put(key, "x" * 900)
        _age(tmp_path / "results" / key[:2] / f"{key}.json", age * 60)
    old_mypy = store.mypy_dir("old")
    busy_mypy = store.mypy_dir("busy")
    assert old_mypy is not None and busy_mypy is not None
    (old_mypy / "big.json").write_bytes(b"0" * 5000)
    (busy_mypy / "big.json").write_bytes(b"0" * 5000)
    _age(old_mypy / USED_MARKER, 3600 * 24)
    store.finish()
    assert store.size() <= 16_000
    kept = [key for key in keys if store.get(key) is not MISS]
    assert kept == keys[-len(kept):]  # the newest ones
    assert not old_mypy.exists()
    assert busy_mypy.exists()  # used minutes ago: a concurrent scan may be in it
    assert (tmp_path / "results" / "size").read_text().strip() == str(store.size())


def test_info_and_clear(tmp_path: Path) -> None:
    store = ResultStore(tmp_path, 1 << 20)
    store.put(KEY, "x" * 100)
    mypy = store.mypy_dir("repo")
    assert mypy is not None
    (tmp_path / "llm").mkdir()
    (tmp_path / "llm" / "reply.json").write_text("{}")
    info = store.info()
    entry_size = (tmp_path / "results" / "ab" / f"{KEY}.json").stat().st_size
    assert (info.location, info.bytes, info.results, info.mypy_caches) == (
        tmp_path, entry_size, 1, 1
    )
    assert store.clear() == entry_size + 2
    assert sorted(p.name for p in tmp_path.iterdir()) == []
