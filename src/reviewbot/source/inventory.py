"""Walk a checked-out repository once: classify files, parse Python, detect frameworks.

Symlinks are recorded and never followed or read. Vendored and generated trees
(virtualenvs, node_modules, build output, caches, sample projects) are recorded and skipped.
Every Python file that can't be analysed is listed with the reason, never counted as clean.
"""

from __future__ import annotations

import ast
import fnmatch
import gc
import io
import os
import stat
import tokenize
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from reviewbot.model import SkippedFile
from reviewbot.source.inventory_model import (
    FileKind,
    Inventory,
    ModuleRole,
    PythonModule,
    RepoFile,
    VendoredTree,
)

# Folder names that are never the learner's own code, by what they are.
_NAMED_TREES = {
    "node_modules": "node_modules",
    "site-packages": "virtualenv",
    "__pycache__": "cache",
    ".mypy_cache": "cache",
    ".pytest_cache": "cache",
    ".ruff_cache": "cache",
    ".tox": "cache",
    ".nox": "cache",
    ".ipynb_checkpoints": "cache",
    "htmlcov": "build",
    "build": "build",
    "dist": "build",
    "vendor": "vendored",
    "vendored": "vendored",
    "third_party": "vendored",
    "examples": "samples",
    "example": "samples",
    "samples": "samples",
    "fixtures": "samples",
    "testdata": "samples",
    "test_data": "samples",
}
_SKIPPED_DIRS = {".git", ".hg", ".svn", ".idea", ".vscode"}
_MANIFESTS = {
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "pipfile",
    "pipfile.lock",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "environment.yml",
}
_REQ_SUFFIXES = {".txt", ".in", ".lock"}
_DOC_SUFFIXES = {".md", ".rst", ".txt", ".adoc"}
_CONFIG_SUFFIXES = {".ini", ".cfg", ".toml", ".yaml", ".yml", ".json", ".conf", ".env"}
_DATABASE_SUFFIXES = {".sqlite", ".sqlite3", ".db"}
FRAMEWORK_MODULES = {
    "fastapi": "fastapi",
    "django": "django",
    "rest_framework": "django",
    "flask": "flask",
    "litestar": "litestar",
    "starlette": "other",
    "aiohttp": "other",
    "tornado": "other",
    "sanic": "other",
    "falcon": "other",
    "bottle": "other",
    "pyramid": "other",
    "quart": "other",
}
_FRAMEWORK_ORDER = ("fastapi", "django", "flask", "litestar", "other")


@dataclass
class _Walk:
    files: list[RepoFile] = field(default_factory=list)
    vendored: list[VendoredTree] = field(default_factory=list)
    symlinks: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    python_paths: list[str] = field(default_factory=list)

    def add_file(self, path: str, size: int) -> None:
        kind = classify(path)
        self.files.append(RepoFile(path, size, kind))
        if kind is FileKind.PYTHON:
            self.python_paths.append(path)


def _tree_kind(directory: Path, name: str) -> str | None:
    if name in _NAMED_TREES:
        return _NAMED_TREES[name]
    if name.endswith(".egg-info"):
        return "build"
    try:
        if (directory / "pyvenv.cfg").is_file() and not (directory / "pyvenv.cfg").is_symlink():
            return "virtualenv"
        if (directory / "bin" / "activate").is_file() or (
            directory / "Scripts" / "activate"
        ).is_file():
            return "virtualenv"
    except OSError:
        return None
    return None


def _is_workflow(path: str, name: str, suffix: str) -> bool:
    in_actions = path.startswith(".github/workflows/") and suffix in (".yml", ".yaml")
    return in_actions or name in (".gitlab-ci.yml", ".travis.yml")


# First match wins: (kind, test on the full path, the lower-cased name and suffix).
_KIND_TESTS: tuple[tuple[FileKind, Callable[[str, str, str], bool]], ...] = (
    (FileKind.PYTHON, lambda _p, _n, s: s == ".py"),
    (
        FileKind.DOCKERFILE,
        lambda _p, n, _s: (
            n == "dockerfile" or n.endswith(".dockerfile") or n.startswith("dockerfile.")
        ),
    ),
    (
        FileKind.COMPOSE,
        lambda _p, n, _s: (
            fnmatch.fnmatch(n, "docker-compose*.y*ml") or fnmatch.fnmatch(n, "compose*.y*ml")
        ),
    ),
    (FileKind.WORKFLOW, _is_workflow),
    (
        FileKind.MANIFEST,
        lambda _p, n, s: n in _MANIFESTS or (n.startswith("requirements") and s in _REQ_SUFFIXES),
    ),
    (FileKind.NOTEBOOK, lambda _p, _n, s: s == ".ipynb"),
    (FileKind.DATABASE, lambda _p, _n, s: s in _DATABASE_SUFFIXES),
    (FileKind.DOC, lambda _p, n, s: s in _DOC_SUFFIXES or n in ("readme", "license", "licence")),
    (FileKind.CONFIG, lambda _p, n, s: n.startswith(".") or s in _CONFIG_SUFFIXES),
)


