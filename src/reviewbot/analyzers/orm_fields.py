"""What one ORM class body declares: fields, relations, indexes, foreign keys and its table.

The per-class half of `reviewbot.analyzers.orm_models`: it reads one `ast.ClassDef` (Django,
SQLAlchemy 1.x/2.x, SQLModel or Flask-SQLAlchemy style) and never looks at other classes;
inheritance and reverse relations are resolved by the index.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Final

# Django relation fields and the kind of relation each declares.
DJANGO_RELATIONS: Final = {
    "ForeignKey": "fk",
    "OneToOneField": "o2o",
    "ManyToManyField": "m2m",
    "ParentalKey": "fk",  # wagtail / modelcluster
    "TreeForeignKey": "fk",  # django-mptt
}
# Calls that declare a SQLAlchemy / SQLModel relationship.
SQLA_RELATIONSHIPS: Final = frozenset(
    {"relationship", "relation", "Relationship", "dynamic_loader"}
)
# Calls that declare a column.
SQLA_COLUMNS: Final = frozenset({"Column", "mapped_column", "Field", "column_property"})
# Wrappers of a relationship's target type in an annotation.
_CONTAINERS: Final = frozenset(
    {"Mapped", "list", "List", "set", "Set", "Optional", "Sequence", "tuple", "Tuple",
     "WriteOnlyMapped", "DynamicMapped", "Iterable", "Collection", "Union"}
)
_NOT_FIELDS: Final = frozenset({"ClassVar", "Final"})


def dotted(expr: ast.expr) -> str | None:
    """`models.Model` for an attribute chain of names, `Base` for a name, else None."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        owner = dotted(expr.value)
        return f"{owner}.{expr.attr}" if owner else None
    if isinstance(expr, ast.Subscript):  # Generic[...] bases
        return dotted(expr.value)
    return None


