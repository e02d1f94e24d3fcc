"""Scopes of the project's functions and the project-wide function table (C09).

A `Scope` (see `n_plus_one_queries`) holds one function's assignments and annotations; this
module builds them and resolves a call in a loop to the local function it runs, with a
summary of that function: the queries it runs and the attributes it reads on each parameter.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from reviewbot.analyzers.n_plus_one_queries import FunctionNode, QuerySource, Scope
from reviewbot.analyzers.orm_models import ModelIndex
from reviewbot.source.inventory_model import PythonModule

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a body, not descending into nested functions, classes or lambdas."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        children = [c for c in ast.iter_child_nodes(node) if not isinstance(c, _NESTED)]
        stack.extend(reversed(children))


def _record(scope: Scope, target: ast.expr, value: ast.expr, line: int) -> None:
    if isinstance(target, ast.Name):
        scope.assigns.setdefault(target.id, []).append((line, value))
    elif isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List):
        for item, part in zip(target.elts, value.elts, strict=False):
            _record(scope, item, part, line)


def child_blocks(node: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists inside a compound statement (if/for/while/with/try/match)."""
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(node, "handlers", []):
        yield handler.body
    for case in getattr(node, "cases", []):
        yield case.body


def _record_statement(scope: Scope, node: ast.stmt) -> None:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            _record(scope, target, node.value, node.lineno)
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        scope.annotations[node.target.id] = ast.unparse(node.annotation)
        if node.value is not None:
            _record(scope, node.target, node.value, node.lineno)
    elif isinstance(node, ast.With | ast.AsyncWith):
        for item in node.items:
            if item.optional_vars is not None:
                _record(scope, item.optional_vars, item.context_expr, node.lineno)


def fill_scope(scope: Scope, body: list[ast.stmt]) -> None:
    """Record the assignments, annotations and `with ... as x` of a body's statements."""
    for node in body:
        if not isinstance(node, _NESTED):
            _record_statement(scope, node)
            for block in child_blocks(node):
                fill_scope(scope, block)


def function_params(node: FunctionNode) -> list[ast.arg]:
    args = node.args
    return [*args.posonlyargs, *args.args, *args.kwonlyargs]


@dataclass(slots=True)
class FunctionSummary:
    """What calling a project function costs per call: its queries and parameter reads."""

    name: str
    path: str
    queries: list[QuerySource] = field(default_factory=list)
    params: list[str] = field(default_factory=list)  # positional order, `self` dropped
    reads: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # param -> (attr, line)


@dataclass(slots=True)
class FunctionTable:
    """The project's functions and methods, their scopes and summaries (built lazily)."""

    index: ModelIndex
    modules: dict[str, PythonModule] = field(default_factory=dict)
    top_level: dict[str, list[tuple[PythonModule, FunctionNode]]] = field(default_factory=dict)
    methods: dict[int, dict[str, FunctionNode]] = field(default_factory=dict)  # id(class) ->
    imports: dict[str, set[str]] = field(default_factory=dict)  # path -> names imported
    star: set[str] = field(default_factory=set)  # paths with `from x import *`
    _scopes: dict[int, Scope] = field(default_factory=dict)
    _summaries: dict[int, FunctionSummary] = field(default_factory=dict)

    def add_module(self, module: PythonModule) -> None:
        self.modules[module.path] = module
        names = self.imports.setdefault(module.path, set())
        for node in module.tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.top_level.setdefault(node.name, []).append((module, node))
            elif isinstance(node, ast.ClassDef):
                self.methods[id(node)] = {
                    item.name: item for item in node.body
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                }
            elif isinstance(node, ast.ImportFrom):
                names.update(a.asname or a.name for a in node.names)
                if any(a.name == "*" for a in node.names):
                    self.star.add(module.path)

    def module_scope(self, module: PythonModule) -> Scope:
        found = self._scopes.get(id(module))
        if found is None:
            found = Scope(self.index)
            fill_scope(found, [s for s in module.tree.body if not isinstance(s, _NESTED)])
            self._scopes[id(module)] = found
        return found

    def scope(self, module: PythonModule, node: FunctionNode,
              cls: ast.ClassDef | None = None) -> Scope:
        found = self._scopes.get(id(node))
        if found is None:
            found = Scope(self.index, outer=self.module_scope(module), cls=cls, node=node)
            for arg in function_params(node):
                if arg.annotation is not None:
                    found.annotations[arg.arg] = ast.unparse(arg.annotation)
            fill_scope(found, node.body)
            self._scopes[id(node)] = found
        return found

    def resolve(self, module: PythonModule, call: ast.Call,
                cls: ast.ClassDef | None) -> FunctionSummary | None:
        """The local function a call runs: same module, imported by name, or `self.method`."""
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id != "self" or cls is None:
                return None
            method = self.methods.get(id(cls), {}).get(func.attr)
            return self.summary(module, method, cls) if method else None
        if not isinstance(func, ast.Name):
            return None
        candidates = self.top_level.get(func.id, [])
        local = [(m, n) for m, n in candidates if m is module]
        if not local and (func.id in self.imports.get(module.path, set())
                          or module.path in self.star):
            local = candidates if len(candidates) == 1 else []
        return self.summary(*local[0]) if local else None

    def summary(self, module: PythonModule, node: FunctionNode,
                cls: ast.ClassDef | None = None) -> FunctionSummary:
        found = self._summaries.get(id(node))
        if found is not None:
            return found
        scope = self.scope(module, node, cls)
        params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
        if cls is not None and params and params[0] in ("self", "cls"):
            params = params[1:]
        found = FunctionSummary(node.name, module.path, params=params)
        names = set(params) | {a.arg for a in node.args.kwonlyargs}
        consumed: set[int] = set()
        for item in own_nodes(node.body):
            if isinstance(item, ast.Call) and id(item) not in consumed:
                source = scope.query_source(item)
                if source is not None and source.kind in ("read", "raw"):
                    found.queries.append(source)
                    consumed.update(id(n) for n in ast.walk(item.func) if isinstance(n, ast.Call))
            elif (
                isinstance(item, ast.Attribute)
                and isinstance(item.value, ast.Name)
                and item.value.id in names
                and isinstance(item.ctx, ast.Load)
            ):
                found.reads.setdefault(item.value.id, []).append((item.attr, item.lineno))
        self._summaries[id(node)] = found
        return found