def classify(path: str) -> FileKind:
    """The kind of a repo file, from its path alone."""
    posix = PurePosixPath(path)
    name, suffix = posix.name.lower(), posix.suffix.lower()
    for kind, test in _KIND_TESTS:
        if test(path, name, suffix):
            return kind
    return FileKind.OTHER


def module_role(path: str) -> ModuleRole:
    parts = PurePosixPath(path).parts
    name = parts[-1]
    folders = set(parts[:-1])
    if (
        {"tests", "test"} & folders
        or fnmatch.fnmatch(name, "test_*.py")
        or name.endswith("_test.py")
        or name in ("conftest.py", "tests.py")  # Django's `startapp` makes an app tests.py
    ):
        return ModuleRole.TEST
    if "migrations" in folders or ("versions" in folders and "alembic" in folders):
        return ModuleRole.MIGRATION
    if (
        name in ("manage.py", "setup.py", "noxfile.py", "fabfile.py")
        or name.startswith("seed")
        or {"scripts", "bin"} & folders
        or ("management" in folders and "commands" in folders)
    ):
        return ModuleRole.SCRIPT
    return ModuleRole.APP


def _excluded(path: str, patterns: Collection[str]) -> bool:
    return any(
        fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(path, p + "/*") for p in patterns
    )


def _parent_dirs(paths: Iterable[str]) -> set[str]:
    dirs: set[str] = set()
    for path in paths:
        parent = PurePosixPath(path).parent
        while str(parent) != "." and str(parent) not in dirs:
            dirs.add(str(parent))
            parent = parent.parent
    return dirs


def _walk(root: Path, exclude: Collection[str], visible: Collection[str] | None) -> _Walk:
    walk = _Walk()
    # A folder git ignores and holds nothing committed (a local .venv) is not the repo's.
    visible_dirs = None if visible is None else _parent_dirs(visible)
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            rel = directory.relative_to(root).as_posix()
            walk.skipped.append(SkippedFile(rel or ".", f"unreadable folder: {exc.strerror}"))
            continue
        for entry in entries:
            rel = Path(entry.path).relative_to(root).as_posix()
            if entry.is_symlink():
                walk.symlinks.append(rel)
            elif _excluded(rel, exclude):
                continue
            elif entry.is_dir(follow_symlinks=False):
                if entry.name in _SKIPPED_DIRS or (
                    visible_dirs is not None and rel not in visible_dirs
                ):
                    continue
                kind = _tree_kind(Path(entry.path), entry.name)
                if kind is not None:
                    walk.vendored.append(VendoredTree(rel, kind))
                else:
                    stack.append(Path(entry.path))
            # Sockets, fifos and devices have nothing to read; files git ignores and that are
            # not committed are not the repo's.
            elif entry.is_file(follow_symlinks=False) and (visible is None or rel in visible):
                walk.add_file(rel, entry.stat(follow_symlinks=False).st_size)
    walk.files.sort(key=lambda f: f.path)
    walk.python_paths.sort()
    walk.vendored.sort(key=lambda v: v.path)
    walk.symlinks.sort()
    return walk


