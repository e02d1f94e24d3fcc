"""Which of a project's functions authenticate the caller, so routes can be marked protected.

A function authenticates when it decodes a token (`jwt.decode`), reads the `Authorization`
header, depends on a FastAPI security scheme (`OAuth2PasswordBearer`, `HTTPBearer`...), checks
`user.is_authenticated`, or carries a conventional name (`get_current_user`, `login_required`);
and, transitively, when it calls or depends on such a function. Routes whose handler or
dependencies reach one of them are protected.
"""

from __future__ import annotations

import ast
import re

from reviewbot.analyzers.route_index import (
    FunctionFacts,
    FunctionNode,
    ModuleIndex,
    ProjectIndex,
    arguments,
    base_names,
    call_name,
    const_str,
)

SECURITY_SCHEMES = frozenset(
    {
        "OAuth2PasswordBearer",
        "OAuth2AuthorizationCodeBearer",
        "OAuth2",
        "HTTPBearer",
        "HTTPBasic",
        "HTTPDigest",
        "APIKeyHeader",
        "APIKeyCookie",
        "APIKeyQuery",
        "OpenIdConnect",
    }
)
# Conventional names of functions that authenticate (or guard) a request.
AUTH_FUNCTION_NAME = re.compile(
    r"^(get_)?current_(active_|admin_|authenticated_|super)?(user|account|admin|superuser)$"
    r"|^get_current_(active_|admin_|authenticated_|super)?(user|account|member|admin|superuser)\w*$"
    r"|^(login|auth|token|jwt|admin|roles?|permissions?|staff|superuser|owner|scopes?|api_?key)"
    r"_required$"
    r"|^requires?_(auth|login|user|admin|roles?|permissions?|token|scopes?|api_?key|staff)\w*$"
    r"|^(verify|validate|check|decode)_(\w+_)?(token|jwt|api_?key)$"
    r"|^get_user_from_(token|jwt|header|request)$"
)
# A dependency or decorator the project does not define: judged by its name alone.
AUTH_DEPENDENCY_NAME = re.compile(
    r"auth|token|current_\w*user|jwt|api_?key|permission|admin|_required|credential|bearer"
    r"|verify|protected|logged_in|guard|roles?\b|scope|superuser",
    re.IGNORECASE,
)
_TOKEN_LIBS = frozenset({"jwt", "jose", "jws", "JWT"})
_TOKEN_CALLS = frozenset(
    {
        "get_jwt_identity",
        "verify_jwt_in_request",
        "get_jwt",
        "verify_id_token",
        "verify_oauth2_token",
    }
)
_AUTH_HEADERS = frozenset({"authorization", "http_authorization"})
_DEPENDS = frozenset({"Depends", "Security"})
_AUTH_ATTRIBUTES = frozenset({"is_authenticated", "is_anonymous"})
_AUTH_PARAMS = frozenset({"authorization", "x_api_key", "api_key", "x_token", "token"})


def _is_token_decode(call: ast.Call) -> bool:
    func = call.func
    if call_name(func) in _TOKEN_CALLS:
        return True
    if not isinstance(func, ast.Attribute) or func.attr != "decode":
        return False
    owner = func.value
    name = owner.id if isinstance(owner, ast.Name) else call_name(owner)
    return name in _TOKEN_LIBS


