"""What the inventory knows about a repository: its files, parsed modules and frameworks.

Built once per scan by `reviewbot.source.inventory.build_inventory` and shared read-only by
every analyzer, so each Python file is read and parsed exactly once.
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath

from reviewbot.model import SkippedFile


class FileKind(StrEnum):
    PYTHON = "python"
    DOCKERFILE = "dockerfile"
    COMPOSE = "compose"
    WORKFLOW = "workflow"
    DOC = "doc"
    MANIFEST = "manifest"  # pyproject.toml, requirements*.txt, setup.cfg, Pipfile, lock files
    CONFIG = "config"  # .env*, *.ini, *.toml, *.yaml, *.cfg
    NOTEBOOK = "notebook"
    DATABASE = "database"
    BINARY = "binary"
    OTHER = "other"


class ModuleRole(StrEnum):
    APP = "app"
    TEST = "test"
    MIGRATION = "migration"
    SCRIPT = "script"  # management commands, seed scripts, setup.py, manage.py


@dataclass(frozen=True, slots=True)
class RepoFile:
    """A file of the repository's own (vendored trees excluded). `path` is relative, posix."""

    path: str
    size: int
    kind: FileKind


def dotted_name(path: str) -> str:
    """`app/db/session.py` -> `app.db.session`; a package's `__init__.py` names the package."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@dataclass(frozen=True, slots=True, eq=False)
class PythonModule:
    """One own Python file, read and parsed once."""

    path: str
    source: str
    tree: ast.Module
    lines: int  # non-blank lines
    role: ModuleRole

    def line_text(self, line: int) -> str:
        lines = self.source.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


@dataclass(frozen=True, slots=True)
class VendoredTree:
    """A folder that is not the learner's own code: recorded, never analysed."""

    path: str
    kind: str  # virtualenv, node_modules, build, cache, vendored


@dataclass(frozen=True, slots=True, eq=False)
class Inventory:
    root: Path
    files: tuple[RepoFile, ...]
    modules: tuple[PythonModule, ...]
    skipped: tuple[SkippedFile, ...]
    vendored: tuple[VendoredTree, ...]
    symlinks: tuple[str, ...]
    frameworks: tuple[str, ...]
    is_python_backend: bool
    commit: str | None = None
    is_git: bool = False
    _by_path: dict[str, RepoFile] = field(default_factory=dict, repr=False)
    # `module(path)` is asked in loops over tests and findings: a dict, not a scan of modules.
    _module_by_path: dict[str, PythonModule] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_path.update({f.path: f for f in self.files})
        for module in reversed(self.modules):  # the first of equal paths wins, as before
            self._module_by_path[module.path] = module

    @property
    def python_loc(self) -> int:
        return sum(module.lines for module in self.modules)

    @property
    def app_loc(self) -> int:
        return sum(m.lines for m in self.modules if m.role is ModuleRole.APP)

    def has(self, path: str) -> bool:
        return path in self._by_path

    def file(self, path: str) -> RepoFile | None:
        return self._by_path.get(path)

    def of_kind(self, kind: FileKind) -> Iterator[RepoFile]:
        return (f for f in self.files if f.kind is kind)

    def glob(self, pattern: str) -> Iterator[RepoFile]:
        return (f for f in self.files if fnmatch.fnmatchcase(f.path, pattern))

    def module(self, path: str) -> PythonModule | None:
        return self._module_by_path.get(path)

    def read_text(self, path: str, limit: int = 1_000_000) -> str | None:
        """The text of an own, regular file; None for links, oversize or unreadable files."""
        if path not in self._by_path:
            return None
        target = self.root / path
        try:
            if target.is_symlink() or not target.is_file():
                return None
            data = target.read_bytes()[: limit + 1]
        except OSError:
            return None
        if len(data) > limit:
            return None
        return data.decode("utf-8", errors="replace")
