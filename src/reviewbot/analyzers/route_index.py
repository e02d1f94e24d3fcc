"""Where names come from across a project's own modules: a small, static import resolver.

The route table follows a router variable from `main.py` into the module that defines it
(`from app.api.v1.routers import posts` then `posts.router`). Nothing is imported or executed:
each module's tree is walked once and names are resolved through its `import` statements.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from reviewbot.source.inventory_model import Inventory, ModuleRole, PythonModule

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
# A name as the project defines it: the module that holds it and the name there; `None` as
# the name means the module itself.
Symbol = tuple["ModuleIndex", str | None]
_MAX_DEPTH = 6


def dotted_name(path: str) -> str:
    """`app/api/v1/routers/posts.py` -> `app.api.v1.routers.posts`; packages drop `__init__`."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def call_name(node: ast.expr) -> str:
    """The last name of a callee: `FastAPI` for `fastapi.FastAPI(...)`, '' when it has none."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def const_str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


@dataclass(eq=False)
class ModuleIndex:
    """What one module defines and imports, from one walk of its tree."""

    module: PythonModule
    name: str
    # local name -> (module it comes from, the attribute there or None for the module itself)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    functions: dict[str, FunctionNode] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    # every `name = value` in the module, at any depth (app factories assign inside functions)
    assigns: dict[str, list[ast.expr]] = field(default_factory=dict)
    calls: list[ast.Call] = field(default_factory=list)
    all_functions: list[FunctionNode] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.module.path

    def value_of(self, name: str) -> ast.expr | None:
        """The last value assigned to `name` in this module."""
        values = self.assigns.get(name)
        return values[-1] if values else None


def _package_of(index: ModuleIndex) -> list[str]:
    parts = index.name.split(".") if index.name else []
    return parts if PurePosixPath(index.path).name == "__init__.py" else parts[:-1]


def _record_import(index: ModuleIndex, node: ast.Import | ast.ImportFrom) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                index.imports[alias.asname] = (alias.name, None)
            else:
                root = alias.name.split(".")[0]
                index.imports.setdefault(root, (root, None))
        return
    base = node.module or ""
    if node.level:
        package = _package_of(index)
        package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
        base = ".".join([*package, *([base] if base else [])])
    for alias in node.names:
        if alias.name != "*":
            index.imports[alias.asname or alias.name] = (base, alias.name)


def _record_assign(index: ModuleIndex, node: ast.Assign | ast.AnnAssign) -> None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if node.value is None:
        return
    for target in targets:
        if isinstance(target, ast.Name):
            index.assigns.setdefault(target.id, []).append(node.value)


def index_module(module: PythonModule) -> ModuleIndex:
    index = ModuleIndex(module, dotted_name(module.path))
    for top in module.tree.body:
        if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef):
            index.functions[top.name] = top
        elif isinstance(top, ast.ClassDef):
            index.classes[top.name] = top
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            _record_import(index, node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            _record_assign(index, node)
        elif isinstance(node, ast.Call):
            index.calls.append(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            index.all_functions.append(node)
            index.functions.setdefault(node.name, node)
        elif isinstance(node, ast.ClassDef):
            index.classes.setdefault(node.name, node)
    return index


def _common_prefix(a: str, b: str) -> int:
    count = 0
    for left, right in zip(PurePosixPath(a).parts, PurePosixPath(b).parts, strict=False):
        if left != right:
            break
        count += 1
    return count


class ProjectIndex:
    """Every own application module, indexed; resolves imports between them."""

    def __init__(self, inventory: Inventory) -> None:
        roles = (ModuleRole.APP, ModuleRole.SCRIPT)
        self.modules = [index_module(m) for m in inventory.modules if m.role in roles]
        self._by_suffix: dict[str, list[ModuleIndex]] = {}
        for index in self.modules:
            parts = index.name.split(".")
            for start in range(len(parts)):
                self._by_suffix.setdefault(".".join(parts[start:]), []).append(index)

    def __iter__(self) -> Iterator[ModuleIndex]:
        return iter(self.modules)

    def module(self, dotted: str, near: ModuleIndex | None = None) -> ModuleIndex | None:
        """The module `dotted` names; repos run from a subfolder (`backend/app/...`) still
        resolve, preferring the candidate closest to the importing module."""
        candidates = self._by_suffix.get(dotted, [])
        exact = [c for c in candidates if c.name == dotted]
        if exact:
            return exact[0]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        if near is None:
            return None
        return max(candidates, key=lambda c: (_common_prefix(c.path, near.path), c.path))

    def symbol(self, index: ModuleIndex, name: str, depth: int = 0) -> Symbol | None:
        """Where `name`, as `index` sees it, is defined in the project (None: not ours)."""
        local = name in index.assigns or name in index.functions or name in index.classes
        if name not in index.imports or local:
            return index, name
        if depth > _MAX_DEPTH:
            return None
        origin, attr = index.imports[name]
        if attr is None:
            target = self.module(origin, index)
            return (target, None) if target else None
        submodule = self.module(f"{origin}.{attr}" if origin else attr, index)
        if submodule is not None:
            return submodule, None
        target = self.module(origin, index)
        if target is None:
            return None
        return self.symbol(target, attr, depth + 1)

    def resolve(self, index: ModuleIndex, node: ast.expr) -> Symbol | None:
        """`posts.router`, `router`, `views.PostViewSet` -> their defining module and name."""
        if isinstance(node, ast.Name):
            return self.symbol(index, node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name | ast.Attribute):
            dotted = ast.unparse(node.value)
            root = dotted.split(".")[0]
            if "." in dotted and index.imports.get(root, ("", "")) == (root, None):
                # `import app.api.routes` then `app.api.routes.router`
                target = self.module(dotted, index)
                if target is not None:
                    return self.symbol(target, node.attr)
            owner = self.resolve(index, node.value)
            if owner is not None and owner[1] is None:
                return self.symbol(owner[0], node.attr)
        return None

    def function(
        self, index: ModuleIndex, node: ast.expr
    ) -> tuple[ModuleIndex, FunctionNode] | None:
        found = self.resolve(index, node)
        if found is None or found[1] is None:
            return None
        target = found[0].functions.get(found[1])
        return (found[0], target) if target is not None else None

    def klass(self, index: ModuleIndex, node: ast.expr) -> tuple[ModuleIndex, ast.ClassDef] | None:
        found = self.resolve(index, node)
        if found is None or found[1] is None:
            return None
        target = found[0].classes.get(found[1])
        return (found[0], target) if target is not None else None

    def value(self, index: ModuleIndex, node: ast.expr) -> tuple[ModuleIndex, ast.expr] | None:
        """The value last assigned to the variable `node` names, in its defining module."""
        found = self.resolve(index, node)
        if found is None or found[1] is None:
            return None
        value = found[0].value_of(found[1])
        return (found[0], value) if value is not None else None

    def class_chain(
        self, index: ModuleIndex, cls: ast.ClassDef
    ) -> list[tuple[ModuleIndex, ast.ClassDef]]:
        """The class and its own project bases, nearest first (framework bases end the chain)."""
        chain = [(index, cls)]
        seen = {id(cls)}
        position = 0
        while position < len(chain) and len(chain) < _MAX_DEPTH:
            owner, current = chain[position]
            for base in current.bases:
                found = self.klass(owner, base)
                if found is not None and id(found[1]) not in seen:
                    seen.add(id(found[1]))
                    chain.append(found)
            position += 1
        return chain


def base_names(chain: list[tuple[ModuleIndex, ast.ClassDef]]) -> set[str]:
    """Every base class name along a class chain (`ModelViewSet`, `LoginRequiredMixin`...)."""
    return {call_name(base) for _, cls in chain for base in cls.bases} | {
        cls.name for _, cls in chain
    }


def class_attr(chain: list[tuple[ModuleIndex, ast.ClassDef]], name: str) -> ast.expr | None:
    """A class attribute (`permission_classes = [...]`), the nearest definition winning."""
    for _, cls in chain:
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in stmt.targets
            ):
                return stmt.value
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == name
                and stmt.value is not None
            ):
                return stmt.value
    return None


def class_methods(
    chain: list[tuple[ModuleIndex, ast.ClassDef]],
) -> dict[str, tuple[ModuleIndex, FunctionNode]]:
    """Methods along a class chain, the nearest definition winning."""
    methods: dict[str, tuple[ModuleIndex, FunctionNode]] = {}
    for owner, cls in chain:
        for stmt in cls.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                methods.setdefault(stmt.name, (owner, stmt))
    return methods


def arguments(fn: FunctionNode) -> list[tuple[ast.arg, ast.expr | None]]:
    """Each parameter of a function with its default (None when it has none)."""
    positional = [*fn.args.posonlyargs, *fn.args.args]
    missing = len(positional) - len(fn.args.defaults)
    defaults: list[ast.expr | None] = [None] * missing + list(fn.args.defaults)
    return [
        *zip(positional, defaults, strict=True),
        *zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True),
    ]


def walk_body(node: FunctionNode) -> Iterator[ast.AST]:
    """Every node of a function's own body, not descending into nested functions/classes."""
    stack: list[ast.AST] = list(reversed(node.body))
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(current))))
