"""Django routes: `urls.py` `path()`/`re_path()` with `include()` prefixes, function and
class-based views, DRF routers with viewsets (the standard actions expanded, `@action`s
added), `APIView`s and generic views, and who may call them (`permission_classes`,
`DEFAULT_PERMISSION_CLASSES`, `login_required`, `LoginRequiredMixin`)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

from reviewbot.analyzers.route_auth import AuthIndex
from reviewbot.analyzers.route_index import ModuleIndex, ProjectIndex, call_name, const_str
from reviewbot.analyzers.route_model import AppSite, Route, join_path, normalize_path
from reviewbot.analyzers.routes_django_views import DrfSettings, View, class_view, function_view

_PATH_CALLS = frozenset({"path", "re_path", "url"})
_MAX_DEPTH = 8


@dataclass
class DjangoRoutes:
    routes: list[Route] = field(default_factory=list)
    apps: list[AppSite] = field(default_factory=list)
    default_permissions: tuple[str, ...] | None = None
    default_pagination: bool = False


@dataclass(frozen=True)
class _Mount:
    index: ModuleIndex
    prefix: str
    guarded: bool
    depth: int


def _settings(project: ProjectIndex) -> tuple[str | None, DrfSettings, bool]:
    """ROOT_URLCONF, the DRF defaults, and whether Django's `LoginRequiredMiddleware`
    (Django 5.1) protects every view."""
    root: str | None = None
    drf = DrfSettings()
    login_everywhere = False
    for index in project:
        root = root or const_str(index.value_of("ROOT_URLCONF"))
        value = index.value_of("REST_FRAMEWORK")
        if isinstance(value, ast.Dict):
            drf = DrfSettings.from_dict(value)
        middleware = index.value_of("MIDDLEWARE")
        if isinstance(middleware, ast.List | ast.Tuple):
            names = [const_str(e) or "" for e in middleware.elts]
            login_everywhere |= any(n.endswith("LoginRequiredMiddleware") for n in names)
    return root, drf, login_everywhere


def _patterns(index: ModuleIndex) -> list[ast.expr]:
    """Every expression `urlpatterns` is built from: `= [...]`, `+= [...]`, `+ router.urls`,
    `.append(...)`/`.extend(...)`."""
    found: list[ast.expr] = []
    for node in ast.walk(index.module.tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if (
                any(isinstance(t, ast.Name) and t.id == "urlpatterns" for t in targets)
                and node.value
            ):
                found.append(node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if (
                isinstance(owner, ast.Name)
                and owner.id == "urlpatterns"
                and node.func.attr in ("append", "extend")
            ):
                found += node.args
    return found


def _flatten(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.List | ast.Tuple):
        return [item for elt in node.elts for item in _flatten(elt)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _flatten(node.left) + _flatten(node.right)
    if (
        isinstance(node, ast.Call)
        and call_name(node.func) == "format_suffix_patterns"
        and node.args
    ):
        return _flatten(node.args[0])
    return [node]


class _Reader:
    def __init__(self, project: ProjectIndex, auth: AuthIndex, drf: DrfSettings) -> None:
        self.project = project
        self.auth = auth
        self.drf = drf
        self.routes: list[Route] = []

    def urls_module(self, index: ModuleIndex, target: ast.expr) -> ModuleIndex | None:
        if isinstance(target, ast.Tuple) and target.elts:
            target = target.elts[0]
        dotted = const_str(target)
        if dotted is not None:
            return self.project.module(dotted, index)
        found = self.project.resolve(index, target)
        return found[0] if found is not None and found[1] is None else None

    def walk(self, mount: _Mount) -> None:
        if mount.depth > _MAX_DEPTH:
            return
        for value in _patterns(mount.index):
            for item in _flatten(value):
                self.entry(mount, item)

    def entry(self, mount: _Mount, item: ast.expr) -> None:
        if isinstance(item, ast.Attribute) and item.attr == "urls":
            self.router(mount, item.value, mount.prefix)
            return
        if not (
            isinstance(item, ast.Call)
            and call_name(item.func) in _PATH_CALLS
            and len(item.args) >= 2
        ):
            return
        raw = const_str(item.args[0])
        if raw is None:
            return
        prefix = join_path(mount.prefix, raw) if raw else mount.prefix
        self.view(mount, item, item.args[1], prefix, mount.guarded)

    def view(self, mount: _Mount, decl: ast.Call, view: ast.expr, path: str, guarded: bool) -> None:
        index = mount.index
        if isinstance(view, ast.Call) and call_name(view.func) == "include" and view.args:
            target = view.args[0]
            if isinstance(target, ast.Attribute) and target.attr == "urls":
                self.router(mount, target.value, path)
                return
            module = self.urls_module(index, target)
            if module is not None:
                self.walk(_Mount(module, path, guarded, mount.depth + 1))
            return
        if (
            isinstance(view, ast.Call)
            and call_name(view.func) == "as_view"
            and isinstance(view.func, ast.Attribute)
        ):
            found = self.project.klass(index, view.func.value)
            if found is not None:
                self.add(
                    class_view(self.project, self.auth, self.drf, found), index, decl, path, guarded
                )
            return
        if isinstance(view, ast.Call) and view.args:
            # `login_required(views.profile)`, `csrf_exempt(...)`: a wrapper around the view
            wrapper = self.auth.is_auth_callable(index, view.func)
            self.view(mount, decl, view.args[0], path, guarded or wrapper)
            return
        handler = self.project.function(index, view)
        if handler is not None:
            self.add(
                function_view(self.project, self.auth, self.drf, handler),
                index,
                decl,
                path,
                guarded,
            )

    def add(
        self, views: list[View], index: ModuleIndex, decl: ast.Call, path: str, guarded: bool
    ) -> None:
        for view in views:
            full = join_path(path, view.suffix) if view.suffix else path
            self.routes.append(view.route(full, index.path, decl.lineno, guarded))

    def include_targets(self, index: ModuleIndex) -> list[ModuleIndex]:
        """The URLconfs `index` includes, without reading them."""
        found = []
        for value in _patterns(index):
            for item in _flatten(value):
                if (
                    isinstance(item, ast.Call)
                    and call_name(item.func) in _PATH_CALLS
                    and len(item.args) >= 2
                ):
                    view = item.args[1]
                    if (
                        isinstance(view, ast.Call)
                        and call_name(view.func) == "include"
                        and view.args
                    ):
                        module = self.urls_module(index, view.args[0])
                        found += [module] if module is not None else []
        return found

    def router(self, mount: _Mount, node: ast.expr, prefix: str) -> None:
        """A DRF router's registrations: each viewset's actions under `prefix`."""
        found = self.project.resolve(mount.index, node)
        if found is None:
            return
        owner, name = found
        if name is None:
            return
        made = owner.value_of(name)
        trailing = not (
            isinstance(made, ast.Call)
            and any(
                kw.arg == "trailing_slash"
                and isinstance(kw.value, ast.Constant)
                and not kw.value.value
                for kw in made.keywords
            )
        )
        for call in owner.calls:
            if not (
                isinstance(call.func, ast.Attribute)
                and call.func.attr == "register"
                and len(call.args) >= 2
            ):
                continue
            receiver = self.project.resolve(owner, call.func.value)
            registered = const_str(call.args[0])
            viewset = self.project.klass(owner, call.args[1])
            if receiver != (owner, name) or registered is None or viewset is None:
                continue
            for view in class_view(self.project, self.auth, self.drf, viewset, router=True):
                suffix = view.suffix + ("/" if trailing else "")
                path = join_path(prefix, registered, suffix)
                self.routes.append(view.route(path, owner.path, call.lineno, mount.guarded))


def read(project: ProjectIndex, auth: AuthIndex) -> DjangoRoutes:
    """Every Django and DRF route reachable from the root URLconf (or from every `urls.py`
    no other one includes), with the project's DRF defaults."""
    root_conf, drf, login_everywhere = _settings(project)
    url_modules = [i for i in project if "urlpatterns" in i.module.source and _patterns(i)]
    result = DjangoRoutes(default_permissions=drf.permissions, default_pagination=drf.pagination)
    if not url_modules:
        return result
    reader = _Reader(project, auth, drf)
    root = project.module(root_conf) if root_conf else None
    included = {
        m.path for index in url_modules for m in reader.include_targets(index) if m is not index
    }
    # The root URLconf, then any URLconf nothing includes (read from where it is).
    roots = [root] if root is not None and root in url_modules else []
    roots += [i for i in url_modules if i.path not in included and i not in roots]
    for index in roots:
        reader.walk(_Mount(index, "/", guarded=login_everywhere, depth=0))
    for route in reader.routes:
        route_path = normalize_path(route.path)
        result.routes.append(route if route_path == route.path else replace(route, path=route_path))
    result.apps = [
        AppSite("django", i.path, _patterns(i)[0].lineno) for i in (roots or url_modules[:1])
    ]
    return result
