"""Tiny repositories for the wrapped-tool analyzers, with an Inventory built by hand.

The Inventory is constructed directly (parsed with `ast.parse`) so these tests depend only on
the inventory's data model, not on how the inventory builder classifies a tree.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath

import pytest

from reviewbot.analyzers.base import ScanContext
from reviewbot.model import Finding, SkippedFile
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory_model import (
    FileKind,
    Inventory,
    ModuleRole,
    PythonModule,
    RepoFile,
)

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = Path(__file__).parent / "recorded"

# Where recorded tool output says the fixture repository was: the real temporary folder is
# replaced by this when recording, so committed files name no path of the recording machine.
RECORDED_ROOT = "/repo"


def role_of(path: str) -> ModuleRole:
    parts = PurePosixPath(path).parts
    if parts[0] == "tests" or parts[-1].startswith("test_"):
        return ModuleRole.TEST
    if "migrations" in parts:
        return ModuleRole.MIGRATION
    if parts[-1] in ("manage.py", "setup.py") or parts[0] == "scripts":
        return ModuleRole.SCRIPT
    return ModuleRole.APP


def kind_of(path: str) -> FileKind:
    name = PurePosixPath(path).name
    if name.endswith(".py"):
        return FileKind.PYTHON
    if name in ("pyproject.toml", "setup.cfg", "requirements.txt"):
        return FileKind.MANIFEST
    return FileKind.CONFIG


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


def make_inventory(root: Path, skipped: Mapping[str, str] | None = None) -> Inventory:
    """An Inventory of every file under `root`; Python files are parsed unless `skipped`."""
    skipped = skipped or {}
    files: list[RepoFile] = []
    modules: list[PythonModule] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        files.append(RepoFile(rel, path.stat().st_size, kind_of(rel)))
        if rel.endswith(".py") and rel not in skipped:
            source = path.read_text(encoding="utf-8")
            lines = sum(1 for line in source.splitlines() if line.strip())
            with warnings.catch_warnings():  # fixtures plant invalid escapes on purpose
                warnings.simplefilter("ignore", SyntaxWarning)
                tree = ast.parse(source)
            modules.append(PythonModule(rel, source, tree, lines, role_of(rel)))
    return Inventory(
        root=root,
        files=tuple(files),
        modules=tuple(modules),
        skipped=tuple(SkippedFile(path, reason) for path, reason in skipped.items()),
        vendored=(),
        symlinks=(),
        frameworks=(),
        is_python_backend=True,
    )


def context(
    root: Path,
    workdir: Path,
    timeout: float = 120.0,
    skipped: Mapping[str, str] | None = None,
) -> ScanContext:
    workdir.mkdir(parents=True, exist_ok=True)
    inventory = make_inventory(root, skipped)
    return ScanContext(inventory, default_rulebook(), Settings(), workdir, timeout)


def fixture_files(tool: str) -> dict[str, str]:
    """The fixture repository for `tool`; sources are stored as `*.py.txt` so that linting
    reviewbot's own tests doesn't lint the planted mistakes."""
    folder = FIXTURES / tool
    return {
        path.relative_to(folder).as_posix().removesuffix(".txt"): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


MakeContext = Callable[..., ScanContext]


@pytest.fixture
def repo(tmp_path: Path) -> MakeContext:
    """Write files into a fresh repo folder and return a ScanContext for it."""

    def make(
        files: Mapping[str, str],
        *,
        timeout: float = 120.0,
        skipped: Mapping[str, str] | None = None,
    ) -> ScanContext:
        root = tmp_path / "repo"
        write_tree(root, files)
        return context(root, tmp_path / "work", timeout, skipped)

    return make


Row = tuple[str, str, int | None, int | None, str, str]


def rows(findings: Iterable[Finding]) -> list[Row]:
    """What the tests compare: rule, path, line, column, severity and message."""
    return [(f.rule, f.path, f.line, f.column, f.severity.value, f.message) for f in findings]


def recorded(name: str) -> str:
    return (RECORDED / name).read_text(encoding="utf-8")
