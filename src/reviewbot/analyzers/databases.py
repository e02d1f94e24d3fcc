"""Databases and ORM (C07) and migrations (C08).

C07: SQL built from strings that reaches `execute()`/`text()`/`raw()` (or only looks like
SQL), sessions and connections opened and never closed (at each call site, and at the getter
that hands them out), engines created per request. Positive evidence (models, relationships,
indexed foreign keys, a session dependency that closes) goes into the facts.
C08: models without any migrations, Django apps without migrations, `create_all()` as the only
schema management or beside migrations, models no migration mentions.
"""

from __future__ import annotations

import ast

from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.db_resources import Opened, ResourceScan, engines_per_request
from reviewbot.analyzers.db_sessions import Getter, SessionSources, functions_of
from reviewbot.analyzers.migrations_check import (
    Migrations,
    apps_without_migrations,
    create_all_calls,
    find_migrations,
    schema_modules,
    tables_missing,
)
from reviewbot.analyzers.orm_models import ModelIndex, index_models
from reviewbot.analyzers.project_names import ProjectNames, judged_gently
from reviewbot.analyzers.sql_strings import SqlHit, SqlScan, may_hold_sql
from reviewbot.model import AnalyzerOutput, Finding, Severity
from reviewbot.source.inventory_model import ModuleRole, PythonModule

# Imports that mean the code talks to a database (C07 applies).
_DB_PACKAGES = frozenset(
    {
        "sqlalchemy",
        "sqlmodel",
        "flask_sqlalchemy",
        "django",
        "sqlite3",
        "psycopg2",
        "psycopg",
        "pymysql",
        "MySQLdb",
        "mysql",
        "asyncpg",
        "aiosqlite",
        "aiomysql",
        "databases",
        "tortoise",
        "peewee",
        "pony",
        "pymongo",
        "motor",
        "mongoengine",
        "beanie",
        "odmantic",
        "piccolo",
        "ormar",
        "sqlite_utils",
        "records",
        "dataset",
        "edgedb",
        "cassandra",
    }
)
_ALEMBIC_HINT = (
    'Add Alembic: `alembic init migrations`, then `alembic revision --autogenerate -m "initial"`'
)
_ORM_MIGRATION_HINTS = {
    "django": "Run `python manage.py makemigrations` and commit each app's `migrations/`",
    "flask_sqlalchemy": "Add Flask-Migrate: `flask db init`, then `flask db migrate`",
}


def _low(module: PythonModule) -> Severity | None:
    """Tests and scripts (seeds, management commands) are judged more gently."""
    return Severity.INFO if judged_gently(module) else None


