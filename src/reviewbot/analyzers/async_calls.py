"""Async done right (C04): blocking calls inside `async def`, coroutines never awaited.

An `async def` runs on the event loop: one blocking call in it (`requests.get`, `time.sleep`,
a sync SQLAlchemy session) stops every other request for as long as it waits. Plain `def`
endpoints are fine (FastAPI, Starlette and Django run them in a threadpool), and so are calls
handed to a thread (`asyncio.to_thread(requests.get, url)`, `run_in_threadpool`,
`loop.run_in_executor`, `sync_to_async`): the call is not made on the loop, so the walk never
enters lambdas, nested functions or function references.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from reviewbot.analyzers.async_coroutines import CoroutineCheck
from reviewbot.analyzers.async_rules import (
    ASYNC_SESSION_METHODS,
    DJANGO_SYNC_METHODS,
    Blocking,
    blocking_target,
)
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.db_sessions import (
    SessionKind,
    SessionSources,
    functions_of,
    walk_scope,
)
from reviewbot.analyzers.project_names import FunctionNode, FunctionRef, ProjectNames, judged_gently
from reviewbot.model import AnalyzerOutput, Finding, Severity
from reviewbot.source.inventory_model import ModuleRole, PythonModule


@dataclass(frozen=True, slots=True)
class _HelperBlock:
    """Why a plain project function blocks: the first blocking thing it does."""

    what: str
    path: str
    line: int


def _lines(lines: list[int]) -> str:
    unique = sorted(set(lines))
    if len(unique) == 1:
        return f"line {unique[0]}"
    if unique == list(range(unique[0], unique[-1] + 1)):
        return f"lines {unique[0]}-{unique[-1]}"
    return "lines " + ", ".join(str(n) for n in unique[:4]) + ("..." if len(unique) > 4 else "")


def _awaited(function: FunctionNode) -> set[int]:
    """ids of the expressions directly under `await` in a function's own body."""
    return {id(node.value) for node in walk_scope(function) if isinstance(node, ast.Await)}


def _django_root(expr: ast.expr) -> str | None:
    """`Post` for the receiver `Post.objects.filter(...)`: a model's manager chain."""
    while True:
        if isinstance(expr, ast.Call):
            expr = expr.func
        elif isinstance(expr, ast.Attribute):
            if (
                expr.attr == "objects"
                and isinstance(expr.value, ast.Name)
                and expr.value.id[:1].isupper()
            ):
                return expr.value.id
            expr = expr.value
        else:
            return None


# Calls that hand their arguments to a worker thread or keep them for later.
_DEFERRING = frozenset(
    {
        "add_task",
        "to_thread",
        "run_in_threadpool",
        "run_in_executor",
        "run_sync",
        "sync_to_async",
        "partial",
        "Depends",
        "isinstance",
        "print",
        "id",
        "repr",
        "str",
        "type",
    }
)


