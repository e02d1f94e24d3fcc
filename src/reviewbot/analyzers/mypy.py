"""mypy on the learner's own modules with reviewbot's baseline (C03: type hints, static typing).

The repository's mypy.ini / setup.cfg / pyproject `[tool.mypy]` are never read: mypy gets
reviewbot's own config file (`--config-file`), runs in the analyzer's work directory, and so
never loads the plugins a repo config could name (DESIGN.md, decision 1).

The baseline suits learner code: not strict, untyped function bodies are not checked, and
since the repo's dependencies are not installed, missing imports are silently `Any`
(`--no-site-packages` too, so results don't depend on what reviewbot's own environment holds).

Module names come from paths below the repo root (and `src/`), so two `main.py` in different
folders are `a.main` and `b.main`; files that would still share a name (`my-app/main.py` and
`my-api/main.py`) go to separate runs. When mypy refuses a run anyway ("Source file found
twice" because something imports `src.app.main` beside `app.main`, or a followed file it
can't parse), the run is rearranged and repeated instead of failing.
Blind spot: script-style imports of a sibling module (`from database import x` in `app/`
without `__init__.py`) are not resolved and become `Any`.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Final

from reviewbot.analyzers._tools import (
    DEFAULT_PYTHON,
    PathMap,
    PythonVersion,
    batches,
    clamp,
    excerpt,
    lowest_python,
    module_paths,
    run_tool,
)
from reviewbot.analyzers.base import AnalyzerError, ScanContext
from reviewbot.cache.store import folder_bytes
from reviewbot.model import AnalyzerOutput, Finding
from reviewbot.rulebook import Rulebook
from reviewbot.source.inventory_model import Inventory, ModuleRole

ROLES: Final = (ModuleRole.APP, ModuleRole.TEST, ModuleRole.SCRIPT)

# mypy 2.4 type-checks for Python 3.10 and later; above the interpreter it runs under, it
# can't parse what it would check.
VERSIONS: Final[tuple[PythonVersion, PythonVersion]] = ((3, 10), sys.version_info[:2])

# Blocking errors about module names: two files with one name, or one file with two names.
_DUPLICATE: Final = "Duplicate module named"
_TWICE: Final = "Source file found twice"


def config_text(bases: Iterable[str], skip_modules: Iterable[str]) -> str:
    """reviewbot's mypy configuration: a sane learner baseline, no plugins."""
    lines = [
        "# Written by reviewbot for one scan. The scanned repository's own mypy",
        "# configuration is never read, and no plugin is ever loaded.",
        "[mypy]",
        "ignore_missing_imports = True",
        "follow_imports = silent",
        "check_untyped_defs = False",
        "disallow_untyped_defs = False",
        "strict_optional = True",
        "warn_no_return = True",
        "namespace_packages = True",
        "explicit_package_bases = True",
        "mypy_path = " + ", ".join(bases),
    ]
    # Modules never to follow an import into: files the inventory skipped as unparsable.
    for module in sorted(set(skip_modules)):
        lines += ["", f"[mypy-{module}]", "follow_imports = skip"]
    return "\n".join(lines) + "\n"


def command_args(config: Path, version: PythonVersion, cache: Path) -> list[str]:
    """mypy's arguments before the file list."""
    return [
        "--config-file",
        str(config),
        "--python-version",
        f"{version[0]}.{version[1]}",
        "--cache-dir",
        str(cache),
        # The repo's dependencies aren't installed; whatever reviewbot's own environment
        # holds must not change the result either.
        "--no-site-packages",
        "-O",
        "json",
    ]


