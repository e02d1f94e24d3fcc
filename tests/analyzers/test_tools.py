"""The subprocess runner every wrapped tool goes through."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reviewbot.analyzers._tools import (
    PathMap,
    batches,
    clamp,
    excerpt,
    lowest_python,
    run_tool,
    tool_command,
    tool_environment,
)
from reviewbot.analyzers.base import AnalyzerError, ScanContext, ToolMissingError, ToolTimeoutError

from .conftest import context, write_tree


@pytest.fixture
def ctx(tmp_path: Path) -> ScanContext:
    (tmp_path / "repo").mkdir()
    return context(tmp_path / "repo", tmp_path / "work")


def test_python_tools_run_as_modules_of_reviewbots_interpreter() -> None:
    assert tool_command("mypy") == [sys.executable, "-m", "mypy"]
    assert tool_command("bandit") == [sys.executable, "-m", "bandit"]


def test_ruff_runs_its_bundled_binary() -> None:
    (binary,) = tool_command("ruff")
    assert Path(binary).name == "ruff"
    assert os.access(binary, os.X_OK)


def test_missing_tool(ctx: ScanContext) -> None:
    with pytest.raises(ToolMissingError, match=r"^reviewbot_absent_tool is not installed in"):
        run_tool(ctx, "reviewbot_absent_tool", ["--version"])


def test_environment_is_minimal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    monkeypatch.setenv("PYTHONSTARTUP", "/somewhere/startup.py")
    monkeypatch.setenv("MYPYPATH", "/somewhere")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("SYSTEMROOT", raising=False)
    env = tool_environment(tmp_path, {"MYPY_CACHE_DIR": "cache"})
    assert env == {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "en_US.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "PYTHONSAFEPATH": "1",
        "PYTHONUTF8": "1",
        "PYTHONIOENCODING": "utf-8",
        "MYPY_CACHE_DIR": "cache",
    }


def test_tool_runs_isolated_in_the_workdir(
    ctx: ScanContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ctx.inventory.root))
    # `python -m site` prints the interpreter's import path and user-site state.
    result = run_tool(ctx, "site", [])
    assert result.returncode == 0
    assert "ENABLE_USER_SITE: False" in result.stdout
    assert f"USER_BASE: '{ctx.workdir}/.local'" in result.stdout
    path_lines = result.stdout.split("]")[0]
    assert str(ctx.inventory.root) not in path_lines  # no PYTHONPATH from the host
    assert f"'{ctx.workdir}'" not in path_lines  # no working directory on sys.path


def _json_tool_exit_code(path: Path) -> int:
    """What `python -m json.tool` exits with on a missing file: 1 or 2 by Python version."""
    return subprocess.run(
        [sys.executable, "-m", "json.tool", str(path)], capture_output=True, check=False
    ).returncode


def test_exit_codes_meaning_findings_are_not_crashes(ctx: ScanContext, tmp_path: Path) -> None:
    code = _json_tool_exit_code(tmp_path / "absent.json")
    result = run_tool(ctx, "json.tool", [str(tmp_path / "absent.json")], ok_codes=(0, code))
    assert result.returncode == code != 0


def test_crash_reports_the_end_of_stderr(ctx: ScanContext, tmp_path: Path) -> None:
    with pytest.raises(AnalyzerError) as raised:
        run_tool(ctx, "json.tool", [str(tmp_path / "absent.json")], ok_codes=(0,))
    assert not isinstance(raised.value, ToolMissingError | ToolTimeoutError)
    message = str(raised.value)
    code = _json_tool_exit_code(tmp_path / "absent.json")
    assert message.startswith(f"json.tool failed (exit code {code}): ")
    assert "No such file or directory" in message


def _state(pid: int) -> str | None:
    """The process's state letter from /proc, None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    ctx = context(tmp_path / "repo", tmp_path / "work", timeout=2.0)
    # The tool starts a child of its own, as mypy's workers would, then hangs.
    statement = (
        "import pathlib, subprocess, sys; "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
        "pathlib.Path('child.pid').write_text(str(child.pid)); child.wait()"
    )
    started = time.monotonic()
    with pytest.raises(ToolTimeoutError, match=r"^timeit ran past its 2s limit and was stopped$"):
        run_tool(ctx, "timeit", ["-n", "1", "-r", "1", statement])
    assert time.monotonic() - started < 10
    child = int((ctx.workdir / "child.pid").read_text())
    for _ in range(50):  # the orphan is reaped by init shortly after being killed
        if _state(child) in (None, "Z"):
            break
        time.sleep(0.1)
    assert _state(child) in (None, "Z")


