"""Where a project's database sessions and connections come from, and whether they are sync.

Shared by the async analyzer (a sync session used inside `async def`) and the databases
analyzer (sessions and connections opened and never closed). Recognised sources:
SQLAlchemy/SQLModel `Session(...)` and `AsyncSession(...)`, `sessionmaker(...)` /
`async_sessionmaker(...)` factories bound to a module-level name, the project's own functions
that return or yield such a session ("getters", e.g. `get_db`), `engine.connect()` on an engine
from `create_engine(...)`, and DB-API `connect()` calls (sqlite3, psycopg2, pymysql...).
"""

from __future__ import annotations

import ast
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from reviewbot.analyzers.project_names import FunctionNode, FunctionRef, ProjectNames
from reviewbot.source.inventory_model import PythonModule


class SessionKind(StrEnum):
    SYNC = "sync"
    ASYNC = "async"


SYNC_SESSION_CLASSES = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlmodel.Session",
        "sqlmodel.orm.session.Session",
    }
)
ASYNC_SESSION_CLASSES = frozenset(
    {
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    }
)
_SYNC_MAKERS = frozenset(
    {
        "sqlalchemy.orm.sessionmaker",
        "sqlalchemy.orm.session.sessionmaker",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.orm.scoping.scoped_session",
    }
)
_ASYNC_MAKERS = frozenset(
    {
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.ext.asyncio.async_scoped_session",
    }
)
ENGINE_MAKERS = frozenset(
    {
        "sqlalchemy.create_engine",
        "sqlalchemy.engine.create_engine",
        "sqlmodel.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
        "sqlalchemy.engine_from_config",
    }
)
# DB-API and async driver connects: each call opens a new connection to the database.
DRIVER_CONNECTS = {
    "sqlite3.connect": "sqlite3",
    "psycopg2.connect": "psycopg2",
    "psycopg.connect": "psycopg",
    "pymysql.connect": "pymysql",
    "MySQLdb.connect": "MySQLdb",
    "mysql.connector.connect": "mysql.connector",
    "asyncpg.connect": "asyncpg",
    "aiosqlite.connect": "aiosqlite",
}


@dataclass(frozen=True, slots=True)
class Getter:
    """A project function that hands out a session: `return SessionLocal()` or `yield db`."""

    ref: FunctionRef
    kind: SessionKind
    yields: bool
    open_line: int
    # The getter closes what it opened (`with`, `finally: db.close()`): only meaningful for
    # yielding getters; a returning getter leaves closing to its caller.
    closes: bool
    opener: str  # how it opens the session, as written: `SessionLocal()`


def _maker_kind(names: ProjectNames, module: PythonModule, value: ast.expr) -> SessionKind | None:
    """The kind of session a module-level `SessionLocal = sessionmaker(...)` value makes."""
    if not isinstance(value, ast.Call):
        return None
    qualified = names.qualify(module, value.func)
    if qualified in _ASYNC_MAKERS:
        return SessionKind.ASYNC
    if qualified in _SYNC_MAKERS:
        for keyword in value.keywords:
            if keyword.arg == "class_":
                cls = names.qualify(module, keyword.value)
                return SessionKind.ASYNC if cls in ASYNC_SESSION_CLASSES else None
        if value.args and isinstance(value.args[0], ast.Call):
            # scoped_session(sessionmaker(...))
            return _maker_kind(names, module, value.args[0]) or SessionKind.SYNC
        return SessionKind.SYNC
    return None


_CLASS_KINDS = {
    **dict.fromkeys(SYNC_SESSION_CLASSES, SessionKind.SYNC),
    **dict.fromkeys(ASYNC_SESSION_CLASSES, SessionKind.ASYNC),
}


def _annotation_kind(
    names: ProjectNames, module: PythonModule, annotation: ast.expr | None, depth: int = 0
) -> SessionKind | None:
    """`Session`, `AsyncSession`, `Annotated[Session, ...]` or a project alias of those."""
    if annotation is None or depth > 3:
        return None
    if isinstance(annotation, ast.Subscript):
        head = names.qualify(module, annotation.value) or ""
        if head.rsplit(".", 1)[-1] != "Annotated":
            return None
        inner = annotation.slice
        first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
        return _annotation_kind(names, module, first, depth + 1)
    qualified = names.qualify(module, annotation)
    if qualified in _CLASS_KINDS:
        return _CLASS_KINDS[qualified]
    # A project alias: `SessionDep = Annotated[Session, Depends(get_db)]`.
    found = names.assignment(qualified)
    if found is None:
        return None
    return _annotation_kind(names, found[0].module, found[1], depth + 1)


