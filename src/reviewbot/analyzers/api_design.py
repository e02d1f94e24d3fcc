"""REST API design (C10) and validation and response models (C11), judged on the route table.

C10: verbs in paths, singular collections, 201 on create, 204 on delete, errors sent as 200,
a versioned prefix, bounded list endpoints. C11 (see `api_validation`): typed bodies, raw
`dict`/`request.json()`, password fields in responses. The route table is the `api`
analyzer's `routes` fact, shown in the report.
"""

from __future__ import annotations

import ast
import re
from itertools import pairwise

from reviewbot.analyzers import api_validation
from reviewbot.analyzers.api_paths import (
    UNCOUNTABLE,
    VERB_METHODS,
    path_without,
    plural,
    verb_segment,
)
from reviewbot.analyzers.api_responses import (
    answers,
    error_text,
    is_json_route,
    sets_status,
    short,
    suggested_status,
)
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.route_auth import param_dependencies
from reviewbot.analyzers.route_index import call_name, class_attr, walk_body
from reviewbot.analyzers.routes import Route, RouteTable, extract_routes
from reviewbot.model import AnalyzerOutput, Finding
from reviewbot.rulebook import Rulebook

_VERSION = re.compile(r"^v\d+(\.\d+)?$")
_PAGING_PARAMS = frozenset(
    {
        "limit",
        "offset",
        "page",
        "skip",
        "cursor",
        "per_page",
        "page_size",
        "size",
        "after",
        "first",
        "take",
    }
)
_PAGING_CALLS = frozenset(
    {"limit", "offset", "paginate", "Paginator", "slice", "fetchmany", "page"}
)
_NOT_LISTS = re.compile(r"export|download|sitemap|csv", re.IGNORECASE)
_CREATE_NAME = re.compile(r"^(create|add|register|new|insert|upload|post)_")
_OPERATIONAL = re.compile(
    r"^/?$|health|ready|live|docs|openapi|metrics|redoc|favicon|ping|static|admin"
)


