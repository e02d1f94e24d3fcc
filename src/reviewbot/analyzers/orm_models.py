"""An index of the project's ORM models, read from the parsed trees alone (nothing imported).

Understands Django (`models.Model` and project bases deriving from it, `AbstractUser`...),
SQLAlchemy 1.x/2.x (`DeclarativeBase`, `declarative_base()`, `Mapped[...]`, `mapped_column`,
`Column`, `relationship(lazy=...)`, `ForeignKey`, `index=True`, `Index`), SQLModel
(`table=True`, `Relationship`) and Flask-SQLAlchemy (`db.Model`, `db.relationship`,
`db.ForeignKey`). Fields and relations of project base classes and mixins are inherited; Django
reverse relations (`related_name` or the default `<model>_set`) and SQLAlchemy `backref=` names
are added to the model they appear on.

Used by the N+1 (C09), database (C07) and migration (C08) analyzers: `index_models(inventory)`
is computed once per inventory and shared.
"""

from __future__ import annotations

import ast
import threading
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Final

from reviewbot.analyzers.orm_fields import (
    ClassMembers,
    RelationSpec,
    call_name,
    class_members,
    dotted,
    is_true,
)
from reviewbot.source.inventory_model import Inventory, ModuleRole, PythonModule

# `lazy=` values under which SQLAlchemy loads a relationship together with its parent row.
EAGER_LAZY: Final = frozenset({"selectin", "joined", "subquery", "immediate"})

_DJANGO_BASES: Final = frozenset({"models.Model", "django.db.models.Model"})
# Django library classes that are models themselves (a subclass is a concrete model).
_DJANGO_LIBRARY_MODELS: Final = frozenset(
    {"AbstractUser", "AbstractBaseUser", "PermissionsMixin", "TimeStampedModel", "MPTTModel",
     "PolymorphicModel", "TimeFramedModel", "StatusModel", "SoftDeletableModel"}
)
_DJANGO_USER_BASES: Final = frozenset({"AbstractUser", "AbstractBaseUser"})
_SQLA_ROOTS: Final = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta"})
_SQLA_BASE_FACTORIES: Final = frozenset({"declarative_base", "generate_base", "automap_base"})
_CACHE_SIZE: Final = 8


@dataclass(frozen=True, slots=True)
class Relation:
    """A related-object attribute of a model: `post.author`, `user.posts`, `post.comment_set`."""

    name: str
    target: str | None  # the related model's class name, when known
    kind: str  # "fk" | "o2o" | "m2m" | "reverse" | "relationship"
    lazy: str | None  # SQLAlchemy `lazy=` as written ("select", "selectin", "dynamic"...)
    line: int  # where it is declared (for a reverse relation: the declaring field's line)

    @property
    def eager(self) -> bool:
        """Loaded with its parent row already (`lazy="selectin"/"joined"/"subquery"`)."""
        return self.lazy in EAGER_LAZY


@dataclass(frozen=True, slots=True)
class Model:
    """One concrete (table-backed) model class of the project."""

    name: str
    path: str
    line: int
    orm: str  # "django" | "sqlalchemy" | "sqlmodel" | "flask_sqlalchemy"
    table: str | None  # explicit or the ORM's default name when it has one we can know
    relations: tuple[Relation, ...]
    fields: tuple[str, ...]  # column attributes; Django FK/O2O fields by their attribute name
    indexed_fields: tuple[str, ...]  # fields that lead an index (index/unique/pk/FK in Django)
    foreign_keys: tuple[str, ...]  # attributes holding a foreign key column
    bases: tuple[str, ...] = ()  # base classes as written

    def relation(self, name: str) -> Relation | None:
        return next((r for r in self.relations if r.name == name), None)


