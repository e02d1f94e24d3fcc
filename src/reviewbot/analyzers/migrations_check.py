"""Migrations (C08): what schema management the repository has, beside its models.

Recognises Alembic (and Flask-Migrate) revision folders (`versions/` next to an `env.py`),
Django apps' `migrations/` folders, and other migration folders of `.py`/`.sql` files
(`migrations/`, `alembic/`, yoyo, aerich, piccolo). `create_all()` calls are found in the
parsed trees: SQLAlchemy/SQLModel `X.metadata.create_all` (also passed to `run_sync`) and
Flask-SQLAlchemy `db.create_all()`.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from reviewbot.analyzers.orm_models import Model, ModelIndex
from reviewbot.analyzers.project_names import ProjectNames
from reviewbot.source.inventory_model import Inventory, ModuleRole, PythonModule

_MIGRATION_DIRS = frozenset({"migrations", "migration", "alembic", "piccolo_migrations"})
_NOT_REVISIONS = frozenset({"__init__.py", "env.py", "conftest.py"})
_FILE_LIMIT = 400  # migration files read for the table check


@dataclass(slots=True)
class Migrations:
    """Migration files by kind; paths are repo-relative."""

    alembic: list[str] = field(default_factory=list)
    django: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    other: list[str] = field(default_factory=list)

    @property
    def all(self) -> list[str]:
        return sorted([*self.alembic, *(p for ps in self.django.values() for p in ps), *self.other])

    @property
    def folder(self) -> str:
        """Where the migrations live, for messages: `migrations/versions/`."""
        paths = self.all
        return f"{PurePosixPath(paths[0]).parent}/" if paths else ""


def find_migrations(inventory: Inventory) -> Migrations:
    found = Migrations()
    paths = {f.path for f in inventory.files}
    for path in sorted(paths):
        posix = PurePosixPath(path)
        if posix.suffix not in (".py", ".sql") or posix.name in _NOT_REVISIONS:
            continue
        parent = posix.parent
        if parent.name == "versions" and (
            str(parent.parent / "env.py") in paths or str(parent.parent / "script.py.mako") in paths
        ):
            found.alembic.append(path)
        elif parent.name == "migrations" and posix.suffix == ".py" and posix.name[:1].isdigit():
            found.django[str(parent.parent)].append(path)
        elif _MIGRATION_DIRS & set(parent.parts) and not _is_tooling(posix):
            found.other.append(path)
    return found


def _is_tooling(path: PurePosixPath) -> bool:
    """Alembic's env.py, Django's empty package and migration helpers are no revisions."""
    return path.name in _NOT_REVISIONS or path.name.startswith("_")


@dataclass(frozen=True, slots=True)
class CreateAll:
    module: PythonModule
    line: int
    shown: str  # `Base.metadata.create_all()`


def create_all_calls(names: ProjectNames, module: PythonModule, flask: bool) -> list[CreateAll]:
    """`create_all` calls (or references handed to `run_sync`) in one module."""
    found: list[CreateAll] = []
    if "create_all" not in module.source:
        return found
    for node in ast.walk(module.tree):
        if not (isinstance(node, ast.Attribute) and node.attr == "create_all"):
            continue
        owner = node.value
        if isinstance(owner, ast.Attribute) and owner.attr == "metadata":
            found.append(CreateAll(module, node.lineno, f"{ast.unparse(owner)}.create_all()"))
        elif isinstance(owner, ast.Name) and _flask_db(names, module, owner, flask):
            found.append(CreateAll(module, node.lineno, f"{owner.id}.create_all()"))
    return sorted({(c.line, c.shown): c for c in found}.values(), key=lambda c: c.line)


def _flask_db(names: ProjectNames, module: PythonModule, owner: ast.Name, flask: bool) -> bool:
    found = names.assignment(names.qualify(module, owner))
    if found is not None and isinstance(found[1], ast.Call):
        return (names.qualify(found[0].module, found[1].func) or "").endswith("SQLAlchemy")
    return flask and owner.id == "db"


def django_app(model: Model) -> str:
    """The app folder of a Django model: `blog` for blog/models.py and blog/models/post.py."""
    parent = PurePosixPath(model.path).parent
    return str(parent.parent if parent.name == "models" else parent)


def apps_without_migrations(index: ModelIndex, migrations: Migrations) -> list[tuple[str, Model]]:
    """Django apps that have models but no migration files, with their first model."""
    apps: dict[str, Model] = {}
    for model in index.models:
        if model.orm == "django":
            apps.setdefault(django_app(model), model)
    return sorted(
        ((app, model) for app, model in apps.items() if not migrations.django.get(app)),
        key=lambda item: item[0],
    )


def tables_missing(
    inventory: Inventory, index: ModelIndex, migrations: Migrations
) -> list[tuple[Model, str]]:
    """Models whose table (SQLAlchemy) or class (Django) no migration file mentions."""
    texts: dict[str, str] = {}
    for path in migrations.all[:_FILE_LIMIT]:
        texts[path] = inventory.read_text(path) or ""
    shared = "\n".join(t for p, t in texts.items() if p not in _django_paths(migrations))
    missing: list[tuple[Model, str]] = []
    for model in index.models:
        if model.orm == "django":
            app = django_app(model)
            if not migrations.django.get(app):
                continue  # reported as an app without migrations
            text = "\n".join(texts.get(p, "") for p in migrations.django[app])
            if not re.search(rf"""name\s*=\s*['"]{re.escape(model.name)}['"]""", text):
                missing.append((model, model.name))
        elif (
            model.table
            and shared
            and not re.search(
                rf"""['"`]{re.escape(model.table)}['"`]|\btable\s+(if\s+not\s+exists\s+)?"""
                rf"""{re.escape(model.table)}\b""",
                shared,
                re.IGNORECASE,
            )
        ):
            missing.append((model, model.table))
    return missing


def _django_paths(migrations: Migrations) -> set[str]:
    return {p for paths in migrations.django.values() for p in paths}


def schema_modules(inventory: Inventory) -> list[PythonModule]:
    """Modules where `create_all` counts as schema management (not tests or migrations)."""
    return [m for m in inventory.modules if m.role in (ModuleRole.APP, ModuleRole.SCRIPT)]