class _Checks:
    def __init__(self, book: Rulebook, table: RouteTable) -> None:
        self.book = book
        self.table = table
        self.findings: list[Finding] = []
        self.seen: set[tuple[str, str, int]] = set()

    def add(self, rule: str, path: str, line: int, message: str) -> None:
        if (rule, path, line) not in self.seen:
            self.seen.add((rule, path, line))
            self.findings.append(self.book.finding(rule, path, line, message))

    def verbs(self, route: Route) -> bool:
        found = verb_segment(route)
        if found is None:
            return False
        position, verb, replacement = found
        better = path_without(route, position, replacement)
        method = VERB_METHODS.get(verb, route.method)
        if method == "PATCH" and route.method in ("PUT", "PATCH"):
            method = route.method
        self.add(
            "RB1001",
            route.file,
            route.line,
            f"`{route.method} {route.path}` puts the verb `{verb}` in the path: the HTTP method "
            f"already says it; name the resource instead (`{method} {better}`).",
        )
        return True

    def singular(self, route: Route) -> None:
        segments = route.path.strip("/").split("/")
        for segment, following in pairwise(segments):
            param = following.strip("{}")
            readable = len(segment) >= 3 and segment.isalpha() and segment.islower()
            if not (following.startswith("{") and readable):
                continue
            named = param in ("id", "pk", "uuid", "slug") or param.startswith(segment + "_")
            if named and not segment.endswith("s") and segment not in UNCOUNTABLE:
                better = route.path.replace(
                    f"/{segment}/{following}", f"/{plural(segment)}/{following}", 1
                )
                self.add(
                    "RB1002",
                    route.file,
                    route.line,
                    f"`{route.method} {route.path}`: collections are plural by convention "
                    f"(`{better}`).",
                )

    def created(self, route: Route) -> None:
        fn = route.function
        if route.method != "POST" or fn is None or route.framework not in ("fastapi", "flask"):
            return
        if not (_CREATE_NAME.match(fn.name) or _inserts(fn)) or route.status_code is not None:
            return
        if sets_status(fn) or any(a.status is not None and a.status != 200 for a in answers(fn)):
            return
        how = (
            "declare `status_code=201` (`status.HTTP_201_CREATED`) on the decorator"
            if route.framework == "fastapi"
            else "return the new resource with `201` (`return jsonify(item), 201`)"
        )
        self.add(
            "RB1003",
            route.file,
            route.line,
            f"`{route.method} {route.path}` creates a resource but answers 200: {how}.",
        )

    def deleted(self, route: Route) -> None:
        fn = route.function
        if route.method != "DELETE" or fn is None or route.framework not in ("fastapi", "flask"):
            return
        if route.status_code == 204 or sets_status(fn):
            return
        for answer in answers(fn):
            if (
                answer.payload is None
                or answer.status not in (None, 200)
                or error_text(answer.payload)
            ):
                continue
            if isinstance(answer.payload, ast.Constant) and answer.payload.value in (None, ""):
                continue
            how = (
                "`status_code=204` on the decorator"
                if route.framework == "fastapi"
                else "`return '', 204`"
            )
            self.add(
                "RB1004",
                route.file,
                answer.node.lineno,
                f"`{route.method} {route.path}` answers 200 with a body after deleting: answer "
                f"`204 No Content` without a body ({how}).",
            )

    def errors(self, route: Route) -> None:
        fn = route.function
        if fn is None or sets_status(fn) or (route.status_code or 200) >= 300:
            return
        for answer in answers(fn):
            message = error_text(answer.payload)
            if message is None or answer.status not in (None, 200) or answer.payload is None:
                continue
            shown = short(answer.payload, route)
            self.add(
                "RB1005",
                route.handler_file,
                answer.node.lineno,
                f"`{route.method} {route.path}` returns an error (`{shown}`) with status 200: "
                f"{_raise_hint(route, suggested_status(message))}",
            )

    def unbounded(self, route: Route) -> None:
        if (
            route.method != "GET"
            or route.path.rstrip("/").endswith("}")
            or _NOT_LISTS.search(route.path)
        ):
            return
        if route.view_class is not None:
            self.unbounded_view(route)
            return
        fn = route.function
        if fn is None or self.paginated(route):
            return
        reads_all = next(
            (
                n
                for n in walk_body(fn)
                if isinstance(n, ast.Call)
                and call_name(n.func) == "all"
                and isinstance(n.func, ast.Attribute)
                and not n.args
            ),
            None,
        )
        typed_list = re.match(r"^(list|List|Sequence)\[", route.response_model or "")
        if reads_all is None and not typed_list:
            return
        where = f" (`.all()` at line {reads_all.lineno})" if reads_all is not None else ""
        self.add(
            "RB1007",
            route.handler_file,
            route.handler_line,
            f"`{route.method} {route.path}` returns every row{where} with no limit: take "
            "`limit`/`offset` (or `page`) query parameters and apply them to the query.",
        )

    def unbounded_view(self, route: Route) -> None:
        """A DRF list action: paginated by its view's `pagination_class` (None opts out) or
        by `DEFAULT_PAGINATION_CLASS`."""
        found = route.module.classes.get(route.view_class or "") if route.module else None
        if not route.handler.endswith(".list") or route.module is None or found is None:
            return
        declared = class_attr(
            self.table.project.class_chain(route.module, found), "pagination_class"
        )
        disabled = isinstance(declared, ast.Constant) and declared.value is None
        if (declared is not None and not disabled) or (
            declared is None and self.table.drf_default_pagination
        ):
            return
        self.add(
            "RB1007",
            route.handler_file,
            route.handler_line,
            f"`{route.view_class}` lists every row at `GET {route.path}`: set `pagination_class` "
            "on the view or `DEFAULT_PAGINATION_CLASS` in `REST_FRAMEWORK` settings.",
        )

    def paginated(self, route: Route) -> bool:
        fn = route.function
        if fn is None or re.search(r"Page|Paginat|Cursor", route.response_model or ""):
            return True
        names = {a.arg for a in [*fn.args.args, *fn.args.kwonlyargs]}
        if route.module is not None:
            for owner, target in param_dependencies(route.module, self.table.project, fn):
                found = self.table.project.function(owner, target)
                if found is not None:
                    names |= {a.arg for a in [*found[1].args.args, *found[1].args.kwonlyargs]}
        if names & _PAGING_PARAMS:
            return True
        for node in walk_body(fn):
            if isinstance(node, ast.Call) and call_name(node.func) in _PAGING_CALLS:
                return True
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
                return True
            if isinstance(node, ast.Constant) and node.value in _PAGING_PARAMS:
                return True  # request.args.get("page")
        return False


