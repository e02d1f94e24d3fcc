"""What a name in a project's own module refers to, from the parsed trees alone.

`requests.get`, `get` after `from requests import get`, and `r.get` after `import requests as
r` all qualify to `requests.get`; `get_db` after `from database import get_db` qualifies to
`database.get_db` and can be followed to its `def` when `database.py` is one of the project's
modules. Nothing is imported or executed. Star imports of project modules are followed too
(learners write `from utils import *`).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from reviewbot.source.inventory_model import ModuleRole, PythonModule, dotted_name

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A top-level function of a project module."""

    module: PythonModule
    node: FunctionNode
    qualname: str

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)


@dataclass(slots=True)
class ModuleNames:
    """The top-level names of one module: imports, functions and simple assignments."""

    module: PythonModule
    dotted: str
    imports: dict[str, str] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    functions: dict[str, FunctionNode] = field(default_factory=dict)
    classes: set[str] = field(default_factory=set)
    # `Name = value` at module level (the last assignment wins), with annotated ones.
    assignments: dict[str, ast.expr] = field(default_factory=dict)


def judged_gently(module: PythonModule) -> bool:
    """Tests and scripts (seeds, management commands), Django's `app/tests.py` included:
    where a blocking call or an unclosed session costs no user anything."""
    return module.role in (ModuleRole.TEST, ModuleRole.SCRIPT) or (
        PurePosixPath(module.path).name == "tests.py"
    )


def _package_of(module: PythonModule, dotted: str) -> list[str]:
    parts = dotted.split(".") if dotted else []
    if PurePosixPath(module.path).name != "__init__.py":
        parts = parts[:-1]
    return parts


def _import_from_base(module: PythonModule, dotted: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = _package_of(module, dotted)
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join([*base, *([node.module] if node.module else [])])


def _collect(module: PythonModule) -> ModuleNames:
    dotted = dotted_name(module.path)
    names = ModuleNames(module, dotted)
    for node in module.tree.body:
        _collect_statement(names, node)
    return names


def _collect_import(names: ModuleNames, node: ast.Import | ast.ImportFrom) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            top = alias.name.split(".", 1)[0]
            names.imports[alias.asname or top] = alias.name if alias.asname else top
        return
    base = _import_from_base(names.module, names.dotted, node)
    for alias in node.names:
        if alias.name == "*":
            names.star_imports.append(base)
        else:
            names.imports[alias.asname or alias.name] = (
                f"{base}.{alias.name}" if base else alias.name
            )


def _collect_statement(names: ModuleNames, node: ast.stmt) -> None:
    if isinstance(node, ast.Import | ast.ImportFrom):
        _collect_import(names, node)
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        names.functions[node.name] = node
    elif isinstance(node, ast.ClassDef):
        names.classes.add(node.name)
    elif isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                names.assignments[target.id] = node.value
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
        names.assignments[node.target.id] = node.value
    elif isinstance(node, ast.If | ast.Try):
        # `if TYPE_CHECKING:` imports and `try: import x except ImportError` fallbacks.
        for child in node.body:
            _collect_statement(names, child)


class ProjectNames:
    """Name resolution over every module of a project; built once per analyzer run."""

    def __init__(self, modules: Iterable[PythonModule]) -> None:
        self._by_module: dict[int, ModuleNames] = {}
        self._by_dotted: dict[str, list[ModuleNames]] = defaultdict(list)
        for module in modules:
            names = _collect(module)
            self._by_module[id(module)] = names
            parts = names.dotted.split(".") if names.dotted else []
            # Every suffix: `backend/app/db.py` answers to `app.db` when run from backend/.
            for start in range(len(parts)):
                self._by_dotted[".".join(parts[start:])].append(names)

    def names(self, module: PythonModule) -> ModuleNames:
        return self._by_module[id(module)]

    def project_module(self, dotted: str) -> ModuleNames | None:
        """The one project module a dotted import path names, if exactly one does."""
        found = self._by_dotted.get(dotted, [])
        exact = [n for n in found if n.dotted == dotted]
        if len(exact) == 1:
            return exact[0]
        return found[0] if len(found) == 1 else None

    def qualify(self, module: PythonModule, expr: ast.expr) -> str | None:
        """The dotted name an expression refers to (`requests.get`, `app.db.get_db`), if known."""
        if isinstance(expr, ast.Attribute):
            base = self.qualify(module, expr.value)
            return f"{base}.{expr.attr}" if base else None
        if not isinstance(expr, ast.Name):
            return None
        names = self.names(module)
        name = expr.id
        if name in names.imports:
            return names.imports[name]
        if name in names.functions or name in names.classes or name in names.assignments:
            return f"{names.dotted}.{name}" if names.dotted else name
        for star in names.star_imports:
            source = self.project_module(star)
            if source is not None and (
                name in source.functions or name in source.classes or name in source.assignments
            ):
                return f"{source.dotted}.{name}"
        return None

    def _split(self, qualified: str) -> tuple[ModuleNames, str] | None:
        module_path, _, attr = qualified.rpartition(".")
        if not module_path:
            return None
        source = self.project_module(module_path)
        return (source, attr) if source is not None else None

    def function(self, qualified: str | None) -> FunctionRef | None:
        """The top-level project function a qualified name names, following re-exports once."""
        if not qualified:
            return None
        split = self._split(qualified)
        if split is None:
            return None
        source, attr = split
        if attr in source.functions:
            return FunctionRef(source.module, source.functions[attr], f"{source.dotted}.{attr}")
        if attr in source.imports and source.imports[attr] != qualified:
            # `app/db/__init__.py` re-exporting `from .session import get_db`.
            target = source.imports[attr]
            split = self._split(target)
            if split is not None and split[1] in split[0].functions:
                inner = split[0]
                return FunctionRef(inner.module, inner.functions[split[1]], target)
        return None

    def assignment(self, qualified: str | None) -> tuple[ModuleNames, ast.expr] | None:
        """The value of a top-level `NAME = value` a qualified name names, if in the project."""
        if not qualified:
            return None
        split = self._split(qualified)
        if split is None:
            return None
        source, attr = split
        if attr in source.assignments:
            return source, source.assignments[attr]
        if attr in source.imports and source.imports[attr] != qualified:
            inner = self._split(source.imports[attr])
            if inner is not None and inner[1] in inner[0].assignments:
                return inner[0], inner[0].assignments[inner[1]]
        return None

    def canonical(self, module: PythonModule, expr: ast.expr) -> str | None:
        """Like `qualify`, but a project re-export is followed to where the name is defined."""
        qualified = self.qualify(module, expr)
        ref = self.function(qualified)
        if ref is not None:
            return ref.qualname
        return qualified
