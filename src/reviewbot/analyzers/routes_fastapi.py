"""FastAPI routes: `@app.get(...)`/`@router.post(...)` with `APIRouter(prefix=...)` and
`include_router(router, prefix=...)` chains followed across modules."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from reviewbot.analyzers.route_auth import (
    AuthIndex,
    annotated_depends,
    depends_target,
    param_dependencies,
)
from reviewbot.analyzers.route_index import (
    FunctionNode,
    ModuleIndex,
    ProjectIndex,
    arguments,
    call_name,
    const_str,
    dotted_expr,
    keyword,
    walk_body,
)
from reviewbot.analyzers.route_model import AppSite, Route, join_path, normalize_path, status_code

_VERBS = {"get", "post", "put", "patch", "delete", "head", "options"}
_NOT_BODY = frozenset(
    {
        "Request",
        "Response",
        "BackgroundTasks",
        "WebSocket",
        "Session",
        "AsyncSession",
        "UploadFile",
        "HTTPAuthorizationCredentials",
        "HTTPBasicCredentials",
        "SecurityScopes",
        "OAuth2PasswordRequestForm",
    }
)
_SCALARS = frozenset(
    {
        "int",
        "str",
        "float",
        "bool",
        "UUID",
        "datetime",
        "date",
        "time",
        "Decimal",
        "bytes",
        "EmailStr",
        "Enum",
        "Literal",
    }
)
_MARKERS = frozenset({"Query", "Path", "Header", "Cookie", "Depends", "Security", "File", "Form"})
_RAW_READS = frozenset({"json", "body", "form"})

Key = tuple[str, str]
Deps = list[tuple[ModuleIndex, ast.expr]]


@dataclass
class _Router:
    index: ModuleIndex
    is_app: bool
    prefix: str
    deps: Deps
    line: int


@dataclass
class _Graph:
    routers: dict[Key, _Router] = field(default_factory=dict)
    # child -> [(parent, prefix, dependencies)]
    edges: dict[Key, list[tuple[Key, str, Deps]]] = field(default_factory=dict)
    memo: dict[Key, list[tuple[str, Deps]]] = field(default_factory=dict)


def _dependency_list(index: ModuleIndex, node: ast.expr | None) -> Deps:
    if not isinstance(node, ast.List | ast.Tuple):
        return []
    return [(index, t) for t in (depends_target(e) for e in node.elts) if t is not None]


def _collect_routers(project: ProjectIndex, graph: _Graph) -> None:
    for index in project:
        for name, values in index.assigns.items():
            for value in values:
                if isinstance(value, ast.Call) and call_name(value.func) in (
                    "FastAPI",
                    "APIRouter",
                ):
                    graph.routers[(index.path, name)] = _Router(
                        index,
                        call_name(value.func) == "FastAPI",
                        const_str(keyword(value, "prefix")) or "",
                        _dependency_list(index, keyword(value, "dependencies")),
                        value.lineno,
                    )


def _router_key(
    project: ProjectIndex, index: ModuleIndex, node: ast.expr, graph: _Graph
) -> Key | None:
    found = project.resolve(index, node)
    if found is None or found[1] is None:
        return None
    key = (found[0].path, found[1])
    return key if key in graph.routers else None


def _collect_middleware(project: ProjectIndex, graph: _Graph) -> None:
    """App-wide guards count as dependencies of every route: `@app.middleware("http")`
    functions and `app.add_middleware(AuthMiddleware)` classes."""
    for index in project:
        for fn in index.all_functions:
            for decorator in fn.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "middleware"
                ):
                    key = _router_key(project, index, decorator.func.value, graph)
                    if key is not None:
                        graph.routers[key].deps.append((index, ast.Name(id=fn.name)))
        for call in index.calls:
            if (
                isinstance(call.func, ast.Attribute)
                and call.func.attr == "add_middleware"
                and call.args
            ):
                key = _router_key(project, index, call.func.value, graph)
                if key is not None:
                    graph.routers[key].deps.append((index, call.args[0]))


def _collect_edges(project: ProjectIndex, graph: _Graph) -> None:
    for index in project:
        for call in index.calls:
            if not (isinstance(call.func, ast.Attribute) and call.func.attr == "include_router"):
                continue
            child_node = call.args[0] if call.args else keyword(call, "router")
            parent = _router_key(project, index, call.func.value, graph)
            child = _router_key(project, index, child_node, graph) if child_node else None
            if parent is None or child is None:
                continue
            prefix = const_str(keyword(call, "prefix")) or ""
            deps = _dependency_list(index, keyword(call, "dependencies"))
            graph.edges.setdefault(child, []).append((parent, prefix, deps))


def _bases(
    graph: _Graph, key: Key, visiting: frozenset[Key] = frozenset()
) -> list[tuple[str, Deps]]:
    """Every (path prefix, dependencies) a router's routes are mounted under."""
    if key in graph.memo:
        return graph.memo[key]
    router = graph.routers[key]
    incoming: list[tuple[str, Deps]] = []
    if not router.is_app:
        for parent, prefix, deps in graph.edges.get(key, []):
            if parent in visiting:
                continue
            for base, base_deps in _bases(graph, parent, visiting | {key}):
                incoming.append((join_path(base, prefix), base_deps + deps))
    # An app, or a router we could not see included: mounted at its own prefix.
    incoming = incoming or [("", [])]
    result = [(join_path(base, router.prefix), deps + router.deps) for base, deps in incoming]
    graph.memo[key] = result
    return result


