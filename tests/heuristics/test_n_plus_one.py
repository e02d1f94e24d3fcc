"""N+1 queries (C09): exact findings on Django/DRF, SQLAlchemy, SQLModel and Flask fixtures.

Fixtures live in `fixtures/n_plus_one/<case>/` as `*.py.txt` (so our own linters skip them)
and are written to a temporary repository as `.py` files. Every `*_bad` case has a `*_good`
twin with the same code done right, which must stay silent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.analyzers import n_plus_one
from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput
from reviewbot.rubric.criteria import ADJUSTERS
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "n_plus_one"
EXAMPLES = HERE.parents[1] / "examples"

Row = tuple[str, str, int | None, str]


def scan(root: Path, work: Path) -> AnalyzerOutput:
    work.mkdir(exist_ok=True)
    ctx = ScanContext(build_inventory(root, is_git=False), default_rulebook(), Settings(), work, 60)
    return n_plus_one.ANALYZER.run(ctx)


def scan_fixture(case: str, tmp_path: Path) -> AnalyzerOutput:
    source = FIXTURES / case
    root = tmp_path / "repo"
    for fixture in source.rglob("*.py.txt"):
        target = root / fixture.relative_to(source).with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(fixture.read_text(encoding="utf-8"), encoding="utf-8")
    return scan(root, tmp_path / "work")


def scan_files(files: dict[str, str], tmp_path: Path) -> AnalyzerOutput:
    root = tmp_path / "repo"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return scan(root, tmp_path / "work")


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.path, f.line, f.message) for f in output.findings]


SQLALCHEMY_BAD: list[Row] = [
    ("RB0902", "app/routes.py", 14,
     "`for post in posts` (line 14) reads `post.author` for every row: load it in the "
     "query at line 13 with `selectinload(Post.author)`."),
    ("RB0902", "app/routes.py", 22,
     "`for comment in post.comments` (line 21) reads `comment.author` for every row: load "
     "it in the query at line 19 with "
     "`selectinload(Post.comments).selectinload(Comment.author)`."),
    ("RB0902", "app/routes.py", 41,
     "`for post in session.scalars(stmt)` (line 40) passes `post` to `serialize()`, which "
     "reads its `tags` (line 32), for every row: load it in the query at line 40 with "
     "`selectinload(Post.tags)`."),
    ("RB0901", "app/routes.py", 42,
     "`for post in session.scalars(stmt)` (line 40) calls `count_comments()` for every "
     "item, which runs `session.scalar(stmt)` (app/routes.py:28): run one query for all "
     "rows before the loop, or load the related rows eagerly."),
    ("RB0901", "app/routes.py", 51,
     "`for user_id in ids` (line 50) runs `session.get(User, user_id)` for every item: "
     "fetch them all before the loop with one `where(<column>.in_(...))` query and look "
     "them up in a dict."),
    ("RB0902", "app/routes.py", 59,
     "`for u in found` (line 59) reads `u.posts` for every row, and `User.posts` is "
     '`lazy="dynamic"`: each access runs a query; declare it `lazy="selectin"` or query '
     "all rows' posts at once before the loop."),
    ("RB0903", "app/routes.py", 66,
     "`for title in titles` (line 64) commits once per item (`session.commit()`): add the "
     "objects in the loop (`session.add(...)` or `session.add_all(...)`) and commit once "
     "after it."),
]

DJANGO_BAD: list[Row] = [
    ("RB0904", "blog/api.py", 8,
     "`PostViewSet` lists Post objects with `PostSerializer`, which reads "
     "`comment_set.author` for every object (`CommentSerializer`, blog/serializers.py:23),"
     " but the queryset at line 8 does not load it: add "
     '`prefetch_related("comment_set__author")`.'),
    ("RB0904", "blog/api.py", 8,
     "`PostViewSet` lists Post objects with `PostSerializer`, which reads `author` for "
     "every object (`UserSerializer`, blog/serializers.py:22), but the queryset at line 8 "
     'does not load it: add `select_related("author")`.'),
    ("RB0904", "blog/api.py", 8,
     "`PostViewSet` lists Post objects with `PostSerializer`, which reads `tags` for every"
     " object (its primary keys, listed in `Meta.fields`, blog/serializers.py:28), but the"
     ' queryset at line 8 does not load it: add `prefetch_related("tags")`.'),
    ("RB0904", "blog/api.py", 8,
     "`PostViewSet` lists Post objects with `PostSerializer`, whose `get_comment_count()` "
     "runs `Comment.objects.filter(post=obj).count()` for every object "
     "(blog/serializers.py:31): compute it in the queryset at line 8 (e.g. "
     "`annotate(...)`) or prefetch what it reads."),
    ("RB0904", "blog/api.py", 15,
     "`CommentList` lists Comment objects with `CommentSerializer`, which reads `author` "
     "for every object (`UserSerializer`, blog/serializers.py:14), but the queryset at "
     'line 15 does not load it: add `select_related("author")`.'),
    ("RB0903", "blog/management/commands/seed.py", 9,  # info
     "`for name in ['python', 'django', 'drf']` (line 8) inserts one row per item with "
     "`Tag.objects.create(name=name)`: build the objects in the loop and save them with "
     "one `Tag.objects.bulk_create(...)`."),
    ("RB0902", "blog/views.py", 12,
     "`for post in posts` (line 9) reads `post.author` for every row: load it in the query"
     ' at line 7 with `select_related("author")`.'),
    ("RB0902", "blog/views.py", 13,
     "`for post in posts` (line 9) reads `post.comment_set` for every row: load it in the "
     'query at line 7 with `prefetch_related("comment_set")`.'),
    ("RB0902", "blog/views.py", 14,
     "`for post in posts` (line 9) reads `post.tags` for every row: load it in the query "
     'at line 7 with `prefetch_related("tags")`.'),
    ("RB0901", "blog/views.py", 15,
     "`for post in posts` (line 9) runs `Comment.objects.filter(post=post).count()` for "
     "every item: count for all rows in one query with `annotate(n=Count(...))`."),
    ("RB0901", "blog/views.py", 21,
     "`for pk in request.GET.getlist('id')` (line 21) runs `Post.objects.get(pk=pk)` for "
     "every item: fetch them all before the loop with one `filter(<field>__in=...)` or "
     "`in_bulk()` and look them up in a dict."),
    ("RB0903", "blog/views.py", 28,
     "`for post in Post.objects.filter(published=False)` (line 26) calls `post.save()` for"
     " every item (one query each): save them together after the loop with "
     "`Post.objects.bulk_update(objs, [fields])`."),
    ("RB0903", "blog/views.py", 34,
     "`for name in request.POST.getlist('tags')` (line 33) inserts one row per item with "
     "`Tag.objects.create(name=name)`: build the objects in the loop and save them with "
     "one `Tag.objects.bulk_create(...)`."),
]

FLASK_BAD: list[Row] = [
    ("RB0905", "app/routes.py", 14,
     "`posts_schema.dump(items)` nests `author` (`UserSchema`) for every Post, but the "
     "query at line 13 does not load it: add `selectinload(Post.author)` there."),
    ("RB0905", "app/routes.py", 20,
     "`PostSchema(many=True).dump(pagination.items)` nests `author` (`UserSchema`) for "
     "every Post, but the query at line 19 does not load it: add "
     "`selectinload(Post.author)` there."),
    ("RB0902", "app/routes.py", 25,
     "`for p in Post.query.all()` (line 25) reads `p.author` for every row: load it in the"
     " query at line 25 with `selectinload(Post.author)`."),
    ("RB0901", "app/routes.py", 31,
     "`for i in ids` (line 31) runs `User.query.get(i)` for every item: fetch them all "
     "before the loop with one `where(<column>.in_(...))` query and look them up in a "
     "dict."),
    ("RB0906", "app/routes.py", 41,
     "`for user_id, name in cur.fetchall()` (line 40) runs SQL `cur.execute('SELECT "
     "COUNT(*) FROM post WHERE user_id = ?', (user_id,))` for every row fetched at line "
     "40: get it in that query with a `JOIN` (or one `WHERE ... IN (...)` query)."),
    ("RB0903", "app/routes.py", 50,
     "`for title in request.json['titles']` (line 48) commits once per item "
     "(`db.session.commit()`): add the objects in the loop (`session.add(...)` or "
     "`session.add_all(...)`) and commit once after it."),
]

SQLMODEL: list[Row] = [
    ("RB0902", "app/main.py", 18,
     "`for t in found` (line 18) reads `t.heroes` for every row: load it in the query at "
     "line 17 with `selectinload(Team.heroes)`."),
]

LEARNER: list[Row] = [
    ("RB0902", "main.py", 173,
     "`for post in posts` (line 171) reads `post.author` for every row: load it in the "
     "query at line 169 with `selectinload(Post.author)`."),
    ("RB0902", "main.py", 174,
     "`for post in posts` (line 171) reads `post.comments` for every row: load it in the "
     "query at line 169 with `selectinload(Post.comments)`."),
    ("RB0901", "main.py", 267,
     "`for u in users` (line 266) runs `db.query(Post).filter(Post.author_id == "
     "u.id).count()` for every item: count for all rows in one grouped query "
     "(`func.count()` with `group_by`)."),
    ("RB0901", "main.py", 268,
     "`for u in users` (line 266) runs `db.query(Comment).filter(Comment.user_id == "
     "u.id).count()` for every item: count for all rows in one grouped query "
     "(`func.count()` with `group_by`)."),
    ("RB0902", "main.py", 269,
     "`for u in users` (line 266) reads `u.posts` for every row: load it in the query at "
     "line 264 with `selectinload(User.posts)`."),
    ("RB0902", "main.py", 301,
     "`for p in posts` (line 300) reads `p.author` for every row: load it in the query at "
     "line 298 with `selectinload(Post.author)`."),
]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("sqlalchemy_bad", SQLALCHEMY_BAD),
        ("django_bad", DJANGO_BAD),
        ("flask_bad", FLASK_BAD),
        ("sqlmodel", SQLMODEL),
    ],
)
def test_n_plus_one_is_found_with_its_place_and_fix(
    case: str, expected: list[Row], tmp_path: Path
) -> None:
    assert rows(scan_fixture(case, tmp_path)) == expected


@pytest.mark.parametrize("case", ["sqlalchemy_good", "django_good", "flask_good"])
def test_the_eager_loading_versions_stay_silent(case: str, tmp_path: Path) -> None:
    output = scan_fixture(case, tmp_path)
    assert rows(output) == []
    assert output.facts["eager_loads"] > 0
    assert "not_applicable" not in output.facts


def test_severity_drops_in_scripts_and_tests_are_not_checked(tmp_path: Path) -> None:
    output = scan_fixture("django_bad", tmp_path)
    severities = {(f.path, f.line): f.severity.value for f in output.findings}
    assert severities[("blog/management/commands/seed.py", 9)] == "info"
    assert severities[("blog/views.py", 34)] == "warning"
    assert not [f for f in output.findings if f.path == "blog/tests.py"]


def test_facts_count_loops_queries_and_eager_loads(tmp_path: Path) -> None:
    assert scan_fixture("sqlalchemy_bad", tmp_path).facts == {
        "models": 4,
        "orms": ["sqlalchemy"],
        "loops_checked": 7,
        "eager_loads": 0,
        "queries_in_loops": 2,
        "relation_reads_in_loops": 4,
        "writes_in_loops": 1,
        "serializer_relations_not_loaded": 0,
    }


def test_no_database_at_all_is_not_applicable(tmp_path: Path) -> None:
    output = scan_files(
        {"main.py": "import requests\n\nfor url in ['a', 'b']:\n    requests.get(url)\n"},
        tmp_path,
    )
    assert rows(output) == []
    assert output.facts["not_applicable"] == {"C09": "no ORM or database access found"}


def test_raw_database_access_without_models_is_applicable(tmp_path: Path) -> None:
    output = scan_files(
        {
            "app.py": (
                "import sqlite3\n\n"
                "def names(ids):\n"
                "    conn = sqlite3.connect('app.db')\n"
                "    return [conn.execute('SELECT name FROM users WHERE id = ?', (i,)).fetchone()\n"
                "            for i in ids]\n"
            )
        },
        tmp_path,
    )
    assert rows(output) == [
        ("RB0901", "app.py", 5,
         "`for i in ids` (line 5) runs `conn.execute('SELECT name FROM users WHERE id = ?', "
         "(i,)).fetchone()` for every item: fetch what the loop needs with one query (a "
         "`JOIN` or `WHERE ... IN (...)`) first."),
    ]
    assert "not_applicable" not in output.facts


def test_learner_example_planted_n_plus_one(tmp_path: Path) -> None:
    output = scan(EXAMPLES / "learner-api", tmp_path / "work")
    assert rows(output) == LEARNER
    assert output.facts["queries_in_loops"] == 2
    assert output.facts["relation_reads_in_loops"] == 4


def test_good_example_has_no_n_plus_one(tmp_path: Path) -> None:
    output = scan(EXAMPLES / "good-api", tmp_path / "work")
    assert rows(output) == []
    assert output.facts["eager_loads"] == 5
    assert "not_applicable" not in output.facts


def test_rubric_notes_what_was_checked() -> None:
    adjust = ADJUSTERS["C09"]
    facts = {"n_plus_one": {"loops_checked": 5, "eager_loads": 1}}
    assert adjust(80.0, facts) == (80.0, ["5 loops checked for per-row queries",
                                          "eager loading in 1 place"])
    assert adjust(80.0, {}) == (80.0, [])


def test_raw_writes_per_row_suggest_executemany(tmp_path: Path) -> None:
    output = scan_files(
        {
            "load.py": (
                "import sqlite3\n\n"
                "def load(rows):\n"
                "    cur = sqlite3.connect('app.db').cursor()\n"
                "    for name, price in rows:\n"
                "        cur.execute('INSERT INTO products VALUES (?, ?)', (name, price))\n"
                "    cur.executemany('INSERT INTO products VALUES (?, ?)', rows)\n"
            )
        },
        tmp_path,
    )
    assert rows(output) == [
        ("RB0901", "load.py", 6,
         "`for name, price in rows` (line 5) runs `cur.execute('INSERT INTO products VALUES "
         "(?, ?)', (name, price))` for every item: write all rows with one `executemany(...)` "
         "(or one multi-row statement)."),
    ]


def test_filtered_rows_and_relations_named_items_are_followed(tmp_path: Path) -> None:
    models = (
        "from sqlalchemy import ForeignKey\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n"
        "class Order(Base):\n"
        "    __tablename__ = 'orders'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    items: Mapped[list['Item']] = relationship()\n\n"
        "class Item(Base):\n"
        "    __tablename__ = 'items'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    order_id: Mapped[int] = mapped_column(ForeignKey('orders.id'))\n"
        "    product: Mapped['Product'] = relationship()\n\n"
        "class Product(Base):\n"
        "    __tablename__ = 'products'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    )
    views = (
        "from sqlalchemy import select\n"
        "from sqlalchemy.orm import selectinload\n"
        "from models import Order\n\n"
        "def totals(session):\n"
        "    orders = session.scalars(select(Order).options(selectinload(Order.items))).all()\n"
        "    open_orders = [o for o in orders if o.id]\n"
        "    for order in open_orders:\n"
        "        for item in order.items:\n"
        "            print(item.product.id)\n"
    )
    output = scan_files({"models.py": models, "views.py": views}, tmp_path)
    assert rows(output) == [
        ("RB0902", "views.py", 10,
         "`for item in order.items` (line 9) reads `item.product` for every row: load it in "
         "the query at line 6 with `selectinload(Order.items).selectinload(Item.product)`."),
    ]


def test_loops_that_run_no_query_per_row_stay_silent(tmp_path: Path) -> None:
    models = (
        "from django.db import models\n\n"
        "class Author(models.Model):\n"
        "    name = models.CharField(max_length=50)\n\n"
        "class Book(models.Model):\n"
        "    author = models.ForeignKey(Author, on_delete=models.CASCADE)\n"
        "    title = models.CharField(max_length=50)\n"
    )
    views = (
        "import redis\n"
        "from books.models import Author, Book\n\n"
        "cache = redis.Redis()\n\n"
        "def report(request, formset, payload):\n"
        "    for form in formset:\n"
        "        form.save()\n"
        "    for book in payload['books']:\n"
        "        print(book.author)\n"
        "    for key in request.GET:\n"
        "        cache.get(key)\n"
        "    rows = Book.objects.values_list('title', 'author_id')\n"
        "    for title, author_id in rows:\n"
        "        print(title, author_id)\n"
        "    for book in Book.objects.all():\n"
        "        print(book.author_id, book.title)\n"
        "    for book in Book.objects.all():\n"
        "        if book.title == 'x':\n"
        "            return Author.objects.get(pk=book.author_id)\n"
        "    return None\n"
    )
    output = scan_files({"books/models.py": models, "books/views.py": views}, tmp_path)
    assert rows(output) == []
    assert output.facts["loops_checked"] == 6
