"""Django and DRF views as routes: which methods a view answers, its handler, and whether it
requires an authenticated caller."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from reviewbot.analyzers.route_auth import AuthIndex
from reviewbot.analyzers.route_index import (
    FunctionNode,
    ModuleIndex,
    ProjectIndex,
    base_names,
    call_name,
    class_attr,
    class_methods,
    const_str,
    keyword,
    walk_body,
)
from reviewbot.analyzers.route_model import Route

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Viewset action -> (HTTP method, on a detail path, status DRF answers by default)
ACTIONS: dict[str, tuple[str, bool, int | None]] = {
    "list": ("GET", False, None),
    "create": ("POST", False, 201),
    "retrieve": ("GET", True, None),
    "update": ("PUT", True, None),
    "partial_update": ("PATCH", True, None),
    "destroy": ("DELETE", True, 204),
}
_VIEWSET_ACTIONS = {
    "ModelViewSet": tuple(ACTIONS),
    "ReadOnlyModelViewSet": ("list", "retrieve"),
    "ListModelMixin": ("list",),
    "CreateModelMixin": ("create",),
    "RetrieveModelMixin": ("retrieve",),
    "UpdateModelMixin": ("update", "partial_update"),
    "DestroyModelMixin": ("destroy",),
}
# Generic class-based views: the actions they answer without any code of the project's.
_GENERIC_ACTIONS = {
    "ListAPIView": ("list",),
    "CreateAPIView": ("create",),
    "RetrieveAPIView": ("retrieve",),
    "DestroyAPIView": ("destroy",),
    "UpdateAPIView": ("update", "partial_update"),
    "ListCreateAPIView": ("list", "create"),
    "RetrieveUpdateAPIView": ("retrieve", "update", "partial_update"),
    "RetrieveDestroyAPIView": ("retrieve", "destroy"),
    "RetrieveUpdateDestroyAPIView": ("retrieve", "update", "partial_update", "destroy"),
}
_DJANGO_GENERIC = {
    "ListView": ("GET",),
    "DetailView": ("GET",),
    "TemplateView": ("GET",),
    "CreateView": ("GET", "POST"),
    "UpdateView": ("GET", "POST"),
    "FormView": ("GET", "POST"),
    "DeleteView": ("GET", "POST"),
}
_LOGIN_MIXINS = frozenset(
    {
        "LoginRequiredMixin",
        "PermissionRequiredMixin",
        "UserPassesTestMixin",
        "AccessMixin",
        "StaffRequiredMixin",
    }
)
_READ_ONLY_PERMS = frozenset(
    {"IsAuthenticatedOrReadOnly", "DjangoModelPermissionsOrAnonReadOnly", "AllowAny"}
)
_NOT_GUARDS = frozenset(
    {
        "api_view",
        "require_http_methods",
        "require_POST",
        "require_GET",
        "require_safe",
        "action",
        "permission_classes",
        "authentication_classes",
        "throttle_classes",
        "csrf_exempt",
        "method_decorator",
    }
)


def _names(node: ast.expr | None) -> tuple[str, ...] | None:
    """Class names of a `[IsAuthenticated, perms.IsOwner]` list; None when not a literal."""
    if not isinstance(node, ast.List | ast.Tuple):
        return None
    names: list[str] = []
    for elt in node.elts:
        text = const_str(elt)
        if text is not None:
            names.append(text.rsplit(".", 1)[-1])
        elif isinstance(elt, ast.BinOp):
            names += [
                call_name(n) for n in ast.walk(elt) if isinstance(n, ast.Name | ast.Attribute)
            ]
        else:
            names.append(call_name(elt))
    return tuple(names)


@dataclass(frozen=True)
class DrfSettings:
    """`REST_FRAMEWORK = {...}` in settings: None permissions means DRF's own AllowAny."""

    permissions: tuple[str, ...] | None = None
    pagination: bool = False

    @classmethod
    def from_dict(cls, node: ast.Dict) -> DrfSettings:
        entries = {
            const_str(k): v for k, v in zip(node.keys, node.values, strict=True) if k is not None
        }
        paging = entries.get("DEFAULT_PAGINATION_CLASS")
        return cls(
            permissions=_names(entries.get("DEFAULT_PERMISSION_CLASSES")),
            pagination=paging is not None
            and not (isinstance(paging, ast.Constant) and paging.value is None),
        )


def permission_auth(names: tuple[str, ...] | None, method: str) -> bool | None:
    """Whether these permission classes demand an authenticated caller for `method`."""
    if names is None:
        return None
    if not names or all(n == "AllowAny" for n in names):
        return False
    return not (method in SAFE_METHODS and all(n in _READ_ONLY_PERMS for n in names))


