"""Recognising database queries in the AST and where a loop's rows come from (C09).

`Scope` knows one function's assignments; `query_source` tells whether a call runs a query
(Django `Model.objects...`, SQLAlchemy/SQLModel sessions, Flask-SQLAlchemy `Model.query...`,
DB-API cursors) and `Scope.origin` follows an expression back to the query that produced it,
with the relations that query loads eagerly.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Final

from reviewbot.analyzers.orm_fields import call_name, dotted, literal_str
from reviewbot.analyzers.orm_models import Model, ModelIndex, Relation

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

DJANGO_QUERY_METHODS: Final = frozenset(
    {"get", "filter", "exclude", "all", "count", "exists", "first", "last", "latest",
     "earliest", "aggregate", "annotate", "values", "values_list", "order_by", "get_or_create",
     "update_or_create", "in_bulk", "raw", "update", "delete", "select_related",
     "prefetch_related", "only", "defer", "distinct", "none", "iterator", "acreate", "aget",
     "afirst", "acount", "aexists", "create"}
)
SESSION_QUERY_METHODS: Final = frozenset(
    {"query", "get", "execute", "exec", "scalars", "scalar", "get_one", "refresh",
     "get_or_404", "first_or_404", "one_or_404"}
)
SESSION_NAMES: Final = frozenset({"db", "session", "sess", "db_session", "dbsession"})
CURSOR_NAMES: Final = frozenset({"cursor", "cur", "conn", "connection", "con", "dbconn"})
SESSION_FACTORIES: Final = frozenset(
    {"SessionLocal", "Session", "AsyncSession", "get_db", "get_session", "scoped_session",
     "session_factory", "async_session", "async_session_maker", "session_maker", "sessionmaker"}
)
_HTTP_CLIENTS: Final = ("requests", "httpx", "aiohttp", "ClientSession", "Client", "urllib")
_SINGLE: Final = frozenset(
    {"first", "one", "one_or_none", "get", "scalar_one", "scalar_one_or_none", "scalar",
     "first_or_404", "get_or_404", "one_or_404", "latest", "earliest", "last", "get_one",
     "aget", "afirst"}
)
_NOT_ROWS: Final = frozenset(
    {"count", "exists", "values", "values_list", "aggregate", "delete", "update", "acount",
     "aexists", "in_bulk", "dates", "datetimes"}
)
EAGER_LOADERS: Final = frozenset(
    {"selectinload", "joinedload", "subqueryload", "immediateload", "contains_eager",
     "raiseload", "noload"}
)
_PATH_LOADERS: Final = frozenset({"defaultload", "lazyload"})
_COLUMN_OPTIONS: Final = frozenset(
    {"load_only", "defer", "undefer", "undefer_group", "with_expression", "with_loader_criteria"}
)
EAGER_CALLS: Final = EAGER_LOADERS | {"select_related", "prefetch_related"}
ALL_FOREIGN_KEYS: Final = "*fk"  # Django `select_related()` without arguments


@dataclass(frozen=True, slots=True)
class Origin:
    """Where rows come from: the query, its model, and what it loads with them."""

    model: Model | None  # None: raw SQL rows
    root: Model | None  # the model the query selects
    prefix: tuple[str, ...]  # relations followed from `root` to `model`
    eager: frozenset[str]  # dotted relation paths loaded eagerly, relative to `root`
    all_eager: bool  # loader options we can't read: assume everything is loaded
    line: int  # where the query is written
    many: bool = True
    rows: bool = False  # `session.execute(select(Post))` without `.scalars()`: Row objects

    @property
    def raw(self) -> bool:
        return self.model is None

    def loads(self, relation: Relation) -> bool:
        """Whether reading `relation` of an item costs no query of its own."""
        if self.all_eager or relation.eager or relation.lazy in ("raise", "raise_on_sql", "noload"):
            return True
        path = ".".join((*self.prefix, relation.name))
        if path in self.eager:
            return True
        return ALL_FOREIGN_KEYS in self.eager and relation.kind in ("fk", "o2o")


@dataclass(frozen=True, slots=True)
class QuerySource:
    """A call that runs a query (or a write) each time it is evaluated."""

    kind: str  # "read" | "raw" | "create" | "commit" | "save"
    call: ast.Call  # the outermost call of the chain
    model: str | None
    method: str  # the chain's last method: count, get, first...
    style: str  # "django" | "sqlalchemy" | "flask" | "raw"
    line: int


Step = tuple[str, str, ast.expr]  # ("call" | "attr" | "index", name, node)


def flatten(expr: ast.expr) -> tuple[ast.expr, list[Step]]:
    """`db.query(Post).filter(x).all()` -> (`db`, [attr query.., call query, call filter, ...])."""
    steps: list[Step] = []
    node = expr
    while True:
        if isinstance(node, ast.Await):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            steps.append(("call", node.func.attr, node))
            node = node.func.value
        elif isinstance(node, ast.Attribute):
            steps.append(("attr", node.attr, node))
            node = node.value
        elif isinstance(node, ast.Subscript):
            steps.append(("index", "", node))
            node = node.value
        else:
            break
    steps.reverse()
    return node, steps


def receiver_of(call: ast.Call) -> ast.expr:
    """`db.query` -> `db`: what a method call is made on."""
    return call.func.value if isinstance(call.func, ast.Attribute) else call.func


def is_model_name(expr: ast.expr, index: ModelIndex) -> bool:
    if not isinstance(expr, ast.Name):
        return False
    name = expr.id
    return index.by_name(name) is not None or (name[:1].isupper() and not name.isupper())


def _is_raw_sql(expr: ast.expr | None) -> bool:
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, str)
    if isinstance(expr, ast.JoinedStr | ast.BinOp):
        return True
    return isinstance(expr, ast.Call) and call_name(expr) in ("text", "format")


@dataclass(slots=True)
class Scope:
    """One function (or a module's top level): its assignments and annotations."""

    index: ModelIndex
    assigns: dict[str, list[tuple[int, ast.expr]]] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    outer: Scope | None = None  # the module scope for functions
    cls: ast.ClassDef | None = None
    node: FunctionNode | None = None
    _sessions: dict[str, bool] = field(default_factory=dict)

    def values(self, name: str, before: int) -> list[tuple[int, ast.expr]]:
        found = [(line, v) for line, v in self.assigns.get(name, []) if line < before]
        if not found and self.outer is not None:
            return self.outer.values(name, 10**9)
        return found

    def annotation(self, name: str) -> str:
        found = self.annotations.get(name)
        if found is None and self.outer is not None:
            return self.outer.annotation(name)
        return found or ""

    def _assigned_calls(self, name: str) -> list[str]:
        return [ast.unparse(v) for _, v in self.values(name, 10**9) if isinstance(v, ast.Call)]

    def _is_literal(self, name: str) -> bool:
        return any(
            isinstance(v, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp)
            or call_name(v) in ("dict", "list", "defaultdict")
            for _, v in self.values(name, 10**9)
        )

    def is_session(self, expr: ast.expr) -> bool:
        """A SQLAlchemy/SQLModel/Flask-SQLAlchemy session (or a DB-API connection named db)."""
        name = dotted(expr)
        if name is None:
            return False
        last = name.rsplit(".", 1)[-1]
        if isinstance(expr, ast.Name):
            known = self._sessions.get(last)
            if known is None:
                known = self._sessions[last] = self._is_session_name(last)
            return known
        return last.lower() in SESSION_NAMES or last.lower().endswith("session")

    def _is_session_name(self, name: str) -> bool:
        """A local or module name: by what it was assigned, its annotation, then its name."""
        calls = self._assigned_calls(name)
        if self._is_literal(name) or any(c.startswith(_HTTP_CLIENTS) for c in calls):
            return False  # a dict used as a fake database, an HTTP session
        annotation = self.annotation(name)
        if "Session" in annotation or "Connection" in annotation:
            return True
        if any(c.split("(", 1)[0].rsplit(".", 1)[-1] in SESSION_FACTORIES for c in calls):
            return True
        return name.lower() in SESSION_NAMES or name.lower().endswith("session")

    def is_cursor(self, expr: ast.expr) -> bool:
        name = dotted(expr)
        if name is None:
            return False
        last = name.rsplit(".", 1)[-1].lower()
        if last in CURSOR_NAMES or last.endswith(("cursor", "_conn")):
            return True
        return isinstance(expr, ast.Name) and any(
            call_name(v) in ("cursor", "connect") for _, v in self.values(expr.id, 10**9)
        )

    def query_source(self, call: ast.Call) -> QuerySource | None:
        """The query `call` runs, if it is (the outermost call of) a query chain."""
        base, steps = flatten(call)
        calls = [s for s in steps if s[0] == "call"]
        if isinstance(base, ast.Call) and call_name(base) in ("get_object_or_404",
                                                               "get_list_or_404"):
            model = base.args[0] if base.args else None
            name = model.id if isinstance(model, ast.Name) else None
            return QuerySource("read", call, name, "get", "django", call.lineno)
        if not calls:
            return None
        first = calls[0][2]
        if not isinstance(first, ast.Call):
            return None
        receiver, method, last = receiver_of(first), calls[0][1], calls[-1][1]
        return self._model_source(call, receiver, method, last) or self._source(
            call, first, receiver, method, last
        )

    def _model_source(self, call: ast.Call, receiver: ast.expr, method: str,
                      last: str) -> QuerySource | None:
        """`Post.objects.filter(...)` (Django) and `Post.query.filter_by(...)` (Flask)."""
        if not isinstance(receiver, ast.Attribute) or not isinstance(receiver.value, ast.Name):
            return None
        if not is_model_name(receiver.value, self.index):
            return None
        model = receiver.value.id
        if receiver.attr == "objects" and method in DJANGO_QUERY_METHODS:
            kind = "create" if method in ("create", "acreate") else "read"
            return QuerySource(kind, call, model, last, "django", call.lineno)
        if receiver.attr == "query":
            return QuerySource("read", call, model, last, "flask", call.lineno)
        return None

    def _source(self, call: ast.Call, first: ast.Call, receiver: ast.expr, method: str,
                last: str) -> QuerySource | None:
        line = call.lineno
        if self.is_session(receiver):
            if method == "commit":
                return QuerySource("commit", call, None, last, "sqlalchemy", line)
            if method in SESSION_QUERY_METHODS and self._session_query(method, first):
                arg = first.args[0] if first.args else None
                model = arg.id if isinstance(arg, ast.Name) else None
                kind = "raw" if method == "execute" and self._raw(arg) else "read"
                return QuerySource(kind, call, model, last, "sqlalchemy", line)
        if method == "execute" and self.is_cursor(receiver):
            return QuerySource("raw", call, None, last, "raw", line)
        if method == "save" and self._django_save(call, first, receiver):
            return QuerySource("save", call, None, "save", "django", line)
        return None

    def _django_save(self, call: ast.Call, first: ast.Call, receiver: ast.expr) -> bool:
        """`obj.save()` on a Django project: not `image.save(path)` nor `self.save()`."""
        return (
            "django" in self.index.orms
            and first is call
            and not first.args
            and isinstance(receiver, ast.Name)
            and receiver.id not in ("self", "cls")
            # forms, formsets and serializers validate and save one submitted item each
            and not receiver.id.lower().endswith(("form", "formset", "serializer"))
        )

    def _session_query(self, method: str, call: ast.Call) -> bool:
        if method in ("get", "get_or_404", "get_one"):
            # session.get(User, 1): not dict.get("key") nor an HTTP session's get(url)
            return bool(call.args) and is_model_name(call.args[0], self.index)
        return method != "refresh" or bool(call.args)

    def _raw(self, arg: ast.expr | None) -> bool:
        if isinstance(arg, ast.Name):
            return any(_is_raw_sql(v) for _, v in self.values(arg.id, 10**9))
        return _is_raw_sql(arg)

    def model(self, name: str | None) -> Model | None:
        return self.index.by_name(name) if name else None


def relation_path(expr: ast.expr) -> str | None:
    """`Post.author` -> `author`; `"author"` -> `author`."""
    text = literal_str(expr)
    if text is not None:
        return text
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        expr = expr.func.value  # Post.comments.of_type(X)
    return expr.attr if isinstance(expr, ast.Attribute) else None


def loader_paths(option: ast.expr) -> tuple[set[str], bool]:
    """Eager paths of one `.options(...)` argument, and whether it could not be read."""
    base, steps = flatten(option)
    chain: list[ast.Call] = [base] if isinstance(base, ast.Call) else []
    chain += [s[2] for s in steps if s[0] == "call" and isinstance(s[2], ast.Call)]
    if not chain or (isinstance(base, ast.Call) and not isinstance(base.func, ast.Name)):
        return set(), True
    paths: set[str] = set()
    prefix: list[str] = []
    for loader in chain:
        kind = call_name(loader) or ""
        if kind in _COLUMN_OPTIONS:
            continue
        if kind not in EAGER_LOADERS | _PATH_LOADERS or not loader.args:
            return paths, True
        relation = relation_path(loader.args[0])
        if relation is None or relation == "*":
            return paths, kind in EAGER_LOADERS or relation is None
        prefix.append(relation)
        if kind in EAGER_LOADERS:
            paths.add(".".join(prefix))
    return paths, False


def django_paths(call: ast.Call) -> tuple[set[str], bool]:
    """Paths of `select_related(...)` / `prefetch_related(...)` (with their prefixes)."""
    if not call.args and not call.keywords:
        return ({ALL_FOREIGN_KEYS} if call_name(call) == "select_related" else set()), False
    paths: set[str] = set()
    for arg in call.args:
        lookup = literal_str(arg)
        if lookup is None and isinstance(arg, ast.Call) and call_name(arg) == "Prefetch":
            lookup = literal_str(arg.args[0]) if arg.args else None
        if lookup is None:
            return paths, True
        parts = lookup.split("__")
        paths.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return paths, False


def eager_of_call(call: ast.Call) -> tuple[set[str], bool]:
    """What one call of a query chain loads eagerly (`options`, `select_related`...)."""
    name = call_name(call)
    if name in ("select_related", "prefetch_related"):
        return django_paths(call)
    if name == "options":
        paths: set[str] = set()
        unknown = False
        for arg in call.args:
            found, opaque = loader_paths(arg)
            paths |= found
            unknown = unknown or opaque
        return paths, unknown
    options = next((k.value for k in call.keywords if k.arg == "options"), None)
    if isinstance(options, ast.List | ast.Tuple):  # session.get(Post, 1, options=[...])
        found_all: set[str] = set()
        for item in options.elts:
            found, opaque = loader_paths(item)
            if opaque:
                return found_all | found, True
            found_all |= found
        return found_all, False
    return set(), False


def with_eager(origin: Origin, paths: set[str], unknown: bool) -> Origin:
    if not paths and not unknown:
        return origin
    return replace(origin, eager=origin.eager | paths, all_eager=origin.all_eager or unknown)
