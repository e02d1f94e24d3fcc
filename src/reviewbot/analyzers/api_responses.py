"""What a route handler answers: its return statements, the status each one carries, and
whether a payload is an error message. Shared by the API design and validation checks."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewbot.analyzers.route_index import (
    FunctionNode,
    call_name,
    const_str,
    keyword,
    source_text,
    walk_body,
)
from reviewbot.analyzers.route_model import Route, status_code

# Calls that wrap a JSON payload, and the keyword each takes its status under.
_RESPONSE_CALLS = {
    "jsonify": None,
    "JSONResponse": "status_code",
    "ORJSONResponse": "status_code",
    "UJSONResponse": "status_code",
    "JsonResponse": "status",
    "Response": "status",
    "make_response": None,
}
_ERROR_KEYS = frozenset({"error", "errors", "err"})
_MESSAGE_KEYS = frozenset({"detail", "message", "msg", "status", "result"})
ERROR_WORDS = re.compile(
    r"not found|invalid|fail|error|wrong|denied|unauthori[sz]ed|forbidden|not allowed"
    r"|already (exist|registered|taken)|must |required|missing|could not|couldn't|cannot"
    r"|can't|not logged|expired|incorrect|no such|does not exist|doesn't exist|bad request"
    r"|too many|not permitted",
    re.IGNORECASE,
)
_STATUS_HINTS = (
    (re.compile(r"not found|no such|does not exist|doesn't exist", re.I), 404),
    (re.compile(r"already", re.I), 409),
    (re.compile(r"logged in|login required|unauthori|wrong (email|password)|incorrect", re.I), 401),
    (re.compile(r"expired", re.I), 401),
    (re.compile(r"forbidden|denied|not allowed|not permitted|only the", re.I), 403),
    (re.compile(r"could not (get|reach|fetch|connect)|unavailable", re.I), 502),
    (re.compile(r"too many", re.I), 429),
)


@dataclass(frozen=True, slots=True)
class Answer:
    """One `return` of a handler: the payload and the status it sends (None: the default)."""

    node: ast.Return
    payload: ast.expr | None
    status: int | None
    wrapped: str  # the response call around the payload ('' for a bare dict/tuple)


def _unwrap(value: ast.expr) -> tuple[ast.expr | None, int | None, str]:
    if isinstance(value, ast.Tuple) and value.elts:
        payload, status, wrapped = _unwrap(value.elts[0])
        extra = status_code(value.elts[1]) if len(value.elts) > 1 else None
        return payload, extra if extra is not None else status, wrapped or "tuple"
    if isinstance(value, ast.Call) and call_name(value.func) in _RESPONSE_CALLS:
        name = call_name(value.func)
        status_kw = _RESPONSE_CALLS[name]
        status = status_code(keyword(value, status_kw)) if status_kw else None
        if name == "make_response" and len(value.args) > 1:
            status = status_code(value.args[1])
        payload = (
            value.args[0] if value.args else keyword(value, "content") or keyword(value, "data")
        )
        if name == "jsonify" and payload is None and value.keywords:
            payload = ast.Dict(
                keys=[ast.Constant(kw.arg) for kw in value.keywords],
                values=[kw.value for kw in value.keywords],
            )
        if payload is not None and isinstance(payload, ast.Call):
            inner, inner_status, _ = _unwrap(payload)
            return inner, status if status is not None else inner_status, name
        return payload, status, name
    return value, None, ""


def answers(fn: FunctionNode) -> Iterator[Answer]:
    """Every `return` of the handler's own body (nested functions excluded)."""
    for node in walk_body(fn):
        if isinstance(node, ast.Return):
            if node.value is None:
                yield Answer(node, None, None, "")
                continue
            payload, status, wrapped = _unwrap(node.value)
            yield Answer(node, payload, status, wrapped)


def sets_status(fn: FunctionNode) -> bool:
    """The handler sets a status itself (`response.status_code = 404`)."""
    return any(
        isinstance(node, ast.Assign)
        and any(
            isinstance(t, ast.Attribute) and t.attr in ("status_code", "status")
            for t in node.targets
        )
        for node in walk_body(fn)
    )


def error_text(payload: ast.expr | None) -> str | None:
    """The message of an error payload (`{"error": "not found"}`), or None if it isn't one."""
    if not isinstance(payload, ast.Dict):
        return None
    for key, value in zip(payload.keys, payload.values, strict=True):
        name = (const_str(key) or "").lower() if key is not None else ""
        if isinstance(value, ast.Constant) and value.value in (None, False, "", 0):
            continue
        if isinstance(value, ast.List | ast.Dict) and not getattr(
            value, "elts", getattr(value, "keys", [1])
        ):
            continue
        text = const_str(value) or (
            ast.unparse(value) if isinstance(value, ast.JoinedStr) else None
        )
        if name in _ERROR_KEYS:
            return text or ast.unparse(value)
        if name in _MESSAGE_KEYS and text and ERROR_WORDS.search(text):
            return text
    return None


def suggested_status(message: str) -> int:
    """The status an error message calls for: 404 for "not found", 409 for "already
    exists"..., 400 otherwise."""
    for pattern, status in _STATUS_HINTS:
        if pattern.search(message):
            return status
    return 400


# FastAPI response classes that answer a page, a file or a redirect, not JSON data.
PAGE_RESPONSES = frozenset(
    {"HTMLResponse", "PlainTextResponse", "RedirectResponse", "FileResponse",
     "StreamingResponse"}
)


def is_json_route(route: Route) -> bool:
    """A route of an API (not an HTML page): DRF always; FastAPI unless it declares a page
    `response_class` (`HTMLResponse`...) or renders a template; Flask and Django when the
    handler answers JSON (a dict, `jsonify`, `JsonResponse`)."""
    if route.framework == "drf":
        return True
    fn = route.function
    if route.framework == "fastapi":
        declared = (route.response_class or "").rpartition(".")[2]
        renders = fn is not None and any(
            isinstance(answer.payload, ast.Call)
            and call_name(answer.payload.func) == "TemplateResponse"
            for answer in answers(fn)
        )
        return declared not in PAGE_RESPONSES and not renders
    if fn is None:
        return False
    if route.framework == "flask" and "." in route.handler:
        return True  # Flask-RESTful resources and MethodViews answer data
    for answer in answers(fn):
        if answer.wrapped in ("jsonify", "JsonResponse", "JSONResponse") or isinstance(
            answer.payload, ast.Dict | ast.List
        ):
            return True
    return False


def short(node: ast.AST, route: Route | None = None, limit: int = 60) -> str:
    """Source of `node` as the learner wrote it, on one line, cut to `limit` characters."""
    source = route.module.module.source if route is not None and route.module else ""
    text = " ".join((source_text(source, node) or ast.unparse(node)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
