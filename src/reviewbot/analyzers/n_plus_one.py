"""N+1 queries (C09): queries, lazy relation reads and writes that run once per row.

Reads the parsed trees only. The model index (`orm_models`) says which attributes are
relations and how they load; `n_plus_one_loops` walks each function once and records what
every loop and comprehension runs per item; `n_plus_one_serializers` checks DRF list views and
marshmallow dumps. The eager-loading versions (`select_related`, `prefetch_related`,
`selectinload`, `joinedload`, `subqueryload`, readable `options(...)`, relationships declared
`lazy="selectin"/"joined"/"subquery"`) stay silent.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Final

from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.n_plus_one_loops import Frame, LoopWalker, QueryHit, RelationRead
from reviewbot.analyzers.n_plus_one_origins import Resolver
from reviewbot.analyzers.n_plus_one_queries import FunctionNode
from reviewbot.analyzers.n_plus_one_scopes import FunctionTable
from reviewbot.analyzers.n_plus_one_serializers import SerializerChecker, SerializerHit
from reviewbot.analyzers.orm_models import Model, ModelIndex, index_models, is_django_tests
from reviewbot.model import AnalyzerOutput, Finding, Severity
from reviewbot.rulebook import Rulebook
from reviewbot.source.inventory_model import ModuleRole, PythonModule

QUERY_IN_LOOP: Final = "RB0901"
RELATION_IN_LOOP: Final = "RB0902"
WRITE_IN_LOOP: Final = "RB0903"
DRF_SERIALIZER: Final = "RB0904"
MARSHMALLOW_NESTED: Final = "RB0905"
RAW_SQL_PER_ROW: Final = "RB0906"

# Importing one of these means the project talks to a database.
_DATABASE_MODULES: Final = (
    "sqlalchemy", "sqlmodel", "django.db", "flask_sqlalchemy", "sqlite3", "psycopg", "pymysql",
    "MySQLdb", "mysql", "asyncpg", "aiosqlite", "databases", "tortoise", "peewee", "pony",
    "motor", "pymongo", "mongoengine", "beanie", "odmantic", "piccolo", "ormar", "oracledb",
    "pyodbc", "duckdb",
)
_QUOTE_WIDTH: Final = 70
# Only code with a loop, a comprehension or a dump can run something per row: the rest of a
# large repository is skipped without walking its trees.
_PER_ROW_TEXT: Final = re.compile(r"\bfor\s+[\w\s,()\[\]]+?\s+in\b|\.dump\(|\.jsonify\(")
_EAGER_TEXT: Final = re.compile(
    r"\b(?:select_related|prefetch_related|selectinload|joinedload|subqueryload|"
    r"immediateload|contains_eager)\("
)
_COUNTS: Final = frozenset({"count", "exists", "acount", "aexists"})
_LOOKUPS: Final = frozenset(
    {"get", "first", "one", "one_or_none", "scalar_one", "scalar_one_or_none", "get_or_404",
     "first_or_404", "one_or_404", "aget", "afirst", "get_one"}
)


def _quote(node: ast.AST) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= _QUOTE_WIDTH else text[: _QUOTE_WIDTH - 1] + "…"


def eager_fix(root: Model, path: tuple[str, ...], index: ModelIndex) -> str:
    """The loader that loads `path` from `root` in the model's own ORM and names."""
    if root.orm == "django":
        kinds = []
        current: Model | None = root
        for part in path:
            relation = current.relation(part) if current else None
            kinds.append(relation.kind if relation else "reverse")
            current = index.by_name(relation.target or "") if relation else None
        method = "select_related" if all(k in ("fk", "o2o") for k in kinds) else "prefetch_related"
        return f'{method}("{"__".join(path)}")'
    loaders = []
    owner: Model | None = root
    for part in path:
        loaders.append(f"selectinload({owner.name if owner else root.name}.{part})")
        relation = owner.relation(part) if owner else None
        owner = index.by_name(relation.target or "") if relation else None
    return ".".join(loaders)


def _writes_sql(call: ast.Call) -> bool:
    """Whether the first SQL string in the call is an INSERT, UPDATE or DELETE."""
    for node in ast.walk(call):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
            return node.value.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
    return False


# How to run a per-item query once, by what it does and the ORM's style.
_FIXES: Final = {
    "write": "write all rows with one `executemany(...)` (or one multi-row statement)",
    "raw": "fetch what the loop needs with one query (a `JOIN` or `WHERE ... IN (...)`) first",
    "count-django": "count for all rows in one query with `annotate(n=Count(...))`",
    "count": "count for all rows in one grouped query (`func.count()` with `group_by`)",
    "lookup-django": "fetch them all before the loop with one `filter(<field>__in=...)` or "
    "`in_bulk()` and look them up in a dict",
    "lookup": "fetch them all before the loop with one `where(<column>.in_(...))` query and "
    "look them up in a dict",
    "other": "run one query for all rows before the loop, or load the related rows eagerly",
}


