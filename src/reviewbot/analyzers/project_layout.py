"""How the code is organised (C05): packages split by concern, grab-bag helper modules, and
modules that mix the data model with the HTTP routes.

Reads the inventory's parsed trees only; the facts it returns are the positive evidence
(concerns seen, packages, Django apps).
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import PurePosixPath

from reviewbot.model import Finding
from reviewbot.rulebook import Rulebook
from reviewbot.source.inventory_model import Inventory, ModuleRole, PythonModule

# Folder or module names that say which concern the code inside serves.
CONCERNS = {
    "routers": "routes", "routes": "routes", "views": "routes", "endpoints": "routes",
    "api": "routes", "blueprints": "routes", "urls": "routes",
    "models": "models", "entities": "models",
    "schemas": "schemas", "serializers": "schemas", "dto": "schemas",
    "services": "services", "crud": "services", "repositories": "services",
    "repository": "services", "use_cases": "services", "domain": "services",
    "db": "database", "database": "database", "migrations": "database",
    "core": "config", "config": "config", "settings": "config",
    "auth": "auth", "security": "auth", "dependencies": "dependencies", "deps": "dependencies",
    "tasks": "tasks", "workers": "tasks",
}
_GRAB_BAGS = {"utils", "util", "helpers", "helper", "misc", "common_utils", "utilities"}
GRAB_BAG_LINES = 300
_ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "route", "api_route", "websocket"}
_MODEL_BASES = {"Base", "DeclarativeBase", "Model", "db.Model", "models.Model", "SQLModel"}
_MIXED_MIN_LINES = 150


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _is_model(node: ast.ClassDef) -> bool:
    if any(
        isinstance(item, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in item.targets)
        for item in node.body
    ):
        return True
    for base in node.bases:
        name = _base_name(base)
        if name == "SQLModel":
            return any(k.arg == "table" for k in node.keywords)
        if name in _MODEL_BASES:
            return True
    return False


def _is_route(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and d.func.attr in _ROUTE_METHODS
        for d in node.decorator_list
    )


def _mixed_concerns(book: Rulebook, module: PythonModule) -> Finding | None:
    if module.lines < _MIXED_MIN_LINES:
        return None
    models = [n for n in module.tree.body if isinstance(n, ast.ClassDef) and _is_model(n)]
    routes = [
        n
        for n in module.tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and _is_route(n)
    ]
    if len(models) < 2 or len(routes) < 3:
        return None
    names = ", ".join(f"`{m.name}`" for m in models[:3]) + (", ..." if len(models) > 3 else "")
    message = (
        f"`{module.path}` holds the ORM models ({names}) and {len(routes)} route handlers: "
        "move the models to `models.py` and the routes into one router module per resource "
        "(e.g. `routers/posts.py`), so each file has one reason to change."
    )
    return book.finding("RB0511", module.path, models[0].lineno, message)


def _grab_bag(book: Rulebook, module: PythonModule) -> Finding | None:
    if PurePosixPath(module.path).stem not in _GRAB_BAGS or module.lines < GRAB_BAG_LINES:
        return None
    kinds = Counter(
        "class" if isinstance(n, ast.ClassDef) else "function"
        for n in module.tree.body
        if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    )
    count = kinds["function"] + kinds["class"]
    message = (
        f"`{module.path}` is a {module.lines}-line grab-bag of {count} functions and classes: "
        "move each group next to what uses it, in modules named for what they hold (e.g. "
        "`security.py` for hashing, `text.py` for formatting)."
    )
    return book.finding("RB0510", module.path, None, message)


def layout_findings(book: Rulebook, inv: Inventory) -> tuple[list[Finding], dict[str, object]]:
    """The structure findings and facts of the repository's own app code."""
    app = [m for m in inv.modules if m.role is ModuleRole.APP]
    findings = []
    for module in app:
        for finding in (_grab_bag(book, module), _mixed_concerns(book, module)):
            if finding is not None:
                findings.append(finding)
    concerns: set[str] = set()
    packages: set[str] = set()
    for module in app:
        path = PurePosixPath(module.path)
        for name in (*path.parts[:-1], path.stem):
            if name in CONCERNS:
                concerns.add(CONCERNS[name])
        if path.name == "__init__.py":
            packages.add(str(path.parent))
    django_apps = {
        str(PurePosixPath(m.path).parent)
        for m in inv.modules
        if PurePosixPath(m.path).name == "apps.py"
        and inv.has(str(PurePosixPath(m.path).parent / "models.py"))
    }
    facts: dict[str, object] = {
        "concerns": sorted(concerns),
        "packages": len(packages),
        "django_apps": len(django_apps),
    }
    return findings, facts
