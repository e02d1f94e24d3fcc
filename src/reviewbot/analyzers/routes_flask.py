"""Flask routes: `@app.route(rule, methods=[...])`, `@bp.get(...)`, blueprints with
`url_prefix` and `register_blueprint`, `add_url_rule`, and Flask-RESTful `add_resource`."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from reviewbot.analyzers.route_auth import AuthIndex
from reviewbot.analyzers.route_index import (
    FunctionNode,
    ModuleIndex,
    ProjectIndex,
    call_name,
    class_attr,
    class_methods,
    const_str,
    keyword,
)
from reviewbot.analyzers.route_model import AppSite, Route, join_path, normalize_path

_VERBS = ("get", "post", "put", "patch", "delete")
_OBJECTS = {"Flask": "app", "Blueprint": "blueprint", "Api": "api", "APIBlueprint": "blueprint"}

Key = tuple[str, str]


@dataclass
class _Object:
    index: ModuleIndex
    kind: str
    prefix: str
    line: int
    protected: bool = False


@dataclass
class _Graph:
    objects: dict[Key, _Object] = field(default_factory=dict)
    # child -> [(parent, url_prefix given at registration or None)]
    edges: dict[Key, list[tuple[Key, str | None]]] = field(default_factory=dict)


def _key(
    project: ProjectIndex, index: ModuleIndex, node: ast.expr | None, graph: _Graph
) -> Key | None:
    found = project.resolve(index, node) if node is not None else None
    if found is None or found[1] is None:
        return None
    key = (found[0].path, found[1])
    return key if key in graph.objects else None


def _collect(project: ProjectIndex, graph: _Graph) -> None:
    for index in project:
        for name, values in index.assigns.items():
            for value in values:
                kind = _OBJECTS.get(call_name(value.func)) if isinstance(value, ast.Call) else None
                if kind is None or not isinstance(value, ast.Call):
                    continue
                prefix = const_str(keyword(value, "url_prefix") or keyword(value, "prefix")) or ""
                graph.objects[(index.path, name)] = _Object(index, kind, prefix, value.lineno)
    for index in project:
        for name, values in index.assigns.items():
            for value in values:
                # `api = Api(app)` / `Api(bp)`: resources hang off the app or blueprint
                if isinstance(value, ast.Call) and call_name(value.func) == "Api" and value.args:
                    parent = _key(project, index, value.args[0], graph)
                    if parent is not None:
                        graph.edges.setdefault((index.path, name), []).append((parent, None))


def _edge(project: ProjectIndex, graph: _Graph, index: ModuleIndex, call: ast.Call) -> None:
    """`parent.register_blueprint(child, url_prefix=...)` and `api.init_app(app)`."""
    if not isinstance(call.func, ast.Attribute) or not call.args:
        return
    parent = _key(project, index, call.func.value, graph)
    other = _key(project, index, call.args[0], graph)
    if parent is None or other is None:
        return
    if call.func.attr == "register_blueprint":
        graph.edges.setdefault(other, []).append((parent, const_str(keyword(call, "url_prefix"))))
    elif call.func.attr == "init_app":
        graph.edges.setdefault(parent, []).append((other, None))


def _collect_edges(project: ProjectIndex, graph: _Graph, auth: AuthIndex) -> None:
    for index in project:
        for call in index.calls:
            _edge(project, graph, index, call)
        for fn in index.all_functions:
            # `@bp.before_request` that authenticates protects the whole blueprint
            for decorator in fn.decorator_list:
                if not (
                    isinstance(decorator, ast.Attribute) and decorator.attr == "before_request"
                ):
                    continue
                key = _key(project, index, decorator.value, graph)
                if key is not None and auth.handler_authenticates(index, fn):
                    graph.objects[key].protected = True


def _bases(
    graph: _Graph, key: Key, visiting: frozenset[Key] = frozenset()
) -> list[tuple[str, bool]]:
    """(path prefix, protected by a `before_request` guard) for each place `key` is mounted."""
    obj = graph.objects[key]
    if obj.kind == "app":
        return [(obj.prefix, obj.protected)]
    found: list[tuple[str, bool]] = []
    for parent, prefix in graph.edges.get(key, []):
        if parent in visiting:
            continue
        own = obj.prefix if prefix is None else prefix
        for base, protected in _bases(graph, parent, visiting | {key}):
            found.append((join_path(base, own), protected or obj.protected))
    return found or [(obj.prefix, obj.protected)]


def _decorated_auth(auth: AuthIndex, index: ModuleIndex, decorators: list[ast.expr]) -> bool:
    return any(
        auth.is_auth_callable(index, d)
        for d in decorators
        if not (isinstance(d, ast.Call) and call_name(d.func) in ("route", *_VERBS))
    )


@dataclass(frozen=True)
class _Declared:
    index: ModuleIndex
    rule: str
    line: int
    methods: list[str]


def _route(
    declared: _Declared,
    base: tuple[str, bool],
    method: str,
    handler: tuple[ModuleIndex, FunctionNode],
    name: str,
    authed: bool,
) -> Route:
    owner, fn = handler
    return Route(
        method=method,
        path=normalize_path(join_path(base[0], declared.rule)),
        handler=name,
        file=declared.index.path,
        line=declared.line,
        framework="flask",
        auth=authed or base[1],
        handler_file=owner.path,
        handler_line=fn.lineno,
        function=fn,
        module=owner,
    )


def _methods(call: ast.Call, default: list[str]) -> list[str]:
    listed = keyword(call, "methods")
    if isinstance(listed, ast.List | ast.Tuple | ast.Set):
        return [m.upper() for m in (const_str(e) for e in listed.elts) if m]
    return default


def _function_routes(
    project: ProjectIndex, auth: AuthIndex, graph: _Graph, index: ModuleIndex, fn: FunctionNode
) -> list[Route]:
    routes: list[Route] = []
    for decorator in fn.decorator_list:
        if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
            continue
        verb = decorator.func.attr
        key = _key(project, index, decorator.func.value, graph)
        rule = (
            const_str(decorator.args[0])
            if decorator.args
            else const_str(keyword(decorator, "rule"))
        )
        if key is None or rule is None or verb not in ("route", *_VERBS):
            continue
        methods = _methods(decorator, ["GET"]) if verb == "route" else [verb.upper()]
        declared = _Declared(index, rule, decorator.lineno, methods)
        authed = _decorated_auth(auth, index, fn.decorator_list) or auth.handler_authenticates(
            index, fn
        )
        for base in _bases(graph, key):
            routes += [_route(declared, base, m, (index, fn), fn.name, authed) for m in methods]
    return routes


def _class_routes(
    project: ProjectIndex,
    auth: AuthIndex,
    graph: _Graph,
    declared: _Declared,
    key: Key,
    view: ast.expr,
) -> list[Route]:
    """A MethodView (`add_url_rule(view_func=X.as_view(...))`) or a Flask-RESTful Resource."""
    found = project.klass(declared.index, view)
    if found is None:
        return []
    chain = project.class_chain(*found)
    decorators = class_attr(chain, "decorators") or class_attr(chain, "method_decorators")
    guarded = isinstance(decorators, ast.List | ast.Tuple) and _decorated_auth(
        auth, found[0], list(decorators.elts)
    )
    routes: list[Route] = []
    for name, (owner, fn) in sorted(class_methods(chain).items()):
        if name not in _VERBS:
            continue
        authed = (
            guarded
            or _decorated_auth(auth, owner, fn.decorator_list)
            or auth.handler_authenticates(owner, fn)
        )
        for base in _bases(graph, key):
            routes.append(
                _route(declared, base, name.upper(), (owner, fn), f"{found[1].name}.{name}", authed)
            )
    return routes


def _resource_routes(
    project: ProjectIndex,
    auth: AuthIndex,
    graph: _Graph,
    index: ModuleIndex,
    call: ast.Call,
    key: Key,
) -> list[Route]:
    """Flask-RESTful `api.add_resource(Resource, "/a", "/b")`."""
    rules = [r for r in (const_str(a) for a in call.args[1:]) if r]
    return [
        route
        for rule in rules
        for route in _class_routes(
            project, auth, graph, _Declared(index, rule, call.lineno, []), key, call.args[0]
        )
    ]


def _rule_routes(
    project: ProjectIndex, auth: AuthIndex, graph: _Graph, index: ModuleIndex, call: ast.Call
) -> list[Route]:
    """`add_url_rule(rule, view_func=...)` with a function or `View.as_view(...)`, and
    Flask-RESTful `add_resource`."""
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    key = (
        _key(project, index, call.func.value, graph)
        if isinstance(call.func, ast.Attribute)
        else None
    )
    if key is None or not call.args or method not in ("add_url_rule", "add_resource"):
        return []
    if method == "add_resource":
        return _resource_routes(project, auth, graph, index, call, key)
    rule = const_str(call.args[0]) or ""
    view = keyword(call, "view_func") or (call.args[2] if len(call.args) > 2 else None)
    declared = _Declared(index, rule, call.lineno, _methods(call, ["GET"]))
    if (
        isinstance(view, ast.Call)
        and isinstance(view.func, ast.Attribute)
        and view.func.attr == "as_view"
    ):
        return _class_routes(project, auth, graph, declared, key, view.func.value) if rule else []
    handler = project.function(index, view) if view is not None else None
    if not rule or handler is None:
        return []
    owner, fn = handler
    authed = auth.handler_authenticates(owner, fn) or _decorated_auth(
        auth, owner, fn.decorator_list
    )
    return [
        _route(declared, base, m, handler, fn.name, authed)
        for base in _bases(graph, key)
        for m in declared.methods
    ]


def read(project: ProjectIndex, auth: AuthIndex) -> tuple[list[Route], list[AppSite]]:
    """Every Flask route of the project and where its applications are created."""
    graph = _Graph()
    _collect(project, graph)
    if not graph.objects:
        return [], []
    _collect_edges(project, graph, auth)
    routes: list[Route] = []
    for index in project:
        for fn in index.all_functions:
            if fn.decorator_list:
                routes += _function_routes(project, auth, graph, index, fn)
        for call in index.calls:
            routes += _rule_routes(project, auth, graph, index, call)
    sites = [
        AppSite("flask", o.index.path, o.line) for o in graph.objects.values() if o.kind == "app"
    ]
    return routes, sites