def _query_fix(hit: QueryHit) -> str:
    source = hit.source
    django = "-django" if source.style == "django" else ""
    if source.kind == "raw":
        key = "write" if _writes_sql(source.call) else "raw"
    elif source.method in _COUNTS or "count(" in ast.unparse(source.call).lower():
        key = "count" + django
    elif source.method in _LOOKUPS or source.method == "filter_by":
        key = "lookup" + django
    else:
        key = "other"
    return _FIXES[key]


class _Report:
    """Findings of one module's loops, in its learner's own names."""

    def __init__(self, book: Rulebook, index: ModelIndex, module: PythonModule) -> None:
        self.book, self.index, self.module = book, index, module
        scripts = (ModuleRole.SCRIPT, ModuleRole.MIGRATION)
        self.severity = Severity.INFO if module.role in scripts else None

    def finding(self, rule: str, line: int, message: str) -> Finding:
        return self.book.finding(rule, self.module.path, line, message, severity=self.severity)

    def frame(self, frame: Frame) -> Iterator[Finding]:
        where = f"`{frame.header}` (line {frame.line})"
        for hit in frame.queries:
            yield self._query(frame, where, hit)
        for read in frame.reads.values():
            yield self._relation(where, read)
        for hit in frame.writes:
            yield self.finding(WRITE_IN_LOOP, hit.line, self._write(frame, where, hit))

    def _query(self, frame: Frame, where: str, hit: QueryHit) -> Finding:
        quoted = _quote(hit.source.call)
        if hit.via is not None:
            place = f"{hit.path}:{hit.source.line}"
            message = (f"{where} calls `{hit.via}()` for every item, which runs `{quoted}` "
                       f"({place}): {_query_fix(hit)}.")
            return self.finding(QUERY_IN_LOOP, hit.line, message)
        if hit.source.kind == "raw" and frame.origin is not None and frame.origin.raw and not (
            _writes_sql(hit.source.call)
        ):
            message = (f"{where} runs SQL `{quoted}` for every row fetched at line "
                       f"{frame.origin.line}: get it in that query with a `JOIN` (or one "
                       "`WHERE ... IN (...)` query).")
            return self.finding(RAW_SQL_PER_ROW, hit.line, message)
        return self.finding(QUERY_IN_LOOP, hit.line,
                            f"{where} runs `{quoted}` for every item: {_query_fix(hit)}.")

    def _relation(self, where: str, read: RelationRead) -> Finding:
        origin, relation = read.origin, read.relation
        name = f"`{read.var}.{relation.name}`"
        if relation.lazy in ("dynamic", "write_only"):
            message = (f"{where} reads {name} for every row, and `{read.model.name}."
                       f"{relation.name}` is `lazy=\"{relation.lazy}\"`: each access runs a "
                       "query; declare it `lazy=\"selectin\"` or query all rows' "
                       f"{relation.name} at once before the loop.")
            return self.finding(RELATION_IN_LOOP, read.line, message)
        root = origin.root or read.model
        fix = eager_fix(root, (*origin.prefix, relation.name), self.index)
        reads = f"reads {name}"
        if read.via is not None:
            reads = (f"passes `{read.var}` to `{read.via}()`, which reads its "
                     f"`{relation.name}` (line {read.via_line}),")
        message = (f"{where} {reads} for every row: load it in the query at line "
                   f"{origin.line} with `{fix}`.")
        return self.finding(RELATION_IN_LOOP, read.line, message)

    def _write(self, frame: Frame, where: str, hit: QueryHit) -> str:
        source = hit.source
        quoted = _quote(source.call)
        if source.kind == "create":
            return (f"{where} inserts one row per item with `{quoted}`: build the objects in "
                    f"the loop and save them with one `{source.model}.objects.bulk_create(...)`.")
        if source.kind == "save":
            model = frame.origin.model.name if frame.origin and frame.origin.model else None
            bulk = (f"`{model}.objects.bulk_update(objs, [fields])`" if model
                    else "`bulk_create(...)`/`bulk_update(...)`")
            return (f"{where} calls `{quoted}` for every item (one query each): save them "
                    f"together after the loop with {bulk}.")
        return (f"{where} commits once per item (`{quoted}`): add the objects in the loop "
                "(`session.add(...)` or `session.add_all(...)`) and commit once after it.")


def _serializer_finding(book: Rulebook, hit: SerializerHit, index: ModelIndex,
                        role: ModuleRole | None) -> Finding:
    model = hit.model
    severity = Severity.INFO if role in (ModuleRole.SCRIPT, ModuleRole.MIGRATION) else None
    follow = hit.follow
    where = f"{follow.file}:{follow.line}"
    if follow.query is not None:
        message = (f"`{hit.owner}` lists {model.name} objects with `{hit.serializer}`, whose "
                   f"{follow.how} runs `{_quote(follow.query.call)}` for every object "
                   f"({where}): compute it in the queryset at line {hit.line} (e.g. "
                   "`annotate(...)`) or prefetch what it reads.")
        return book.finding(DRF_SERIALIZER, hit.path, hit.line, message, severity=severity)
    path = ".".join(follow.path)
    fix = eager_fix(model, follow.path, index)
    if hit.kind == "drf":
        message = (f"`{hit.owner}` lists {model.name} objects with `{hit.serializer}`, which "
                   f"reads `{path}` for every object ({follow.how}, {where}), but the queryset "
                   f"at line {hit.line} does not load it: add `{fix}`.")
        return book.finding(DRF_SERIALIZER, hit.path, hit.line, message, severity=severity)
    message = (f"`{_quote(ast.parse(hit.owner, mode='eval').body)}` nests `{path}` "
               f"({follow.how}) for every {model.name}, but the query at line {hit.origin_line} "
               f"does not load it: add `{fix}` there.")
    return book.finding(MARSHMALLOW_NESTED, hit.path, hit.line, message, severity=severity)


