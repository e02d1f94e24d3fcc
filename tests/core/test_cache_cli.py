"""`reviewbot cache info|clear`, `scan --no-cache` and the pre-commit hook definition."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import typer.main
import yaml
from typer.testing import CliRunner

from reviewbot.cache.store import ResultStore
from reviewbot.cli import app
from tests.core.test_cache_scan import make_repo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("REVIEWBOT_CACHE_DIR", str(folder))
    monkeypatch.delenv("REVIEWBOT_CACHE_MAX_MB", raising=False)
    return folder


def test_info_and_clear(cache: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["cache", "info"])
    assert result.exit_code == 0
    assert result.output == (
        f"location: {cache}\nsize: 0 B (limit 512 MB)\nentries: 0 results, 0 mypy caches\n"
    )
    store = ResultStore(cache, 1 << 20)
    store.put("ab" + "0" * 62, "x" * 2000)
    assert store.mypy_dir("repo") is not None
    size = store.size()
    result = runner.invoke(app, ["cache", "info"])
    assert result.output == (
        f"location: {cache}\nsize: {size / 1024:.1f} kB (limit 512 MB)\n"
        "entries: 1 results, 1 mypy caches\n"
    )
    result = runner.invoke(app, ["cache", "clear"])
    assert result.exit_code == 0
    assert result.output == f"cleared {cache}: freed {size / 1024:.1f} kB\n"
    assert runner.invoke(app, ["cache", "clear"]).output == f"cleared {cache}: freed 0 B\n"


def test_info_names_a_configured_folder_and_bound(cache: Path, tmp_path: Path) -> None:
    config = tmp_path / "reviewbot.toml"
    config.write_text(
        f'[reviewbot]\ncache = false\ncache_dir = "{tmp_path / "elsewhere"}"\ncache_max_mb = 64\n'
    )
    result = CliRunner().invoke(app, ["cache", "info", "--config", str(config)])
    assert result.output == (
        f"location: {tmp_path / 'elsewhere'}\nsize: 0 B (limit 64 MB)\n"
        "entries: 0 results, 0 mypy caches\n"
        "caching is turned off by the configuration (cache = false)\n"
    )


def test_scan_no_cache_writes_nothing_and_a_cached_scan_does(cache: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop")
    runner = CliRunner()
    out = tmp_path / "report.json"
    args = ["scan", str(repo), "-f", "json", "-o", str(out), "--quiet", "--jobs", "2"]
    result = runner.invoke(app, [*args, "--no-cache"])
    assert result.exit_code == 0, result.output
    assert not cache.exists()
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    info = ResultStore(cache, 1 << 20).info()
    assert info.results > 0 and info.mypy_caches == 1


def test_the_pre_commit_hook_definition() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and len(hooks) == 1
    hook = hooks[0]
    assert {"id", "name", "entry", "language"} <= hook.keys()
    assert (hook["id"], hook["language"], hook["pass_filenames"]) == ("reviewbot", "python", False)
    program, subcommand, *args = shlex.split(hook["entry"])
    assert (program, subcommand) == ("reviewbot", "scan")
    # The entry's options are the real ones: the scan command parses them (and a user's
    # `args:` appended after them).
    scan = typer.main.get_command(app).commands["scan"]  # type: ignore[attr-defined]
    parsed = scan.make_context("scan", [*args, "--fail-under", "80"])
    assert (parsed.params["source"], parsed.params["fail_under"]) == (".", 80.0)
    assert parsed.params["quiet"] is True
    with pytest.raises(Exception, match="No such option"):
        scan.make_context("scan", [".", "--fail-below", "70"])