def module_name(inventory: Inventory, path: str, bases: tuple[str, ...]) -> str | None:
    """The module mypy will name `path` (repo-relative) with explicit package bases.

    None when a folder on the way has an `__init__.py` but is no valid package name: mypy
    refuses to check such a file at all.
    """
    parts = PurePosixPath(path).parts
    folders, stem = parts[:-1], parts[-1].removesuffix(".py")

    def package(depth: int) -> list[str] | None:
        here = "/".join(folders[:depth])
        if here in bases:
            return []
        name = folders[depth - 1]
        has_init = inventory.has(f"{here}/__init__.py") or inventory.has(f"{here}/__init__.pyi")
        if has_init and not name.isidentifier():
            raise ValueError(name)
        if not name.isidentifier():
            return None
        above = package(depth - 1)
        return None if above is None else [*above, name]

    try:
        prefix = package(len(folders)) or []
    except ValueError:
        return None
    return ".".join(prefix if stem == "__init__" else [*prefix, stem])


def _records(output: str) -> list[dict[str, Any]]:
    records = []
    for line in output.splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def parse(output: str, paths: PathMap, rulebook: Rulebook) -> list[Finding]:
    """Findings from mypy's `-O json` output (one JSON object per line); notes are dropped."""
    findings = []
    for record in _records(output):
        line = record.get("line")
        if record.get("severity") != "error" or not isinstance(line, int) or line < 1:
            continue
        path = paths.relative(str(record.get("file", "")))
        if path is None:
            continue
        column, end_line = record.get("column"), record.get("end_line")
        findings.append(
            rulebook.finding(
                f"mypy:{record.get('code') or 'misc'}",
                path,
                line,
                str(record.get("message", "")),
                column=column + 1 if isinstance(column, int) and column >= 0 else None,
                end_line=end_line if isinstance(end_line, int) and end_line >= line else None,
            )
        )
    return findings


def blocking_files(output: str, paths: PathMap) -> list[tuple[str, str]]:
    """(repo path, message) of the errors that stopped a run before it checked anything."""
    found = []
    for record in _records(output):
        if record.get("severity") != "error":
            continue
        message = str(record.get("message", ""))
        clash = record.get("line") == -1 and message.startswith((_DUPLICATE, _TWICE))
        path = paths.relative(str(record.get("file", "")))
        if path is not None and (clash or record.get("code") == "syntax"):
            found.append((path, message))
    return found


