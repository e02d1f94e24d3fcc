"""What one test checks, and which endpoints the tests call (C15), read from the AST.

A test's *checks* are its assertions: `assert` statements, `self.assert*` and mock
`assert_called*` methods, `assert_*`/`expect` helpers, `pytest.raises`/`pytest.fail`, a raised
`AssertionError`, and (one level deep) local helper functions that themselves assert. A test is
*hollow* when nothing it checks can fail: no check at all, `assert True`/`assert 1`, or the
truthiness of a test-client response (`assert response`: a response object is always truthy).

Paths the tests request are resolved from literals, module and class constants, f-strings,
`.format`/`%` and one-return helper functions; unknown parts become `{}` placeholders.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from http import HTTPStatus

from reviewbot.analyzers.route_index import call_name
from reviewbot.analyzers.test_discovery import (
    FunctionNode,
    ModuleScope,
    SuiteIndex,
    Where,
)
from reviewbot.source.inventory_model import PythonModule

HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
AUTH_STATUSES = frozenset({401, 403})
ERROR_STATUSES = frozenset({400, 404, 405, 409, 410, 413, 415, 422})
_STATUS_ATTR = re.compile(r"^HTTP_(\d{3})(_|$)")
_RAISING_CHECKS = ("validate", "verify", "check_")
_CHECK_ATTRS = frozenset({"raises", "warns", "fail", "deprecated_call"})
_RESOLVE_DEPTH = 4


@dataclass(frozen=True, slots=True)
class ClientCall:
    """One request a test makes through a test client."""

    method: str  # GET, POST... or "" when unknown
    path: str | None  # template with `{}` for unknown parts; None when unresolved
    url_name: str | None  # Django `reverse("name")` / Flask `url_for("name")`
    line: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one test function checks."""

    checks: int
    hollow_line: int | None  # the hollow assertion, or None when there is no assertion at all
    hollow_kind: str | None  # None (not hollow), "none", "constant" or "response"
    statuses: frozenset[int]

    @property
    def hollow(self) -> bool:
        return self.hollow_kind is not None


def _self_attribute(expr: ast.expr, where: Where) -> ast.expr | None:
    """The value of `self.url` / `cls.url` from the class being read."""
    if (
        isinstance(expr, ast.Attribute)
        and isinstance(expr.value, ast.Name)
        and expr.value.id in ("self", "cls")
    ):
        return where.class_attrs.get(expr.attr)
    return None


class Resolver:
    """Strings (URL paths, mostly) an expression evaluates to, without running anything."""

    def __init__(self, index: SuiteIndex) -> None:
        self.index = index

    def text(self, expr: ast.expr, where: Where, depth: int = 0) -> str | None:
        """The string `expr` builds, `{}` for parts that can't be known; None if not a string."""
        if depth > _RESOLVE_DEPTH:
            return None
        if isinstance(expr, ast.Constant | ast.JoinedStr):
            return self._literal(expr, where, depth)
        if isinstance(expr, ast.BinOp):
            return self._binop(expr, where, depth)
        if isinstance(expr, ast.Name):
            return self._name(expr.id, where, depth)
        if isinstance(expr, ast.Call):
            return self._call(expr, where, depth)
        value = _self_attribute(expr, where)
        return self.text(value, where, depth + 1) if value is not None else None

    def _literal(self, expr: ast.Constant | ast.JoinedStr, where: Where, depth: int) -> str | None:
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        return "".join(self._part(part, where, depth) for part in expr.values)

    def _part(self, part: ast.expr, where: Where, depth: int) -> str:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            return part.value
        if isinstance(part, ast.FormattedValue):
            return self.text(part.value, where, depth + 1) or "{}"
        return "{}"

    def _binop(self, expr: ast.BinOp, where: Where, depth: int) -> str | None:
        left = self.text(expr.left, where, depth + 1)
        if isinstance(expr.op, ast.Mod) and left is not None:
            return re.sub(r"%[sdirf]", "{}", left)
        if not isinstance(expr.op, ast.Add):
            return None
        right = self.text(expr.right, where, depth + 1)
        if left is None and right is None:
            return None
        return (left or "{}") + (right or "{}")

    def _name(self, name: str, where: Where, depth: int) -> str | None:
        if name in where.local_values:
            local = replace(where, local_values={})  # a local's value reads module names
            return self.text(where.local_values[name], local, depth + 1)
        if name in where.unknown:
            return None
        found = self.index.constant(where.scope, name)
        if found is None:
            return None
        value, scope = found
        return self.text(value, Where(scope), depth + 1)

    def _call(self, expr: ast.Call, where: Where, depth: int) -> str | None:
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr == "format":
            base = self.text(func.value, where, depth + 1)
            if base is None:
                return None
            values = [self.text(arg, where, depth + 1) or "{}" for arg in expr.args]
            return _format(base, values)
        if isinstance(func, ast.Name):
            found = self.index.function(where.scope, func.id)
            if found is not None:
                helper, scope = found
                returned = _single_return(helper)
                if returned is not None:
                    params = frozenset(a.arg for a in helper.args.args + helper.args.kwonlyargs)
                    return self.text(returned, Where(scope, unknown=params), depth + 1)
        return None