@dataclass(frozen=True)
class View:
    """One method a view answers; `suffix` is what it adds to the declared path."""

    method: str
    suffix: str
    handler: str
    framework: str
    module: ModuleIndex
    line: int
    function: FunctionNode | None
    auth: bool | None
    status_code: int | None = None
    response_model: str | None = None
    view_class: str | None = None
    dependencies: tuple[str, ...] = ()

    def route(self, path: str, file: str, line: int, guarded: bool) -> Route:
        return Route(
            method=self.method,
            path=path,
            handler=self.handler,
            file=file,
            line=line,
            framework=self.framework,
            status_code=self.status_code,
            response_model=self.response_model,
            auth=True if guarded else self.auth,
            body_type=f"serializer:{self.response_model}"
            if self.response_model and self.method in ("POST", "PUT", "PATCH")
            else None,
            handler_file=self.module.path,
            handler_line=self.line,
            function=self.function,
            module=self.module,
            dependencies=self.dependencies,
            view_class=self.view_class,
        )


def _decorator_methods(fn: FunctionNode) -> tuple[list[str] | None, bool]:
    """(methods its decorators allow, is a DRF `@api_view`)."""
    for decorator in fn.decorator_list:
        name = call_name(decorator)
        if name in ("require_POST", "require_GET"):
            return [name.rsplit("_", 1)[1]], False
        if name == "require_safe":
            return ["GET"], False
        if isinstance(decorator, ast.Call) and name in ("api_view", "require_http_methods"):
            listed = (
                decorator.args[0] if decorator.args else keyword(decorator, "http_method_names")
            )
            methods = [m.upper() for m in (const_str(e) for e in getattr(listed, "elts", [])) if m]
            return methods or ["GET"], name == "api_view"
    return None, False


def _compared_methods(fn: FunctionNode) -> list[str]:
    """GET plus every `request.method == "POST"` the view body tests."""
    found = ["GET"]
    for node in walk_body(fn):
        if isinstance(node, ast.Compare) and call_name(node.left) == "method":
            for right in node.comparators:
                text = const_str(right)
                if text and text.upper() not in found:
                    found.append(text.upper())
    return found


def _function_auth(
    auth: AuthIndex,
    drf: DrfSettings,
    owner: ModuleIndex,
    fn: FunctionNode,
    method: str,
    is_drf: bool,
) -> bool | None:
    perms: tuple[str, ...] | None = None
    for decorator in fn.decorator_list:
        name = call_name(decorator)
        if name == "permission_classes" and isinstance(decorator, ast.Call) and decorator.args:
            perms = _names(decorator.args[0])
        elif name not in _NOT_GUARDS and auth.is_auth_callable(owner, decorator):
            return True
    if auth.handler_authenticates(owner, fn):
        return True
    if perms is not None:
        return permission_auth(perms, method)
    if is_drf:
        return bool(permission_auth(drf.permissions, method))
    return False


def function_view(
    project: ProjectIndex,
    auth: AuthIndex,
    drf: DrfSettings,
    handler: tuple[ModuleIndex, FunctionNode],
) -> list[View]:
    owner, fn = handler
    methods, is_drf = _decorator_methods(fn)
    return [
        View(
            method=method,
            suffix="",
            handler=fn.name,
            framework="drf" if is_drf else "django",
            module=owner,
            line=fn.lineno,
            function=fn,
            auth=_function_auth(auth, drf, owner, fn, method, is_drf),
        )
        for method in (methods or _compared_methods(fn))
    ]


@dataclass(frozen=True)
class _Class:
    owner: ModuleIndex
    cls: ast.ClassDef
    chain: list[tuple[ModuleIndex, ast.ClassDef]]
    names: set[str]
    methods: dict[str, tuple[ModuleIndex, FunctionNode]]

    @property
    def is_drf(self) -> bool:
        return any(
            n.endswith(("APIView", "ViewSet", "ViewSetMixin")) or n in _VIEWSET_ACTIONS
            for n in self.names
        )


def _class_guarded(auth: AuthIndex, view: _Class) -> bool:
    if view.names & _LOGIN_MIXINS:
        return True
    for owner, cls in view.chain:
        for decorator in cls.decorator_list:
            wrapped = (
                decorator.args[0] if isinstance(decorator, ast.Call) and decorator.args else None
            )
            if (
                call_name(decorator) == "method_decorator"
                and wrapped is not None
                and auth.is_auth_callable(owner, wrapped)
            ):
                return True
    dispatch = view.methods.get("dispatch")
    return dispatch is not None and auth.handler_authenticates(*dispatch)