def _session_passed(call: ast.Call, sync_vars: set[str]) -> str | None:
    """The sync session variable a call is given as an argument, if any."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if not sync_vars or name in _DEFERRING:
        return None
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(arg, ast.Name) and arg.id in sync_vars:
            return arg.id
    return None


def _runs_before_serving(function: ast.AsyncFunctionDef) -> bool:
    """Start-up and shutdown hooks (`lifespan`, `@app.on_event("startup")`): blocking there
    delays start-up but stalls no request."""
    if function.name in ("lifespan", "startup", "shutdown", "on_startup", "on_shutdown"):
        return True
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in ("on_event", "before_serving"):
            return True
    return False


def _short(expr: ast.expr) -> str:
    """`Post.objects.filter(...).first` : the expression as written, call arguments elided."""
    return re.sub(r"\((?:[^()]|\([^()]*\))+\)", "(...)", ast.unparse(expr))


def _awaited_example(session: str, uses: list[tuple[int, str]]) -> str:
    """`await db.commit()` for the first coroutine method used; `.query` has no async twin."""
    for _, label in uses:
        method = label.rsplit(".", 1)[-1]
        if method in ASYNC_SESSION_METHODS:
            args = "" if method in ("commit", "rollback", "flush", "close") else "..."
            return f"`await {session}.{method}({args})`"
    return f"`await {session}.execute(select(...))`"


@dataclass(slots=True)
class _Uses:
    """What one `async def` does with sync sessions and the sync Django ORM."""

    sync_vars: set[str]
    sessions: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    django: list[tuple[int, str, str]] = field(default_factory=list)  # line, call, model
    conflicted: set[str] = field(default_factory=set)


class _Scan:
    """One analyzer run: findings are appended as each module is walked."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.names = ProjectNames(ctx.inventory.modules)
        self.sessions = SessionSources(self.names)
        self.django = "django" in ctx.inventory.frameworks
        self.findings: list[Finding] = []
        self.async_functions = 0
        self._helpers: dict[str, _HelperBlock | None] = {}
        self.coroutines = CoroutineCheck(ctx.rulebook, self.names, self.sessions)
        coroutine_names = sorted(
            {
                name
                for module in ctx.inventory.modules
                for name, node in self.names.names(module).functions.items()
                if isinstance(node, ast.AsyncFunctionDef)
            }
        )
        # Modules with no `async` and no call to a project coroutine have nothing to report.
        self._calls_coroutine = (
            re.compile(r"\b(" + "|".join(map(re.escape, coroutine_names)) + r")\s*\(")
            if coroutine_names
            else None
        )

    def finding(self, module: PythonModule, rule: str, line: int, message: str) -> None:
        low = judged_gently(module)
        severity = Severity.INFO if low else None
        self.findings.append(
            self.ctx.rulebook.finding(rule, module.path, line, message, severity=severity)
        )

    def module(self, module: PythonModule) -> None:
        if "async" not in module.source and not (
            self._calls_coroutine and self._calls_coroutine.search(module.source)
        ):
            return
        # A class's own coroutine methods, for `self.method()` calls that are never awaited.
        methods: dict[int, set[str]] = {}
        for statement in module.tree.body:
            if isinstance(statement, ast.ClassDef):
                own = {
                    item.name
                    for item in statement.body
                    if isinstance(item, ast.AsyncFunctionDef) and not item.decorator_list
                }
                methods.update({id(item): own for item in statement.body})
        for node in functions_of(module.tree):
            if isinstance(node, ast.AsyncFunctionDef):
                if module.role in (ModuleRole.APP, ModuleRole.SCRIPT):
                    self.async_functions += 1
                self.async_function(module, node)
            self.findings += self.coroutines.function(module, node, methods.get(id(node), set()))

    # -- blocking calls inside one async def -------------------------------------------------

    def async_function(self, module: PythonModule, function: ast.AsyncFunctionDef) -> None:
        if _runs_before_serving(function):
            return
        uses = _Uses(self.sessions.variables(module, function, SessionKind.SYNC))
        awaited = _awaited(function)
        for node in walk_scope(function):
            if isinstance(node, ast.For) and self.django:
                root = _django_root(node.iter)
                if root:
                    uses.django.append((node.lineno, f"for ... in {_short(node.iter)}", root))
            elif isinstance(node, ast.Call):
                self._call(module, function, node, id(node) in awaited, uses)
        for name in uses.conflicted:
            uses.sessions.pop(name, None)
        self._report_sessions(module, function, uses.sessions, uses.django)

    def _call(
        self,
        module: PythonModule,
        function: ast.AsyncFunctionDef,
        call: ast.Call,
        awaited: bool,
        uses: _Uses,
    ) -> None:
        func = call.func
        receiver = func.value if isinstance(func, ast.Attribute) else None
        if awaited:
            # `await db.execute(...)`: the variable is async after all; trust the code.
            if isinstance(receiver, ast.Name) and receiver.id in uses.sync_vars:
                uses.conflicted.add(receiver.id)
            return
        target = blocking_target(self.names, module, call)
        passed = _session_passed(call, uses.sync_vars)
        if target is not None:
            self._report_blocking(module, function, call, target)
        elif passed is not None:
            # `crud.get_user(db, user_id)`: the helper queries the sync session on the loop.
            label = f"{_short(func)}({passed})"
            uses.sessions.setdefault(passed, []).append((call.lineno, label))
        elif isinstance(func, ast.Attribute):
            self._method_use(module, call, func, uses)
        elif isinstance(func, ast.Name):
            self._blocking_helper(module, function, call, func)

    def _method_use(
        self, module: PythonModule, call: ast.Call, func: ast.Attribute, uses: _Uses
    ) -> None:
        receiver = func.value
        if isinstance(receiver, ast.Name) and receiver.id in uses.sync_vars:
            label = f"{receiver.id}.{func.attr}"
            uses.sessions.setdefault(receiver.id, []).append((func.lineno, label))
        elif isinstance(receiver, ast.Call) and (
            self.sessions.call_kind(module, receiver) is SessionKind.SYNC
        ):
            label = f"{ast.unparse(receiver.func)}().{func.attr}"
            uses.sessions.setdefault("", []).append((func.lineno, label))
        elif self.django and func.attr in DJANGO_SYNC_METHODS:
            root = _django_root(receiver)
            if root:
                uses.django.append((func.lineno, _short(call), root))

    def _report_blocking(
        self, module: PythonModule, function: FunctionNode, call: ast.Call, target: Blocking
    ) -> None:
        written = ast.unparse(call.func)
        name = target.shown.split("(", 1)[0]
        shown = f"`{target.shown}`"
        if written != name:
            # `sleep(1)` after `from time import sleep`: as written, and what it is.
            shown = f"`{written}{target.shown[len(name) :]}` (`{name}`)"
        message = (
            f"Blocking {shown} inside `async def {function.name}`: {target.effect}; {target.fix}."
        )
        self.finding(module, target.rule, call.lineno, message)

    def _report_sessions(
        self,
        module: PythonModule,
        function: ast.AsyncFunctionDef,
        uses: dict[str, list[tuple[int, str]]],
        django_uses: list[tuple[int, str, str]],
    ) -> None:
        all_uses = sorted(use for found in uses.values() for use in found)
        if all_uses:
            calls = ", ".join(dict.fromkeys(f"`{label}`" for _, label in all_uses[:3]))
            named = [name for name in uses if name]
            session = f"the sync session `{named[0]}`" if named else "a sync session"
            message = (
                f"`async def {function.name}` uses {session} ({calls} at "
                f"{_lines([line for line, _ in all_uses])}): every query blocks the event loop. "
                "Make it a plain `def` (FastAPI runs it in a threadpool) or use an "
                f"`AsyncSession` and {_awaited_example(named[0] if named else 'db', all_uses)}."
            )
            self.finding(module, "RB0402", function.lineno, message)
        if django_uses:
            django_uses.sort()
            calls = ", ".join(dict.fromkeys(f"`{label}`" for _, label, _ in django_uses[:3]))
            model = django_uses[0][2]
            message = (
                f"`async def {function.name}` runs sync Django ORM queries ({calls} at "
                f"{_lines([line for line, _, _ in django_uses])}): Django raises "
                f"`SynchronousOnlyOperation`. Use the async API (`await {model}.objects.aget(...)`"
                ", `async for`) or wrap the work in `sync_to_async`."
            )
            self.finding(module, "RB0402", function.lineno, message)

    # -- one level of call-following into the project's own plain functions ----------------

    def _blocking_helper(
        self, module: PythonModule, function: FunctionNode, call: ast.Call, func: ast.Name
    ) -> None:
        ref = self.names.function(self.names.qualify(module, func))
        if ref is None or ref.is_async or self.sessions.getter(ref.qualname) is not None:
            return
        block = self._helper_block(ref)
        if block is None:
            return
        message = (
            f"`async def {function.name}` calls `{func.id}()`, a plain function that "
            f"blocks on {block.what} at {block.path}:{block.line}: run it in a thread with "
            f"`await asyncio.to_thread({func.id}, ...)` or make it async."
        )
        self.finding(module, "RB0403", call.lineno, message)

    def _helper_block(self, ref: FunctionRef) -> _HelperBlock | None:
        if ref.qualname in self._helpers:
            return self._helpers[ref.qualname]
        self._helpers[ref.qualname] = None
        sync_vars = self.sessions.variables(ref.module, ref.node, SessionKind.SYNC)
        for node in walk_scope(ref.node):
            if not isinstance(node, ast.Call):
                continue
            target = blocking_target(self.names, ref.module, node)
            if target is not None and target.rule == "RB0401":
                block = _HelperBlock(f"`{target.shown}`", ref.module.path, node.lineno)
                self._helpers[ref.qualname] = block
                return block
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in sync_vars
            ):
                what = f"database queries (`{func.value.id}.{func.attr}`)"
                block = _HelperBlock(what, ref.module.path, node.lineno)
                self._helpers[ref.qualname] = block
                return block
        return None


class AsyncAnalyzer:
    name = "async"
    criteria = ("C04",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        scan = _Scan(ctx)
        for module in ctx.inventory.modules:
            if module.role is not ModuleRole.MIGRATION:
                scan.module(module)
        facts: dict[str, object] = {"async_functions": scan.async_functions}
        if scan.async_functions == 0:
            facts["not_applicable"] = {"C04": "no async code"}
        findings = sorted(scan.findings, key=lambda f: (f.path, f.line or 0, f.rule))
        return AnalyzerOutput(tuple(findings), facts)


ANALYZER = AsyncAnalyzer()