def decode_source(data: bytes) -> str:
    """Python source bytes as text, honouring a PEP 263 coding cookie. Raises on bad bytes."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise UnicodeError(str(exc)) from exc
    return data.decode(encoding)


def _syntax_reason(source: str, exc: SyntaxError) -> str:
    text = exc.msg or "invalid syntax"
    if "Missing parentheses in call to 'print'" in text or "print " in (exc.text or ""):
        return f"Python 2 code (line {exc.lineno}: {text}); only Python 3 is analysed"
    return f"syntax error at line {exc.lineno}: {text}"


def _read_source(target: Path, path: str, max_bytes: int) -> str | SkippedFile:
    try:
        info = target.lstat()
        if not stat.S_ISREG(info.st_mode):
            return SkippedFile(path, "not a regular file")
        if info.st_size > max_bytes:
            return SkippedFile(path, f"larger than {max_bytes:,} bytes")
        data = target.read_bytes()
    except OSError as exc:
        return SkippedFile(path, f"unreadable: {exc.strerror}")
    if b"\0" in data:
        return SkippedFile(path, "binary content (NUL bytes)")
    try:
        return decode_source(data)
    except (UnicodeError, LookupError):
        return SkippedFile(path, "not valid UTF-8 (or its declared encoding)")


def parse_module(root: Path, path: str, max_bytes: int) -> PythonModule | SkippedFile:
    """Read and parse one own Python file, or say why it can't be analysed."""
    source = _read_source(root / path, path, max_bytes)
    if isinstance(source, SkippedFile):
        return source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences etc. are ruff's business
            tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return SkippedFile(path, _syntax_reason(source, exc))
    except (RecursionError, MemoryError, ValueError):
        return SkippedFile(path, "too deeply nested or too large to parse")
    lines = sum(1 for line in source.splitlines() if line.strip())
    return PythonModule(path, source, tree, lines, module_role(path))


def imported_roots(tree: ast.Module) -> set[str]:
    """Top-level package names a module imports (`from a.b import c` gives `a`)."""
    roots: set[str] = set()
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


# Fields that hold statement lists; imports are statements, so walking these alone finds
# every import without visiting the expressions (most of a tree's nodes).
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(tree: ast.Module) -> Iterator[ast.AST]:
    """`tree` and every statement in it at any depth (with except handlers and match cases)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if isinstance(block, list):
                stack.extend(block)


def detect_frameworks(modules: Iterable[PythonModule]) -> tuple[str, ...]:
    found: set[str] = set()
    for module in modules:
        if module.role is ModuleRole.TEST:
            continue
        for name in imported_roots(module.tree):
            if name in FRAMEWORK_MODULES:
                found.add(FRAMEWORK_MODULES[name])
    return tuple(name for name in _FRAMEWORK_ORDER if name in found)


# A packaged Python application with at least this much own app code is reviewed even
# without a web framework (a worker, a bot, a CLI service); web-only criteria then do not apply.
MIN_APP_LINES = 150


def is_backend(
    frameworks: tuple[str, ...], modules: Iterable[PythonModule], *, has_manifest: bool
) -> bool:
    """A web framework in use, or a packaged Python application of some size. Notebook
    collections, frontend-only and empty repositories are not."""
    if frameworks:
        return True
    app_lines = sum(m.lines for m in modules if m.role is ModuleRole.APP)
    return has_manifest and app_lines >= MIN_APP_LINES


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Parsing allocates millions of AST nodes and no reference cycles: the cycle collector
    would only traverse the trees already kept, again and again (at 800k lines its full
    collections took ~15 s of the inventory). Reference counting still frees everything.

    The new objects are then frozen (`gc.freeze`): otherwise the first collection after
    re-enabling walks every tree once more (~3 s at 800k lines). The scheduler unfreezes
    them when the analyzers are done; frozen objects are still freed when unreferenced."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def build_inventory(
    root: Path,
    *,
    max_file_bytes: int = 1_000_000,
    exclude: Collection[str] = (),
    visible: Collection[str] | None = None,
    commit: str | None = None,
    is_git: bool = False,
) -> Inventory:
    """Inventory of `root`. `visible` (for git repos) is the set of paths git would show:
    tracked plus untracked-but-not-ignored; files outside it are left out."""
    walk = _walk(root, tuple(exclude), None if visible is None else set(visible))
    modules: list[PythonModule] = []
    skipped = list(walk.skipped)
    with _no_cycle_collection():
        for path in walk.python_paths:
            parsed = parse_module(root, path, max_file_bytes)
            if isinstance(parsed, SkippedFile):
                skipped.append(parsed)
            else:
                modules.append(parsed)
    text_kinds = (FileKind.DOC, FileKind.CONFIG, FileKind.DOCKERFILE, FileKind.MANIFEST)
    skipped += [
        SkippedFile(f.path, f"larger than {max_file_bytes:,} bytes")
        for f in walk.files
        if f.kind in text_kinds and f.size > max_file_bytes
    ]
    frameworks = detect_frameworks(modules)
    has_manifest = any(f.kind is FileKind.MANIFEST for f in walk.files)
    return Inventory(
        root=root,
        files=tuple(walk.files),
        modules=tuple(modules),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        vendored=tuple(walk.vendored),
        symlinks=tuple(walk.symlinks),
        frameworks=frameworks,
        is_python_backend=is_backend(frameworks, modules, has_manifest=has_manifest),
        commit=commit,
        is_git=is_git,
    )