def _uses_database(ctx: ScanContext, index: ModelIndex) -> bool:
    if index.models:
        return True
    for module in ctx.inventory.modules:
        if module.role is ModuleRole.TEST:
            continue
        for node in module.tree.body:
            if isinstance(node, ast.Import):
                tops = {alias.name.split(".", 1)[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                tops = {node.module.split(".", 1)[0]}
            else:
                continue
            if tops & _DB_PACKAGES and not (
                tops == {"django"}
                and isinstance(node, ast.ImportFrom)
                and not (node.module or "").startswith("django.db")
            ):
                return True
    return False


def _placeholder(module: PythonModule) -> str:
    return "?" if "sqlite3" in module.source else "%s"


def _sql_message(module: PythonModule, hit: SqlHit) -> str:
    built = hit.built
    values = ", ".join(f"`{v}`" for v in built.values[:2])
    source = f"SQL built with {built.how} from {values}"
    if built.line != hit.line:
        source += f" (line {built.line})"
    if hit.sink is None:
        return (
            f"{source}: if it reaches the database, a crafted value rewrites the query (SQL "
            "injection). Keep the SQL constant and pass values as parameters."
        )
    sink = hit.sink
    if hit.via is not None:
        return (
            f"{source} is executed by `{sink}()` (it passes it to {hit.via}): a crafted value "
            "rewrites the query (SQL injection). Keep the SQL constant and pass the values "
            f"through `{sink}` as parameters."
        )
    if sink == "text":
        fix = 'a bound parameter: `text("... WHERE col = :value")` with `{"value": ...}`'
    elif sink == "RawSQL":
        fix = 'parameters: `RawSQL("... WHERE col = %s", (value,))`'
    elif sink.endswith("raw"):
        fix = 'a parameter: `Model.objects.raw("... WHERE col = %s", [value])`'
    else:
        mark = _placeholder(module)
        fix = f'a placeholder: `{sink}("... WHERE col = {mark}", (value,))`'
    if hit.has_params:
        fix += "; identifiers (table, column names) must come from a fixed list"
    return (
        f"{source} is executed by `{sink}()`: a crafted value rewrites the query (SQL "
        f"injection). Pass values as {fix}."
    )


def _leak_message(opened: Opened) -> str:
    where = f"`{opened.function}` opens a {opened.what} with `{opened.opener}`"
    if opened.what == "session":
        if opened.getter is not None:
            fix = (
                f"take it as a dependency (`db: Session = Depends({opened.getter.ref.node.name})`"
                f" with `{opened.getter.ref.node.name}` yielding and closing it) or use "
                f"`with {opened.getter.opener} as db:`"
            )
        else:
            fix = f"use `with {opened.opener} as session:` or close it in `finally`"
    elif "engine" in opened.opener or opened.what == "database connection":
        fix = f"use `with {opened.opener} as conn:`"
    else:
        fix = (
            "close it in `finally`, or use `with contextlib.closing(...) as conn:` (a "
            "DB-API connection's own `with` does not close it)"
        )
    return (
        f"{where} and never closes it: every call keeps a database connection open until the "
        f"garbage collector finds it. {fix[0].upper()}{fix[1:]}."
    )


def _getter_message(getter: Getter, calls: int, via_depends: bool) -> str:
    name = getter.ref.node.name
    if via_depends:
        problem = f"`{name}()` returns the session and FastAPI never closes it (`Depends({name})`)"
    else:
        callers = "1 caller never closes it" if calls == 1 else f"{calls} callers never close it"
        problem = f"`{name}()` hands out a new session on every call and {callers}"
    return (
        f"{problem}: make it a dependency that closes it: `db = {getter.opener}`, `try: yield db`, "
        f"`finally: db.close()`, and take it with `Depends({name})`."
    )


class DatabasesAnalyzer:
    name = "databases"
    criteria = ("C07", "C08")

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        inventory = ctx.inventory
        index = index_models(inventory)
        names = ProjectNames(inventory.modules)
        sessions = SessionSources(names)
        facts: dict[str, object] = _model_facts(index)
        not_applicable: dict[str, str] = {}
        findings: list[Finding] = []
        closing_getters: list[str] = []
        if _uses_database(ctx, index):
            findings, closing_getters = self._c07(ctx, names, sessions)
        else:
            not_applicable["C07"] = "no database access found"
        migrations = find_migrations(inventory)
        if index.models:
            findings += self._c08(ctx, names, index, migrations)
        else:
            not_applicable["C08"] = "no ORM models found"
        facts["migrations"] = len(migrations.all)
        # The dependencies that close their session (a few are enough as evidence).
        facts["session_dependency"] = closing_getters[:10]
        if not_applicable:
            facts["not_applicable"] = not_applicable
        findings.sort(key=lambda f: (f.criterion, f.path, f.line or 0, f.rule))
        return AnalyzerOutput(tuple(findings), facts)

    # -- C07 ------------------------------------------------------------------------------

    def _c07(
        self, ctx: ScanContext, names: ProjectNames, sessions: SessionSources
    ) -> tuple[list[Finding], list[str]]:
        book = ctx.rulebook
        scan = ResourceScan(names, sessions, ctx.inventory.modules)
        sql = SqlScan(names)
        for module in ctx.inventory.modules:
            if "Depends" in module.source:
                scan.collect_depends(module)
        findings: list[Finding] = []
        for module in ctx.inventory.modules:
            findings += self._module_c07(ctx, sql, scan, module)
        for module, opened in scan.report.leaks:
            findings.append(
                book.finding(
                    "RB0703",
                    module.path,
                    opened.line,
                    _leak_message(opened),
                    severity=_low(module),
                )
            )
        for getter, calls, via_depends in scan.returning_getters():
            findings.append(
                book.finding(
                    "RB0703",
                    getter.ref.module.path,
                    getter.open_line,
                    _getter_message(getter, calls, via_depends),
                    severity=_low(getter.ref.module),
                )
            )
        for getter in scan.report.unclosed_yield_getters.values():
            name = getter.ref.node.name
            message = (
                f"`{name}()` yields the session but never closes it: wrap the `yield` in "
                f"`try:` ... `finally: db.close()`, or write `with {getter.opener} as db: "
                "yield db`."
            )
            findings.append(
                book.finding(
                    "RB0703",
                    getter.ref.module.path,
                    getter.open_line,
                    message,
                    severity=_low(getter.ref.module),
                )
            )
        return _dedupe(findings), sorted(set(scan.report.closing_getters))

    def _module_c07(
        self, ctx: ScanContext, sql: SqlScan, scan: ResourceScan, module: PythonModule
    ) -> list[Finding]:
        """SQL from strings everywhere (info in migrations); sessions and engines in code."""
        names = sql.names
        with_sql = may_hold_sql(module)
        opens = scan.may_open(module)
        engines = scan.creates_engines
        findings = (
            [self._sql_finding(ctx, module, hit) for hit in sql.hits(module, None)]
            if with_sql
            else []
        )
        for function in functions_of(module.tree):
            if with_sql:
                findings += [
                    self._sql_finding(ctx, module, hit) for hit in sql.hits(module, function)
                ]
            if module.role is ModuleRole.MIGRATION:
                continue
            if opens:
                scan.function(module, function)
            if not engines:
                continue
            for where, line, what in engines_per_request(
                names, module, function, scan.report.depends_targets
            ):
                message = (
                    f"{what}: each engine opens its own connection pool. Create the engine "
                    "once at module level or in the app's lifespan and share it."
                )
                findings.append(
                    ctx.rulebook.finding("RB0704", where.path, line, message, severity=_low(where))
                )
        return findings

    def _sql_finding(self, ctx: ScanContext, module: PythonModule, hit: SqlHit) -> Finding:
        rule = "RB0701" if hit.sink is not None else "RB0702"
        severity = _low(module)
        if module.role is ModuleRole.MIGRATION:
            severity = Severity.INFO
        elif hit.has_params and severity is None:
            severity = Severity.WARNING
        return ctx.rulebook.finding(
            rule, module.path, hit.line, _sql_message(module, hit), severity=severity
        )

    # -- C08 ------------------------------------------------------------------------------

    def _c08(
        self, ctx: ScanContext, names: ProjectNames, index: ModelIndex, migrations: Migrations
    ) -> list[Finding]:
        book = ctx.rulebook
        findings: list[Finding] = []
        first = index.models[0]
        flask = "flask_sqlalchemy" in index.orms
        creates = [
            call
            for module in schema_modules(ctx.inventory)
            for call in create_all_calls(names, module, flask)
        ]
        if not migrations.all:
            shown = ", ".join(f"`{m.name}`" for m in index.models[:3])
            more = f" and {len(index.models) - 3} more" if len(index.models) > 3 else ""
            hint = _ORM_MIGRATION_HINTS.get(first.orm, _ALEMBIC_HINT)
            count = len(index.models)
            message = (
                f"{count} model{'s' if count != 1 else ''} ({shown}{more}) and no migrations: "
                f"the database schema can't be versioned or upgraded in place. {hint}."
            )
            findings.append(book.finding("RB0801", first.path, first.line, message))
            for call in creates:
                message = (
                    f"`{call.shown}` is the only schema management: it creates missing tables "
                    "but never changes existing ones, so a changed model silently drifts from "
                    "the database. Manage the schema with migrations and drop this call."
                )
                findings.append(book.finding("RB0803", call.module.path, call.line, message))
            return findings
        for call in creates:
            message = (
                f"`{call.shown}` runs beside the migrations in `{migrations.folder}`: two sources "
                "of truth for the schema. Let the migrations create the tables (`alembic upgrade "
                "head`) and keep `create_all` for tests."
            )
            findings.append(book.finding("RB0804", call.module.path, call.line, message))
        if migrations.django:
            for app, model in apps_without_migrations(index, migrations):
                label = app.rsplit("/", 1)[-1]
                message = (
                    f"App `{label}` has models (`{model.name}`) but no migrations: run "
                    f"`python manage.py makemigrations {label}` and commit `{app}/migrations/`."
                )
                findings.append(book.finding("RB0802", model.path, model.line, message))
        for model, table in tables_missing(ctx.inventory, index, migrations):
            if model.orm == "django":
                message = (
                    f"Model `{model.name}` appears in no migration of its app: run "
                    "`python manage.py makemigrations` and commit the new file."
                )
            else:
                message = (
                    f"Model `{model.name}` (table `{table}`) appears in no migration under "
                    f"`{migrations.folder}`: generate one with `alembic revision "
                    f'--autogenerate -m "add {table}"`.'
                )
            findings.append(book.finding("RB0805", model.path, model.line, message))
        return findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int | None]] = set()
    kept = []
    for finding in findings:
        key = (finding.rule, finding.path, finding.line)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


# Columns a backend looks rows up by: they want a unique constraint or an index.
_LOOKUP_FIELDS = frozenset({"email", "username", "slug"})


def _model_facts(index: ModelIndex) -> dict[str, object]:
    foreign_keys = indexed = lookups = indexed_lookups = 0
    for model in index.models:
        for fk in model.foreign_keys:
            foreign_keys += 1
            indexed += fk in model.indexed_fields
        for name in _LOOKUP_FIELDS.intersection(model.fields):
            lookups += 1
            indexed_lookups += name in model.indexed_fields
    return {
        "models": len(index.models),
        "orms": sorted(index.orms),
        "relationships": sum(1 for m in index.models for r in m.relations if r.kind != "reverse"),
        "foreign_keys": foreign_keys,
        "indexed_foreign_keys": indexed,
        "lookup_fields": lookups,
        "indexed_lookup_fields": indexed_lookups,
    }


ANALYZER = DatabasesAnalyzer()