class _Plan:
    """Which files go to which mypy run, and what to do when mypy refuses one."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.paths = PathMap(inventory.root)
        has_src = any(m.path.startswith("src/") for m in inventory.modules)
        # Top-level packages start at the repo root, and in `src/` in a src layout.
        self.bases = ("", "src") if has_src and not inventory.has("src/__init__.py") else ("",)
        self.not_checked: dict[str, str] = {}
        # Files the inventory skipped (unparsable, oversized) must not be followed into.
        self.skip: set[str] = set()
        for skipped in inventory.skipped:
            name = self.module(skipped.path) if skipped.path.endswith(".py") else None
            if name:
                self.skip.add(name)
        self.queue: deque[list[str]] = deque()
        for group in self._groups():
            self.queue.extend(batches(group))

    def module(self, path: str) -> str | None:
        return module_name(self.inventory, path, self.bases)

    def _groups(self) -> list[list[str]]:
        # Files that would share a module name go to different runs.
        groups: list[dict[str, str]] = []
        for path in module_paths(self.inventory, ROLES):
            name = self.module(path)
            if name is None:
                self.not_checked[path] = "a folder on its path is not a valid package name"
                continue
            group = next((g for g in groups if name not in g), None)
            if group is None:
                group = {}
                groups.append(group)
            group[name] = path
        return [sorted(group.values()) for group in groups]

    def config(self) -> str:
        roots = [str(self.paths.root / base) for base in self.bases]
        return config_text(roots, self.skip)

    def recover(self, output: str, batch: list[str]) -> bool:
        """Rearrange a run mypy refused; False when nothing can be changed."""
        progress = False
        for path, message in blocking_files(output, self.paths):
            name = self.module(path) or PurePosixPath(path).stem
            if message.startswith(_TWICE):
                # Imported under a second name (`from src.app.main import x` beside
                # `app.main`): don't follow imports that use the other name.
                others = set(re.findall(r'"([^"]+)"', message)) - {name} - self.skip
                self.skip |= others
                progress = progress or bool(others)
            elif message.startswith(_DUPLICATE):
                if path in batch and len(batch) > 1:
                    # Two files with one module name: check this one in a run of its own.
                    batch.remove(path)
                    self.queue.append([path])
                    progress = True
            elif path in batch:
                # Syntax the declared Python version can't parse (`except*` on 3.10).
                batch.remove(path)
                self.not_checked[path] = message
                progress = True
            elif name not in self.skip:
                # A file mypy followed an import into, not one reviewbot checks, is broken.
                self.skip.add(name)
                progress = True
        if progress and batch:
            self.queue.appendleft(batch)
        return progress


@dataclass(frozen=True, slots=True)
class MypyAnalyzer:
    name: str = "mypy"
    criteria: tuple[str, ...] = ("C03",)
    # Which tool to run; a test points it at one that isn't installed.
    tool: str = "mypy"
    # The scheduler gives it a thread of its own and bounds its processes by the cores.
    runs_subprocess: ClassVar[bool] = True

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        plan = _Plan(ctx.inventory)
        version = clamp(lowest_python(ctx.inventory) or DEFAULT_PYTHON, *VERSIONS)
        # mypy's incremental cache, kept between scans of this checkout in reviewbot's cache
        # folder (never in the repository): after a one-file change little is checked again.
        kept = ctx.cache.mypy_cache_dir() if ctx.cache is not None else None
        cache = kept or ctx.workdir / "mypy-cache"
        size_before = folder_bytes(cache) if kept is not None else 0
        try:
            findings, checked = self._check(ctx, plan, version, cache)
        finally:
            if kept is not None and ctx.cache is not None:
                ctx.cache.note_folder_growth(kept, size_before)
        ordered = sorted(findings, key=lambda f: (f.path, f.line or 0, f.column or 0, f.rule))
        return AnalyzerOutput(
            findings=tuple(ordered),
            facts={
                "errors": len(ordered),
                "files_checked": len(checked),
                "files_with_errors": len({f.path for f in ordered}),
                "errors_by_code": dict(sorted(Counter(f.rule for f in ordered).items())),
                "python_version": f"{version[0]}.{version[1]}",
                "not_checked": [
                    {"path": path, "reason": reason}
                    for path, reason in sorted(plan.not_checked.items())
                ],
            },
        )

    def _check(
        self, ctx: ScanContext, plan: _Plan, version: PythonVersion, cache: Path
    ) -> tuple[set[Finding], set[str]]:
        """Run mypy over the plan's batches, rearranging those it refuses: the findings and
        the files checked."""
        deadline = time.monotonic() + ctx.timeout
        config = ctx.workdir / "reviewbot-mypy.ini"
        findings: set[Finding] = set()
        checked: set[str] = set()
        while plan.queue:
            batch = plan.queue.popleft()
            ctx.workdir.mkdir(parents=True, exist_ok=True)
            config.write_text(plan.config(), encoding="utf-8")
            args = [
                *command_args(config, version, cache),
                *(plan.paths.absolute(path) for path in batch),
            ]
            result = run_tool(ctx, self.tool, args, ok_codes=(0, 1, 2), deadline=deadline)
            if result.returncode == 2:
                if not plan.recover(result.stdout, batch):
                    detail = excerpt(result.stderr) or excerpt(result.stdout) or "no output"
                    raise AnalyzerError(f"mypy stopped with a blocking error: {detail}")
                continue
            checked.update(batch)
            found = parse(result.stdout, plan.paths, ctx.rulebook)
            findings.update(f for f in found if f.path in batch)
        return findings, checked


ANALYZER: Final = MypyAnalyzer()
