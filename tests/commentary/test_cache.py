"""The reply cache: keys, atomic writes, bounded size, damaged entries, concurrent runs."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from reviewbot.commentary.cache import ReplyCache, cache_key
from reviewbot.settings import llm_cache_dir


def test_the_key_depends_on_every_part_and_their_boundaries() -> None:
    key = cache_key("http://x/v1", "model", "system", "user", "schema")
    assert key == cache_key("http://x/v1", "model", "system", "user", "schema")
    assert len(key) == 64
    assert key != cache_key("http://x/v1", "model2", "system", "user", "schema")
    assert key != cache_key("http://x/v1", "model", "system", "user!", "schema")
    assert cache_key("ab", "c") != cache_key("a", "bc")


def test_put_then_get(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path / "llm")
    assert cache.get("k" * 64) is None
    cache.put("k" * 64, {"reply": {"strengths": []}, "model": "m"})
    assert cache.get("k" * 64) == {"reply": {"strengths": []}, "model": "m"}
    assert sorted(p.name for p in (tmp_path / "llm").iterdir()) == ["k" * 64 + ".json"]
    assert (tmp_path / "llm").stat().st_mode & 0o777 == 0o700


def test_damaged_entries_are_misses(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path)
    (tmp_path / "a.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "b.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "c.json").write_bytes(b"\xff\xfe")
    assert [cache.get(k) for k in "abc"] == [None, None, None]


def test_the_oldest_entries_go_beyond_the_limit(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path, max_entries=3)
    for n in range(5):
        cache.put(f"key{n}", {"n": n})
        os.utime(tmp_path / f"key{n}.json", (1_000_000 + n, 1_000_000 + n))
    cache.evict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key2.json", "key3.json", "key4.json"]


def test_reading_an_entry_keeps_it(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path, max_entries=2)
    cache.put("old", {"n": 0})
    os.utime(tmp_path / "old.json", (1_000_000, 1_000_000))
    cache.put("mid", {"n": 1})
    os.utime(tmp_path / "mid.json", (2_000_000, 2_000_000))
    assert cache.get("old") == {"n": 0}  # used now: the most recent
    cache.put("new", {"n": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.json", "old.json"]


def test_stale_temporary_files_are_cleaned(tmp_path: Path) -> None:
    stale = tmp_path / ".tmp-dead.json"
    stale.write_text("{", encoding="utf-8")
    os.utime(stale, (1_000_000, 1_000_000))
    fresh = tmp_path / ".tmp-writing.json"
    fresh.write_text("{", encoding="utf-8")
    ReplyCache(tmp_path).evict()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-writing.json"]


def test_concurrent_writers_leave_whole_entries(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path, max_entries=10)
    payload = {"reply": "x" * 50_000}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for round_number in range(20):
                cache.put(f"key{(n + round_number) % 15}", payload)
                entry = cache.get(f"key{n}")
                assert entry is None or entry == payload
        except BaseException as exc:  # collected, so a failure in a thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = [p for p in tmp_path.iterdir() if p.suffix == ".json"]
    assert not [p for p in entries if p.name.startswith(".tmp-")]
    assert len(entries) <= 10
    assert all(json.loads(p.read_text(encoding="utf-8")) == payload for p in entries)


def test_an_unwritable_cache_is_ignored(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    cache = ReplyCache(blocker / "llm")  # a folder inside a file: cannot be made
    cache.put("k", {"n": 1})
    assert cache.get("k") is None


def test_cache_folder_from_the_environment() -> None:
    assert llm_cache_dir({"REVIEWBOT_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}) == "/c/llm"
    assert llm_cache_dir({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == "/x/reviewbot/llm"
    assert llm_cache_dir({"HOME": "/h"}) == "/h/.cache/reviewbot/llm"