def _format(template: str, values: list[str]) -> str:
    """`"{}/{}".format(a, b)` with what is known of the positional values; `{}` for the rest."""
    position = iter(range(len(values) + 1_000))

    def field(match: re.Match[str]) -> str:
        name = match.group(1).split(":", 1)[0]
        index = int(name) if name.isdigit() else next(position) if name == "" else -1
        return values[index] if 0 <= index < len(values) else "{}"

    return re.sub(r"\{([^{}]*)\}", field, template)


def _single_return(function: FunctionNode) -> ast.expr | None:
    returns = [n for n in ast.walk(function) if isinstance(n, ast.Return) and n.value is not None]
    return returns[0].value if len(returns) == 1 and returns[0].value is not None else None


def url_name(expr: ast.expr) -> str | None:
    """`reverse("app:post-detail", ...)` / `url_for("index")` -> the URL name."""
    if isinstance(expr, ast.Call) and expr.args:
        func = expr.func
        name = call_name(func)
        first = expr.args[0]
        if name in ("reverse", "reverse_lazy", "url_for") and isinstance(first, ast.Constant):
            return first.value if isinstance(first.value, str) else None
    return None


def normalise_path(text: str) -> str | None:
    """A requested path without scheme/host, query or fragment; None if it isn't a path."""
    text = re.sub(r"^https?://(testserver|localhost|127\.0\.0\.1)(:\d+)?", "", text)
    text = text.split("?", 1)[0].split("#", 1)[0]
    if text.startswith("/") or text.startswith("{}"):
        return text
    return None