def _functions(body: list[ast.stmt],
               cls: ast.ClassDef | None) -> Iterator[tuple[FunctionNode, ast.ClassDef | None]]:
    """Every function and method of a module, nested ones included, with its class."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node, cls
            yield from _functions(node.body, cls)
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node.body, node)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            yield from _functions(node.body, cls)


def _classes(body: list[ast.stmt]) -> Iterator[ast.ClassDef]:
    for node in body:
        if isinstance(node, ast.ClassDef):
            yield node
            yield from _classes(node.body)


def _imports(body: list[ast.stmt]) -> Iterator[str]:
    """Modules imported at the top level (inside `if`/`try` blocks too)."""
    for node in body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.If | ast.Try):
            yield from _imports(node.body + node.orelse)


def _uses_database(imports: set[str]) -> bool:
    return any(name == m or name.startswith(m + ".") for name in imports
               for m in _DATABASE_MODULES)


class NPlusOneAnalyzer:
    name = "n_plus_one"
    criteria = ("C09",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        inventory, book = ctx.inventory, ctx.rulebook
        index = index_models(inventory)
        modules = [
            m for m in inventory.modules
            if m.role is not ModuleRole.TEST and not is_django_tests(m)
        ]
        table = FunctionTable(index)
        checker = SerializerChecker(table)
        for module in modules:
            table.add_module(module)
            checker.add_module(module)
        checker.prepare()
        findings: list[Finding] = []
        frames = eager = 0
        imports: set[str] = set()
        for module in modules:
            imports.update(_imports(module.tree.body))
            eager += len(_EAGER_TEXT.findall(module.source))
            if not _PER_ROW_TEXT.search(module.source):
                continue
            walker = self._walk(module, table, checker)
            frames += len(walker.frames)
            report = _Report(book, index, module)
            for frame in walker.frames:
                findings += report.frame(frame)
        checker.check_views()
        roles = {m.path: m.role for m in modules}
        findings += [
            _serializer_finding(book, hit, index, roles.get(hit.path)) for hit in checker.hits
        ]
        findings.sort(key=lambda f: (f.path, f.line or 0, f.rule))
        return AnalyzerOutput(tuple(findings), self._facts(findings, index, frames, eager,
                                                           imports))

    @staticmethod
    def _walk(module: PythonModule, table: FunctionTable,
              checker: SerializerChecker) -> LoopWalker:
        def dump(call: ast.Call, resolver: Resolver) -> None:
            checker.dump(module.path, call, resolver)

        walker = LoopWalker(module, table, dump)
        body = module.tree.body
        walker.walk(table.module_scope(module), body, None)
        for class_node in _classes(body):
            walker.walk(table.module_scope(module), class_node.body, class_node)
        lines = module.source.splitlines()
        for function, owner in _functions(body, None):
            text = "\n".join(lines[function.lineno - 1 : function.end_lineno])
            if _PER_ROW_TEXT.search(text):
                walker.walk(table.scope(module, function, owner), function.body, owner)
        return walker

    @staticmethod
    def _facts(findings: list[Finding], index: ModelIndex, frames: int, eager: int,
               imports: set[str]) -> dict[str, object]:
        counts = {rule: sum(1 for f in findings if f.rule == rule) for rule in (
            QUERY_IN_LOOP, RELATION_IN_LOOP, WRITE_IN_LOOP, DRF_SERIALIZER, MARSHMALLOW_NESTED,
            RAW_SQL_PER_ROW)}
        facts: dict[str, object] = {
            "models": len(index.models),
            "orms": sorted(index.orms),
            "loops_checked": frames,
            "eager_loads": eager,
            "queries_in_loops": counts[QUERY_IN_LOOP] + counts[RAW_SQL_PER_ROW],
            "relation_reads_in_loops": counts[RELATION_IN_LOOP],
            "writes_in_loops": counts[WRITE_IN_LOOP],
            "serializer_relations_not_loaded": counts[DRF_SERIALIZER] + counts[MARSHMALLOW_NESTED],
        }
        if not index.models and not findings and not _uses_database(imports):
            facts["not_applicable"] = {"C09": "no ORM or database access found"}
        return facts


ANALYZER = NPlusOneAnalyzer()

__all__ = ["ANALYZER", "NPlusOneAnalyzer", "eager_fix"]