def _annotation_name(node: ast.expr | None) -> str:
    if isinstance(node, ast.BinOp):  # `X | None`
        left, right = call_name(node.left), call_name(node.right)
        return left if left not in ("None", "") else right
    if isinstance(node, ast.Subscript):
        outer = call_name(node.value)
        if outer == "Optional":
            return _annotation_name(node.slice)
        return outer
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    return call_name(node) if node is not None else ""


def _param_body(
    project: ProjectIndex, index: ModuleIndex, arg: ast.arg, default: ast.expr | None
) -> str | None:
    marker = call_name(default) if isinstance(default, ast.Call) else ""
    if marker in _MARKERS:
        return None
    annotation = arg.annotation
    if isinstance(annotation, ast.Subscript) and call_name(annotation.value) == "Annotated":
        items = (
            annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        )
        if any(call_name(i) in _MARKERS for i in items[1:] if isinstance(i, ast.Call)):
            return None
        annotation = items[0]
    elif isinstance(annotation, ast.Name | ast.Attribute):
        alias = project.value(index, annotation)
        if alias is not None and annotated_depends(alias[1]):
            return None
    name = _annotation_name(annotation)
    if not name or name in _SCALARS or name in ("None", "Any"):
        return None
    if name in ("dict", "Dict", "Mapping"):
        return "dict"
    return "Request" if name == "Request" else (None if name in _NOT_BODY else name)


def body_type(project: ProjectIndex, index: ModuleIndex, fn: FunctionNode, path: str) -> str | None:
    """What the route reads as its body: a model name, `dict`, or `Request` when it reads
    `await request.json()` itself; None when it takes no body."""
    found: str | None = None
    for arg, default in arguments(fn):
        if arg.arg in ("self", "cls") or "{" + arg.arg + "}" in path:
            continue
        kind = _param_body(project, index, arg, default)
        if kind == "Request":
            if reads_raw_body(fn, arg.arg, index) is not None:
                return "Request"
        elif kind is not None and found is None:
            found = kind
    return found


def reads_raw_body(
    fn: FunctionNode, request: str, index: ModuleIndex | None = None
) -> ast.Call | None:
    """The `request.json()` / `request.body()` call of the handler's own body, if any."""
    facts = index.facts.get(id(fn)) if index is not None else None
    calls = (
        facts.calls if facts is not None else [n for n in walk_body(fn) if isinstance(n, ast.Call)]
    )
    for node in calls:
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in _RAW_READS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == request
        ):
            return node
    return None


def _methods(decorator: ast.Call) -> list[str]:
    verb = call_name(decorator.func)
    if verb in _VERBS:
        return [verb.upper()]
    listed = keyword(decorator, "methods")
    if isinstance(listed, ast.List | ast.Tuple | ast.Set):
        return [m.upper() for m in (const_str(e) for e in listed.elts) if m]
    return ["GET"]


def _route_decorators(fn: FunctionNode) -> list[tuple[ast.Call, ast.expr]]:
    """(decorator, the object it is called on) for `@router.get(...)`-style decorators."""
    return [
        (d, d.func.value)
        for d in fn.decorator_list
        if isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and (d.func.attr in _VERBS or d.func.attr == "api_route")
    ]


def _routes_of(
    project: ProjectIndex, auth: AuthIndex, graph: _Graph, index: ModuleIndex, fn: FunctionNode
) -> list[Route]:
    routes: list[Route] = []
    guarded = any(
        auth.is_auth_callable(index, d)
        for d in fn.decorator_list
        if not (isinstance(d, ast.Call) and call_name(d.func) in (*_VERBS, "api_route"))
    )
    for decorator, owner in _route_decorators(fn):
        key = _router_key(project, index, owner, graph)
        raw = (
            const_str(decorator.args[0])
            if decorator.args
            else const_str(keyword(decorator, "path"))
        )
        if key is None or raw is None:
            continue
        own_deps = _dependency_list(index, keyword(decorator, "dependencies"))
        params = param_dependencies(index, project, fn)
        handler_auth = guarded or auth.handler_authenticates(index, fn)
        model = keyword(decorator, "response_model")
        if isinstance(model, ast.Constant) and model.value is None:
            model = None  # `response_model=None`: the response is not validated
        response_class = keyword(decorator, "response_class")
        for base, deps in _bases(graph, key):
            path = normalize_path(join_path(base, raw))
            every = deps + own_deps + params
            routes += [
                Route(
                    method=method,
                    path=path,
                    handler=fn.name,
                    file=index.path,
                    line=decorator.lineno,
                    framework="fastapi",
                    status_code=status_code(keyword(decorator, "status_code")),
                    response_model=ast.unparse(model) if model is not None else None,
                    auth=handler_auth or any(auth.is_auth_callable(m, t) for m, t in every),
                    body_type=body_type(project, index, fn, path),
                    handler_file=index.path,
                    handler_line=fn.lineno,
                    function=fn,
                    module=index,
                    dependencies=tuple(dotted_expr(t) or ast.unparse(t) for _, t in every),
                    response_class=(ast.unparse(response_class)
                                    if response_class is not None else None),
                )
                for method in _methods(decorator)
            ]
    return routes


def read(project: ProjectIndex, auth: AuthIndex) -> tuple[list[Route], list[AppSite]]:
    """Every FastAPI route of the project and where its applications are created."""
    graph = _Graph()
    _collect_routers(project, graph)
    if not graph.routers:
        return [], []
    _collect_edges(project, graph)
    _collect_middleware(project, graph)
    routes: list[Route] = []
    for index in project:
        for fn in index.all_functions:
            if fn.decorator_list:
                routes += _routes_of(project, auth, graph, index, fn)
    sites = [AppSite("fastapi", r.index.path, r.line) for r in graph.routers.values() if r.is_app]
    return routes, sites
