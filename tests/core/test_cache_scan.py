"""The result cache in real scans of a real git repository: a warm scan runs no tool and gives
the same report; after a one-file change the file-local tools see only that file; the cache
never changes a result."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import git
import pytest

from reviewbot.analyzers import bandit, mypy, radon, ruff
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.registry import ANALYZERS
from reviewbot.cache.scan import ScanCache, open_store
from reviewbot.cache.store import MISS
from reviewbot.model import Report
from reviewbot.pipeline import inventory_of, scan
from reviewbot.reporters.json_report import to_dict
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.checkout import CheckedOut

MAIN = '''from fastapi import FastAPI
import subprocess

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int) -> dict[str, int]:
    return {"item_id": item_id}


def run(command: str) -> None:
    subprocess.run(command, shell=True)


def grade(score: int, bonus: int, late: bool, extra: bool, curve: int) -> str:
    if score > 90 and not late:
        return "A"
    elif score > 80 or bonus > 5:
        return "B"
    elif score > 70 and extra:
        return "C"
    elif score > 60 or curve > 2:
        return "D"
    elif score > 50 and bonus > 1:
        return "E"
    elif late or extra:
        return "F"
    for step in range(curve):
        if step > bonus:
            return "G"
    return "H"
'''

UTIL = '''import os


def total(values: list[int]) -> int:
    return sum(values)
'''

TEST = '''from app.main import read_item


def test_read_item() -> None:
    assert read_item(3) == {"item_id": 3}
'''

FILES = {
    "pyproject.toml": '[project]\nname = "shop"\nrequires-python = ">=3.12"\n'
    'dependencies = ["fastapi"]\n',
    "app/__init__.py": "",
    "app/main.py": MAIN,
    "app/util.py": UTIL,
    "tests/test_main.py": TEST,
}

TOOL_MODULES = (ruff, bandit, radon, mypy)


def make_repo(root: Path) -> Path:
    repo = git.Repo.init(root)
    for rel, text in FILES.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    repo.index.add(list(FILES))
    author = git.Actor("Learner", "learner@example.com")
    repo.index.commit("Add the shop API with tests", author=author, committer=author)
    return root


class ToolCalls:
    """Observes every tool run (tool name and argv) while still running it for real."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()
        for module in TOOL_MODULES:
            real = module.run_tool

            def recording(
                ctx: ScanContext, tool: str, args: Sequence[str], *, _real: Any = real, **kw: Any
            ) -> Any:
                with self._lock:
                    self.calls.append((tool, list(args)))
                return _real(ctx, tool, args, **kw)

            monkeypatch.setattr(module, "run_tool", recording)

    def files(self, tool: str, root: Path) -> list[list[str]]:
        """The repo files each run of `tool` was given."""
        prefix = str(root.resolve()) + "/"
        return [
            [arg.removeprefix(prefix) for arg in args if arg.startswith(prefix)]
            for name, args in self.calls
            if name == tool
        ]


def comparable(report: Report) -> dict[str, Any]:
    """The JSON report without its timing fields."""
    data = to_dict(report)
    for run in data["analyzers"]:
        run["seconds"] = 0
    return data


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "shop")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=str(tmp_path / "cache"), jobs=2)