def _class_auth(
    auth: AuthIndex,
    drf: DrfSettings,
    view: _Class,
    method: str,
    fn: tuple[ModuleIndex, FunctionNode] | None,
) -> bool | None:
    if _class_guarded(auth, view) or (fn is not None and auth.handler_authenticates(*fn)):
        return True
    if not view.is_drf:
        return False
    if "get_permissions" in view.methods:
        return None
    declared = class_attr(view.chain, "permission_classes")
    if declared is not None:
        return permission_auth(_names(declared), method)
    authentication = _names(class_attr(view.chain, "authentication_classes"))
    if authentication == ():
        return False
    return bool(permission_auth(drf.permissions, method))


def _lookup(view: _Class) -> str:
    field = const_str(class_attr(view.chain, "lookup_url_kwarg")) or const_str(
        class_attr(view.chain, "lookup_field")
    )
    return "{" + (field or "pk") + "}"


def _actions(view: _Class, router: bool) -> list[str]:
    table = _VIEWSET_ACTIONS if router else _GENERIC_ACTIONS
    found = {action for name in view.names for action in table.get(name, ())}
    if router:
        found |= {name for name in view.methods if name in ACTIONS}
    return [action for action in ACTIONS if action in found]


def _extra_actions(
    view: _Class,
) -> list[tuple[str, bool, list[str], tuple[ModuleIndex, FunctionNode]]]:
    """`@action(detail=True, methods=["post"], url_path="publish")` methods."""
    found = []
    for name, (owner, fn) in sorted(view.methods.items()):
        for decorator in fn.decorator_list:
            if isinstance(decorator, ast.Call) and call_name(decorator) in (
                "action",
                "detail_route",
                "list_route",
            ):
                detail = keyword(decorator, "detail")
                is_detail = call_name(decorator) == "detail_route" or (
                    isinstance(detail, ast.Constant) and detail.value is True
                )
                listed = keyword(decorator, "methods")
                methods = [
                    m.upper() for m in (const_str(e) for e in getattr(listed, "elts", [])) if m
                ] or ["GET"]
                url = const_str(keyword(decorator, "url_path")) or name
                found.append((url, is_detail, methods, (owner, fn)))
    return found


def _make(
    view: _Class,
    method: str,
    suffix: str,
    name: str,
    fn: tuple[ModuleIndex, FunctionNode] | None,
    auth: bool | None,
    status: int | None = None,
) -> View:
    serializer = class_attr(view.chain, "serializer_class")
    return View(
        method=method,
        suffix=suffix,
        handler=f"{view.cls.name}.{name}",
        framework="drf" if view.is_drf else "django",
        module=fn[0] if fn else view.owner,
        line=fn[1].lineno if fn else view.cls.lineno,
        function=fn[1] if fn else None,
        auth=auth,
        status_code=status,
        response_model=ast.unparse(serializer) if serializer is not None else None,
        view_class=view.cls.name,
    )


def class_view(
    project: ProjectIndex,
    auth: AuthIndex,
    drf: DrfSettings,
    found: tuple[ModuleIndex, ast.ClassDef],
    router: bool = False,
) -> list[View]:
    """The methods a class-based view (or, under a router, a viewset) answers."""
    chain = project.class_chain(*found)
    view = _Class(found[0], found[1], chain, base_names(chain), class_methods(chain))
    lookup = _lookup(view)
    views: list[View] = []
    for action in _actions(view, router):
        method, detail, status = ACTIONS[action]
        fn = view.methods.get(action)
        suffix = lookup if detail and router else ""
        views.append(
            _make(
                view,
                method,
                suffix,
                action,
                fn,
                _class_auth(auth, drf, view, method, fn),
                None if fn else status,
            )
        )
    if router:
        for url, detail, methods, fn in _extra_actions(view):
            suffix = f"{lookup}/{url}" if detail else url
            views += [
                _make(view, m, suffix, fn[1].name, fn, _class_auth(auth, drf, view, m, fn))
                for m in methods
            ]
        return views
    handled = {v.method for v in views}
    for name in HTTP_METHODS:
        fn = view.methods.get(name)
        generic = any(name.upper() in _DJANGO_GENERIC.get(n, ()) for n in view.names)
        if (fn is not None or generic) and name.upper() not in handled:
            views.append(
                _make(
                    view, name.upper(), "", name, fn, _class_auth(auth, drf, view, name.upper(), fn)
                )
            )
    return views