def _depends_target(call: ast.expr) -> ast.expr | None:
    if (
        isinstance(call, ast.Call)
        and call.args
        and (
            (isinstance(call.func, ast.Name) and call.func.id == "Depends")
            or (isinstance(call.func, ast.Attribute) and call.func.attr == "Depends")
        )
    ):
        return call.args[0]
    return None


class SessionSources:
    """Classifies expressions and parameters of one project as sync or async sessions."""

    def __init__(self, names: ProjectNames) -> None:
        self.names = names
        self._getters: dict[str, Getter | None] = {}

    def call_kind(
        self,
        module: PythonModule,
        call: ast.expr,
        local_factories: Mapping[str, SessionKind] | None = None,
    ) -> SessionKind | None:
        """The kind of session a call creates: `Session(engine)`, `SessionLocal()`, `get_db()`.

        `local_factories` are the function's own annotated factory variables."""
        if isinstance(call, ast.Await):
            call = call.value
        if not isinstance(call, ast.Call):
            return None
        func = call.func
        if isinstance(func, ast.Name) and func.id in (local_factories or {}):
            return (local_factories or {})[func.id]
        if isinstance(func, ast.Name) and func.id == "next" and len(call.args) == 1:
            return self.call_kind(module, call.args[0])
        qualified = self.names.qualify(module, func)
        if qualified in _CLASS_KINDS:
            return _CLASS_KINDS[qualified]
        found = self.names.assignment(qualified)
        if found is not None:
            return _maker_kind(self.names, found[0].module, found[1])
        getter = self.getter(qualified)
        return getter.kind if getter is not None else None

    def parameter_kind(
        self, module: PythonModule, arg: ast.arg, default: ast.expr | None
    ) -> SessionKind | None:
        """A parameter's session kind from its annotation or its `Depends(getter)` default."""
        kind = _annotation_kind(self.names, module, arg.annotation)
        if kind is not None:
            return kind
        target = _depends_target(default) if default is not None else None
        if target is not None:
            getter = self.getter(self.names.qualify(module, target))
            return getter.kind if getter is not None else None
        return None

    def getter(self, qualified: str | None) -> Getter | None:
        """The project function a name refers to, if it hands out a session."""
        ref = self.names.function(qualified)
        if ref is None:
            return None
        if ref.qualname not in self._getters:
            # Mark first: a getter that calls itself must not recurse forever.
            self._getters[ref.qualname] = None
            self._getters[ref.qualname] = self._classify_getter(ref)
        return self._getters[ref.qualname]

    def _opened_sessions(self, ref: FunctionRef) -> dict[str, tuple[SessionKind, int, bool, str]]:
        """Local names bound to a new session: kind, line, opened by `with`, the opener."""
        opened: dict[str, tuple[SessionKind, int, bool, str]] = {}
        # `factory: sessionmaker[Session] = request.app.state.session_factory`
        factories = {
            node.target.id: kind
            for node in walk_scope(ref.node)
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
            if (kind := self._factory_annotation(ref.module, node.annotation)) is not None
        }
        for node in walk_scope(ref.node):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                kind = self.call_kind(ref.module, node.value)
                if isinstance(target, ast.Name) and kind is not None:
                    opened[target.id] = (kind, node.lineno, False, _opener(node.value))
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    expr = item.context_expr
                    kind = self.call_kind(ref.module, expr, factories)
                    var = item.optional_vars
                    if isinstance(var, ast.Name) and kind is not None:
                        opened[var.id] = (kind, expr.lineno, True, _opener(expr))
        return opened

    def _factory_annotation(self, module: PythonModule, annotation: ast.expr) -> SessionKind | None:
        """`sessionmaker[Session]` -> sync, `async_sessionmaker[AsyncSession]` -> async."""
        if not isinstance(annotation, ast.Subscript):
            return None
        head = self.names.qualify(module, annotation.value)
        if head in _ASYNC_MAKERS:
            return SessionKind.ASYNC
        if head in _SYNC_MAKERS:
            return _annotation_kind(self.names, module, annotation.slice) or SessionKind.SYNC
        return None

    def _classify_getter(self, ref: FunctionRef) -> Getter | None:
        opened = self._opened_sessions(ref)
        for node in walk_scope(ref.node):
            value = _handed_out(node)
            if value is None:
                continue
            yields = isinstance(node, ast.Yield)
            if isinstance(value, ast.Name) and value.id in opened:
                kind, line, in_with, opener = opened[value.id]
                closes = in_with or closes_name(ref.node, value.id)
                return Getter(ref, kind, yields, line, closes, opener)
            kind_direct = self.call_kind(ref.module, value)
            if kind_direct is not None:
                return Getter(ref, kind_direct, yields, value.lineno, False, _opener(value))
        return None

    def variables(
        self, module: PythonModule, function: FunctionNode, kind: SessionKind
    ) -> set[str]:
        """A function's parameters and local names that hold a session of `kind`."""
        found: set[str] = set()
        args = function.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        pairs = list(zip(positional, [*defaults, *args.defaults], strict=True))
        pairs += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
        for arg, default in pairs:
            if self.parameter_kind(module, arg, default) is kind:
                found.add(arg.arg)
        for node in walk_scope(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and self.call_kind(module, node.value) is kind:
                    found.add(target.id)
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    var = item.optional_vars
                    if isinstance(var, ast.Name) and (
                        self.call_kind(module, item.context_expr) is kind
                    ):
                        found.add(var.id)
        return found

    def engine_expr(self, module: PythonModule, expr: ast.expr, local_engines: set[str]) -> bool:
        """Whether `expr` is a SQLAlchemy engine: a local or module name bound to one."""
        if isinstance(expr, ast.Call):
            return self.names.qualify(module, expr.func) in ENGINE_MAKERS
        if isinstance(expr, ast.Name) and expr.id in local_engines:
            return True
        found = self.names.assignment(self.names.qualify(module, expr))
        if found is None or not isinstance(found[1], ast.Call):
            return False
        return self.names.qualify(found[0].module, found[1].func) in ENGINE_MAKERS


def _opener(expr: ast.expr) -> str:
    """`SessionLocal()` / `Session(...)`: the call that opens a session, as written."""
    if isinstance(expr, ast.Await):
        expr = expr.value
    if isinstance(expr, ast.Call):
        return f"{ast.unparse(expr.func)}({'...' if expr.args or expr.keywords else ''})"
    return ast.unparse(expr)


def _handed_out(node: ast.AST) -> ast.expr | None:
    if isinstance(node, ast.Return | ast.Yield) and node.value is not None:
        return node.value
    return None


# A function's own nodes, computed once: the async and databases analyzers look at the same
# functions many times (getters, helpers, call sites). Weak keys: the cache lives as long as
# the parsed trees of a scan do. The lock: analyzers run in threads.
_SCOPES: weakref.WeakKeyDictionary[ast.AST, tuple[ast.AST, ...]] = weakref.WeakKeyDictionary()
_SCOPES_LOCK = threading.Lock()
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def walk_scope(function: FunctionNode) -> tuple[ast.AST, ...]:
    """Every node of a function's own body: nested functions, lambdas and classes excluded."""
    with _SCOPES_LOCK:
        cached = _SCOPES.get(function)
    if cached is not None:
        return cached
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(function.body))
    while stack:
        node = stack.pop()
        found.append(node)
        if not isinstance(node, _NESTED):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
    scope = tuple(found)
    with _SCOPES_LOCK:
        _SCOPES[function] = scope
    return scope