@dataclass(frozen=True)
class ModelIndex:
    """Every model of the project, with lookups by class and by relation name."""

    models: tuple[Model, ...]
    orms: frozenset[str]
    _by_name: dict[str, Model] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for model in self.models:
            self._by_name.setdefault(model.name, model)

    def by_name(self, name: str) -> Model | None:
        """The model with this class name (the first by path when two apps share a name)."""
        return self._by_name.get(name)

    def relation_names(self) -> frozenset[str]:
        """Every relation attribute name any model has."""
        return frozenset(r.name for m in self.models for r in m.relations)

    def relations_named(self, name: str) -> tuple[tuple[Model, Relation], ...]:
        """The models that have a relation called `name`, with that relation."""
        return tuple((m, r) for m in self.models for r in m.relations if r.name == name)


@dataclass(slots=True)
class _Class:
    node: ast.ClassDef
    module: PythonModule
    bases: tuple[str, ...]
    django_bare_model: bool  # the module imported `Model` from django.db.models
    orm: str | None = None
    root: bool = False  # a declarative base itself (`class Base(DeclarativeBase)`)
    merged: ClassMembers | None = None


@dataclass(slots=True)
class _Project:
    classes: list[_Class] = field(default_factory=list)
    sqla_bases: set[str] = field(default_factory=set)
    flask_dbs: set[str] = field(default_factory=set)
    uses_flask_sqlalchemy: bool = False
    module_indexes: list[tuple[str, str]] = field(default_factory=list)  # (model, column)


