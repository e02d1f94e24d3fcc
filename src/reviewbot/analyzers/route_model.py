"""One route of a web application and the path helpers every framework reader shares."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from reviewbot.analyzers.route_index import FunctionNode, ModuleIndex, call_name

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_STATUS_NAME = re.compile(r"^HTTP_(\d{3})_")


@dataclass(frozen=True, slots=True)
class Route:
    """One method on one path. `file`/`line` is where the path is declared (decorator,
    `path()`, `router.register`); `handler_file`/`handler_line` where its code is."""

    method: str
    path: str
    handler: str
    file: str
    line: int
    framework: str  # fastapi | flask | django | drf
    status_code: int | None = None
    response_model: str | None = None
    # True: authenticated; False: nothing checks the caller; None: can't tell statically.
    auth: bool | None = None
    # The request body as declared: a model name, "dict", "Request", "serializer:X", or None.
    body_type: str | None = None
    handler_file: str = ""
    handler_line: int = 0
    # Code the analyzers read: the handler function (None for inherited DRF actions).
    function: FunctionNode | None = field(default=None, compare=False, repr=False)
    module: ModuleIndex | None = field(default=None, compare=False, repr=False)
    # Names of what the route depends on (FastAPI dependencies, permission classes...).
    dependencies: tuple[str, ...] = ()
    # DRF/Django: the view class the action comes from.
    view_class: str | None = None
    # FastAPI: the declared `response_class` (`HTMLResponse`...), as written.
    response_class: str | None = None

    @property
    def is_mutating(self) -> bool:
        return self.method in MUTATING

    def as_fact(self) -> dict[str, Any]:
        """The JSON form the report shows in its route table."""
        return {
            "method": self.method,
            "path": self.path,
            "handler": self.handler,
            "path_file": self.file,
            "line": self.line,
            "auth": self.auth,
            "status_code": self.status_code,
            "response_model": self.response_model,
        }


@dataclass(frozen=True, slots=True)
class AppSite:
    """Where an application object is created (`app = FastAPI()`, `Flask(__name__)`, or the
    root `urls.py`): the place to add a versioned prefix."""

    framework: str
    file: str
    line: int


def status_code(node: ast.expr | None) -> int | None:
    """201 from `201`, `status.HTTP_201_CREATED` or `HTTPStatus.CREATED`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    name = call_name(node) if node is not None else ""
    match = _STATUS_NAME.match(name)
    if match:
        return int(match.group(1))
    if name in HTTPStatus.__members__:
        return HTTPStatus[name].value
    return None


def join_path(*parts: str) -> str:
    """`/api/v1` + `/posts` + `/{id}` -> `/api/v1/posts/{id}`, keeping a trailing slash."""
    joined = "/".join(part.strip("/") for part in parts if part.strip("/"))
    trailing = bool(parts) and parts[-1].endswith("/") and joined != ""
    return "/" + joined + ("/" if trailing else "")


_PARAM_STYLES = (
    (re.compile(r"\(\?P<(\w+)>[^)]*\)"), r"{\1}"),  # re_path named groups, first
    (re.compile(r"<(?:[a-zA-Z_]+:)?(\w+)>"), r"{\1}"),  # Flask / Django path converters
    (re.compile(r"\{(\w+):[^}]*\}"), r"{\1}"),  # FastAPI/Starlette `{path:path}`
)


def normalize_path(path: str) -> str:
    """Path parameters in one style, `{name}`, whatever the framework wrote."""
    for pattern, replacement in _PARAM_STYLES:
        path = pattern.sub(replacement, path)
    return path.replace("^", "").replace("$", "").replace("\\", "")
