"""Validation and response models (C11): request bodies read without a schema, and
responses that send password fields to the client (see also `api_exposure` for ORM rows and
`api_serializers` for response schemas and serializers)."""

from __future__ import annotations

import ast
import re

from reviewbot.analyzers import api_serializers
from reviewbot.analyzers.api_exposure import exposed_rows, typed_return
from reviewbot.analyzers.api_responses import answers
from reviewbot.analyzers.api_serializers import PASSWORD_FIELD, SCHEMA_BASES, PasswordModels
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.orm_models import index_models
from reviewbot.analyzers.route_index import (
    FunctionNode,
    ModuleIndex,
    base_names,
    call_name,
    const_str,
    walk_body,
)
from reviewbot.analyzers.routes import Route, RouteTable
from reviewbot.analyzers.routes_fastapi import reads_raw_body
from reviewbot.model import Finding

_VALIDATORS = frozenset(
    {
        "model_validate",
        "parse_obj",
        "validate",
        "load",
        "is_valid",
        "model_validate_json",
        "parse_raw",
        "validate_json",
        "validate_request",
        "validate_input",
    }
)
_VALIDATING_DECORATORS = re.compile(r"use_args|use_kwargs|validate|expects_json|arguments|expect")
_SCHEMA_SUFFIXES = ("Serializer", "Schema", "Form")
# Calls that turn an object into its public shape through a schema.
_DUMPS = frozenset(
    {"dump", "model_dump", "jsonify", "from_orm", "model_validate", "to_representation"}
)
_UNTYPED = frozenset({"dict", "Dict", "Any", "JSONResponse", "Response", "list", "List"})


def _noun(fn: FunctionNode) -> str:
    """`update_post` -> `Post`, `add_comment` -> `Comment` (for suggested model names)."""
    return "".join(w.capitalize() for w in fn.name.split("_")[1:]) or "Item"


