"""Databases (C07) and migrations (C08): SQL from strings, unclosed sessions, schema management."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reviewbot.analyzers import databases
from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput
from reviewbot.rubric.criteria import ADJUSTERS
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from tests.core.conftest import Files, write_tree

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "databases"
EXAMPLES = HERE.parents[1] / "examples"

Row = tuple[str, str, int | None, str, str]
Analyze = Callable[[Files], AnalyzerOutput]


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.py.txt").read_text(encoding="utf-8")


def run_on(root: Path) -> AnalyzerOutput:
    inventory = build_inventory(root, is_git=False)
    ctx = ScanContext(inventory, default_rulebook(), Settings(), root, 60.0)
    return databases.ANALYZER.run(ctx)


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.path, f.line, f.severity.value, f.message) for f in output.findings]


@pytest.fixture
def analyze(tmp_path: Path) -> Analyze:
    return lambda files: run_on(write_tree(tmp_path / "repo", files))


INJECTION = "a crafted value rewrites the query (SQL injection). Pass values as"
QMARK = 'a placeholder: `{sink}("... WHERE col = ?", (value,))`'
TEXT_PARAM = 'a bound parameter: `text("... WHERE col = :value")` with `{"value": ...}`'
IDENTIFIERS = "; identifiers (table, column names) must come from a fixed list"


def test_sql_built_from_strings(analyze: Analyze) -> None:
    output = analyze(
        {
            "app/__init__.py": "",
            "app/models.py": "class Post:\n    pass\n",
            "app/queries.py": fixture("sql_built"),
            "app/safe.py": fixture("sql_safe"),
        }
    )
    assert rows(output) == [
        ("RB0701", "app/queries.py", 13, "error",
         f"SQL built with an f-string from `user_id` is executed by `cur.execute()`: {INJECTION} "
         f"{QMARK.format(sink='cur.execute')}."),
        ("RB0701", "app/queries.py", 21, "error",
         "SQL built with concatenation (`+`) from `q` (line 20) is executed by `text()`: "
         f"{INJECTION} {TEXT_PARAM}."),
        ("RB0701", "app/queries.py", 25, "error",
         "SQL built with concatenation (`+`) from `order` (line 24) is executed by `text()`: "
         f"{INJECTION} {TEXT_PARAM}."),
        ("RB0701", "app/queries.py", 29, "error",
         "SQL built with `%` formatting from `title`, `post_id` is executed by "
         f"`cursor.execute()`: {INJECTION} {QMARK.format(sink='cursor.execute')}."),
        ("RB0701", "app/queries.py", 30, "error",
         "SQL built with `.format()` from `post_id` is executed by `cursor.execute()`: "
         f"{INJECTION} {QMARK.format(sink='cursor.execute')}."),
        ("RB0701", "app/queries.py", 34, "warning",
         "SQL built with an f-string from `table` is executed by `cursor.execute()`: "
         f"{INJECTION} {QMARK.format(sink='cursor.execute')}{IDENTIFIERS}."),
        ("RB0701", "app/queries.py", 38, "error",
         "SQL built with an f-string from `author` is executed by `Post.objects.raw()`: "
         f'{INJECTION} a parameter: `Model.objects.raw("... WHERE col = %s", [value])`.'),
        ("RB0701", "app/queries.py", 42, "warning",
         f"SQL built with an f-string from `field` is executed by `RawSQL()`: {INJECTION} "
         f'parameters: `RawSQL("... WHERE col = %s", (value,))`{IDENTIFIERS}.'),
        ("RB0702", "app/queries.py", 46, "warning",
         "SQL built with concatenation (`+`) from `author`: if it reaches the database, a "
         "crafted value rewrites the query (SQL injection). Keep the SQL constant and pass "
         "values as parameters."),
        ("RB0701", "app/queries.py", 53, "error",
         "SQL built with `%` formatting from `name` is executed by `cursor.execute()`: "
         f"{INJECTION} {QMARK.format(sink='cursor.execute')}."),
    ]


def test_sql_handed_to_a_project_helper_that_executes_it(analyze: Analyze) -> None:
    output = analyze({"app/__init__.py": "", "app/sql_helpers.py": fixture("sql_helpers")})
    helper = (
        "is executed by `run_query()` (it passes it to `conn.execute()` at "
        "app/sql_helpers.py:6): a crafted value rewrites the query (SQL injection). Keep the SQL "
        "constant and pass the values through `run_query` as parameters."
    )
    assert rows(output) == [
        ("RB0701", "app/sql_helpers.py", 14, "error",
         f"SQL built with an f-string from `author` {helper}"),
        ("RB0701", "app/sql_helpers.py", 23, "error",
         f"SQL built with concatenation (`+`) from `author` (line 22) {helper}"),
        ("RB0702", "app/sql_helpers.py", 27, "warning",
         "SQL built with an f-string from `user`: if it reaches the database, a crafted value "
         "rewrites the query (SQL injection). Keep the SQL constant and pass values as "
         "parameters."),
    ]


def test_sql_in_migrations_and_tests_is_info(analyze: Analyze) -> None:
    update = (
        "from alembic import op\n\nSTATUS = 'draft'\n\n\ndef upgrade(table='posts'):\n"
        "    op.execute(f\"UPDATE {table} SET status = 'x'\")\n"
    )
    test = (
        "def test_search(db, term='x'):\n"
        "    assert db.execute(f\"SELECT * FROM posts WHERE title = '{term}'\")\n"
    )
    output = analyze(
        {
            "app.py": "import sqlalchemy\n",
            "migrations/versions/0002_status.py": update,
            "tests/test_search.py": test,
        }
    )
    assert [(r[0], r[1], r[2], r[3]) for r in rows(output)] == [
        ("RB0701", "migrations/versions/0002_status.py", 7, "info"),
        ("RB0701", "tests/test_search.py", 2, "info"),
    ]


def test_sessions_and_connections_never_closed(analyze: Analyze) -> None:
    output = analyze(
        {
            "app/__init__.py": "",
            "app/models.py": "class User:\n    pass\n",
            "app/db.py": fixture("db"),
            "app/leak.py": fixture("sessions_leak"),
            "app/closed.py": fixture("sessions_closed"),
        }
    )
    leak = "and never closes it: every call keeps a database connection open until the garbage "
    dbapi = (
        "collector finds it. Close it in `finally`, or use `with contextlib.closing(...) as "
        "conn:` (a DB-API connection's own `with` does not close it)."
    )
    assert rows(output) == [
        ("RB0703", "app/db.py", 11, "warning",
         "`get_db()` hands out a new session on every call and 1 caller never closes it: make "
         "it a dependency that closes it: `db = SessionLocal()`, `try: yield db`, "
         "`finally: db.close()`, and take it with `Depends(get_db)`."),
        ("RB0703", "app/db.py", 16, "warning",
         "`get_session()` yields the session but never closes it: wrap the `yield` in `try:` "
         "... `finally: db.close()`, or write `with SessionLocal() as db: yield db`."),
        ("RB0703", "app/leak.py", 14, "warning",
         f"`list_users` opens a session with `get_db()` {leak}collector finds it. Take it as a "
         "dependency (`db: Session = Depends(get_db)` with `get_db` yielding and closing it) "
         "or use `with SessionLocal() as db:`."),
        ("RB0703", "app/leak.py", 24, "warning",
         f"`count_users` opens a session with `SessionLocal()` {leak}collector finds it. Use "
         "`with SessionLocal() as session:` or close it in `finally`."),
        ("RB0703", "app/leak.py", 28, "warning",
         f"`raw_count` opens a sqlite3 connection with `get_conn()` {leak}{dbapi}"),
        ("RB0703", "app/leak.py", 33, "warning",
         f"`report` opens a session with `Session(...)` {leak}collector finds it. Use "
         "`with Session(...) as session:` or close it in `finally`."),
        ("RB0703", "app/leak.py", 34, "warning",
         f"`report` opens a database connection with `engine.connect()` {leak}collector finds "
         "it. Use `with engine.connect() as conn:`."),
        ("RB0703", "app/leak.py", 35, "warning",
         f"`report` opens a psycopg2 connection with `psycopg2.connect(...)` {leak}{dbapi}"),
    ]
    assert output.facts["session_dependency"] == ["app.db.get_safe_db", "app.db.get_with_db"]


def test_a_getter_used_with_depends_that_returns_the_session(analyze: Analyze) -> None:
    database = (
        "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n\n\n"
        "def get_db():\n    return SessionLocal()\n"
    )
    main = (
        "from fastapi import Depends, FastAPI\n\nfrom database import get_db\n\n"
        "app = FastAPI()\n\n\n@app.get('/')\ndef home(db=Depends(get_db)):\n    return 1\n"
    )
    output = analyze({"database.py": database, "main.py": main})
    assert rows(output) == [
        ("RB0703", "database.py", 7, "warning",
         "`get_db()` returns the session and FastAPI never closes it (`Depends(get_db)`): make "
         "it a dependency that closes it: `db = SessionLocal()`, `try: yield db`, "
         "`finally: db.close()`, and take it with `Depends(get_db)`."),
    ]


def test_engines_created_per_request(analyze: Analyze) -> None:
    output = analyze({"app/__init__.py": "", "app/engines.py": fixture("engines")})
    pool = (
        "each engine opens its own connection pool. Create the engine once at module level "
        "or in the app's lifespan and share it."
    )
    assert rows(output) == [
        ("RB0704", "app/engines.py", 13, "warning",
         "`create_engine(...)` in `make_engine` runs on every request (`ping` calls it at "
         f"app/engines.py:31): {pool}"),
        ("RB0704", "app/engines.py", 22, "warning",
         f"`create_engine(...)` runs on every request (in `get_db`): {pool}"),
        ("RB0704", "app/engines.py", 28, "warning",
         f"`create_engine(...)` runs on every request (in `ping`): {pool}"),
    ]


MODELS = {"app/__init__.py": "", "app/models.py": fixture("sqla_models")}
CREATE_ALL = {
    "app/main.py": fixture("main_create_all"),
    "tests/conftest.py": fixture("conftest_create_all"),
}
ALEMBIC = {
    "alembic.ini": "[alembic]\nscript_location = migrations\n",
    "migrations/env.py": fixture("alembic_env"),
    "migrations/versions/0001_initial.py": fixture("alembic_0001"),
}


def test_models_without_migrations_and_create_all_only(analyze: Analyze) -> None:
    output = analyze({**MODELS, **CREATE_ALL})
    assert rows(output) == [
        ("RB0803", "app/main.py", 7, "warning",
         "`Base.metadata.create_all()` is the only schema management: it creates missing "
         "tables but never changes existing ones, so a changed model silently drifts from the "
         "database. Manage the schema with migrations and drop this call."),
        ("RB0801", "app/models.py", 9, "error",
         "3 models (`User`, `Post`, `Comment`) and no migrations: the database schema can't be "
         "versioned or upgraded in place. Add Alembic: `alembic init migrations`, then "
         '`alembic revision --autogenerate -m "initial"`.'),
    ]
    assert output.facts["models"] == 3
    assert output.facts["foreign_keys"] == 2
    assert output.facts["indexed_foreign_keys"] == 1


def test_alembic_migrations_beside_create_all_and_a_missing_table(analyze: Analyze) -> None:
    output = analyze({**MODELS, **CREATE_ALL, **ALEMBIC})
    assert rows(output) == [
        ("RB0804", "app/main.py", 7, "info",
         "`Base.metadata.create_all()` runs beside the migrations in `migrations/versions/`: "
         "two sources of truth for the schema. Let the migrations create the tables (`alembic "
         "upgrade head`) and keep `create_all` for tests."),
        ("RB0805", "app/models.py", 25, "info",
         "Model `Comment` (table `comments`) appears in no migration under "
         '`migrations/versions/`: generate one with `alembic revision --autogenerate -m "add '
         'comments"`.'),
    ]
    assert output.facts["migrations"] == 1


def test_alembic_migrations_covering_every_model_are_silent(analyze: Analyze) -> None:
    revision = fixture("alembic_0001").replace(
        "def downgrade", 'def add_comments() -> None:\n    op.create_table("comments")\n\n\n'
        "def downgrade",
    )
    output = analyze({**MODELS, **ALEMBIC, "migrations/versions/0001_initial.py": revision,
                      "tests/conftest.py": fixture("conftest_create_all")})
    assert rows(output) == []


def test_django_apps_with_and_without_migrations(analyze: Analyze) -> None:
    output = analyze(
        {
            "manage.py": "import django\n",
            "blog/__init__.py": "",
            "blog/models.py": fixture("django_blog_models"),
            "blog/migrations/__init__.py": "",
            "blog/migrations/0001_initial.py": fixture("django_blog_0001"),
            "shop/__init__.py": "",
            "shop/models.py": fixture("django_shop_models"),
            "shop/migrations/__init__.py": "",
        }
    )
    assert rows(output) == [
        ("RB0805", "blog/models.py", 8, "info",
         "Model `Tag` appears in no migration of its app: run `python manage.py "
         "makemigrations` and commit the new file."),
        ("RB0802", "shop/models.py", 4, "warning",
         "App `shop` has models (`Product`) but no migrations: run `python manage.py "
         "makemigrations shop` and commit `shop/migrations/`."),
    ]


def test_django_project_without_any_migrations(analyze: Analyze) -> None:
    output = analyze(
        {
            "blog/models.py": fixture("django_blog_models"),
            "shop/models.py": fixture("django_shop_models"),
        }
    )
    assert rows(output) == [
        ("RB0801", "blog/models.py", 4, "error",
         "3 models (`Post`, `Tag`, `Product`) and no migrations: the database schema can't be "
         "versioned or upgraded in place. Run `python manage.py makemigrations` and commit "
         "each app's `migrations/`."),
    ]


def test_flask_sqlalchemy_create_all_without_flask_migrate(analyze: Analyze) -> None:
    output = analyze({"app.py": fixture("flask_app")})
    assert rows(output) == [
        ("RB0801", "app.py", 9, "error",
         "1 model (`Note`) and no migrations: the database schema can't be versioned or "
         "upgraded in place. Add Flask-Migrate: `flask db init`, then `flask db migrate`."),
        ("RB0803", "app.py", 15, "warning",
         "`db.create_all()` is the only schema management: it creates missing tables but never "
         "changes existing ones, so a changed model silently drifts from the database. Manage "
         "the schema with migrations and drop this call."),
    ]


def test_sqlmodel_create_all_also_through_run_sync(analyze: Analyze) -> None:
    output = analyze({"app.py": fixture("sqlmodel_app")})
    assert [(r[0], r[1], r[2]) for r in rows(output)] == [
        ("RB0801", "app.py", 5),
        ("RB0803", "app.py", 15),
        ("RB0803", "app.py", 20),
    ]
    assert rows(output)[2][4].startswith("`SQLModel.metadata.create_all()` is the only schema")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"},
            {"C07": "no database access found", "C08": "no ORM models found"},
        ),
        (
            {"views.py": "from django.http import JsonResponse\n"},
            {"C07": "no database access found", "C08": "no ORM models found"},
        ),
        (
            {
                "app.py": "import sqlite3\n\n\ndef count():\n"
                "    with sqlite3.connect('app.db') as conn:\n"
                "        return conn.execute('SELECT COUNT(*) FROM t').fetchone()\n",
            },
            {"C08": "no ORM models found"},
        ),
    ],
)
def test_applicability(analyze: Analyze, files: Files, expected: dict[str, str]) -> None:
    output = analyze(files)
    assert rows(output) == []
    assert output.facts["not_applicable"] == expected


def test_positive_evidence_shapes_the_score() -> None:
    adjust = ADJUSTERS["C07"]
    facts = {
        "databases": {
            "models": 3,
            "relationships": 4,
            "foreign_keys": 3,
            "indexed_foreign_keys": 1,
            "lookup_fields": 1,
            "indexed_lookup_fields": 1,
            "session_dependency": ["app.db.get_db"],
        }
    }
    assert adjust(100.0, facts) == (
        95.0,
        ["3 models, 4 relationships", "1 of 3 foreign keys indexed",
         "1 of 1 lookup columns unique or indexed", "sessions closed by a dependency"],
    )
    assert adjust(80.0, {"databases": {"models": 0}}) == (80.0, [])
    assert adjust(80.0, {"databases": {"models": 1, "relationships": 0}}) == (
        80.0,
        ["1 model, 0 relationships"],
    )


def test_learner_example_planted_database_mistakes() -> None:
    output = run_on(EXAMPLES / "learner-api")
    leaked = [83, 110, 126, 139, 148, 159, 168, 182, 198, 216, 235, 246, 254, 263, 286, 297]
    found = rows(output)
    assert [(r[0], r[1], r[2]) for r in found] == [
        ("RB0703", "database.py", 14),
        *[("RB0703", "main.py", line) for line in leaked[:12]],
        ("RB0701", "main.py", 247),
        *[("RB0703", "main.py", line) for line in leaked[12:]],
        ("RB0703", "utils.py", 43),
        ("RB0701", "utils.py", 45),
        ("RB0801", "main.py", 32),
        ("RB0803", "main.py", 73),
    ]
    messages = {(r[1], r[2]): r[4] for r in found}
    assert messages[("database.py", 14)] == (
        "`get_db()` hands out a new session on every call and 16 callers never close it: make "
        "it a dependency that closes it: `db = SessionLocal()`, `try: yield db`, "
        "`finally: db.close()`, and take it with `Depends(get_db)`."
    )
    assert messages[("main.py", 247)] == (
        f"SQL built with an f-string from `q` is executed by `text()`: {INJECTION} "
        f"{TEXT_PARAM}."
    )
    assert messages[("utils.py", 43)] == (
        "`count_posts_raw` opens a sqlite3 connection with `sqlite3.connect(...)` and never "
        "closes it: every call keeps a database connection open until the garbage collector "
        "finds it. Close it in `finally`, or use `with contextlib.closing(...) as conn:` (a "
        "DB-API connection's own `with` does not close it)."
    )
    assert messages[("main.py", 32)] == (
        "3 models (`User`, `Post`, `Comment`) and no migrations: the database schema can't be "
        "versioned or upgraded in place. Add Alembic: `alembic init migrations`, then "
        '`alembic revision --autogenerate -m "initial"`.'
    )
    assert output.facts["indexed_foreign_keys"] == 0
    assert (output.facts["lookup_fields"], output.facts["indexed_lookup_fields"]) == (2, 0)


def test_good_example_is_silent() -> None:
    output = run_on(EXAMPLES / "good-api")
    assert rows(output) == []
    assert output.facts["session_dependency"] == ["app.db.session.get_session"]
    assert output.facts["migrations"] == 1
    assert output.facts["indexed_foreign_keys"] == output.facts["foreign_keys"] == 3
    assert (output.facts["lookup_fields"], output.facts["indexed_lookup_fields"]) == (1, 1)
