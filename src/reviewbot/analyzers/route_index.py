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

from reviewbot.source.inventory_model import Inventory, ModuleRole, PythonModule, dotted_name

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
# A name as the project defines it: the module that holds it and the name there; `None` as
# the name means the module itself.
Symbol = tuple["ModuleIndex", str | None]
_MAX_DEPTH = 6


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
class FunctionFacts:
    """What one function's code holds, gathered in the module's single walk: the calls,
    subscripts and attribute names in it (nested functions' own code excluded)."""

    calls: list[ast.Call] = field(default_factory=list)
    subscripts: list[ast.Subscript] = field(default_factory=list)
    attributes: set[str] = field(default_factory=set)
    nested: list[FunctionNode] = field(default_factory=list)


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
    facts: dict[int, FunctionFacts] = field(default_factory=dict)

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


def _visit(index: ModuleIndex, node: ast.AST, facts: FunctionFacts | None) -> FunctionFacts | None:
    """Record one node; returns the facts its children belong to."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        if facts is not None:
            facts.nested.append(node)
        index.all_functions.append(node)
        index.functions.setdefault(node.name, node)
        facts = index.facts[id(node)] = FunctionFacts()
    elif isinstance(node, ast.Call):
        index.calls.append(node)
        if facts is not None:
            facts.calls.append(node)
    elif isinstance(node, ast.Import | ast.ImportFrom):
        _record_import(index, node)
    elif isinstance(node, ast.Assign | ast.AnnAssign):
        _record_assign(index, node)
    elif isinstance(node, ast.ClassDef):
        index.classes.setdefault(node.name, node)
    elif facts is not None and isinstance(node, ast.Subscript):
        facts.subscripts.append(node)
    elif facts is not None and isinstance(node, ast.Attribute):
        facts.attributes.add(node.attr)
    return facts


# Fields that never hold code: names, constants, contexts (`Load`/`Store` nodes are skipped).
_NOT_CODE = frozenset(
    {
        "ctx",
        "id",
        "attr",
        "arg",
        "name",
        "names",
        "module",
        "level",
        "kind",
        "type_comment",
        "asname",
        "conversion",
        "simple",
        "is_async",
    }
)
_CODE_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}


def children(node: ast.AST) -> list[ast.AST]:
    """The child nodes that hold code (faster than `ast.iter_child_nodes`: no contexts,
    no identifier fields), in source order."""
    kind = type(node)
    fields = _CODE_FIELDS.get(kind)
    if fields is None:
        fields = _CODE_FIELDS[kind] = tuple(f for f in node._fields if f not in _NOT_CODE)
    found: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            found.append(value)
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, ast.AST))
    return found


def index_module(module: PythonModule) -> ModuleIndex:
    """One walk of the module's tree, in source order."""
    index = ModuleIndex(module, dotted_name(module.path))
    for top in module.tree.body:
        if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef):
            index.functions[top.name] = top
        elif isinstance(top, ast.ClassDef):
            index.classes[top.name] = top
    stack: list[tuple[ast.AST, FunctionFacts | None]] = [(module.tree, None)]
    while stack:
        node, facts = stack.pop()
        inner = _visit(index, node, facts)
        stack.extend((child, inner) for child in reversed(children(node)))
    return index


def _common_prefix(a: str, b: str) -> int:
    count = 0
    for left, right in zip(a.split("/"), b.split("/"), strict=False):
        if left != right:
            break
        count += 1
    return count


def dotted_expr(node: ast.expr) -> str | None:
    """`app.api.routes` for a chain of names and attributes, None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class ProjectIndex:
    """Every own application module, indexed; resolves imports between them."""

    def __init__(self, inventory: Inventory) -> None:
        roles = (ModuleRole.APP, ModuleRole.SCRIPT)
        self.modules = [index_module(m) for m in inventory.modules if m.role in roles]
        self._by_suffix: dict[str, list[ModuleIndex]] = {}
        # Resolution is asked again and again for the same names: remembered per importer.
        self._modules: dict[tuple[str, str], ModuleIndex | None] = {}
        self._symbols: dict[tuple[int, str], Symbol | None] = {}
        for index in self.modules:
            parts = index.name.split(".")
            for start in range(len(parts)):
                self._by_suffix.setdefault(".".join(parts[start:]), []).append(index)

    def __iter__(self) -> Iterator[ModuleIndex]:
        return iter(self.modules)

    def module(self, dotted: str, near: ModuleIndex | None = None) -> ModuleIndex | None:
        """The module `dotted` names; repos run from a subfolder (`backend/app/...`) still
        resolve, preferring the candidate closest to the importing module."""
        key = (dotted, near.path.rpartition("/")[0] if near is not None else "")
        if key not in self._modules:
            self._modules[key] = self._find_module(dotted, near)
        return self._modules[key]

    def _find_module(self, dotted: str, near: ModuleIndex | None) -> ModuleIndex | None:
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
        key = (id(index), name)
        if depth == 0 and key in self._symbols:
            return self._symbols[key]
        found = self._symbol(index, name, depth)
        if depth == 0:
            self._symbols[key] = found
        return found

    def _symbol(self, index: ModuleIndex, name: str, depth: int) -> Symbol | None:
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
            dotted = dotted_expr(node.value) or ""
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


# Handler bodies are read by many checks: each function's node list is built once. Entries
# hold the function itself, so an id is never reused while its entry lives.
_BODIES: dict[int, tuple[FunctionNode, tuple[ast.AST, ...]]] = {}
_BODIES_MAX = 20_000


def walk_body(node: FunctionNode) -> tuple[ast.AST, ...]:
    """Every node of a function's own body (no `Load`/`Store` contexts), in source order, not
    descending into nested functions and classes."""
    cached = _BODIES.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(node.body))
    while stack:
        current = stack.pop()
        found.append(current)
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(reversed(children(current)))
    if len(_BODIES) >= _BODIES_MAX:
        _BODIES.clear()
    _BODIES[id(node)] = (node, tuple(found))
    return tuple(found)


def source_text(source: str, node: ast.AST) -> str | None:
    """The source of a one-line node as written (None for multi-line nodes)."""
    line, end = getattr(node, "lineno", 0), getattr(node, "end_lineno", -1)
    start, stop = getattr(node, "col_offset", 0), getattr(node, "end_col_offset", None)
    if line != end or stop is None:
        return None
    lines = _lines(source)
    if not 0 < line <= len(lines):
        return None
    return lines[line - 1].encode()[start:stop].decode(errors="replace")


_LINES: dict[int, tuple[str, list[str]]] = {}


def _lines(source: str) -> list[str]:
    cached = _LINES.get(id(source))
    if cached is None or cached[0] is not source:
        if len(_LINES) > 64:
            _LINES.clear()
        cached = _LINES[id(source)] = (source, source.split("\n"))
    return cached[1]
