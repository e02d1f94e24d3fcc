"""Coroutines that are created and never awaited (C04, RB0405).

A discarded call to one of the project's own `async def` functions (or to a coroutine method
through `self.`), and `AsyncSession` / `httpx.AsyncClient` coroutine methods called without
`await`, as a statement or with their result used directly (`session.execute(q).scalars()`).
Coroutines handed to `asyncio.run`, `create_task`, `gather` or `BackgroundTasks` are arguments,
not statements, and are never reported.
"""

from __future__ import annotations

import ast

from reviewbot.analyzers.async_rules import (
    ASYNC_CLIENT_CLASSES,
    ASYNC_CLIENT_METHODS,
    ASYNC_SESSION_METHODS,
)
from reviewbot.analyzers.db_sessions import SessionKind, SessionSources, walk_scope
from reviewbot.analyzers.project_names import FunctionNode, ProjectNames, judged_gently
from reviewbot.model import Finding, Severity
from reviewbot.rulebook import Rulebook
from reviewbot.source.inventory_model import PythonModule

# Decorators that leave an `async def` a plain coroutine function (framework registration).
_ROUTE_DECORATORS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "route",
        "api_route",
        "websocket",
        "api_view",
        "action",
    }
)


def _args(call: ast.Call) -> str:
    return "..." if call.args or call.keywords else ""


def _discarded_or_chained(call: ast.Call, parents: dict[int, ast.AST]) -> bool:
    parent = parents.get(id(call))
    return isinstance(parent, ast.Expr) or (
        isinstance(parent, ast.Attribute | ast.Subscript) and parent.value is call
    )


def _plain_coroutine(node: FunctionNode) -> bool:
    """An `async def` whose call gives a coroutine: undecorated, or a route handler."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if not (isinstance(target, ast.Attribute) and target.attr in _ROUTE_DECORATORS):
            return False
    return True


class CoroutineCheck:
    """Finds RB0405 in one function at a time; shares the project's names and sessions."""

    def __init__(self, rulebook: Rulebook, names: ProjectNames, sessions: SessionSources) -> None:
        self.rulebook = rulebook
        self.names = names
        self.sessions = sessions

    def function(
        self, module: PythonModule, function: FunctionNode, own_methods: set[str]
    ) -> list[Finding]:
        """RB0405 findings in one function's own body."""
        nodes = walk_scope(function)
        parents = {id(child): node for node in nodes for child in ast.iter_child_nodes(node)}
        local = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
        async_vars: set[str] = set()
        if isinstance(function, ast.AsyncFunctionDef):
            async_vars = self.sessions.variables(module, function, SessionKind.ASYNC)
            async_vars |= self._client_vars(module, function)
        found = []
        for node in nodes:
            if isinstance(node, ast.Call):
                shown = self._never_awaited(module, node, parents, local, own_methods, async_vars)
                if shown is not None:
                    found.append(self._finding(module, function, node, shown))
        return found

    def _client_vars(self, module: PythonModule, function: FunctionNode) -> set[str]:
        found = set()
        for arg in ast.walk(function.args):
            if (
                isinstance(arg, ast.arg)
                and arg.annotation is not None
                and self._annotation_is_client(module, arg.annotation)
            ):
                found.add(arg.arg)
        for node in walk_scope(function):
            if isinstance(node, ast.AsyncWith):
                for item in node.items:
                    expr = item.context_expr
                    if (
                        isinstance(item.optional_vars, ast.Name)
                        and isinstance(expr, ast.Call)
                        and self.names.qualify(module, expr.func) in ASYNC_CLIENT_CLASSES
                    ):
                        found.add(item.optional_vars.id)
        return found

    def _annotation_is_client(self, module: PythonModule, annotation: ast.expr) -> bool:
        if isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Tuple):
            head = self.names.qualify(module, annotation.value) or ""
            if head.endswith("Annotated") and annotation.slice.elts:
                return self._annotation_is_client(module, annotation.slice.elts[0])
        qualified = self.names.qualify(module, annotation)
        if qualified in ASYNC_CLIENT_CLASSES:
            return True
        found = self.names.assignment(qualified)
        return bool(
            found is not None
            and found[1] is not annotation
            and isinstance(found[1], ast.Subscript)
            and self._annotation_is_client(found[0].module, found[1])
        )

    def _never_awaited(
        self,
        module: PythonModule,
        call: ast.Call,
        parents: dict[int, ast.AST],
        local: set[str],
        own_methods: set[str],
        async_vars: set[str],
    ) -> str | None:
        """The call as shown in the message when its coroutine is thrown away."""
        parent = parents.get(id(call))
        func = call.func
        if isinstance(parent, ast.Await):
            return None
        if isinstance(func, ast.Name) and func.id not in local and isinstance(parent, ast.Expr):
            ref = self.names.function(self.names.qualify(module, func))
            if ref is not None and ref.is_async and _plain_coroutine(ref.node):
                return f"{func.id}({_args(call)})"
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner, method = func.value.id, func.attr
            if owner == "self" and method in own_methods and isinstance(parent, ast.Expr):
                return f"self.{method}({_args(call)})"
            if (
                owner in async_vars
                and (method in ASYNC_SESSION_METHODS or method in ASYNC_CLIENT_METHODS)
                and _discarded_or_chained(call, parents)
            ):
                return f"{owner}.{method}({_args(call)})"
        return None

    def _finding(
        self, module: PythonModule, function: FunctionNode, call: ast.Call, shown: str
    ) -> Finding:
        if isinstance(function, ast.AsyncFunctionDef):
            fix = f"write `await {shown}`"
        else:
            fix = f"make `{function.name}` async and `await` it, or run it with `asyncio.run(...)`"
        message = f"`{shown}` returns a coroutine that is never awaited, so it never runs: {fix}."
        low = judged_gently(module)
        return self.rulebook.finding(
            "RB0405", module.path, call.lineno, message, severity=Severity.INFO if low else None
        )