_FUNCTIONS: weakref.WeakKeyDictionary[ast.AST, tuple[FunctionNode, ...]] = (
    weakref.WeakKeyDictionary()
)


def functions_of(tree: ast.Module) -> tuple[FunctionNode, ...]:
    """Every function and method of a module, nested ones included, in source order.

    Descends statements only (functions never hide inside expressions), which is much cheaper
    than `ast.walk` over every expression node."""
    with _SCOPES_LOCK:
        cached = _FUNCTIONS.get(tree)
    if cached is not None:
        return cached
    found: list[FunctionNode] = []
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(node)
        inner: list[ast.stmt] = []
        for name in ("body", "orelse", "finalbody"):
            value = getattr(node, name, None)
            if isinstance(value, list):
                inner += [child for child in value if isinstance(child, ast.stmt)]
        for group in [*getattr(node, "handlers", []), *getattr(node, "cases", [])]:
            inner += group.body
        stack.extend(reversed(inner))
    functions = tuple(found)
    with _SCOPES_LOCK:
        _FUNCTIONS[tree] = functions
    return functions


def closes_name(function: FunctionNode, name: str) -> bool:
    """`name.close()` is called, or `name` is entered with `with` / `closing(name)`."""
    for node in walk_scope(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("close", "aclose", "dispose")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name
        ):
            return True
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                expr = _closing_target(item.context_expr) or item.context_expr
                if isinstance(expr, ast.Name) and expr.id == name:
                    return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("enter_context", "enter_async_context", "callback")
            and any(isinstance(a, ast.Name) and a.id == name for a in node.args)
        ):
            return True
    return False


def _closing_target(expr: ast.expr) -> ast.expr | None:
    """`db` in `closing(db)` / `aclosing(db)`."""
    if not isinstance(expr, ast.Call) or len(expr.args) != 1:
        return None
    func = expr.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return expr.args[0] if name in ("closing", "aclosing") else None
