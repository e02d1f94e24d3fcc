"""ORM rows with a password sent as they are (C11): a FastAPI route without a response model
that returns a `User` (or a list of them), directly, through a variable, or embedded in the
dict it returns (`data["author"] = post.author`)."""

from __future__ import annotations

import ast

from reviewbot.analyzers.api_responses import answers
from reviewbot.analyzers.api_serializers import SCHEMA_BASES, PasswordModels
from reviewbot.analyzers.orm_models import ModelIndex
from reviewbot.analyzers.route_index import (
    FunctionNode,
    ProjectIndex,
    base_names,
    call_name,
    walk_body,
)
from reviewbot.analyzers.routes import Route
from reviewbot.model import Finding
from reviewbot.rulebook import Rulebook

# Query endings that return something other than rows of the model.
_PROJECTIONS = frozenset(
    {"count", "exists", "delete", "update", "values", "values_list", "with_entities", "aggregate"}
)
# Calls whose first argument names the model a query returns rows of.
_LOOKUPS = frozenset(
    {
        "query",
        "select",
        "get",
        "get_or_404",
        "first_or_404",
        "get_object_or_404",
        "scalars",
        "scalar",
        "execute",
    }
)
_MAX_DEPTH = 4


def query_model(node: ast.expr, passwords: PasswordModels) -> str | None:
    """`db.query(User).filter(...).first()`, `session.get(User, id)`, `User.objects.get(...)`:
    the password model a query returns rows of, unless it ends in a projection (`.count()`)."""
    if isinstance(node, ast.Call) and call_name(node.func) in _PROJECTIONS:
        return None
    current: ast.expr | None = node
    while current is not None:
        if isinstance(current, ast.Call):
            first = current.args[0] if current.args else None
            if call_name(current.func) in _LOOKUPS and first is not None:
                if isinstance(first, ast.Name) and first.id in passwords.models:
                    return first.id
                inner = query_model(first, passwords) if isinstance(first, ast.Call) else None
                if inner is not None:
                    return inner
            current = current.func.value if isinstance(current.func, ast.Attribute) else None
        elif isinstance(current, ast.Attribute):
            if current.attr in ("query", "objects") and isinstance(current.value, ast.Name):
                return current.value.id if current.value.id in passwords.models else None
            current = current.value
        else:
            current = None
    return None


class HandlerValues:
    """What the local names of one handler hold, as far as rows of a model go."""

    def __init__(self, fn: FunctionNode, passwords: PasswordModels, orm: ModelIndex) -> None:
        self.passwords = passwords
        self.orm = orm
        self.assigned: dict[str, list[ast.expr]] = {}
        for node in walk_body(fn):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.assigned.setdefault(target.id, []).append(node.value)

    def password_model(self, node: ast.expr, depth: int = 0) -> str | None:
        """The password model a value is a row of: `User(...)`, a query, a variable holding
        one, or a relation leading to one (`post.author`)."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Name):
            for value in self.assigned.get(node.id, []):
                found = self.password_model(value, depth + 1)
                if found is not None:
                    return found
            return None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return node.func.id if node.func.id in self.passwords.models else None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = self.any_model(node.value)
            return self.passwords.relations.get((owner, node.attr)) if owner else None
        return query_model(node, self.passwords) if isinstance(node, ast.Call) else None

    def any_model(self, node: ast.Name) -> str | None:
        """The model (any, not only password ones) a variable's value is built from."""
        for value in self.assigned.get(node.id, []):
            for inner in ast.walk(value):
                if isinstance(inner, ast.Name) and self.orm.by_name(inner.id) is not None:
                    return inner.id
        return None

    def is_listing(self, node: ast.expr | None) -> bool:
        if isinstance(node, ast.Name):
            return any(self.is_listing(value) for value in self.assigned.get(node.id, []))
        return isinstance(node, ast.Call) and call_name(node.func) == "all"


def typed_return(project: ProjectIndex, route: Route) -> bool:
    """The handler's return annotation is a Pydantic model FastAPI filters the response by."""
    fn = route.function
    if fn is None or fn.returns is None or route.module is None:
        return False
    for node in ast.walk(fn.returns):
        found = project.klass(route.module, node) if isinstance(node, ast.Name) else None
        if found is not None and base_names(project.class_chain(*found)) & SCHEMA_BASES:
            return True
    return False


def exposed_rows(
    book: Rulebook, route: Route, passwords: PasswordModels, orm: ModelIndex
) -> list[Finding]:
    """Findings for one FastAPI route without a response model."""
    fn = route.function
    if fn is None:
        return []
    values = HandlerValues(fn, passwords, orm)
    found: list[Finding] = []
    returned: set[str] = set()
    for answer in answers(fn):
        value = answer.node.value
        if isinstance(value, ast.Name):
            returned.add(value.id)
        model = values.password_model(value) if value is not None else None
        embedded = (
            [v for v in value.values if values.password_model(v)]
            if isinstance(value, ast.Dict)
            else []
        )
        if embedded and model is None:
            found.append(_embedded(book, route, answer.node.lineno, embedded[0], values, passwords))
        if model is not None:
            which = "every" if values.is_listing(value) else "the"
            found.append(
                book.finding(
                    "RB1103",
                    route.handler_file,
                    answer.node.lineno,
                    f"`{route.method} {route.path}` returns {which} `{model}` ORM object, "
                    f"`{passwords.models[model]}` included: declare a `response_model` without it "
                    f"(e.g. `response_model={model}Out`).",
                )
            )
    for node in walk_body(fn):
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript)):
            continue
        target = node.targets[0].value
        if (
            isinstance(target, ast.Name)
            and target.id in returned
            and values.password_model(node.value)
        ):
            found.append(_embedded(book, route, node.lineno, node.value, values, passwords))
    return found


def _embedded(
    book: Rulebook,
    route: Route,
    line: int,
    value: ast.expr,
    values: HandlerValues,
    passwords: PasswordModels,
) -> Finding:
    """`data["author"] = post.author` / `{"author": post.author}` in a returned dict."""
    model = values.password_model(value) or ""
    return book.finding(
        "RB1103",
        route.handler_file,
        line,
        f"`{route.method} {route.path}` puts the `{model}` ORM object `{ast.unparse(value)}` in "
        f"its response, `{passwords.models[model]}` included: send only public fields (a "
        f"`response_model` such as `{model}Out`).",
    )
