"""Walking a function once to find what runs per loop iteration (C09).

Every `for`/`async for` and comprehension becomes a `Frame`; what its body runs for each item
is recorded there: queries (directly or through one local function), relation reads on the
loop variable that its query did not load, and per-item writes. A block that ends in
`return`/`raise` runs at most once per loop (`break`: once per enclosing loop), so it is not
counted per item; `while` loops (polling, batching) are not treated as per-item loops.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Final

from reviewbot.analyzers.n_plus_one_origins import Resolver
from reviewbot.analyzers.n_plus_one_queries import Origin, QuerySource, Scope
from reviewbot.analyzers.n_plus_one_scopes import FunctionTable, child_blocks
from reviewbot.analyzers.orm_fields import call_name, dotted
from reviewbot.analyzers.orm_models import Model, Relation
from reviewbot.source.inventory_model import PythonModule

_BATCH_WORDS: Final = ("batch", "chunk", "page")
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_SKIPPED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_HEADER_WIDTH: Final = 60


@dataclass(frozen=True, slots=True)
class QueryHit:
    """A query (or write) that runs once per item of a loop."""

    source: QuerySource
    line: int  # where, in the loop: the query itself or the call of the local function
    via: str | None = None  # the local function that runs it
    path: str | None = None  # the module of that function


@dataclass(frozen=True, slots=True)
class RelationRead:
    """A relation of the loop variable read per item without having been loaded with it."""

    var: str
    relation: Relation
    model: Model
    origin: Origin
    line: int
    via: str | None = None
    via_line: int | None = None


@dataclass(slots=True, eq=False)
class Frame:
    """One loop being checked: its header, its rows' origin and what runs per item."""

    line: int
    header: str
    origin: Origin | None
    skip_queries: bool
    skip_writes: bool
    queries: list[QueryHit] = field(default_factory=list)
    writes: list[QueryHit] = field(default_factory=list)
    reads: dict[tuple[str, str], RelationRead] = field(default_factory=dict)


@dataclass(slots=True)
class Bindings:
    """Loop variables in force: the rows they hold and the loop that binds them."""

    origins: dict[str, Origin] = field(default_factory=dict)
    owners: dict[str, Frame] = field(default_factory=dict)

    def copy(self) -> Bindings:
        return Bindings(dict(self.origins), dict(self.owners))


# Called on every call in the walked code (loop or not): the marshmallow `.dump()` check.
CallHook = Callable[[ast.Call, Resolver], None]


def loop_header(target: ast.expr, iterable: ast.expr) -> str:
    names = (
        ", ".join(ast.unparse(e) for e in target.elts)
        if isinstance(target, ast.Tuple) else ast.unparse(target)
    )
    text = f"for {names} in {ast.unparse(iterable)}"
    return text if len(text) <= _HEADER_WIDTH else text[: _HEADER_WIDTH - 1] + "…"


