"""Sessions and connections that are opened and never closed; engines created per request (C07).

Within one function a session or connection is fine when it is opened by `with`, closed
(`x.close()`, `closing(x)`, an `ExitStack`), or handed on: returned or yielded (the function
is then a "getter" judged on its own), stored on an object or in a container. Anything else
leaks: the connection stays checked out of the pool until the garbage collector finds it, and
under load the pool runs dry. Module-level sessions (scripts, shared globals) are not judged.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from reviewbot.analyzers.db_sessions import (
    DRIVER_CONNECTS,
    ENGINE_MAKERS,
    Getter,
    SessionSources,
    closes_name,
    walk_scope,
)
from reviewbot.analyzers.project_names import FunctionNode, FunctionRef, ProjectNames
from reviewbot.source.inventory_model import PythonModule

_ROUTE_DECORATORS = frozenset(
    {"get", "post", "put", "patch", "delete", "route", "api_route", "websocket", "api_view"}
)
_STORING_METHODS = frozenset(
    {
        "append",
        "add",
        "put",
        "put_nowait",
        "setdefault",
        "register",
        "push",
        "enter_context",
        "enter_async_context",
        "callback",
        "push_async_callback",
    }
)


@dataclass(frozen=True, slots=True)
class Opened:
    """A session or connection a function opens and never closes."""

    function: str
    line: int
    opener: str  # `get_db()`, `sqlite3.connect(...)`, `engine.connect()`
    what: str  # "session" | "sqlite3 connection" | "connection"
    getter: Getter | None


@dataclass(slots=True)
class ResourceReport:
    leaks: list[tuple[PythonModule, Opened]] = field(default_factory=list)
    # Returning getters, with how many call sites leak what they hand out.
    leaky_getters: dict[str, tuple[Getter, int]] = field(default_factory=dict)
    unclosed_yield_getters: dict[str, Getter] = field(default_factory=dict)
    depends_targets: set[str] = field(default_factory=set)
    closing_getters: list[str] = field(default_factory=list)  # good dependency pattern


def _escapes(name: str, nodes: Sequence[ast.AST]) -> bool:
    """Whether the function hands `name` on: returned, yielded, stored or registered."""
    for node in nodes:
        if isinstance(node, ast.Return | ast.Yield | ast.YieldFrom) and node.value is not None:
            # `return db` hands it on; `return db.query(User).all()` only uses it.
            value = node.value
            items = value.elts if isinstance(value, ast.Tuple | ast.List) else [value]
            if isinstance(value, ast.Dict):
                items = [v for v in value.values if v is not None]
            if any(isinstance(n, ast.Name) and n.id == name for n in items):
                return True
        elif isinstance(node, ast.Assign):
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.value)) and (
                not all(isinstance(t, ast.Name) for t in node.targets)
                or isinstance(node.value, ast.Name)
            ):
                return True
        elif isinstance(node, ast.Global | ast.Nonlocal) and name in node.names:
            return True
        elif isinstance(node, ast.Call):
            func = node.func
            stored = isinstance(func, ast.Attribute) and func.attr in _STORING_METHODS
            # A constructor (`Repository(db)`) may own and close what it is given.
            built = isinstance(func, ast.Name) and func.id[:1].isupper()
            if (stored or built) and any(
                isinstance(a, ast.Name) and a.id == name for a in node.args
            ):
                return True
    return False


def route_handler(function: FunctionNode) -> bool:
    """Decorated as a FastAPI/Flask/DRF route: runs once per request."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in _ROUTE_DECORATORS:
            return True
    return False


_MAKERS = frozenset(
    {"sessionmaker", "async_sessionmaker", "scoped_session", "async_scoped_session"}
)


def _last_name(expr: ast.expr) -> str:
    return expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", "")


def _call_pattern(tokens: set[str]) -> re.Pattern[str]:
    # Any `...session...(` call too: `session_factory()`, `get_session()`, `SessionLocal()`.
    names = "|".join(map(re.escape, sorted(tokens)))
    return re.compile(r"\b(\w*[Ss]ession\w*|" + names + r")\s*\(")