def test_warm_scan_runs_no_tool_and_gives_the_same_report(
    repo: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = scan(str(repo), settings)
    assert [run.cached for run in cold.analyzers] == [False] * len(ANALYZERS)
    calls = ToolCalls(monkeypatch)
    warm = scan(str(repo), settings)
    assert calls.calls == []
    assert [(run.name, run.cached) for run in warm.analyzers] == [
        (analyzer.name, True) for analyzer in ANALYZERS
    ]
    assert json.dumps(comparable(warm)) == json.dumps(comparable(cold))
    assert {f.rule for f in cold.findings} >= {"ruff:F401", "bandit:B602", "radon:cc"}


def test_one_changed_file_is_all_the_file_local_tools_see(
    repo: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan(str(repo), settings)
    (repo / "app/util.py").write_text("import os\nimport json\n" + UTIL[len("import os\n"):])
    calls = ToolCalls(monkeypatch)
    changed = scan(str(repo), settings)
    assert calls.files("ruff", repo) == [["app/util.py"]]
    assert calls.files("bandit", repo) == [["app/util.py"]]
    assert calls.files("radon", repo) == [["app/util.py"], ["app/util.py"]]  # cc, then mi
    # Every analyzer sees the whole inventory, which changed: none is served whole.
    assert [run.name for run in changed.analyzers if run.cached] == []
    new = [f for f in changed.findings if f.path == "app/util.py" and f.rule == "ruff:F401"]
    assert [(f.line, f.message) for f in new] == [
        (1, "`os` imported but unused"),
        (2, "`json` imported but unused"),
    ]
    fresh = scan(str(repo), dataclasses.replace(settings, cache=False))
    assert json.dumps(comparable(changed)) == json.dumps(comparable(fresh))


def test_a_new_commit_of_the_same_tree_reuses_all_but_the_history_readers(
    repo: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan(str(repo), settings)
    author = git.Actor("Learner", "learner@example.com")
    git.Repo(repo).index.commit("Empty follow-up", author=author, committer=author)
    calls = ToolCalls(monkeypatch)
    again = scan(str(repo), settings)
    assert calls.calls == []
    assert sorted(run.name for run in again.analyzers if not run.cached) == ["history", "secrets"]


def _scan_cache(repo: Path, settings: Settings, **kw: Any) -> ScanCache:
    checked = CheckedOut(repo, str(repo), None, is_git=True, git_dir=repo / ".git")
    inventory = inventory_of(checked, settings)
    return ScanCache(open_store(settings), inventory, kw.get("rulebook", default_rulebook()),
                     settings)  # fmt: skip


def test_keys_change_with_rules_settings_tool_version_and_content(
    repo: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    analyzer = ruff.ANALYZER
    base = _scan_cache(repo, settings).memo_key(analyzer)
    assert base is not None
    assert _scan_cache(repo, settings).memo_key(analyzer) == base
    # Settings that only change how the scan runs or is shown keep the key.
    same = dataclasses.replace(settings, jobs=1, fail_under=90.0, llm=True)
    assert _scan_cache(repo, same).memo_key(analyzer) == base
    book = dataclasses.replace(default_rulebook(), version="other")
    variants = {
        "rules": _scan_cache(repo, settings, rulebook=book).memo_key(analyzer),
        "settings": _scan_cache(
            repo, dataclasses.replace(settings, exclude=("scripts/*",))
        ).memo_key(analyzer),
        "other tool": _scan_cache(repo, settings).memo_key(dataclasses.replace(analyzer, tool="x")),
    }
    real_versions = __import__("reviewbot.cache.keys", fromlist=["tool_versions"]).tool_versions
    monkeypatch.setattr(
        "reviewbot.cache.keys.tool_versions", lambda: {**real_versions(), "ruff": "99.0.0"}
    )
    variants["tool version"] = _scan_cache(repo, settings).memo_key(analyzer)
    monkeypatch.undo()
    (repo / "app/util.py").write_text(UTIL + "\n# a comment\n", encoding="utf-8")
    variants["content"] = _scan_cache(repo, settings).memo_key(analyzer)
    assert base not in variants.values()
    assert len(set(variants.values())) == len(variants)


def test_a_corrupt_or_foreign_entry_is_a_miss_and_is_rewritten(
    repo: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan(str(repo), settings)
    memo = _scan_cache(repo, settings)
    store = memo.store
    key = memo.memo_key(ruff.ANALYZER)
    other = memo.memo_key(bandit.ANALYZER)
    assert key is not None and other is not None
    entry = store.root / "results" / key[:2] / f"{key}.json"
    text = entry.read_text(encoding="utf-8")
    entry.write_text(text[: len(text) // 2], encoding="utf-8")  # truncated
    foreign = store.root / "results" / other[:2] / f"{other}.json"
    foreign.write_text(json.dumps({"format": "reviewbot-cache/1", "key": "x", "value": 1}))
    warm = scan(str(repo), settings)
    runs = {run.name: run.cached for run in warm.analyzers}
    assert (runs["ruff"], runs["bandit"], runs["radon"]) == (False, False, True)
    assert store.get(key) is not MISS
    assert store.get(other) is not MISS
    assert json.loads(entry.read_text(encoding="utf-8"))["key"] == key


def test_an_unwritable_cache_folder_warns_once_and_the_scan_goes_on(
    repo: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be\n")
    settings = Settings(cache_dir=str(blocker / "cache"), jobs=2)
    with caplog.at_level(logging.WARNING, logger="reviewbot.cache"):
        report = scan(str(repo), settings)
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("reviewbot.cache")]
    assert len(warnings) == 1
    assert warnings[0].startswith("result cache disabled: cannot ")
    assert warnings[0].endswith(f"in {blocker / 'cache'} (Not a directory)")
    fresh = scan(str(repo), dataclasses.replace(settings, cache=False))
    assert json.dumps(comparable(report)) == json.dumps(comparable(fresh))


def test_concurrent_scans_on_one_cache_folder_both_come_out_right(
    repo: Path, settings: Settings, tmp_path: Path
) -> None:
    twin = tmp_path / "twin"
    git.Repo(repo).clone(twin)
    reports: dict[str, Report] = {}

    def run(name: str, root: Path) -> None:
        reports[name] = scan(str(root), settings)

    threads = [
        threading.Thread(target=run, args=(name, root))
        for name, root in (("one", repo), ("two", twin))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = comparable(scan(str(repo), dataclasses.replace(settings, cache=False)))
    for name, root in (("one", repo), ("two", twin)):
        got = comparable(reports[name])
        got["repo"]["source"] = expected["repo"]["source"]
        assert json.dumps(got) == json.dumps(expected), (name, root)


def test_no_cache_reads_and_writes_nothing(repo: Path, settings: Settings) -> None:
    scan(str(repo), dataclasses.replace(settings, cache=False))
    assert not Path(str(settings.cache_dir)).exists()

