"""The one way reviewbot runs a wrapped tool (ruff, mypy, bandit, radon): safely.

- the tool comes from reviewbot's own environment (`python -m tool`, ruff's bundled binary),
  never from the scanned repository or the PATH;
- it runs in the analyzer's private work directory with a minimal environment, so no
  configuration, `sitecustomize`, user site or `PYTHONPATH` of the repo or the host is picked up;
- it is given an explicit list of the inventory's own parsed modules, in batches that keep the
  command line short, so vendored trees and skipped files are never analysed;
- a run past its time is stopped with its whole process group (ToolTimeoutError); a missing tool is
  ToolMissingError; a crash is AnalyzerError with a short stderr excerpt. Exit codes that only mean
  "findings found" are not crashes.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from subprocess import Popen
from typing import IO, Final, cast

from reviewbot.analyzers.base import AnalyzerError, ScanContext, ToolMissingError, ToolTimeoutError
from reviewbot.analyzers.metering import current_meter
from reviewbot.source.inventory_model import Inventory, ModuleRole

# Total characters of file arguments per run: far below Linux's per-argument and total limits
# and below Windows' 32,767-character command line.
MAX_COMMAND_CHARS: Final = 30_000

# Assumed when the repository does not declare `requires-python`: recent enough not to flag
# syntax learners commonly use (3.12 f-strings), fixed so the grade doesn't depend on the
# interpreter reviewbot happens to run under.
DEFAULT_PYTHON: Final = (3, 12)

PythonVersion = tuple[int, int]


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a finished tool run printed."""

    returncode: int
    stdout: str
    stderr: str


def _ruff_binary() -> str:
    # ruff ships a native binary, and not every release has a `python -m ruff` that works;
    # its package knows where the binary of this environment is. It has no type hints.
    try:
        module = importlib.import_module("ruff.__main__")
    except ImportError as exc:
        raise ToolMissingError("ruff is not installed in reviewbot's environment") from exc
    find_ruff_bin = cast(Callable[[], str], module.find_ruff_bin)
    try:
        return find_ruff_bin()
    except FileNotFoundError as exc:
        raise ToolMissingError("ruff's binary is missing from reviewbot's environment") from exc


def tool_command(tool: str) -> list[str]:
    """The argv prefix that runs `tool` from reviewbot's own environment."""
    if tool == "ruff":
        return [_ruff_binary()]
    try:
        spec = importlib.util.find_spec(tool)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ToolMissingError(f"{tool} is not installed in reviewbot's environment")
    return [sys.executable, "-m", tool]