def _names(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


class LoopWalker:
    """Walks one module's code once, function by function, collecting loop frames."""

    def __init__(self, module: PythonModule, table: FunctionTable,
                 hook: CallHook | None = None) -> None:
        self.module = module
        self.table = table
        self.hook = hook
        self.frames: list[Frame] = []
        self.scope: Scope = table.module_scope(module)
        self.cls: ast.ClassDef | None = None
        self._consumed: set[int] = set()

    def walk(self, scope: Scope, body: list[ast.stmt], cls: ast.ClassDef | None) -> None:
        self.scope, self.cls = scope, cls
        self.block(body, [], Bindings())

    def block(self, body: list[ast.stmt], frames: list[Frame], bound: Bindings) -> None:
        last = body[-1] if body else None
        if isinstance(last, ast.Return | ast.Raise):
            frames = []  # leaves every loop: runs once
        elif isinstance(last, ast.Break):
            frames = frames[:-1]
        for statement in body:
            self.statement(statement, frames, bound)

    def statement(self, node: ast.stmt, frames: list[Frame], bound: Bindings) -> None:
        if isinstance(node, _SKIPPED):
            return
        if isinstance(node, ast.For | ast.AsyncFor):
            self.expr(node.iter, frames, bound)
            frame, inner = self.frame(node.target, node.iter, node.lineno, bound)
            self.block(node.body, [*frames, frame], inner)
            self.block(node.orelse, frames, bound)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            return
        self.parts(node, frames, bound)

    def parts(self, node: ast.stmt, frames: list[Frame], bound: Bindings) -> None:
        """A statement's own expressions, then its blocks (if/while/with/try/match)."""
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child, frames, bound)
            elif isinstance(child, ast.withitem):
                self.expr(child.context_expr, frames, bound)
        for block in child_blocks(node):
            self.block(block, frames, bound)

    def frame(self, target: ast.expr, iterable: ast.expr, line: int,
              bound: Bindings) -> tuple[Frame, Bindings]:
        """A new loop over `iterable`, and the bindings inside it."""
        origin = Resolver(self.scope, bound.origins).origin(iterable, line)
        words = " ".join([*_names(target), dotted(iterable) or ast.unparse(iterable)[:80]]).lower()
        batch = any(word in words for word in _BATCH_WORDS)
        skip = batch or call_name(iterable) == "range"
        frame = Frame(line, loop_header(target, iterable), origin, skip, batch)
        self.frames.append(frame)
        inner = bound.copy()
        for name in _names(target):
            inner.origins.pop(name, None)
            inner.owners.pop(name, None)
        item = target
        if call_name(iterable) == "enumerate" and isinstance(target, ast.Tuple) and len(
            target.elts
        ) == 2:  # for i, post in enumerate(posts)
            item = target.elts[1]
        usable = origin is not None and origin.model is not None and origin.many
        if usable and origin is not None and not origin.rows and isinstance(item, ast.Name):
            inner.origins[item.id] = replace(origin, many=False)
            inner.owners[item.id] = frame
        return frame, inner

    def expr(self, node: ast.AST, frames: list[Frame], bound: Bindings) -> None:
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, _COMPREHENSIONS):
            self.comprehension(node, frames, bound)
            return
        if isinstance(node, ast.Call):
            self.call(node, frames, bound)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            self.attribute(node, frames, bound)
        for child in ast.iter_child_nodes(node):
            self.expr(child, frames, bound)

    def comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
                      frames: list[Frame], bound: Bindings) -> None:
        current, inner = frames, bound
        for number, generator in enumerate(node.generators):
            self.expr(generator.iter, current if number else frames, inner)
            frame, inner = self.frame(generator.target, generator.iter, node.lineno, inner)
            current = [*current, frame]
            for condition in generator.ifs:
                self.expr(condition, current, inner)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for part in parts:
            self.expr(part, current, inner)

    def call(self, node: ast.Call, frames: list[Frame], bound: Bindings) -> None:
        func = node.func
        if self.hook is not None and isinstance(func, ast.Attribute) and func.attr in (
            "dump", "jsonify"
        ):
            self.hook(node, Resolver(self.scope, bound.origins))
        if not frames or id(node) in self._consumed:
            return
        source = self.scope.query_source(node)
        if source is not None:
            self._consumed.update(id(n) for n in ast.walk(node.func) if isinstance(n, ast.Call))
            self._record(frames[-1], QueryHit(source, node.lineno))
            return
        summary = self.table.resolve(self.module, node, self.cls)
        if summary is None or summary.name == getattr(self.scope.node, "name", None):
            return
        if summary.queries:
            hit = QueryHit(summary.queries[0], node.lineno, summary.name, summary.path)
            self._record(frames[-1], hit)
        arguments = list(zip(summary.params, node.args, strict=False))
        arguments += [(k.arg, k.value) for k in node.keywords if k.arg]
        for param, value in arguments:
            if isinstance(value, ast.Name):
                for attr, at in summary.reads.get(param, []):
                    self.relation(value.id, attr, node.lineno, frames, bound, (summary.name, at))

    def _record(self, frame: Frame, hit: QueryHit) -> None:
        if hit.source.kind in ("read", "raw"):
            if not frame.skip_queries:
                frame.queries.append(hit)
        elif not frame.skip_writes:
            frame.writes.append(hit)

    def attribute(self, node: ast.Attribute, frames: list[Frame], bound: Bindings) -> None:
        if isinstance(node.value, ast.Name):
            self.relation(node.value.id, node.attr, node.lineno, frames, bound, None)

    def relation(self, var: str, attr: str, line: int, frames: list[Frame], bound: Bindings,
                 via: tuple[str, int] | None) -> None:
        origin = bound.origins.get(var)
        owner = bound.owners.get(var)
        if origin is None or owner is None or origin.model is None or owner not in frames:
            return
        relation = origin.model.relation(attr)
        if relation is None or origin.loads(relation) or (var, attr) in owner.reads:
            return
        owner.reads[(var, attr)] = RelationRead(
            var, relation, origin.model, origin, line,
            via[0] if via else None, via[1] if via else None,
        )
