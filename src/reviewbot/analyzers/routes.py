"""The route table of a web application, read from the source: a pure library.

`extract_routes(inventory)` finds every route of a FastAPI, Flask or Django/DRF project:
FastAPI decorators with router prefixes and `include_router` chains across modules, Flask routes
and blueprints, Django `urls.py` with `include()` prefixes and DRF routers and viewsets. Each
`Route` knows its method, full path, handler, status code, response model, whether it is
authenticated and what its request body is. The table is built once per inventory object and
shared by every analyzer that asks (API design, auth, tests...).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reviewbot.analyzers import routes_django, routes_fastapi, routes_flask
from reviewbot.analyzers.route_auth import AuthIndex
from reviewbot.analyzers.route_index import ProjectIndex
from reviewbot.analyzers.route_model import MUTATING, AppSite, Route
from reviewbot.source.inventory_model import Inventory

__all__ = ["MUTATING", "AppSite", "Route", "RouteTable", "extract_routes"]


@dataclass(frozen=True, slots=True, eq=False)
class RouteTable:
    routes: tuple[Route, ...]
    apps: tuple[AppSite, ...]
    project: ProjectIndex
    auth: AuthIndex
    # DRF settings (`REST_FRAMEWORK = {...}`): default permission and pagination classes.
    drf_default_permissions: tuple[str, ...] | None = None
    drf_default_pagination: bool = False

    def __iter__(self) -> Iterator[Route]:
        return iter(self.routes)

    def __len__(self) -> int:
        return len(self.routes)

    @property
    def frameworks(self) -> tuple[str, ...]:
        return tuple(sorted({route.framework for route in self.routes}))

    def facts(self) -> list[dict[str, Any]]:
        """Sorted by path, then method: the table as the report shows it."""
        return [route.as_fact() for route in self.routes]


_LOCK = threading.Lock()
_CACHE: dict[int, tuple[Inventory, RouteTable]] = {}
_CACHE_SIZE = 4


def extract_routes(inventory: Inventory) -> RouteTable:
    """The route table of `inventory`, built once per inventory object (thread-safe)."""
    with _LOCK:
        cached = _CACHE.get(id(inventory))
        if cached is not None and cached[0] is inventory:
            return cached[1]
        table = _build(inventory)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[id(inventory)] = (inventory, table)
        return table


def _build(inventory: Inventory) -> RouteTable:
    project = ProjectIndex(inventory)
    auth = AuthIndex(project)
    found: list[Route] = []
    apps: list[AppSite] = []
    for reader in (routes_fastapi.read, routes_flask.read):
        routes, sites = reader(project, auth)
        found += routes
        apps += sites
    django = routes_django.read(project, auth)
    found += django.routes
    apps += django.apps
    unique = {(r.method, r.path, r.file, r.line, r.handler): r for r in found}
    ordered = sorted(unique.values(), key=lambda r: (r.path, r.method, r.file, r.line))
    return RouteTable(
        routes=tuple(ordered),
        apps=tuple(sorted(set(apps), key=lambda a: (a.file, a.line))),
        project=project,
        auth=auth,
        drf_default_permissions=django.default_permissions,
        drf_default_pagination=django.default_pagination,
    )