def tool_environment(workdir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: nothing from the host steers Python's imports or tool configs."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        # Tools look for user-level configuration under HOME (~/.config/ruff, ~/.mypy.ini...).
        "HOME": str(workdir),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "PYTHONNOUSERSITE": "1",
        # No script directory or working directory on sys.path: nothing there can shadow
        # the tool's own imports.
        "PYTHONSAFEPATH": "1",
        "PYTHONUTF8": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    if "SYSTEMROOT" in os.environ:  # Windows can't start Python without it
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    env.update(extra or {})
    return env


def excerpt(text: str, limit: int = 400) -> str:
    """The end of a tool's error output, where tracebacks say what went wrong."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    tail = "\n".join(lines[-5:])
    return tail if len(tail) <= limit else "…" + tail[-limit:]


def _stop_group(process: subprocess.Popen[str]) -> None:
    if sys.platform == "win32":
        process.kill()
        return
    # A tool may start processes of its own that would outlive a plain kill: the tool
    # runs in a session of its own, so stop every process in it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)



@dataclass(frozen=True, slots=True)
class ProcessUsage:
    """What a finished tool process (with the children it waited for) cost."""

    cpu: float  # user + system seconds
    peak_rss: int  # bytes


def _start(command: list[str], workdir: Path, env: dict[str, str], tool: str) -> Popen[str]:
    try:
        return subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ToolMissingError(f"{tool} could not be started: {exc.strerror}") from exc
    except OSError as exc:
        raise AnalyzerError(f"{tool} could not be started: {exc.strerror}") from exc


def _finish(process: Popen[str], timeout: float) -> tuple[str, str, ProcessUsage | None]:
    """The process's output once it exits, and what it cost where the OS says (wait4).

    Past `timeout` seconds its whole process group is stopped and TimeoutExpired raised.
    """
    if not hasattr(os, "wait4"):  # Windows: no rusage of a child
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_group(process)
            process.communicate()
            raise
        return stdout, stderr, None
    # Read both pipes on threads (as communicate does), then reap the process with wait4,
    # which also returns its rusage: CPU and peak RSS at no cost while it runs.
    texts: dict[str, str] = {}
    readers = [
        threading.Thread(target=_read_into, args=(stream, texts, key), daemon=True)
        for key, stream in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    end = time.monotonic() + timeout
    for reader in readers:
        reader.join(max(0.0, end - time.monotonic()))
    status: int | None = None
    if not any(reader.is_alive() for reader in readers):
        status, usage = _reap(process.pid, end)
    if status is None:
        _stop_group(process)
        for reader in readers:
            reader.join()
        process.wait()
        raise subprocess.TimeoutExpired(process.args, timeout)
    process.returncode = os.waitstatus_to_exitcode(status)
    return texts.get("out", ""), texts.get("err", ""), usage


def _read_into(stream: IO[str] | None, into: dict[str, str], key: str) -> None:
    if stream is not None:
        with stream:
            into[key] = stream.read()


def _reap(pid: int, end: float) -> tuple[int | None, ProcessUsage | None]:
    """Wait (until the monotonic instant `end`) for a process whose pipes are closed."""
    pause = 0.001
    while True:
        done, status, rusage = os.wait4(pid, os.WNOHANG)
        if done:
            # ru_maxrss is in kilobytes on Linux, bytes on macOS.
            scale = 1 if sys.platform == "darwin" else 1024
            usage = ProcessUsage(rusage.ru_utime + rusage.ru_stime, rusage.ru_maxrss * scale)
            return status, usage
        if time.monotonic() >= end:
            return None, None
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def run_tool(
    ctx: ScanContext,
    tool: str,
    args: Sequence[str],
    *,
    ok_codes: Collection[int] = (0, 1),
    env: Mapping[str, str] | None = None,
    deadline: float | None = None,
) -> ToolResult:
    """Run `tool args...` in `ctx.workdir` and return its output.

    `ok_codes` are the exit codes that mean the tool worked (0 = clean, 1 = findings for most
    tools). `deadline` is a `time.monotonic()` instant shared by several runs of one analyzer;
    without it the run gets `ctx.timeout` seconds.
    """
    command = [*tool_command(tool), *args]
    end = time.monotonic() + ctx.timeout if deadline is None else deadline
    if end - time.monotonic() <= 0:
        raise ToolTimeoutError(f"{tool} ran out of time after {ctx.timeout:g}s")
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    meter = current_meter()
    with meter.slot(end, tool) if meter is not None else contextlib.nullcontext():
        process = _start(command, ctx.workdir, tool_environment(ctx.workdir, env), tool)
        try:
            stdout, stderr, usage = _finish(process, end - time.monotonic())
        except subprocess.TimeoutExpired:
            limit = f"{ctx.timeout:g}s"
            raise ToolTimeoutError(f"{tool} ran past its {limit} limit and was stopped") from None
        except BaseException:  # interrupted: leave nothing running behind
            _stop_group(process)
            raise
    if meter is not None and usage is not None:
        meter.record(usage.cpu, usage.peak_rss)
    if process.returncode not in ok_codes:
        detail = excerpt(stderr) or excerpt(stdout) or "no output"
        raise AnalyzerError(f"{tool} failed (exit code {process.returncode}): {detail}")
    return ToolResult(process.returncode, stdout, stderr)


def batches(paths: Sequence[str], budget: int = MAX_COMMAND_CHARS) -> Iterator[list[str]]:
    """`paths` split into runs whose arguments stay within `budget` characters."""
    batch: list[str] = []
    size = 0
    for path in paths:
        cost = len(path) + 1
        if batch and size + cost > budget:
            yield batch
            batch, size = [], 0
        batch.append(path)
        size += cost
    if batch:
        yield batch


def module_paths(inventory: Inventory, roles: Collection[ModuleRole]) -> list[str]:
    """Repo-relative paths of the inventory's parsed modules with one of `roles`, sorted."""
    return sorted(module.path for module in inventory.modules if module.role in roles)


class PathMap:
    """Between repo-relative posix paths and the absolute paths given to (and echoed by) tools."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._to_repo: dict[str, str] = {}

    def absolute(self, path: str) -> str:
        """The argument for a tool: absolute, so it never looks like an option."""
        given = str(self.root / PurePosixPath(path))
        self._to_repo[given] = path
        return given

    def relative(self, reported: str) -> str | None:
        """The repo-relative path of a file a tool reported; None when outside the repo."""
        if reported in self._to_repo:
            return self._to_repo[reported]
        try:
            return Path(reported).resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return None


_LOWER_BOUND = re.compile(r"^\s*(>=|>|~=|===|==|\^|~)?\s*(\d+)(?:\.(\d+))?")


def _lowest_of(specifier: str) -> PythonVersion | None:
    # Within one alternative the clauses all hold, so the highest lower bound wins.
    lowest: PythonVersion | None = None
    for clause in specifier.split(","):
        match = _LOWER_BOUND.match(clause)
        if not match:  # upper bounds and exclusions (`<4`, `!=3.9.1`) say nothing here
            continue
        version = (int(match.group(2)), int(match.group(3) or 0))
        lowest = version if lowest is None else max(lowest, version)
    return lowest


def lowest_python(inventory: Inventory) -> PythonVersion | None:
    """The lowest Python the repo says it supports, from pyproject.toml read as data.

    `project.requires-python` (or Poetry's `python` dependency). The file's `[tool.*]`
    sections are never honoured.
    """
    text = inventory.read_text("pyproject.toml")
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    project = data.get("project")
    specifier = project.get("requires-python") if isinstance(project, dict) else None
    if not isinstance(specifier, str):
        tool = data.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
        specifier = deps.get("python") if isinstance(deps, dict) else None
    if not isinstance(specifier, str):
        return None
    # Poetry's `^3.9 || ^3.11`: any alternative may hold, so the lowest one counts.
    found = [v for v in map(_lowest_of, specifier.split("||")) if v is not None]
    return min(found) if found else None


def clamp(version: PythonVersion, low: PythonVersion, high: PythonVersion) -> PythonVersion:
    """`version` brought within what a tool supports."""
    return max(low, min(high, version))
