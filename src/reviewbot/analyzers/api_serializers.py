"""Response schemas and serializers that include a password field (C11): Pydantic response
models, DRF `ModelSerializer`s of the user model, marshmallow auto schemas."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from reviewbot.analyzers.orm_models import ModelIndex
from reviewbot.analyzers.route_index import (
    ModuleIndex,
    ProjectIndex,
    base_names,
    call_name,
    class_attr,
    const_str,
    keyword,
)
from reviewbot.analyzers.routes import Route
from reviewbot.model import Finding
from reviewbot.rulebook import Rulebook

PASSWORD_FIELD = re.compile(
    r"^(hashed_|raw_|plain_)?(password|passwd|pwd)(_hash|_hashed|_digest)?$", re.IGNORECASE
)
# The column Django's `AbstractUser`/`AbstractBaseUser` store the password hash in.
DJANGO_USER_COLUMN = "password"
SCHEMA_BASES = frozenset({"BaseModel", "SQLModel"})
_USER_BASES = frozenset({"AbstractUser", "AbstractBaseUser"})
_MODEL_SERIALIZERS = frozenset({"ModelSerializer", "HyperlinkedModelSerializer"})
_AUTO_SCHEMAS = frozenset({"SQLAlchemyAutoSchema", "ModelSchema", "SQLAlchemyModelSchema"})


@dataclass
class PasswordModels:
    """ORM models whose rows carry a password: model name -> its password field; and the
    relations that lead to one (`(Post, author) -> User`)."""

    models: dict[str, str] = field(default_factory=dict)
    relations: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def build(cls, index: ModelIndex) -> PasswordModels:
        found = cls()
        for model in index.models:
            column = next((f for f in model.fields if PASSWORD_FIELD.match(f)), None)
            if column is None and set(model.bases) & _USER_BASES:
                column = DJANGO_USER_COLUMN
            if column is not None:
                found.models[model.name] = column
        for model in index.models:
            for relation in model.relations:
                if relation.target in found.models:
                    found.relations[(model.name, relation.name)] = relation.target
        return found

    def field_of(
        self, project: ProjectIndex, index: ModuleIndex, node: ast.expr | None
    ) -> str | None:
        """The password field of the model a serializer's `Meta.model` names (Django's own
        `User` and `get_user_model()` included)."""
        if node is None:
            return None
        if isinstance(node, ast.Call) and call_name(node.func) == "get_user_model":
            return DJANGO_USER_COLUMN
        name = call_name(node)
        if name in self.models:
            return self.models[name]
        found = index.imports.get(name)
        if found is not None and found[0].startswith("django.contrib.auth"):
            return DJANGO_USER_COLUMN
        return None


def _schema_fields(
    project: ProjectIndex, index: ModuleIndex, cls: ast.ClassDef
) -> Iterator[tuple[ModuleIndex, ast.ClassDef, ast.AnnAssign]]:
    for owner, current in project.class_chain(index, cls):
        for stmt in current.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                yield owner, current, stmt


def _hidden(stmt: ast.AnnAssign) -> bool:
    """`SecretStr` is masked when serialised; `Field(exclude=True)` is never sent."""
    if "SecretStr" in ast.unparse(stmt.annotation):
        return True
    excluded = keyword(stmt.value, "exclude") if isinstance(stmt.value, ast.Call) else None
    return isinstance(excluded, ast.Constant) and excluded.value is True


def response_schemas(book: Rulebook, project: ProjectIndex, routes: list[Route]) -> list[Finding]:
    """Pydantic response models (`response_model=`, return annotations) with a password field."""
    findings: dict[tuple[str, int], Finding] = {}
    for route in routes:
        if route.framework != "fastapi" or route.module is None or route.function is None:
            continue
        declared = (
            ast.parse(route.response_model, mode="eval").body
            if route.response_model
            else route.function.returns
        )
        for node in ast.walk(declared) if declared is not None else []:
            found = project.klass(route.module, node) if isinstance(node, ast.Name) else None
            if found is None or not base_names(project.class_chain(*found)) & SCHEMA_BASES:
                continue
            for owner, cls, stmt in _schema_fields(project, *found):
                name = stmt.target.id if isinstance(stmt.target, ast.Name) else ""
                if PASSWORD_FIELD.match(name) and not _hidden(stmt):
                    findings.setdefault(
                        (owner.path, stmt.lineno),
                        book.finding(
                            "RB1103",
                            owner.path,
                            stmt.lineno,
                            f"`{cls.name}.{name}` is sent to clients by "
                            f"`{route.method} {route.path}` (response model `{found[1].name}`): "
                            "remove it from the response schema and keep it on the input model.",
                        ),
                    )
    return list(findings.values())


def _write_only(serializer: ast.ClassDef, meta: ast.ClassDef, password: str) -> bool:
    """`extra_kwargs = {"password": {"write_only": True}}` or a declared write-only field."""
    extra = _statement(meta, "extra_kwargs")
    if extra is not None and isinstance(extra.value, ast.Dict):
        for key, value in zip(extra.value.keys, extra.value.values, strict=True):
            options = ast.unparse(value).replace(" ", "")
            if key is not None and const_str(key) == password and "'write_only':True" in options:
                return True
    declared = _statement(serializer, password)
    flag = (
        keyword(declared.value, "write_only")
        if declared and isinstance(declared.value, ast.Call)
        else None
    )
    return isinstance(flag, ast.Constant) and flag.value is True


def _meta_class(cls: ast.ClassDef) -> ast.ClassDef | None:
    return next((s for s in cls.body if isinstance(s, ast.ClassDef) and s.name == "Meta"), None)


def _statement(cls: ast.ClassDef, name: str) -> ast.Assign | None:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in stmt.targets
        ):
            return stmt
    return None


def _listed(node: ast.expr | None) -> list[str]:
    return [s for s in (const_str(e) for e in getattr(node, "elts", [])) if s]


def serializers(book: Rulebook, project: ProjectIndex, passwords: PasswordModels) -> list[Finding]:
    """DRF model serializers of a password model that send the password back, and
    marshmallow auto schemas that dump every column."""
    findings: list[Finding] = []
    for index in project:
        for cls in index.classes.values():
            meta = _meta_class(cls)
            if meta is None:
                continue
            names = base_names(project.class_chain(index, cls))
            password = passwords.field_of(project, index, class_attr([(index, meta)], "model"))
            if password is None:
                continue
            if names & _MODEL_SERIALIZERS:
                findings += _serializer_finding(book, index, cls, meta, password)
            elif names & _AUTO_SCHEMAS:
                findings += _auto_schema_finding(book, index, cls, meta, password)
    return findings


def _serializer_finding(
    book: Rulebook, index: ModuleIndex, cls: ast.ClassDef, meta: ast.ClassDef, password: str
) -> list[Finding]:
    if _write_only(cls, meta, password):
        return []
    fields, exclude = _statement(meta, "fields"), _statement(meta, "exclude")
    fix = f'mark it write-only (`extra_kwargs = {{"{password}": {{"write_only": True}}}}`)'
    if fields is not None and const_str(fields.value) == "__all__":
        message = (
            f'`{cls.name}` uses `fields = "__all__"` on a user model: `{password}` (its hash) '
            f"goes out in every response; list the public fields, or {fix}."
        )
        return [book.finding("RB1103", index.path, fields.lineno, message)]
    if fields is not None and password in _listed(fields.value):
        message = (
            f"`{cls.name}` lists `{password}` in its fields: it goes out in every response; {fix}."
        )
        return [book.finding("RB1103", index.path, fields.lineno, message)]
    if exclude is not None and password not in _listed(exclude.value):
        message = (
            f"`{cls.name}` excludes fields but not `{password}`: add it to `exclude`, or {fix}."
        )
        return [book.finding("RB1103", index.path, exclude.lineno, message)]
    declared = _statement(cls, password)
    if declared is not None:
        message = f"`{cls.name}.{password}` is readable: declare it with `write_only=True`."
        return [book.finding("RB1103", index.path, declared.lineno, message)]
    return []


def _auto_schema_finding(
    book: Rulebook, index: ModuleIndex, cls: ast.ClassDef, meta: ast.ClassDef, password: str
) -> list[Finding]:
    hidden = _listed(class_attr([(index, meta)], "exclude")) + _listed(
        class_attr([(index, meta)], "load_only")
    )
    shown = class_attr([(index, meta)], "fields")
    if password in hidden or (shown is not None and password not in _listed(shown)):
        return []
    return [
        book.finding(
            "RB1103",
            index.path,
            cls.lineno,
            f"`{cls.name}` dumps every column of its model, `{password}` included: add "
            f'`exclude = ("{password}",)` (or `load_only`) to its `Meta`.',
        )
    ]