def _raw_read(node: ast.AST) -> str | None:
    """`request.get_json()`, `request.json`, `json.loads(request.body)`, `request.data[...]`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        owner = call_name(node.func.value)
        if node.func.attr == "get_json" and owner == "request":
            return "request.get_json()"
        if node.func.attr == "get" and _is_request_data(node.func.value):
            return "request.data"
    if isinstance(node, ast.Call) and call_name(node.func) == "loads" and node.args:
        arg = node.args[0]
        if (
            isinstance(arg, ast.Attribute)
            and arg.attr == "body"
            and call_name(arg.value) == "request"
        ):
            return "json.loads(request.body)"
    if (
        isinstance(node, ast.Attribute)
        and node.attr == "json"
        and call_name(node.value) == "request"
    ):
        return "request.json"
    if isinstance(node, ast.Subscript) and _is_request_data(node.value):
        return "request.data"
    return None


def _is_request_data(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "data"
        and call_name(node.value) == "request"
    )


class Validation:
    def __init__(self, ctx: ScanContext, table: RouteTable) -> None:
        self.book = ctx.rulebook
        self.project = table.project
        self.orm = index_models(ctx.inventory)
        self.passwords = PasswordModels.build(self.orm)
        self.findings: list[Finding] = []

    def raw_dict(self, route: Route) -> None:
        fn = route.function
        if route.body_type == "dict" and fn is not None:
            kind = "Create" if route.method == "POST" else "Update"
            self.findings.append(
                self.book.finding(
                    "RB1101",
                    route.handler_file,
                    route.handler_line,
                    f"`{fn.name}` takes its body as a plain `dict`: declare a Pydantic model "
                    f"(`class {_noun(fn)}{kind}(BaseModel): ...`) so FastAPI validates and "
                    "documents it.",
                )
            )

    def raw_request(self, route: Route) -> None:
        fn = route.function
        if fn is None or route.module is None or self.validated(route.module, fn):
            return
        read = self.fastapi_read(route, fn) if route.framework == "fastapi" else None
        for node in walk_body(fn) if route.framework != "fastapi" else []:
            what = _raw_read(node)
            if what is not None:
                read = (getattr(node, "lineno", fn.lineno), f"`{what}`")
                break
        if read is not None:
            self.findings.append(
                self.book.finding(
                    "RB1102",
                    route.handler_file,
                    read[0],
                    f"`{route.handler}` reads the request body with {read[1]} and uses it "
                    f"unchecked: {self.schema_hint(route, fn)}",
                )
            )

    def fastapi_read(self, route: Route, fn: FunctionNode) -> tuple[int, str] | None:
        if route.body_type != "Request":
            return None
        for arg in [*fn.args.args, *fn.args.kwonlyargs]:
            if arg.annotation is None or call_name(arg.annotation) != "Request":
                continue
            call = reads_raw_body(fn, arg.arg)
            if call is not None:
                what = f"`await {arg.arg}.{call_name(call.func)}()`"
                return call.lineno, f"{what} (`{arg.arg}: Request` at line {arg.lineno})"
        return None

    def schema_hint(self, route: Route, fn: FunctionNode) -> str:
        noun = _noun(fn)
        if route.framework == "fastapi":
            return (
                f"declare a Pydantic model parameter instead (`{noun.lower()}: {noun}Create`) "
                "and FastAPI validates it."
            )
        if route.framework == "flask":
            return (
                "validate it with a schema first (Pydantic `Model.model_validate(data)` or "
                "marshmallow `Schema().load(data)`)."
            )
        if route.framework == "drf":
            serializer = route.response_model or f"{noun}Serializer"
            return (
                f"pass it through the serializer (`{serializer}(data=request.data)` and "
                "`is_valid(raise_exception=True)`)."
            )
        return "validate it with a Django `Form` or a schema before using it."

    def validated(self, index: ModuleIndex, fn: FunctionNode) -> bool:
        """A schema checks the body nearby: a validating decorator, `Model.model_validate`,
        `Schema().load`, a serializer's `is_valid`, a Pydantic model built from the data."""
        if any(_VALIDATING_DECORATORS.search(call_name(d)) for d in fn.decorator_list):
            return True
        for node in walk_body(fn):
            if not isinstance(node, ast.Call):
                continue
            name = call_name(node.func)
            if name in _VALIDATORS or name.endswith(_SCHEMA_SUFFIXES):
                return True
            found = self.project.klass(index, node.func)
            if found is not None and base_names(self.project.class_chain(*found)) & SCHEMA_BASES:
                return True
        return False

    def exposed(self, route: Route) -> None:
        if (
            route.framework != "fastapi"
            or route.response_model
            or typed_return(self.project, route)
        ):
            return
        self.findings += exposed_rows(self.book, route, self.passwords, self.orm)

    def password_keys(self, route: Route) -> None:
        fn = route.function
        for answer in answers(fn) if fn is not None else []:
            payload = answer.payload
            for key in payload.keys if isinstance(payload, ast.Dict) else []:
                name = const_str(key) if key is not None else None
                if name and PASSWORD_FIELD.match(name):
                    self.findings.append(
                        self.book.finding(
                            "RB1103",
                            route.handler_file,
                            answer.node.lineno,
                            f"`{route.method} {route.path}` sends `{name}` to the client: leave it "
                            "out of the response.",
                        )
                    )


def typed_response(route: Route) -> bool:
    """The response has a declared shape: a response model or serializer, a return
    annotation, or (Flask/Django) a schema that dumps it."""
    fn = route.function
    if route.response_model:
        return True
    if fn is None:
        return False
    if route.framework == "fastapi":
        return fn.returns is not None and call_name(fn.returns) not in _UNTYPED
    return any(
        isinstance(node, ast.Call)
        and call_name(node.func) in _DUMPS
        and "schema" in ast.unparse(node.func).lower()
        for node in walk_body(fn)
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def check(
    ctx: ScanContext, table: RouteTable, api: list[Route]
) -> tuple[list[Finding], dict[str, object]]:
    """C11 findings on the API routes, and the typed-body/typed-response shares as facts."""
    validation = Validation(ctx, table)
    bodies = [r for r in api if r.method in ("POST", "PUT", "PATCH") and r.function is not None]
    typed_bodies = 0
    for route in api:
        validation.raw_dict(route)
        validation.raw_request(route)
        validation.exposed(route)
        validation.password_keys(route)
    for route in bodies:
        declared = route.body_type not in (None, "dict", "Request")
        checked = (
            route.module is not None
            and route.function is not None
            and (validation.validated(route.module, route.function))
        )
        typed_bodies += declared or checked
    findings = validation.findings
    findings += api_serializers.response_schemas(ctx.rulebook, table.project, api)
    findings += api_serializers.serializers(ctx.rulebook, table.project, validation.passwords)
    unique = list({(f.rule, f.path, f.line): f for f in findings}.values())
    facts: dict[str, object] = {
        "typed_body_share": _share(typed_bodies, len(bodies)),
        "typed_response_share": _share(sum(typed_response(r) for r in api), len(api)),
    }
    return unique, facts