def _reads_auth_header(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        holder = node.func.value
        key = const_str(node.args[0]) if node.args else None
        return (
            node.func.attr == "get"
            and call_name(holder) in ("headers", "META")
            and (key or "").lower() in _AUTH_HEADERS
        )
    if isinstance(node, ast.Subscript):
        key = const_str(node.slice)
        return call_name(node.value) in ("headers", "META") and (key or "").lower() in _AUTH_HEADERS
    return False


def _guarding_param(arg: ast.arg, default: ast.expr | None) -> bool:
    """`authorization: str = Header(...)` or `Security(...)`: the parameter is a credential."""
    if not isinstance(default, ast.Call):
        return False
    marker = call_name(default.func)
    return marker == "Security" or (marker == "Header" and arg.arg.lower() in _AUTH_PARAMS)


def depends_target(node: ast.expr | None) -> ast.expr | None:
    """`x` of `Depends(x)` / `Security(x)`; for `Depends(require_role("admin"))` the factory."""
    if not (isinstance(node, ast.Call) and call_name(node.func) in _DEPENDS and node.args):
        return None
    target = node.args[0]
    return target.func if isinstance(target, ast.Call) else target


def annotated_depends(node: ast.expr | None) -> list[ast.expr]:
    """The `Depends(...)` targets inside `Annotated[T, Depends(x)]`."""
    if not (isinstance(node, ast.Subscript) and call_name(node.value) == "Annotated"):
        return []
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return [t for t in (depends_target(item) for item in items[1:]) if t is not None]


def param_dependencies(
    index: ModuleIndex, project: ProjectIndex, fn: FunctionNode
) -> list[tuple[ModuleIndex, ast.expr]]:
    """What a function's parameters depend on: `Depends(x)` defaults, `Annotated[...,
    Depends(x)]` annotations, and module-level aliases of those (`CurrentUser`)."""
    found: list[tuple[ModuleIndex, ast.expr]] = []
    for arg, default in arguments(fn):
        target = depends_target(default)
        if target is not None:
            found.append((index, target))
        found += [(index, t) for t in annotated_depends(arg.annotation)]
        if isinstance(arg.annotation, ast.Name | ast.Attribute):
            alias = project.value(index, arg.annotation)
            if alias is not None:
                found += [(alias[0], t) for t in annotated_depends(alias[1])]
    return found


class AuthIndex:
    """The project's authenticating functions, found once per route table."""

    def __init__(self, project: ProjectIndex) -> None:
        self.project = project
        self._auth: set[int] = set()
        self._inspected: dict[int, tuple[bool, list[int]]] = {}
        self.schemes: list[tuple[str, int]] = []
        callers: dict[int, set[int]] = {}
        seeds: list[int] = []
        for index in project:
            for fn in index.all_functions:
                direct, callees = self._inspect(index, fn)
                if direct or AUTH_FUNCTION_NAME.match(fn.name):
                    seeds.append(id(fn))
                for callee in callees:
                    callers.setdefault(callee, set()).add(id(fn))
        while seeds:
            current = seeds.pop()
            if current in self._auth:
                continue
            self._auth.add(current)
            seeds.extend(callers.get(current, ()))

    def is_scheme(self, index: ModuleIndex, node: ast.expr) -> bool:
        """A security scheme object (`oauth2_scheme = OAuth2PasswordBearer(...)`)."""
        value = (index, node) if isinstance(node, ast.Call) else self.project.value(index, node)
        if value is None:
            return False
        owner, call = value
        if not isinstance(call, ast.Call):
            return False
        if call_name(call.func) in SECURITY_SCHEMES or call_name(call.func) == "current_user":
            return True
        cls = self.project.klass(owner, call.func)
        return cls is not None and bool(
            base_names(self.project.class_chain(*cls)) & SECURITY_SCHEMES
        )

    def _inspect(self, index: ModuleIndex, fn: FunctionNode) -> tuple[bool, list[int]]:
        """(authenticates by itself, ids of the project functions it calls or depends on),
        computed once per function."""
        if id(fn) not in self._inspected:
            self._inspected[id(fn)] = self._look(index, fn)
        return self._inspected[id(fn)]

    def _look(self, index: ModuleIndex, fn: FunctionNode) -> tuple[bool, list[int]]:
        # The function's own code; a nested function (a decorator's wrapper) counts as called.
        facts = index.facts.get(id(fn)) or FunctionFacts()
        direct = any(_guarding_param(arg, default) for arg, default in arguments(fn))
        direct = direct or bool(facts.attributes & _AUTH_ATTRIBUTES)
        direct = direct or any(_reads_auth_header(s) for s in facts.subscripts)
        callees = [id(nested) for nested in facts.nested]
        for owner, target in param_dependencies(index, self.project, fn):
            direct = direct or self.is_scheme(owner, target)
            found = self.project.function(owner, target)
            if found is not None:
                callees.append(id(found[1]))
        for call in facts.calls:
            direct = direct or _is_token_decode(call) or _reads_auth_header(call)
            found = self.project.function(index, call.func)
            if found is not None and found[1] is not fn:
                callees.append(id(found[1]))
        return direct, callees

    def is_auth_function(self, fn: FunctionNode) -> bool:
        return id(fn) in self._auth

    def handler_authenticates(self, index: ModuleIndex, fn: FunctionNode) -> bool:
        """The handler checks the caller itself, or calls or depends on something that does
        (its own name does not count: `get_current_weather` is not a guard)."""
        direct, callees = self._inspect(index, fn)
        return direct or any(callee in self._auth for callee in callees)

    def is_auth_callable(self, index: ModuleIndex, node: ast.expr) -> bool:
        """A dependency or decorator that authenticates: a project function that does, a
        security scheme, or (when not the project's) a name that says so."""
        target = node.func if isinstance(node, ast.Call) else node
        found = self.project.function(index, target)
        if found is not None:
            return self.is_auth_function(found[1]) or bool(AUTH_FUNCTION_NAME.match(found[1].name))
        if self.is_scheme(index, target):
            return True
        return bool(AUTH_DEPENDENCY_NAME.search(ast.unparse(target)))