def call_name(expr: ast.expr | None) -> str | None:
    """The last part of a call's function name: `models.ForeignKey(...)` -> `ForeignKey`."""
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Attribute):
            return func.attr
        return func.id if isinstance(func, ast.Name) else None
    return None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def is_true(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is True


def literal_str(expr: ast.expr | None) -> str | None:
    return expr.value if isinstance(expr, ast.Constant) and isinstance(expr.value, str) else None


def strings(expr: ast.expr | None) -> list[str]:
    """The string items of a literal list/tuple (or a single string)."""
    if isinstance(expr, ast.List | ast.Tuple | ast.Set):
        return [s for item in expr.elts if (s := literal_str(item)) is not None]
    single = literal_str(expr)
    return [single] if single is not None else []


def model_name(reference: str) -> str:
    """`"blog.Post"` / `"app.models.Post"` -> `Post`."""
    return reference.rsplit(".", 1)[-1]


def annotation_target(annotation: ast.expr | None) -> str | None:
    """The class a relationship annotation points at: `Mapped[list["Comment"]]` -> `Comment`."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.Subscript):
        wrapper = dotted(annotation.value)
        inner = annotation.slice
        items = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        if not wrapper or model_name(wrapper) not in _CONTAINERS:
            items = []
        found = [t for item in items if (t := annotation_target(item))]
        return found[0] if found else None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return annotation_target(annotation.left) or annotation_target(annotation.right)
    name = dotted(annotation)
    return model_name(name) if name and name != "None" else None


@dataclass(frozen=True, slots=True)
class RelationSpec:
    """A relation as declared, with what its reverse side (Django, `backref=`) is called."""

    name: str
    target: str | None
    kind: str
    lazy: str | None
    line: int
    # Django: `related_name` (None: the default `<model>_set` / `<model>`; "" : none, "+").
    # SQLAlchemy: the `backref=` name, or "" when there is none.
    reverse: str | None
    reverse_lazy: str | None = None


@dataclass(slots=True)
class ClassMembers:
    """Everything one class body declares, in source order."""

    fields: list[str] = field(default_factory=list)
    indexed: list[str] = field(default_factory=list)
    foreign_keys: list[str] = field(default_factory=list)
    relations: list[RelationSpec] = field(default_factory=list)
    table: str | None = None
    abstract: bool = False
    has_table_name: bool = False

    def add_field(self, name: str) -> None:
        if name not in self.fields:
            self.fields.append(name)

    def add_index(self, name: str) -> None:
        name = name.lstrip("-")  # Django's descending index fields: "-created"
        if name not in self.indexed:
            self.indexed.append(name)


def _lazy_value(expr: ast.expr | None) -> str | None:
    if isinstance(expr, ast.Constant) and expr.value is not None:
        value = expr.value
        if isinstance(value, bool):  # Flask-SQLAlchemy shorthands
            return "select" if value else "joined"
        return str(value)
    return None


def _sqla_lazy(call: ast.Call) -> str | None:
    lazy = _lazy_value(keyword(call, "lazy"))
    extra = keyword(call, "sa_relationship_kwargs")  # SQLModel
    if lazy is None and isinstance(extra, ast.Dict):
        for key, value in zip(extra.keys, extra.values, strict=True):
            if literal_str(key) == "lazy":
                lazy = _lazy_value(value)
    return lazy


def _backref(call: ast.Call) -> tuple[str, str | None]:
    value = keyword(call, "backref")
    if isinstance(value, ast.Call) and call_name(value) == "backref" and value.args:
        return literal_str(value.args[0]) or "", _lazy_value(keyword(value, "lazy"))
    return literal_str(value) or "", None


def _sqla_relation(name: str, call: ast.Call, annotation: ast.expr | None) -> RelationSpec:
    target: str | None = None
    first = call.args[0] if call.args else keyword(call, "argument")
    if first is not None:
        reference = literal_str(first) or dotted(first)
        target = model_name(reference) if reference else None
    target = target or annotation_target(annotation)
    lazy = _sqla_lazy(call) or ("dynamic" if call_name(call) == "dynamic_loader" else None)
    reverse, reverse_lazy = _backref(call)
    return RelationSpec(name, target, "relationship", lazy, call.lineno, reverse, reverse_lazy)


def _has_foreign_key(call: ast.Call) -> bool:
    if literal_str(keyword(call, "foreign_key")):  # SQLModel Field(foreign_key="team.id")
        return True
    return any(call_name(arg) == "ForeignKey" for arg in call.args)


def _sqla_member(members: ClassMembers, name: str, value: ast.expr | None,
                 annotation: ast.expr | None) -> None:
    kind = call_name(value)
    if isinstance(value, ast.Call) and kind in SQLA_RELATIONSHIPS:
        members.relations.append(_sqla_relation(name, value, annotation))
        return
    if isinstance(value, ast.Call) and kind in SQLA_COLUMNS:
        members.add_field(name)
        if any(is_true(keyword(value, k)) for k in ("index", "unique", "primary_key")):
            members.add_index(name)
        if _has_foreign_key(value):
            members.foreign_keys.append(name)
        return
    if annotation is None:
        return
    wrapper = dotted(annotation.value if isinstance(annotation, ast.Subscript) else annotation)
    if model_name(wrapper or "") not in _NOT_FIELDS:
        members.add_field(name)  # `x: Mapped[int]` or a SQLModel `x: int = 0`


def _django_relation(name: str, kind: str, call: ast.Call, model: str) -> RelationSpec:
    first = call.args[0] if call.args else keyword(call, "to")
    reference = literal_str(first) or (dotted(first) if first is not None else None)
    if reference == "self":
        target: str | None = model
    elif reference and "AUTH_USER_MODEL" in reference:
        target = "AUTH_USER_MODEL"  # resolved by the index to the project's user model
    else:
        target = model_name(reference) if reference else None
    related = keyword(call, "related_name")
    reverse = literal_str(related)
    if reverse is not None and reverse.endswith("+"):
        reverse = ""
    elif related is not None and reverse is None:
        reverse = ""  # computed: unknown, better none than a wrong name
    return RelationSpec(name, target, kind, None, call.lineno, reverse)


def _django_member(members: ClassMembers, name: str, value: ast.expr | None, model: str) -> None:
    kind = call_name(value)
    if not isinstance(value, ast.Call) or kind is None:
        return
    if kind in DJANGO_RELATIONS:
        relation = _django_relation(name, DJANGO_RELATIONS[kind], value, model)
        members.relations.append(relation)
        if relation.kind != "m2m":
            members.add_field(name)
            members.foreign_keys.append(name)
            if not _is_false(keyword(value, "db_index")):
                members.add_index(name)  # Django indexes foreign keys by default
        return
    if kind.endswith("Field"):
        members.add_field(name)
        if any(is_true(keyword(value, k)) for k in ("db_index", "unique", "primary_key")):
            members.add_index(name)


def _is_false(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is False


def _django_meta(members: ClassMembers, meta: ast.ClassDef) -> None:
    for statement in meta.body:
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
            continue
        target = statement.targets[0]
        option = target.id if isinstance(target, ast.Name) else ""
        value = statement.value
        if option == "abstract":
            members.abstract = is_true(value)
        elif option == "db_table":
            members.table = literal_str(value)
        elif option in ("unique_together", "index_together", "indexes", "constraints"):
            for leading in _meta_index_leaders(value):
                members.add_index(leading)


def _meta_index_leaders(value: ast.expr) -> list[str]:
    """The first field of each group in `unique_together`/`indexes=[models.Index(...)]`."""
    groups = value.elts if isinstance(value, ast.List | ast.Tuple) else []
    if groups and all(isinstance(g, ast.Constant) for g in groups):
        groups = [value]  # unique_together = ("a", "b"): one group
    leaders = []
    for group in groups:
        is_index = isinstance(group, ast.Call) and call_name(group) in ("Index", "UniqueConstraint")
        fields = keyword(group, "fields") if isinstance(group, ast.Call) and is_index else group
        leaders += strings(fields)[:1]
    return leaders


def _table_args(members: ClassMembers, value: ast.expr) -> None:
    items = value.elts if isinstance(value, ast.Tuple | ast.List) else [value]
    for item in items:
        if isinstance(item, ast.Call) and call_name(item) in ("Index", "UniqueConstraint"):
            columns = item.args[1:] if call_name(item) == "Index" else item.args
            leading = next(iter(columns), None)
            column = literal_str(leading) or (
                leading.attr if isinstance(leading, ast.Attribute) else None
            )
            if column:
                members.add_index(column)


def _dunder(members: ClassMembers, name: str, value: ast.expr) -> None:
    if name == "__tablename__":
        members.table = literal_str(value)
        members.has_table_name = True
    elif name == "__abstract__":
        members.abstract = is_true(value)
    elif name == "__table_args__":
        _table_args(members, value)


def class_members(node: ast.ClassDef, orm: str | None) -> ClassMembers:
    """Read one class body. `orm` None (a plain mixin) reads both styles."""
    members = ClassMembers()
    for statement in node.body:
        if isinstance(statement, ast.ClassDef) and statement.name == "Meta":
            _django_meta(members, statement)
            continue
        name, value, annotation = _assignment(statement)
        if name is None:
            continue
        if name.startswith("__") and value is not None:
            _dunder(members, name, value)
        elif orm == "django" or (orm is None and call_name(value) in DJANGO_RELATIONS):
            _django_member(members, name, value, node.name)
        else:
            _sqla_member(members, name, value, annotation)
    return members


def _assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None, ast.expr | None]:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        if isinstance(target, ast.Name):
            return target.id, statement.value, None
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value, statement.annotation
    return None, None, None