def is_django_tests(module: PythonModule) -> bool:
    """Django's `startapp` test module `app/tests.py`, which the inventory files as app code."""
    return PurePosixPath(module.path).name == "tests.py"


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module statements, looking into top-level `if`/`try` blocks (TYPE_CHECKING, fallbacks)."""
    found: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, ast.If):
            found += _top_level(statement.body + statement.orelse)
        elif isinstance(statement, ast.Try):
            found += _top_level(statement.body + statement.orelse + statement.finalbody)
        else:
            found.append(statement)
    return found


def _collect_module(project: _Project, module: PythonModule) -> None:
    statements = _top_level(module.tree.body)
    bare_model = any(
        isinstance(s, ast.ImportFrom) and s.module == "django.db.models"
        and any(a.name == "Model" and a.asname is None for a in s.names)
        for s in statements
    )
    for statement in statements:
        if isinstance(statement, ast.ClassDef):
            bases = tuple(b for base in statement.bases if (b := dotted(base)))
            project.classes.append(_Class(statement, module, bases, bare_model))
        elif isinstance(statement, ast.ImportFrom) and (statement.module or "").startswith(
            "flask_sqlalchemy"
        ):
            project.uses_flask_sqlalchemy = True
        elif isinstance(statement, ast.Assign | ast.AnnAssign | ast.Expr):
            _collect_assignment(project, statement)


def _collect_assignment(
    project: _Project, statement: ast.Assign | ast.AnnAssign | ast.Expr
) -> None:
    value = statement.value
    kind = call_name(value)
    if isinstance(value, ast.Call) and kind == "Index":
        # Module-level `Index("ix_posts_title", Post.title)`.
        column = next((a for a in value.args[1:2] if isinstance(a, ast.Attribute)), None)
        if column is not None and isinstance(column.value, ast.Name):
            project.module_indexes.append((column.value.id, column.attr))
        return
    targets = statement.targets if isinstance(statement, ast.Assign) else (
        [statement.target] if isinstance(statement, ast.AnnAssign) else []
    )
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    if kind in _SQLA_BASE_FACTORIES:
        project.sqla_bases.update(names)
    elif kind == "SQLAlchemy":
        project.flask_dbs.update(names)


def _direct_orm(cls: _Class, project: _Project) -> tuple[str | None, bool]:
    """The ORM a class belongs to through its written bases alone, and whether it is a root."""
    decorators = {call_name(d) or dotted(d) for d in cls.node.decorator_list}
    if "as_declarative" in decorators:
        return "sqlalchemy", True
    for base in cls.bases:
        found = _base_orm(base, cls, project)
        if found is not None:
            return found
    return None, False


def _base_orm(base: str, cls: _Class, project: _Project) -> tuple[str, bool] | None:
    last = base.rsplit(".", 1)[-1]
    orm: tuple[str, bool] | None = None
    if base in _DJANGO_BASES or last in _DJANGO_LIBRARY_MODELS or (
        base == "Model" and cls.django_bare_model
    ):
        orm = ("django", False)
    elif last in _SQLA_ROOTS:
        orm = ("sqlalchemy", True)
    elif base in project.sqla_bases:
        orm = ("sqlalchemy", False)
    elif base.endswith(".Model") and (
        base[: -len(".Model")] in project.flask_dbs
        or (base == "db.Model" and project.uses_flask_sqlalchemy)
    ):
        orm = ("flask_sqlalchemy", False)
    elif last == "SQLModel":
        orm = ("sqlmodel", False)
    return orm


def _parents(cls: _Class, by_name: dict[str, list[_Class]]) -> list[_Class]:
    """The project classes `cls` derives from (same module first when names clash)."""
    found = []
    for base in cls.bases:
        candidates = [c for c in by_name.get(base.rsplit(".", 1)[-1], []) if c is not cls]
        same_module = [c for c in candidates if c.module is cls.module]
        chosen = (same_module or candidates)[:1]
        found += chosen
    return found


def _resolve_orms(project: _Project, by_name: dict[str, list[_Class]]) -> None:
    for cls in project.classes:
        cls.orm, cls.root = _direct_orm(cls, project)
    changed = True
    while changed:  # a class's ORM is its first ORM parent's: repeat until nothing changes
        changed = False
        for cls in project.classes:
            if cls.orm is not None:
                continue
            inherited = next((p.orm for p in _parents(cls, by_name) if p.orm), None)
            if inherited is not None:
                cls.orm, changed = inherited, True


def _merged(cls: _Class, by_name: dict[str, list[_Class]], seen: set[int]) -> ClassMembers:
    """Own members plus those of project parents (mixins and abstract bases)."""
    if cls.merged is not None:
        return cls.merged
    merged = ClassMembers()
    seen.add(id(cls))
    for parent in reversed(_parents(cls, by_name)):
        if id(parent) in seen:
            continue
        inherited = _merged(parent, by_name, seen)
        merged.fields += [f for f in inherited.fields if f not in merged.fields]
        merged.indexed += [f for f in inherited.indexed if f not in merged.indexed]
        merged.foreign_keys += inherited.foreign_keys
        merged.relations += inherited.relations
        merged.has_table_name = merged.has_table_name or inherited.has_table_name
    own = class_members(cls.node, cls.orm)
    for name in own.fields:
        merged.add_field(name)
    for name in own.indexed:
        merged.add_index(name)
    merged.foreign_keys += [f for f in own.foreign_keys if f not in merged.foreign_keys]
    overridden = {r.name for r in own.relations}
    merged.relations = [r for r in merged.relations if r.name not in overridden]
    merged.relations += own.relations
    merged.table, merged.abstract = own.table, own.abstract
    merged.has_table_name = merged.has_table_name or own.has_table_name or any(
        isinstance(s, ast.FunctionDef) and s.name == "__tablename__" for s in cls.node.body
    )
    cls.merged = merged
    return merged


def _is_model(cls: _Class, members: ClassMembers, by_name: dict[str, list[_Class]]) -> bool:
    if cls.orm is None or cls.root or members.abstract:
        return False
    if cls.orm == "sqlmodel":
        return is_true(next((k.value for k in cls.node.keywords if k.arg == "table"), None))
    if cls.orm == "sqlalchemy":
        own = class_members(cls.node, cls.orm)
        parent_is_model = any(
            p.merged is not None and not p.root and not p.merged.abstract and p.orm
            for p in _parents(cls, by_name)
            if p.merged is not None and (p.merged.has_table_name or p.merged.fields)
        )
        return bool(members.has_table_name or own.fields or own.relations or parent_is_model)
    return True


def _default_table(cls: _Class, members: ClassMembers) -> str | None:
    if members.table is not None:
        return members.table
    name = cls.node.name
    if cls.orm == "sqlmodel":
        return name.lower()
    if cls.orm == "flask_sqlalchemy" and not members.has_table_name:
        return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(name)).lower()
    if cls.orm == "django":
        return f"{PurePosixPath(cls.module.path).parent.name}_{name.lower()}"
    return None


def _is_user_model(cls: _Class, by_name: dict[str, list[_Class]], depth: int = 0) -> bool:
    if any(b.rsplit(".", 1)[-1] in _DJANGO_USER_BASES for b in cls.bases):
        return True
    return depth < 10 and any(_is_user_model(p, by_name, depth + 1) for p in _parents(cls, by_name))


def _reverse_name(spec: RelationSpec, cls: _Class) -> str:
    if cls.orm != "django":
        return spec.reverse or ""
    model = cls.node.name.lower()
    if spec.reverse is None:
        return model if spec.kind == "o2o" else f"{model}_set"
    app = PurePosixPath(cls.module.path).parent.name
    return spec.reverse.replace("%(class)s", model).replace("%(app_label)s", app)


def _build(inventory: Inventory) -> ModelIndex:
    project = _Project()
    for module in inventory.modules:
        if module.role in (ModuleRole.APP, ModuleRole.SCRIPT) and not is_django_tests(module):
            _collect_module(project, module)
    by_name: dict[str, list[_Class]] = {}
    for cls in project.classes:
        by_name.setdefault(cls.node.name, []).append(cls)
    _resolve_orms(project, by_name)
    concrete = [
        (cls, members)
        for cls in project.classes
        if _is_model(cls, members := _merged(cls, by_name, set()), by_name)
    ]
    users = [c.node.name for c, _ in concrete if c.orm == "django" and _is_user_model(c, by_name)]
    user_model = users[0] if len(users) == 1 else "User"
    names = {cls.node.name for cls, _ in concrete}
    relations: dict[str, list[Relation]] = {cls.node.name: [] for cls, _ in concrete}
    reverse: list[tuple[str, Relation]] = []
    for cls, members in concrete:
        for spec in members.relations:
            target = user_model if spec.target == "AUTH_USER_MODEL" else spec.target
            relation = Relation(spec.name, target, spec.kind, spec.lazy, spec.line)
            relations[cls.node.name].append(relation)
            back = _reverse_name(spec, cls)
            if back and target in names:
                reverse.append((target, Relation(back, cls.node.name, "reverse",
                                                 spec.reverse_lazy, spec.line)))
    for target, relation in reverse:
        if all(r.name != relation.name for r in relations[target]):
            relations[target].append(relation)
    extra_indexes: dict[str, list[str]] = {}
    for model, column in project.module_indexes:
        extra_indexes.setdefault(model, []).append(column)
    models = tuple(
        Model(
            name=cls.node.name,
            path=cls.module.path,
            line=cls.node.lineno,
            orm=cls.orm or "",
            table=_default_table(cls, members),
            relations=tuple(relations[cls.node.name]),
            fields=tuple(members.fields),
            indexed_fields=tuple(dict.fromkeys(
                [*members.indexed, *extra_indexes.get(cls.node.name, [])]
            )),
            foreign_keys=tuple(members.foreign_keys),
            bases=cls.bases,
        )
        for cls, members in concrete
    )
    return ModelIndex(models, frozenset(m.orm for m in models))


_cache: list[tuple[Inventory, ModelIndex]] = []
_cache_lock = threading.Lock()


def index_models(inventory: Inventory) -> ModelIndex:
    """The project's models, computed once per inventory (analyzers share it across threads).

    The inventory is frozen and has no weak references, so the last few inventories are kept
    by identity; a long-running service never holds more than `_CACHE_SIZE` of them.
    """
    with _cache_lock:
        for cached, index in _cache:
            if cached is inventory:
                return index
        index = _build(inventory)
        _cache.append((inventory, index))
        del _cache[:-_CACHE_SIZE]
        return index


__all__ = ["EAGER_LAZY", "Model", "ModelIndex", "Relation", "index_models"]