def client_call(call: ast.Call, resolver: Resolver, where: Where) -> ClientCall | None:
    """A request through a test client: `client.get("/posts")`, `client.post(reverse(...))`."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    args = list(call.args)
    method = func.attr.lower()
    if method == "request" and args and isinstance(args[0], ast.Constant):
        method = str(args[0].value).lower()
        args = args[1:]
    if method not in HTTP_VERBS:
        return None
    target = (
        args[0]
        if args
        else next((k.value for k in call.keywords if k.arg in ("url", "path")), None)
    )
    if target is None:
        return None
    name = url_name(_self_attribute(target, where) or target)
    if name is not None:
        return ClientCall(method.upper(), None, name, call.lineno)
    text = resolver.text(target, where)
    path = normalise_path(text) if text is not None else None
    if path is None and not _client_like(func.value):
        return None
    # A client's request to a path that can't be resolved still counts, path unknown.
    return ClientCall(method.upper(), path, None, call.lineno)


def _client_like(receiver: ast.expr) -> bool:
    """`client`, `self.client`, `api_client`, `async_client`, `ac`: a test client by name."""
    name = receiver.id if isinstance(receiver, ast.Name) else getattr(receiver, "attr", "")
    return "client" in name.lower() or name == "ac"


def _is_response_source(value: ast.expr, resolver: Resolver, where: Where) -> bool:
    if isinstance(value, ast.Await):
        value = value.value
    return isinstance(value, ast.Call) and client_call(value, resolver, where) is not None


def _always_true(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Constant):
        return bool(expr.value) and expr.value is not Ellipsis
    if isinstance(expr, ast.Tuple | ast.List):
        return bool(expr.elts)  # `assert (x, "message")` is a non-empty tuple: always true
    if (
        isinstance(expr, ast.Compare)
        and isinstance(expr.left, ast.Constant)
        and len(expr.comparators) == 1
        and isinstance(expr.comparators[0], ast.Constant)
        and isinstance(expr.ops[0], ast.Eq | ast.Is)
    ):
        return bool(expr.left.value == expr.comparators[0].value)
    return False


def _statement_calls(nodes: list[ast.AST]) -> frozenset[int]:
    """Ids of the calls made as statements (their result is not read)."""
    return frozenset(
        id(n.value) for n in nodes if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
    )


def _truthiness_check(call: ast.Call, responses: set[str]) -> str:
    """`self.assertTrue(x)` / `self.assertIsNotNone(x)`: hollow when x is always true."""
    if call.args and _always_true(call.args[0]):
        return "constant"
    if call.args and _is_truthiness_of(call.args[0], responses):
        return "response"
    return "check"


def _is_truthiness_of(expr: ast.expr, names: set[str]) -> bool:
    """`response`, `response is not None`, `response.status_code`, `response.json` (the
    method, not called): true for any response object."""
    if isinstance(expr, ast.Name):
        return expr.id in names
    if isinstance(expr, ast.Attribute) and expr.attr in ("status_code", "json"):
        return isinstance(expr.value, ast.Name) and expr.value.id in names
    return (
        isinstance(expr, ast.Compare)
        and isinstance(expr.left, ast.Name)
        and expr.left.id in names
        and len(expr.ops) == 1
        and isinstance(expr.ops[0], ast.IsNot)
        and isinstance(expr.comparators[0], ast.Constant)
        and expr.comparators[0].value is None
    )


def statuses_in(nodes: Iterator[ast.AST]) -> set[int]:
    """HTTP statuses an assertion names: `404`, `HTTP_404_NOT_FOUND`, `HTTPStatus.NOT_FOUND`."""
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Constant) and type(node.value) is int and 100 <= node.value < 600:
            found.add(node.value)
        elif isinstance(node, ast.Attribute):
            match = _STATUS_ATTR.match(node.attr)
            if match:
                found.add(int(match.group(1)))
            elif (
                isinstance(node.value, ast.Name)
                and node.value.id == "HTTPStatus"
                and node.attr in HTTPStatus.__members__
            ):
                found.add(HTTPStatus[node.attr].value)
    return found


class Judge:
    """Judges test functions of the indexed modules; helper verdicts are memoised."""

    def __init__(self, index: SuiteIndex) -> None:
        self.index = index
        self.resolver = Resolver(index)
        self._helper_checks: dict[int, tuple[int, frozenset[int]]] = {}
        self._verdicts: dict[int, Verdict] = {}

    def judge(self, test: FunctionNode, where: Where) -> Verdict:
        """What `test` checks (memoised: a test is judged once per scan)."""
        key = id(test)
        if key not in self._verdicts:
            self._verdicts[key] = self._judge(test, where)
        return self._verdicts[key]

    def _judge(self, test: FunctionNode, where: Where) -> Verdict:
        where = where.inside(test)
        nodes = list(ast.walk(test))
        responses = {
            target.id
            for node in nodes
            if isinstance(node, ast.Assign)
            and _is_response_source(node.value, self.resolver, where)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        standalone = _statement_calls(nodes)
        checks = 0
        statuses: set[int] = set()
        hollow: list[tuple[int, str]] = []
        for node in nodes:
            kind, count, named = self._classify(node, where, responses, standalone)
            if kind == "check":
                checks += count
                statuses |= named
            elif kind is not None:
                hollow.append((getattr(node, "lineno", test.lineno), kind))
        if checks:
            return Verdict(checks, None, None, frozenset(statuses))
        if hollow:
            line, kind = min(hollow)
            return Verdict(0, line, kind, frozenset())
        return Verdict(0, None, "none", frozenset())

    def _classify(
        self, node: ast.AST, where: Where, responses: set[str], standalone: frozenset[int]
    ) -> tuple[str | None, int, frozenset[int]]:
        """("check", how many, statuses named), (hollow kind, 0, ...) or (None, 0, ...)."""
        if isinstance(node, ast.Assert):
            return self._classify_assert(node, where, responses)
        if isinstance(node, ast.Call):
            kind = self._call_check(node, responses, standalone)
            if kind is None:
                count, named = self._helper(node, where)
                return ("check" if count else None), count, named
            checked = kind == "check"
            named = frozenset(statuses_in(ast.walk(node))) if checked else frozenset()
            return kind, int(checked), named
        raised = node.exc if isinstance(node, ast.Raise) else None
        if isinstance(raised, ast.Call):
            raised = raised.func
        if isinstance(raised, ast.Name) and raised.id == "AssertionError":
            return "check", 1, frozenset()
        return None, 0, frozenset()

    def _classify_assert(
        self, node: ast.Assert, where: Where, responses: set[str]
    ) -> tuple[str | None, int, frozenset[int]]:
        if _always_true(node.test):
            return "constant", 0, frozenset()
        if _is_truthiness_of(node.test, responses) or _is_response_source(
            node.test, self.resolver, where
        ):
            return "response", 0, frozenset()
        return "check", 1, frozenset(statuses_in(ast.walk(node.test)))

    def _call_check(
        self, call: ast.Call, responses: set[str], standalone: frozenset[int] = frozenset()
    ) -> str | None:
        """`check` for an assertion call, a hollow kind for an always-true one, else None.
        `standalone`: ids of calls made as statements, whose result nobody reads."""
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if isinstance(func, ast.Attribute) and func.attr in ("assertTrue", "assertIsNotNone"):
            return _truthiness_check(call, responses)
        if "assert" in name.lower() or name == "expect":
            # `self.assertEqual`, `mock.assert_called_once_with`, `assert_that`,
            # `django_assert_num_queries`, playwright's `expect`
            return "check"
        if (
            name in _CHECK_ATTRS
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("pytest", "self")
        ):
            return "check"
        # A call made as a statement that raises when what it checks is wrong:
        # `jsonschema.validate(...)`, `obj.full_clean()`, `subprocess.check_call(...)`.
        raising = name.startswith(_RAISING_CHECKS) or name == "full_clean"
        return "check" if raising and id(call) in standalone else None

    def _helper(self, call: ast.Call, where: Where) -> tuple[int, frozenset[int]]:
        """Checks made by a local helper the test calls (one level deep, never recursing)."""
        func = call.func
        helper: FunctionNode | None = None
        if isinstance(func, ast.Name):
            found = self.index.function(where.scope, func.id)
            if found is not None:
                helper = found[0]
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
        ):
            helper = where.methods.get(func.attr)
        if helper is None:
            return 0, frozenset()
        key = id(helper)
        if key not in self._helper_checks:
            self._helper_checks[key] = (0, frozenset())  # a helper calling itself stops here
            count, statuses = 0, set()
            nodes = list(ast.walk(helper))
            standalone = _statement_calls(nodes)
            for node in nodes:
                direct = isinstance(node, ast.Assert) and not _always_true(node.test)
                if direct or (
                    isinstance(node, ast.Call)
                    and self._call_check(node, set(), standalone) == "check"
                ):
                    count += 1
                    statuses |= statuses_in(ast.walk(node))
            self._helper_checks[key] = (count, frozenset(statuses))
        return self._helper_checks[key]

    def client_calls(self, module: PythonModule) -> list[ClientCall]:
        """Every test-client request in a test module: tests, fixtures and helpers alike."""
        scope = self.index.scopes[module.path]
        # One request per call site; read from inside its innermost function, its locals known.
        found: dict[tuple[int, int], ClientCall] = {}
        for owner, where in _owners(module, scope):
            places = [(owner, where)] + [
                (fn, where.inside(fn)) for fn in ast.walk(owner) if isinstance(fn, FunctionNode)
            ]
            for place, seen_from in places:
                for node in ast.walk(place):
                    if isinstance(node, ast.Call):
                        call = client_call(node, self.resolver, seen_from)
                        if call is not None:
                            found[(node.lineno, node.col_offset)] = call
        return sorted(found.values(), key=lambda c: (c.line, c.method, c.path or ""))


def _owners(module: PythonModule, scope: ModuleScope) -> Iterator[tuple[ast.AST, Where]]:
    """Top-level statements with the place they are read in; classes carry their attributes."""
    for node in module.tree.body:
        if isinstance(node, ast.ClassDef):
            yield node, Where.in_class(scope, node)
        else:
            yield node, Where(scope)