def test_spent_deadline_runs_nothing(ctx: ScanContext) -> None:
    with pytest.raises(ToolTimeoutError):
        run_tool(ctx, "timeit", ["pass"], deadline=time.monotonic() - 1)


def test_batches_stay_within_budget() -> None:
    paths = ["/r/aaaa.py", "/r/bb.py", "/r/c.py", "/r/dddddd.py"]
    assert list(batches(paths, budget=21)) == [  # each path costs its length + 1
        ["/r/aaaa.py", "/r/bb.py"],
        ["/r/c.py", "/r/dddddd.py"],
    ]
    assert list(batches(paths, budget=5)) == [[p] for p in paths]  # one path always goes
    assert list(batches([], budget=5)) == []


def test_path_map_round_trip(tmp_path: Path) -> None:
    paths = PathMap(tmp_path)
    given = paths.absolute("app/main.py")
    assert given == str(tmp_path.resolve() / "app" / "main.py")
    assert paths.relative(given) == "app/main.py"
    assert paths.relative(str(tmp_path.resolve() / "other" / "x.py")) == "other/x.py"
    assert paths.relative("/elsewhere/x.py") is None


def test_excerpt_keeps_the_last_lines() -> None:
    text = "\n".join(f"line {i}" for i in range(10)) + "\n\n"
    assert excerpt(text) == "line 5\nline 6\nline 7\nline 8\nline 9"
    assert excerpt("x" * 1000, limit=10) == "…xxxxxxxxxx"


@pytest.mark.parametrize(
    ("pyproject", "lowest"),
    [
        ('[project]\nrequires-python = ">=3.9"\n', (3, 9)),
        ('[project]\nrequires-python = ">=3.10,<4"\n', (3, 10)),
        ('[project]\nrequires-python = "<4, >= 3.11"\n', (3, 11)),
        ('[project]\nrequires-python = "~=3.12"\n', (3, 12)),
        ('[project]\nrequires-python = "==3.11.*"\n', (3, 11)),
        ('[project]\nrequires-python = ">3.8"\n', (3, 8)),
        ('[project]\nrequires-python = "<3.13"\n', None),
        ('[tool.poetry.dependencies]\npython = "^3.10"\n', (3, 10)),
        ('[tool.poetry.dependencies]\npython = "^3.11 || ^3.9"\n', (3, 9)),
        ('[project]\nname = "x"\n', None),
        ("this is [not toml", None),
    ],
)
def test_lowest_python(tmp_path: Path, pyproject: str, lowest: tuple[int, int] | None) -> None:
    write_tree(tmp_path / "repo", {"pyproject.toml": pyproject})
    ctx = context(tmp_path / "repo", tmp_path / "work")
    assert lowest_python(ctx.inventory) == lowest


def test_lowest_python_without_pyproject(ctx: ScanContext) -> None:
    assert lowest_python(ctx.inventory) is None


def test_clamp() -> None:
    assert clamp((3, 8), (3, 10), (3, 13)) == (3, 10)
    assert clamp((3, 14), (3, 10), (3, 13)) == (3, 13)
    assert clamp((3, 11), (3, 10), (3, 13)) == (3, 11)
