"""Serializers that follow relations for every row of a list (C09): DRF and marshmallow.

DRF: a list view (`ModelViewSet`, `ListAPIView`...) whose `serializer_class` nests a
serializer, uses a related field or a `source="author.name"`, a `SerializerMethodField`
reading `obj.<relation>` (or running a query), `depth = 1`, or lists a many-to-many field,
while the view's `queryset`/`get_queryset` loads none of it.
marshmallow: `PostSchema(many=True).dump(posts)` (or `.jsonify`) with `fields.Nested`/`Pluck`
fields whose relation the query that produced `posts` did not load.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Final

from reviewbot.analyzers.n_plus_one_origins import Resolver
from reviewbot.analyzers.n_plus_one_queries import (
    DJANGO_QUERY_METHODS,
    Origin,
    QuerySource,
    Scope,
    eager_of_call,
    flatten,
)
from reviewbot.analyzers.n_plus_one_scopes import FunctionTable, own_nodes
from reviewbot.analyzers.orm_fields import call_name, dotted, is_true, keyword, literal_str
from reviewbot.analyzers.orm_models import Model
from reviewbot.source.inventory_model import PythonModule

_DRF_SERIALIZERS: Final = frozenset({"ModelSerializer", "HyperlinkedModelSerializer"})
_DRF_LIST_VIEWS: Final = frozenset(
    {"ModelViewSet", "ReadOnlyModelViewSet", "ListAPIView", "ListCreateAPIView",
     "ListModelMixin"}
)
_FOLLOWING_FIELDS: Final = frozenset({"StringRelatedField", "SlugRelatedField"})
_MANY_FIELDS: Final = frozenset({"PrimaryKeyRelatedField", "HyperlinkedRelatedField"})
_MARSHMALLOW_SCHEMAS: Final = frozenset(
    {"Schema", "SQLAlchemySchema", "SQLAlchemyAutoSchema", "ModelSchema", "SQLAlchemyModelSchema"}
)
_NESTING: Final = frozenset({"Nested", "Pluck"})
_MAX_NESTING: Final = 3


@dataclass(frozen=True, slots=True)
class Follow:
    """A relation path a serializer reads for every object, or a query it runs per object."""

    path: tuple[str, ...]
    line: int
    how: str  # "`UserSerializer`", "`source=\"author.name\"`", "`get_author_name()`"...
    query: QuerySource | None = None
    file: str = ""  # the serializer's module


@dataclass(frozen=True, slots=True)
class SerializerHit:
    """A list (view or dump) that serializes `follow` per object without loading it."""

    path: str  # file of the view / dump
    line: int  # the queryset (view) or the dump call
    owner: str  # `PostViewSet` or `posts_schema.dump(posts)`
    serializer: str
    model: Model
    follow: Follow
    missing: tuple[str, ...]  # the shortest path prefix not loaded
    origin_line: int | None
    kind: str  # "drf" | "marshmallow"


@dataclass(slots=True)
class _Class:
    node: ast.ClassDef
    module: PythonModule


def _bases(node: ast.ClassDef) -> set[str]:
    return {name.rsplit(".", 1)[-1] for b in node.bases if (name := dotted(b))}


def _meta(node: ast.ClassDef) -> dict[str, ast.expr]:
    for item in node.body:
        if isinstance(item, ast.ClassDef) and item.name == "Meta":
            return {
                t.id: s.value for s in item.body if isinstance(s, ast.Assign)
                for t in s.targets if isinstance(t, ast.Name)
            }
    return {}


def _class_fields(node: ast.ClassDef) -> dict[str, ast.Call]:
    return {
        t.id: s.value for s in node.body if isinstance(s, ast.Assign)
        and isinstance(s.value, ast.Call) for t in s.targets if isinstance(t, ast.Name)
    }


def _family(classes: list[_Class], roots: frozenset[str]) -> dict[str, _Class]:
    """Classes deriving (through project classes too) from one of `roots`, by name."""
    found: dict[str, _Class] = {}
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls.node.name not in found and _bases(cls.node) & (roots | found.keys()):
                found[cls.node.name] = cls
                changed = True
    return found


def _referenced_class(expr: ast.expr | None) -> str | None:
    """`UserSchema`, `"UserSchema"`, `lambda: UserSchema()` -> `UserSchema`."""
    if isinstance(expr, ast.Lambda):
        expr = expr.body
    if isinstance(expr, ast.Call):
        expr = expr.func
    text = literal_str(expr) if expr is not None else None
    name = text or (dotted(expr) if expr is not None else None)
    return name.rsplit(".", 1)[-1] if name else None


@dataclass(slots=True)
class SerializerChecker:
    """Collects DRF and marshmallow classes project-wide, then checks views and dumps."""

    table: FunctionTable
    classes: list[_Class] = field(default_factory=list)
    drf: dict[str, _Class] = field(default_factory=dict)
    schemas: dict[str, _Class] = field(default_factory=dict)
    hits: list[SerializerHit] = field(default_factory=list)
    # Module-level `posts_schema = PostSchema(many=True)`, imported by the views.
    instances: dict[str, list[ast.Call]] = field(default_factory=dict)
    _reported: dict[tuple[str, int], list[tuple[str, ...]]] = field(default_factory=dict)

    def add_module(self, module: PythonModule) -> None:
        self.classes += [_Class(n, module) for n in module.tree.body if isinstance(n, ast.ClassDef)]
        for node in module.tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.instances.setdefault(target.id, []).append(node.value)

    def prepare(self) -> None:
        self.drf = _family(self.classes, _DRF_SERIALIZERS | {"Serializer"})
        self.schemas = _family(self.classes, _MARSHMALLOW_SCHEMAS)

    def model_of(self, cls: _Class) -> Model | None:
        model = _meta(cls.node).get("model")
        name = dotted(model) if model is not None else None
        return self.table.index.by_name(name.rsplit(".", 1)[-1]) if name else None

    def follows(self, cls: _Class, model: Model, depth: int = 0) -> list[Follow]:
        """Relation paths (relative to `model`) the serializer/schema reads per object."""
        found: list[Follow] = []
        declared = _class_fields(cls.node)
        for name, call in declared.items():
            found += self._field(cls, model, name, call, depth)
        found += self._meta_follows(cls, model, declared)
        # The longest paths first: one `prefetch_related("comments__author")` covers both.
        found.sort(key=lambda f: -len(f.path))
        return [replace(f, file=f.file or cls.module.path) for f in found]

    def _field(self, cls: _Class, model: Model, name: str, call: ast.Call,
               depth: int) -> list[Follow]:
        kind = call_name(call) or ""
        if kind == "List" and call.args and isinstance(call.args[0], ast.Call):
            return self._field(cls, model, name, call.args[0], depth)
        if kind in ("SerializerMethodField", "Method"):
            return self._method(cls, model, name, call)
        source = literal_str(keyword(call, "source")) or literal_str(keyword(call, "attribute"))
        path = tuple((source or name).split("."))
        if source and len(path) > 1:
            return self._path(model, path, call.lineno, f'`source="{source}"`')
        nested = _referenced_class(call.args[0] if call.args else None)
        family = self.drf if cls.node.name in self.drf else self.schemas
        target = family.get(kind) or (family.get(nested or "") if kind in _NESTING else None)
        if target is not None:
            follows = self._path(model, path[:1], call.lineno, f"`{target.node.name}`")
            relation = model.relation(path[0])
            inner = self.table.index.by_name(relation.target or "") if relation else None
            if follows and inner is not None and depth < _MAX_NESTING:
                follows += [
                    Follow((path[0], *f.path), call.lineno, f"`{target.node.name}`")
                    for f in self.follows(target, inner, depth + 1)
                    if f.query is None
                ]
            return follows
        if kind in _FOLLOWING_FIELDS or (kind in _MANY_FIELDS and is_true(keyword(call, "many"))):
            return self._path(model, path[:1], call.lineno, f"`{kind}`")
        return []

    def _path(self, model: Model, path: tuple[str, ...], line: int, how: str) -> list[Follow]:
        relations: list[str] = []
        current: Model | None = model
        for part in path:
            relation = current.relation(part) if current else None
            if relation is None:
                break
            relations.append(part)
            current = self.table.index.by_name(relation.target or "")
        return [Follow(tuple(relations), line, how)] if relations else []

    def _method(self, cls: _Class, model: Model, name: str, call: ast.Call) -> list[Follow]:
        method_name = literal_str(keyword(call, "method_name")) or literal_str(
            call.args[0] if call.args else None
        ) or f"get_{name}"
        method = self.table.methods.get(id(cls.node), {}).get(method_name)
        if method is None or len(method.args.args) < 2:
            return []
        obj = method.args.args[1].arg
        how = f"`{method_name}()`"
        scope = self.table.scope(cls.module, method, cls.node)
        found: list[Follow] = []
        for node in own_nodes(method.body):
            source = scope.query_source(node) if isinstance(node, ast.Call) else None
            if source is not None and source.kind in ("read", "raw"):
                return [Follow((), source.line, how, source)]
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == obj
            ):
                found += self._path(model, (node.attr,), node.lineno, how)
        return found[:1] if found else []

    def _meta_follows(self, cls: _Class, model: Model,
                      declared: dict[str, ast.Call]) -> list[Follow]:
        """`depth = 1` nests every relation; many-to-many fields listed as primary keys."""
        if cls.node.name not in self.drf:
            return []
        meta = _meta(cls.node)
        depth = meta.get("depth")
        nested = isinstance(depth, ast.Constant) and depth.value not in (0, None, False)
        listed = meta.get("fields")
        names = (
            [r.name for r in model.relations if r.kind != "reverse"]
            if literal_str(listed) == "__all__"
            else [s for e in getattr(listed, "elts", []) if (s := literal_str(e))]
        )
        line = listed.lineno if listed is not None else cls.node.lineno
        found = []
        for name in names:
            relation = model.relation(name)
            if relation is None or name in declared:
                continue
            if nested or relation.kind in ("m2m", "reverse"):
                how = "`Meta.depth`" if nested else "its primary keys, listed in `Meta.fields`"
                found.append(Follow((name,), line, how))
        return found

    def missing(self, origin: Origin, path: tuple[str, ...]) -> tuple[str, ...] | None:
        """The shortest prefix of `path` the origin's query does not load (None: all loaded)."""
        current, prefix = origin.model, origin.prefix
        for part in path:
            relation = current.relation(part) if current else None
            if relation is None:
                return None
            scoped = Origin(current, origin.root, prefix, origin.eager, origin.all_eager,
                            origin.line)
            prefix = (*prefix, part)
            if not scoped.loads(relation):
                return prefix[len(origin.prefix):]
            current = self.table.index.by_name(relation.target or "")
        return None

    def _add(self, hit: SerializerHit) -> None:
        """Keep one hit per place and path; a longer path's fix covers its prefixes."""
        path = hit.follow.path or (hit.follow.how,)
        done = self._reported.setdefault((hit.path, hit.line), [])
        if not any(longer[: len(path)] == path for longer in done):
            done.append(path)
            self.hits.append(hit)

    def check_views(self) -> None:
        """DRF list views whose serializer follows relations their queryset does not load."""
        for cls in self.classes:
            if not _bases(cls.node) & _DRF_LIST_VIEWS:
                continue
            attrs = {
                t.id: (s.value, s.lineno) for s in cls.node.body if isinstance(s, ast.Assign)
                for t in s.targets if isinstance(t, ast.Name)
            }
            serializer_name = dotted(attrs["serializer_class"][0]) if (
                "serializer_class" in attrs) else None
            serializer = self.drf.get((serializer_name or "").rsplit(".", 1)[-1])
            model = self.model_of(serializer) if serializer else None
            queryset = self._queryset(cls, attrs)
            if serializer is None or model is None or queryset is None:
                continue
            eager, line = queryset
            origin = Origin(model, model, (), frozenset(eager), False, line)
            for follow in self.follows(serializer, model):
                missing = follow.path if follow.query else self.missing(origin, follow.path)
                if missing is not None:
                    self._add(SerializerHit(cls.module.path, line, cls.node.name,
                                            serializer.node.name, model, follow, missing,
                                            line, "drf"))

    def _queryset(self, cls: _Class,
                  attrs: dict[str, tuple[ast.expr, int]]) -> tuple[set[str], int] | None:
        """Eager paths of the view's queryset, and its line; None when it can't be read."""
        expressions: list[tuple[ast.expr, int]] = []
        if "queryset" in attrs:
            expressions.append(attrs["queryset"])
        method = self.table.methods.get(id(cls.node), {}).get("get_queryset")
        scope = self.table.scope(cls.module, method, cls.node) if method else None
        if method is not None:
            expressions += [
                (n.value, n.lineno) for n in own_nodes(method.body)
                if isinstance(n, ast.Return) and n.value is not None
            ]
        if not expressions:
            return None
        eager = self._queryset_eager(expressions, scope)
        if eager is None:
            return None
        first = attrs["queryset"][1] if "queryset" in attrs else (method.lineno if method else 0)
        return eager, first

    @staticmethod
    def _queryset_eager(expressions: list[tuple[ast.expr, int]],
                        scope: Scope | None) -> set[str] | None:
        """Union of the eager paths of every expression the queryset can come from."""
        eager: set[str] = set()
        seen: set[int] = set()
        while expressions:
            expr, line = expressions.pop()
            if id(expr) in seen:
                continue
            seen.add(id(expr))
            base, steps = flatten(expr)
            if isinstance(base, ast.Name) and scope is not None and base.id != "self":
                expressions += [(v, at) for at, v in scope.values(base.id, line)]
            elif not _queryset_base(base, steps):
                return None
            found = _chain_eager(steps)
            if found is None:
                return None
            eager |= found
        return eager

    def dump(self, path: str, call: ast.Call, resolver: Resolver) -> None:
        """marshmallow: `PostSchema(many=True).dump(posts)` / `posts_schema.jsonify(posts)`."""
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in ("dump", "jsonify"):
            return
        if not call.args or not self.schemas:
            return
        schema = func.value
        if isinstance(schema, ast.Name):
            values: list[ast.expr] = [v for _, v in resolver.scope.values(schema.id, call.lineno)]
            shared = self.instances.get(schema.id, [])
            values = values or list(shared if len(shared) == 1 else [])
            schema = values[-1] if values else schema
        cls = self.schemas.get(call_name(schema) or "") if isinstance(schema, ast.Call) else None
        if cls is None or not isinstance(schema, ast.Call):
            return
        if not (is_true(keyword(schema, "many")) or is_true(keyword(call, "many"))):
            return
        origin = resolver.origin(call.args[0], call.lineno)
        if origin is None or origin.model is None or origin.rows or not origin.many:
            return
        owner = ast.unparse(call)
        for follow in self.follows(cls, origin.model):
            missing = self.missing(origin, follow.path)
            if missing is not None:
                self._add(SerializerHit(path, call.lineno, owner, cls.node.name, origin.model,
                                        follow, missing, origin.line, "marshmallow"))


def _chain_eager(steps: list[tuple[str, str, ast.expr]]) -> set[str] | None:
    """Eager paths of a Django queryset chain; None if a step may load anything."""
    eager: set[str] = set()
    for kind, name, node in steps:
        if kind != "call" or not isinstance(node, ast.Call):
            continue
        if name not in DJANGO_QUERY_METHODS | {"get_queryset", "using"}:
            return None  # a custom manager/queryset method may load anything
        paths, opaque = eager_of_call(node)
        if opaque:
            return None
        eager |= paths
    return eager


def _queryset_base(base: ast.expr, steps: list[tuple[str, str, ast.expr]]) -> bool:
    """`Post.objects...`, `super().get_queryset()...` or `self.queryset...`."""
    if isinstance(base, ast.Name) and steps and steps[0][:2] in (("attr", "objects"),
                                                                  ("attr", "queryset")):
        return True
    return isinstance(base, ast.Call) and call_name(base) == "super"
