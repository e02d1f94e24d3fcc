"""Advanced backend topics (C20), credit only: caching, background jobs, rate limiting, message
queues, cursor pagination and websockets, found in the app code's parsed trees.

This analyzer never emits a finding: absence of an advanced topic never costs points. Each topic
found is a fact with its evidence (`file:line`) and whether it is used correctly where that is
cheap to tell: Celery tasks queued with `.delay()`/`.apply_async()` rather than called directly,
Redis and broker clients created once rather than in a request handler, FastAPI background tasks
actually scheduled with `add_task`, websocket handlers that handle disconnects. The rubric turns
the topics into a 0-100 credit (`credit`): 40 per topic used correctly, 20 otherwise.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from reviewbot.analyzers.base import ScanContext
from reviewbot.model import JSON, AnalyzerOutput
from reviewbot.source.inventory_model import ModuleRole, PythonModule

CREDIT_CORRECT = 40
CREDIT_PRESENT = 20
TOPICS = (
    "caching",
    "background_jobs",
    "rate_limiting",
    "message_queues",
    "cursor_pagination",
    "websockets",
)
# Imported package -> (topic, what it is).
_PACKAGES = {
    "redis": ("caching", "Redis"),
    "aioredis": ("caching", "Redis"),
    "fastapi_cache": ("caching", "fastapi-cache"),
    "flask_caching": ("caching", "Flask-Caching"),
    "cachetools": ("caching", "cachetools"),
    "aiocache": ("caching", "aiocache"),
    "celery": ("background_jobs", "Celery"),
    "rq": ("background_jobs", "RQ"),
    "django_rq": ("background_jobs", "RQ"),
    "dramatiq": ("background_jobs", "Dramatiq"),
    "arq": ("background_jobs", "arq"),
    "huey": ("background_jobs", "Huey"),
    "taskiq": ("background_jobs", "Taskiq"),
    "django_q": ("background_jobs", "Django-Q"),
    "slowapi": ("rate_limiting", "slowapi"),
    "fastapi_limiter": ("rate_limiting", "fastapi-limiter"),
    "flask_limiter": ("rate_limiting", "Flask-Limiter"),
    "django_ratelimit": ("rate_limiting", "django-ratelimit"),
    "ratelimit": ("rate_limiting", "django-ratelimit"),
    "limits": ("rate_limiting", "limits"),
    "kafka": ("message_queues", "Kafka"),
    "aiokafka": ("message_queues", "Kafka"),
    "confluent_kafka": ("message_queues", "Kafka"),
    "pika": ("message_queues", "RabbitMQ (pika)"),
    "aio_pika": ("message_queues", "RabbitMQ (aio-pika)"),
    "nats": ("message_queues", "NATS"),
    "kombu": ("message_queues", "kombu"),
    "fastapi_pagination": ("cursor_pagination", "fastapi-pagination"),
    "channels": ("websockets", "Django Channels"),
    "flask_socketio": ("websockets", "Flask-SocketIO"),
    "flask_sock": ("websockets", "Flask-Sock"),
    "socketio": ("websockets", "python-socketio"),
    "websockets": ("websockets", "websockets"),
}
# Packages whose import alone is not the topic (fastapi_pagination: only its cursor pages).
_NEEDS_USE = frozenset({"fastapi_pagination", "channels", "ratelimit", "limits"})
# Clients that hold a connection: made once per process, never per request.
_CONNECTIONS = {
    "Redis": "caching",
    "StrictRedis": "caching",
    "from_url": "caching",
    "BlockingConnection": "message_queues",
    "connect_robust": "message_queues",
    "KafkaProducer": "message_queues",
    "AIOKafkaProducer": "message_queues",
    "Producer": "message_queues",
}
_TASK_DECORATORS = frozenset({"task", "shared_task", "actor"})
_QUEUEING = frozenset({"delay", "apply_async", "s", "si", "signature", "send", "send_with_options"})
_ROUTE_DECORATORS = frozenset(
    {"get", "post", "put", "patch", "delete", "route", "api_route", "websocket", "api_view"}
)
_CURSOR_PARAMS = frozenset({"cursor", "after", "starting_after", "page_token", "next_token"})
_CACHE_USE = frozenset({"cache_page"})
_SETTINGS_NAMES = frozenset({"REST_FRAMEWORK", "CACHES", "pagination_class"})
_LIMITER_NAME = re.compile(r"rate_?limit|throttl", re.IGNORECASE)
_STATUS_429 = re.compile(r"HTTP_429|TOO_MANY_REQUESTS")


@dataclass
class Topic:
    """One advanced topic as found: where, what, and any misuse seen."""

    evidence: list[tuple[str, int, str]] = field(default_factory=list)  # path, line, what
    misuse: list[str] = field(default_factory=list)
    confirmations: int = 0

    @property
    def correct(self) -> bool:
        return not self.misuse

    def as_fact(self) -> dict[str, JSON]:
        # One line per kind of evidence and module, in file order.
        seen: set[tuple[str, str]] = set()
        shown = []
        for path, line, what in sorted(self.evidence):
            if (path, what) not in seen:
                seen.add((path, what))
                shown.append(f"{path}:{line} {what}")
        return {"evidence": shown[:3], "correct": self.correct, "misuse": self.misuse[:3]}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _is_route(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(_name(d) in _ROUTE_DECORATORS for d in function.decorator_list)


def task_names(modules: Iterable[PythonModule]) -> set[str]:
    """Functions declared as Celery/Dramatiq tasks (`@app.task`, `@shared_task`, `@actor`)."""
    return {
        node.name
        for module in modules
        for node in module.tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(_name(d) in _TASK_DECORATORS for d in node.decorator_list)
    }


class _Walk(ast.NodeVisitor):
    """One pass over one app module, recording topics into the shared table."""

    def __init__(self, module: PythonModule, topics: dict[str, Topic], tasks: set[str]) -> None:
        self.module = module
        self.topics = topics
        self.tasks = tasks
        self.function: ast.FunctionDef | ast.AsyncFunctionDef | None = None
        self.handles_disconnect = "WebSocketDisconnect" in module.source
        # FastAPI handlers taking `BackgroundTasks`: credited once a task is actually added.
        self.declared: list[tuple[str, int, str]] = []

    def found(self, topic: str, line: int, what: str) -> None:
        self.topics.setdefault(topic, Topic()).evidence.append((self.module.path, line, what))

    def misused(self, topic: str, line: int, what: str) -> None:
        self.topics.setdefault(topic, Topic()).misuse.append(f"{self.module.path}:{line} {what}")

    def confirm(self, topic: str) -> None:
        self.topics.setdefault(topic, Topic()).confirmations += 1

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._package(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            self._package(node.module, node.lineno)
            if node.module in ("django.core.cache", "django.views.decorators.cache"):
                self.found("caching", node.lineno, "Django cache framework")
            if node.module.startswith("fastapi_pagination.cursor"):
                self.found("cursor_pagination", node.lineno, "fastapi-pagination cursor pages")

    def _package(self, name: str, line: int) -> None:
        root = name.split(".", maxsplit=1)[0]
        if root in _PACKAGES and root not in _NEEDS_USE:
            topic, what = _PACKAGES[root]
            self.found(topic, line, what)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node
        if _is_route(node):
            self._route(node)
        for arg in [*node.args.args, *node.args.kwonlyargs]:
            annotation = ast.unparse(arg.annotation) if arg.annotation is not None else ""
            if "BackgroundTasks" in annotation:
                self.declared.append((self.module.path, node.lineno, node.name))
            elif "WebSocket" in annotation.split("[")[0]:
                self._websocket(node)
        self.generic_visit(node)
        self.function = outer

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_FunctionDef(node)

    def _route(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for arg in [*node.args.args, *node.args.kwonlyargs]:
            if arg.arg in _CURSOR_PARAMS:
                what = f"`{arg.arg}` parameter in `{node.name}`"
                self.found("cursor_pagination", node.lineno, what)

    def _websocket(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.found("websockets", node.lineno, f"websocket endpoint `{node.name}`")
        if not self.handles_disconnect:
            self.misused(
                "websockets", node.lineno, f"`{node.name}` never handles `WebSocketDisconnect`"
            )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in (_name(b) for b in node.bases):
            if base == "CursorPagination":
                self.found(
                    "cursor_pagination", node.lineno, f"DRF CursorPagination (`{node.name}`)"
                )
            elif base.endswith(("WebsocketConsumer", "WebSocketEndpoint")):
                self.found("websockets", node.lineno, f"websocket consumer `{node.name}`")
            elif base.endswith("Throttle"):
                self.found("rate_limiting", node.lineno, f"DRF throttle `{node.name}`")
        if _LIMITER_NAME.search(node.name):
            self.found("rate_limiting", node.lineno, f"custom limiter `{node.name}`")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        names = {t.id for t in node.targets if isinstance(t, ast.Name)}
        # Only settings-like names are read as text: unparsing every assignment is slow.
        text = ast.unparse(node.value) if names & _SETTINGS_NAMES else ""
        if "throttle_classes" in names or "DEFAULT_THROTTLE_CLASSES" in text:
            self.found("rate_limiting", node.lineno, "DRF throttling")
        if "CACHES" in names and re.search(r"redis|memcache", text, re.IGNORECASE):
            self.found("caching", node.lineno, "Django CACHES on Redis/Memcached")
        if "CursorPagination" in text:
            self.found("cursor_pagination", node.lineno, "DRF CursorPagination")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _STATUS_429.search(node.attr):
            self.found("rate_limiting", node.lineno, "429 Too Many Requests answered")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        if name in _CONNECTIONS and (
            name != "from_url" or "redis" in ast.unparse(node.func).lower()
        ):
            self._connection(node, name)
        elif name == "add_task":
            self.found("background_jobs", node.lineno, f"`{ast.unparse(node.func)}(...)`")
        elif name in _QUEUEING | {"enqueue", "enqueue_job", "enqueue_call"}:
            self.confirm("background_jobs")
        elif isinstance(node.func, ast.Name) and name in self.tasks and not self._in_task():
            self.misused(
                "background_jobs",
                node.lineno,
                f"task `{name}` called directly: it runs in the request, not in a worker; queue it "
                f"with `{name}.delay(...)`",
            )
        elif name in _CACHE_USE:
            self.found("caching", node.lineno, f"`{name}`")
        elif name in {"websocket", "SocketIO"}:
            self.found("websockets", node.lineno, f"`{ast.unparse(node.func)}`")
        if any(
            k.arg == "status_code" and isinstance(k.value, ast.Constant) and k.value.value == 429
            for k in node.keywords
        ):
            self.found("rate_limiting", node.lineno, "429 Too Many Requests answered")
        self.generic_visit(node)

    def _in_task(self) -> bool:
        return self.function is not None and self.function.name in self.tasks

    def _connection(self, node: ast.Call, name: str) -> None:
        topic = _CONNECTIONS[name]
        what = ast.unparse(node.func)
        self.found(topic, node.lineno, f"`{what}(...)` client")
        if self.function is not None and _is_route(self.function):
            self.misused(
                topic,
                node.lineno,
                f"`{what}(...)` in request handler `{self.function.name}`: a new connection per "
                "request; create the client once at start-up and reuse it",
            )


def find_topics(modules: list[PythonModule]) -> dict[str, Topic]:
    app = [m for m in modules if m.role is ModuleRole.APP]
    tasks = task_names(app)
    topics: dict[str, Topic] = {}
    declared: list[tuple[str, int, str]] = []
    for module in app:
        walk = _Walk(module, topics, tasks)
        walk.visit(module.tree)
        declared += walk.declared
    if declared and "background_jobs" not in topics:
        path, line, name = declared[0]
        topics["background_jobs"] = Topic(
            [(path, line, f"`{name}` takes FastAPI BackgroundTasks")],
            ["`BackgroundTasks` is declared but no task is ever added"],
        )
    return {t: topics[t] for t in TOPICS if t in topics and topics[t].evidence}


def credit(topics: dict[str, Topic]) -> int:
    """0-100: 40 per topic used correctly, 20 per topic with a misuse."""
    return min(100, sum(CREDIT_CORRECT if t.correct else CREDIT_PRESENT for t in topics.values()))


class AdvancedAnalyzer:
    name = "advanced"
    criteria = ("C20",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        topics = find_topics(list(ctx.inventory.modules))
        facts: dict[str, JSON] = {
            "topics": {name: topic.as_fact() for name, topic in topics.items()},
            "credit": credit(topics),
        }
        return AnalyzerOutput((), facts)


ANALYZER = AdvancedAnalyzer()