class ResourceScan:
    """Finds leaked sessions and connections across the project's functions."""

    def __init__(
        self, names: ProjectNames, sessions: SessionSources, modules: Sequence[PythonModule]
    ) -> None:
        self.names = names
        self.sessions = sessions
        self.report = ResourceReport()
        self._connection_getters: dict[str, str | None] = {}
        self._openers = self._opener_pattern(modules)
        # No engine is created anywhere: no engine can be created per request.
        self.creates_engines = any(
            "create_engine" in m.source
            or "create_async_engine" in m.source
            or "engine_from_config" in m.source
            for m in modules
        )

    def _opener_pattern(self, modules: Sequence[PythonModule]) -> re.Pattern[str]:
        """Calls that may open a session or connection, by name: drivers' `connect`,
        `Session`, the project's factories, and every function of a module that calls one
        (the possible getters). A module calling none of them is skipped."""
        tokens = {"connect", "raw_connection", "Session", "AsyncSession"}
        for module in modules:
            for name, value in self.names.names(module).assignments.items():
                if isinstance(value, ast.Call) and _last_name(value.func) in _MAKERS:
                    tokens.add(name)
        base = _call_pattern(tokens)
        for module in modules:
            if base.search(module.source):
                tokens.update(self.names.names(module).functions)
        return _call_pattern(tokens)

    def may_open(self, module: PythonModule) -> bool:
        """Whether a module calls anything that could open a session or connection."""
        return self._openers.search(module.source) is not None

    def collect_depends(self, module: PythonModule) -> None:
        """Every `Depends(x)` target: FastAPI calls it per request and closes only yields."""
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Call)
                and node.args
                and (getattr(node.func, "id", None) or getattr(node.func, "attr", None))
                == "Depends"
            ):
                ref = self.names.function(self.names.qualify(module, node.args[0]))
                if ref is not None:
                    self.report.depends_targets.add(ref.qualname)

    def _opening(
        self, module: PythonModule, expr: ast.expr, engines: set[str]
    ) -> tuple[str, str, Getter | None] | None:
        """(opener, what, getter) when `expr` opens a session or a connection."""
        if isinstance(expr, ast.Await):
            expr = expr.value
        if not isinstance(expr, ast.Call):
            return None
        if isinstance(expr.func, ast.Name) and expr.func.id == "next":
            return None  # next(get_db()): a generator, judged as the getter it is
        qualified = self.names.qualify(module, expr.func)
        shown = ast.unparse(expr.func)
        getter = self.sessions.getter(qualified)
        if getter is not None:
            return (f"{shown}()", "session", getter) if not getter.yields else None
        if self.sessions.call_kind(module, expr) is not None:
            return f"{shown}({'...' if expr.args else ''})", "session", None
        what = self._connection(module, expr.func, qualified, engines)
        return (f"{shown}({'...' if expr.args else ''})", what, None) if what else None

    def _connection(
        self, module: PythonModule, func: ast.expr, qualified: str | None, engines: set[str]
    ) -> str | None:
        """What kind of connection a call opens: a driver's, an engine's or a helper's."""
        if qualified in DRIVER_CONNECTS:
            return f"{DRIVER_CONNECTS[qualified]} connection"
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("connect", "raw_connection")
            and self.sessions.engine_expr(module, func.value, engines)
        ):
            return "database connection"
        return self._connection_getter(self.names.function(qualified))

    def _connection_getter(self, ref: FunctionRef | None) -> str | None:
        """What a project function like `def get_conn(): return sqlite3.connect(DB)` opens."""
        if ref is None:
            return None
        if ref.qualname not in self._connection_getters:
            self._connection_getters[ref.qualname] = None
            self._connection_getters[ref.qualname] = self._returned_connection(ref)
        return self._connection_getters[ref.qualname]

    def _returned_connection(self, ref: FunctionRef) -> str | None:
        assigned: dict[str, str] = {}
        for node in walk_scope(ref.node):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                driver = DRIVER_CONNECTS.get(self.names.qualify(ref.module, node.value.func) or "")
                for target in node.targets:
                    if isinstance(target, ast.Name) and driver:
                        assigned[target.id] = driver
            elif isinstance(node, ast.Return) and node.value is not None:
                value = node.value
                if isinstance(value, ast.Name) and value.id in assigned:
                    return f"{assigned[value.id]} connection"
                if isinstance(value, ast.Call):
                    driver = DRIVER_CONNECTS.get(self.names.qualify(ref.module, value.func) or "")
                    if driver:
                        return f"{driver} connection"
        return None

    def function(self, module: PythonModule, function: FunctionNode) -> None:
        """Record the sessions and connections `function` opens and never closes."""
        nodes = walk_scope(function)
        engines = {
            t.id
            for n in nodes
            if isinstance(n, ast.Assign)
            and isinstance(n.value, ast.Call)
            and self.names.qualify(module, n.value.func) in ENGINE_MAKERS
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        opened: dict[str, tuple[int, str, str, Getter | None]] = {}
        inline: list[tuple[int, str, str, Getter | None]] = []
        for node in nodes:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                found = self._opening(module, node.value, engines)
                if isinstance(target, ast.Name) and found is not None:
                    opened.setdefault(target.id, (node.lineno, *found))
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
                # `SessionLocal().query(User)`: opened and used in one expression.
                found = self._opening(module, node.value, engines)
                if found is not None:
                    inline.append((node.value.lineno, *found))
        leaks = inline + [
            record
            for name, record in opened.items()
            if not closes_name(function, name) and not _escapes(name, nodes)
        ]
        for line, opener, what, getter in sorted(leaks, key=lambda r: r[0]):
            self.report.leaks.append((module, Opened(function.name, line, opener, what, getter)))
            if getter is not None and not getter.yields:
                previous = self.report.leaky_getters.get(getter.ref.qualname, (getter, 0))
                self.report.leaky_getters[getter.ref.qualname] = (getter, previous[1] + 1)
        own = self.sessions.getter(self._own_qualname(module, function))
        if own is not None and own.yields:
            if own.closes:
                self.report.closing_getters.append(own.ref.qualname)
            else:
                self.report.unclosed_yield_getters[own.ref.qualname] = own

    def _own_qualname(self, module: PythonModule, function: FunctionNode) -> str | None:
        names = self.names.names(module)
        if names.functions.get(function.name) is not function:
            return None
        return f"{names.dotted}.{function.name}" if names.dotted else function.name

    def returning_getters(self) -> list[tuple[Getter, int, bool]]:
        """Getters that return a session nobody closes: (getter, leaking calls, via Depends)."""
        found: dict[str, tuple[Getter, int, bool]] = {}
        for qualname, (getter, count) in self.report.leaky_getters.items():
            found[qualname] = (getter, count, qualname in self.report.depends_targets)
        for qualname in self.report.depends_targets:
            dependency = self.sessions.getter(qualname)
            if dependency is not None and not dependency.yields and qualname not in found:
                found[qualname] = (dependency, 0, True)
        return sorted(found.values(), key=lambda g: (g[0].ref.module.path, g[0].open_line))


def engines_per_request(
    names: ProjectNames, module: PythonModule, function: FunctionNode, depends: set[str]
) -> list[tuple[PythonModule, int, str]]:
    """`create_engine(...)` run on every request: in a route handler or a dependency, or in
    a project function such a handler calls (one level). (module, line, message)."""
    qualname = names.names(module).dotted + "." + function.name
    if not route_handler(function) and qualname not in depends:
        return []
    found: list[tuple[PythonModule, int, str]] = []
    seen: set[int] = set()
    for node in walk_scope(function):
        if not isinstance(node, ast.Call):
            continue
        qualified = names.qualify(module, node.func)
        if qualified in ENGINE_MAKERS:
            maker = qualified.rsplit(".", 1)[-1]
            found.append(
                (
                    module,
                    node.lineno,
                    f"`{maker}(...)` runs on every request (in `{function.name}`)",
                )
            )
            continue
        ref = names.function(qualified)
        if ref is None or ref.node.decorator_list or id(ref.node) in seen:
            continue  # @lru_cache / @cache helpers build the engine once
        seen.add(id(ref.node))
        for inner in walk_scope(ref.node):
            if not isinstance(inner, ast.Call):
                continue
            inner_name = names.qualify(ref.module, inner.func) or ""
            if inner_name in ENGINE_MAKERS:
                where = (
                    f"`{inner_name.rsplit('.', 1)[-1]}(...)` in `{ref.node.name}` runs on every "
                    f"request (`{function.name}` calls it at {module.path}:{node.lineno})"
                )
                found.append((ref.module, inner.lineno, where))
    return found