def _inserts(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """The handler stores a new row: `session.add(...)`, `Model.objects.create(...)`."""
    for node in walk_body(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "add" and call_name(node.func.value) in ("db", "session", "s"):
                return True
            if node.func.attr in ("create", "insert_one") and call_name(node.func.value) in (
                "objects",
                "collection",
            ):
                return True
    return False


def _raise_hint(route: Route, status: int) -> str:
    if route.framework == "fastapi":
        return (
            f"raise `HTTPException(status_code={status}, detail=...)` so clients see the failure."
        )
    if route.framework == "flask":
        return f"return it with its status (`return jsonify(error=...), {status}`)."
    if route.framework == "drf":
        return f"pass the status (`Response({{...}}, status={status})`)."
    return f"pass the status (`JsonResponse({{...}}, status={status})`)."


def _unversioned(book: Rulebook, table: RouteTable, api: list[Route]) -> list[Finding]:
    judged = [r for r in api if not _OPERATIONAL.search(r.path)]
    if len(judged) <= 3 or any(
        _VERSION.match(s) for r in api for s in r.path.strip("/").split("/")
    ):
        return []
    framework = judged[0].framework
    site = next((a for a in table.apps if a.framework == framework.replace("drf", "django")), None)
    path, line = (site.file, site.line) if site else (judged[0].file, judged[0].line)
    hints = {
        "fastapi": '`app.include_router(router, prefix="/api/v1")`',
        "flask": '`app.register_blueprint(api, url_prefix="/api/v1")`',
    }
    hint = hints.get(framework, '`path("api/v1/", include(...))`')
    return [
        book.finding(
            "RB1006",
            path,
            line,
            f"None of the {len(judged)} API routes is under a version prefix: mount them under "
            f"`/api/v1` ({hint}) so the API can change later without breaking its clients.",
        )
    ]


class ApiAnalyzer:
    name = "api"
    criteria = ("C10", "C11")

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        table = extract_routes(ctx.inventory)
        api = [route for route in table.routes if is_json_route(route)]
        facts: dict[str, object] = {
            "routes": table.facts(),
            "api_routes": len(api),
            "frameworks": list(table.frameworks),
        }
        if not api:
            reason = (
                "no web routes found (no FastAPI, Flask or Django app)"
                if not table.routes
                else "no JSON API: every route renders a page"
            )
            facts["not_applicable"] = {"C10": reason, "C11": reason}
            return AnalyzerOutput((), facts)
        checks = _Checks(ctx.rulebook, table)
        for route in api:
            if not checks.verbs(route):
                checks.singular(route)
            checks.created(route)
            checks.deleted(route)
            checks.errors(route)
            checks.unbounded(route)
        findings = checks.findings + _unversioned(ctx.rulebook, table, api)
        validation, validation_facts = api_validation.check(ctx, table, api)
        ordered = sorted(findings + validation, key=lambda f: (f.path, f.line or 0, f.rule))
        return AnalyzerOutput(tuple(ordered), facts | validation_facts)


ANALYZER = ApiAnalyzer()
