"""The blocking calls the async analyzer knows, each with its async equivalent.

A call is recognised by the dotted name it qualifies to through the module's imports
(`requests.get`, `time.sleep`, `subprocess.run`...), so `from time import sleep` and
`import requests as r` are followed, and a project function that happens to be called `get`
is not.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from reviewbot.analyzers.project_names import ProjectNames
from reviewbot.source.inventory_model import PythonModule

_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
_HTTP_EFFECT = "every other request waits until the HTTP call returns"
_DB_EFFECT = "the connection and every query block the event loop"

ASYNC_CLIENT_CLASSES = frozenset({"httpx.AsyncClient", "aiohttp.ClientSession"})
ASYNC_CLIENT_METHODS = frozenset({*_HTTP_VERBS, "send"})
# AsyncSession methods that return coroutines (`add`, `add_all`, `expunge` are plain).
ASYNC_SESSION_METHODS = frozenset(
    {
        "execute",
        "scalars",
        "scalar",
        "get",
        "get_one",
        "commit",
        "rollback",
        "flush",
        "refresh",
        "delete",
        "merge",
        "close",
        "stream",
        "stream_scalars",
        "run_sync",
        "exec",
    }
)
# Manager/QuerySet methods that hit the database (Django 4.1+ has an `a`-prefixed twin).
DJANGO_SYNC_METHODS = frozenset(
    {
        "get",
        "create",
        "get_or_create",
        "update_or_create",
        "count",
        "exists",
        "first",
        "last",
        "delete",
        "update",
        "bulk_create",
        "bulk_update",
        "aggregate",
        "in_bulk",
        "earliest",
        "latest",
        "contains",
        "iterator",
        "explain",
    }
)
_DRIVERS = {
    "sqlite3.connect": "`aiosqlite` (`async with aiosqlite.connect(...) as db`)",
    "psycopg2.connect": "`asyncpg` or psycopg 3 (`await psycopg.AsyncConnection.connect(...)`)",
    "psycopg.connect": "`await psycopg.AsyncConnection.connect(...)`",
    "pymysql.connect": "`aiomysql` (`await aiomysql.connect(...)`)",
    "MySQLdb.connect": "`aiomysql` (`await aiomysql.connect(...)`)",
    "mysql.connector.connect": "`aiomysql` (`await aiomysql.connect(...)`)",
}
_SUBPROCESS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "os.system",
        "os.popen",
    }
)


@dataclass(frozen=True, slots=True)
class Blocking:
    """A recognised blocking call: the rule, how to show it, what it does, what to use."""

    rule: str
    shown: str
    effect: str
    fix: str


def _shown_args(call: ast.Call) -> str:
    text = ", ".join(ast.unparse(arg) for arg in call.args)
    return text if len(text) <= 30 else "..."


def _http(qualified: str) -> Blocking | None:
    package, _, verb = qualified.rpartition(".")
    sync_client = (package == "requests" and verb == "Session") or (
        package == "httpx" and verb in ("Client", "stream")
    )
    if package in ("requests", "httpx") and (verb in _HTTP_VERBS or sync_client):
        method = verb if verb in _HTTP_VERBS else "get"
    elif qualified == "urllib.request.urlopen":
        method = "get"
    else:
        return None
    fix = f"use `httpx.AsyncClient` and `await client.{method}(...)`"
    return Blocking("RB0401", f"{qualified}()", _HTTP_EFFECT, fix)


def _fixed(qualified: str) -> Blocking | None:
    """Blocking calls whose advice does not depend on the call's arguments."""
    if qualified in _SUBPROCESS:
        effect, fix = (
            "the event loop waits for the child process",
            ("use `await asyncio.create_subprocess_exec(...)`"),
        )
    elif qualified in _DRIVERS:
        effect, fix = _DB_EFFECT, f"use {_DRIVERS[qualified]}"
    elif qualified in ("smtplib.SMTP", "smtplib.SMTP_SSL"):
        effect, fix = (
            "sending mail blocks the event loop",
            ("use `aiosmtplib`, or send it from a `BackgroundTasks` task"),
        )
    else:
        return _http(qualified)
    return Blocking("RB0401", f"{qualified}()", effect, fix)


_OPEN = Blocking(
    "RB0404",
    "open()",
    "file reads and writes block the event loop",
    "use `aiofiles.open(...)` or `await asyncio.to_thread(path.read_text)`",
)


def blocking_target(names: ProjectNames, module: PythonModule, call: ast.Call) -> Blocking | None:
    """The blocking call `call` makes, if it is one this analyzer knows."""
    qualified = names.qualify(module, call.func)
    if qualified is None:
        # The built-in `open` (a module that defines or imports its own is qualified).
        is_open = isinstance(call.func, ast.Name) and call.func.id == "open"
        return _OPEN if is_open else None
    if qualified == "time.sleep":
        args = _shown_args(call)
        return Blocking(
            "RB0401",
            f"time.sleep({args})",
            "the whole server freezes for the wait",
            f"use `await asyncio.sleep({args})`",
        )
    return _fixed(qualified)
