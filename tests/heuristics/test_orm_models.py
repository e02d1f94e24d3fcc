"""The ORM model index: Django, SQLAlchemy 1.x/2.x, SQLModel and Flask-SQLAlchemy, from the AST."""

from __future__ import annotations

from pathlib import Path

from reviewbot.analyzers.orm_models import Model, ModelIndex, Relation, index_models
from reviewbot.source.inventory import build_inventory
from reviewbot.source.inventory_model import Inventory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def inventory_of(root: Path, files: dict[str, str]) -> Inventory:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return build_inventory(root, is_git=False)


def index_of(tmp_path: Path, files: dict[str, str]) -> ModelIndex:
    return index_models(inventory_of(tmp_path, files))


def model(index: ModelIndex, name: str) -> Model:
    found = index.by_name(name)
    assert found is not None, f"{name} not indexed"
    return found


SQLALCHEMY_2 = '''\
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from app.other import Thing


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    created_at: Mapped[int] = mapped_column(index=True)


class Author(TimestampMixin, Base):
    __tablename__ = "authors"
    __table_args__ = (UniqueConstraint("email"), Index("ix_name_email", "name", "email"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str]
    books: Mapped[list["Book"]] = relationship(back_populates="author", lazy="selectin")


class Book(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")
    editor: Mapped[Optional["Author"]] = relationship(foreign_keys="Book.editor_id")
    tags: Mapped[list[Tag]] = relationship(secondary="book_tags", lazy="dynamic")


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str | None] = mapped_column(unique=True)


Index("ix_books_title", Book.title)
'''


def test_sqlalchemy_2_models_relations_indexes_and_foreign_keys(tmp_path: Path) -> None:
    index = index_of(tmp_path, {"app/models.py": SQLALCHEMY_2})
    assert [m.name for m in index.models] == ["Author", "Book", "Tag"]
    assert index.orms == frozenset({"sqlalchemy"})
    author = model(index, "Author")
    assert author == Model(
        name="Author",
        path="app/models.py",
        line=20,
        orm="sqlalchemy",
        table="authors",
        relations=(Relation("books", "Book", "relationship", "selectin", 27),),
        fields=("created_at", "id", "name", "email"),
        indexed_fields=("created_at", "email", "name", "id"),
        foreign_keys=(),
        bases=("TimestampMixin", "Base"),
    )
    assert author.relations[0].eager
    book = model(index, "Book")
    assert book.relations == (
        Relation("author", "Author", "relationship", None, 36),
        Relation("editor", "Author", "relationship", None, 37),
        Relation("tags", "Tag", "relationship", "dynamic", 38),
    )
    assert not book.relations[2].eager
    assert book.fields == ("id", "title", "author_id")
    assert book.foreign_keys == ("author_id",)
    assert book.indexed_fields == ("id", "title")
    assert model(index, "Tag").indexed_fields == ("id", "label")
    assert index.by_name("Base") is None
    assert index.by_name("TimestampMixin") is None
    assert index.relation_names() == frozenset({"books", "author", "editor", "tags"})
    assert index.relations_named("author") == ((book, book.relations[0]),)


def test_sqlalchemy_1_declarative_base_columns_and_backref(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        {
            "db.py": (
                "from sqlalchemy.ext.declarative import declarative_base\n"
                "Base = declarative_base()\n"
            ),
            "models.py": (
                "from sqlalchemy import Column, ForeignKey, Integer, String\n"
                "from sqlalchemy.orm import backref, relationship\n"
                "from db import Base\n\n"
                "class User(Base):\n"
                "    __tablename__ = 'users'\n"
                "    id = Column(Integer, primary_key=True)\n"
                "    email = Column(String, unique=True, index=True)\n\n"
                "class Address(Base):\n"
                "    __tablename__ = 'addresses'\n"
                "    id = Column(Integer, primary_key=True)\n"
                "    user_id = Column(Integer, ForeignKey('users.id'))\n"
                "    user = relationship('User', backref=backref('addresses', lazy='joined'))\n"
                "    owner = relationship(User, backref='owned')\n"
            ),
            "schemas.py": "from pydantic import BaseModel\n\nclass User(BaseModel):\n    id: int\n",
        },
    )
    assert [(m.name, m.path) for m in index.models] == [
        ("User", "models.py"),
        ("Address", "models.py"),
    ]
    user = model(index, "User")
    assert user.relations == (
        Relation("addresses", "Address", "reverse", "joined", 14),
        Relation("owned", "Address", "reverse", None, 15),
    )
    assert user.indexed_fields == ("id", "email")
    address = model(index, "Address")
    assert address.relations == (
        Relation("user", "User", "relationship", None, 14),
        Relation("owner", "User", "relationship", None, 15),
    )
    assert address.foreign_keys == ("user_id",)


def test_sqlmodel_tables_only(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        {
            "models.py": (
                "from typing import ClassVar, Optional\n"
                "from sqlmodel import Field, Relationship, SQLModel\n\n"
                "class TeamBase(SQLModel):\n"
                "    name: str = Field(index=True)\n\n"
                "class Team(TeamBase, table=True):\n"
                "    id: Optional[int] = Field(default=None, primary_key=True)\n"
                "    heroes: list['Hero'] = Relationship(back_populates='team')\n\n"
                "class Hero(SQLModel, table=True):\n"
                "    id: int | None = Field(default=None, primary_key=True)\n"
                "    label: ClassVar[str] = 'hero'\n"
                "    age: int = 0\n"
                "    team_id: int | None = Field(default=None, foreign_key='team.id')\n"
                "    team: Optional[Team] = Relationship(\n"
                "        back_populates='heroes', sa_relationship_kwargs={'lazy': 'selectin'}\n"
                "    )\n\n"
                "class HeroRead(SQLModel):\n"
                "    id: int\n"
            ),
        },
    )
    assert [m.name for m in index.models] == ["Team", "Hero"]
    team, hero = index.models
    assert (team.orm, team.table, team.fields, team.indexed_fields) == (
        "sqlmodel", "team", ("name", "id"), ("name", "id")
    )
    assert team.relations == (Relation("heroes", "Hero", "relationship", None, 9),)
    assert hero.relations == (Relation("team", "Team", "relationship", "selectin", 16),)
    assert hero.fields == ("id", "age", "team_id")
    assert hero.foreign_keys == ("team_id",)


def test_flask_sqlalchemy_db_model(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        {
            "app/extensions.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
            "app/models.py": (
                "from app.extensions import db\n\n"
                "class BlogPost(db.Model):\n"
                "    id = db.Column(db.Integer, primary_key=True)\n"
                "    user_id = db.Column(db.Integer, db.ForeignKey('user.id'), nullable=False)\n"
                "    comments = db.relationship('Comment', backref='post', lazy=True)\n\n"
                "class Comment(db.Model):\n"
                "    __tablename__ = 'comments'\n"
                "    id = db.Column(db.Integer, primary_key=True)\n"
                "    post_id = db.Column(db.Integer, db.ForeignKey('blog_post.id'))\n"
            ),
        },
    )
    post, comment = index.models
    assert (post.name, post.orm, post.table) == ("BlogPost", "flask_sqlalchemy", "blog_post")
    assert post.relations == (Relation("comments", "Comment", "relationship", "select", 6),)
    assert post.foreign_keys == ("user_id",)
    assert comment.table == "comments"
    assert comment.relations == (Relation("post", "BlogPost", "reverse", None, 6),)


DJANGO_MODELS = '''\
from django.conf import settings
from django.db import models


class TimeStamped(models.Model):
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="%(class)s_owned"
    )

    class Meta:
        abstract = True


class Category(TimeStamped):
    name = models.CharField(max_length=50, unique=True)
    parent = models.ForeignKey("self", null=True, on_delete=models.SET_NULL)


class Post(TimeStamped):
    title = models.CharField(max_length=200)
    slug = models.SlugField()
    category = models.ForeignKey(Category, on_delete=models.PROTECT, db_index=False)
    tags = models.ManyToManyField("blog.Tag", related_name="posts")
    hidden_by = models.ManyToManyField("accounts.User", related_name="+")

    class Meta:
        db_table = "blog_posts"
        indexes = [models.Index(fields=["-title", "slug"])]
        unique_together = ("slug", "category")


class Tag(models.Model):
    label = models.CharField(max_length=20)


class Profile(models.Model):
    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE)
'''

DJANGO_USERS = '''\
from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    pass
'''


def test_django_fields_reverse_names_abstract_bases_and_user_model(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        {
            "blog/models.py": DJANGO_MODELS,
            "accounts/models.py": DJANGO_USERS,
            "blog/migrations/0001_initial.py": "class Migration:\n    pass\n",
            "blog/tests.py": (
                "from django.db import models\n\nclass Fake(models.Model):\n    pass\n"
            ),
        },
    )
    assert [(m.name, m.path) for m in index.models] == [
        ("User", "accounts/models.py"),
        ("Category", "blog/models.py"),
        ("Post", "blog/models.py"),
        ("Tag", "blog/models.py"),
        ("Profile", "blog/models.py"),
    ]
    assert index.orms == frozenset({"django"})
    category = model(index, "Category")
    assert category.table == "blog_category"
    assert category.relations == (
        Relation("owner", "User", "fk", None, 7),
        Relation("parent", "Category", "fk", None, 17),
        Relation("category_set", "Category", "reverse", None, 17),
        Relation("post_set", "Post", "reverse", None, 23),
    )
    assert category.fields == ("created", "owner", "name", "parent")
    assert category.indexed_fields == ("created", "owner", "name", "parent")
    assert category.foreign_keys == ("owner", "parent")
    post = model(index, "Post")
    assert post.table == "blog_posts"
    assert [(r.name, r.target, r.kind) for r in post.relations] == [
        ("owner", "User", "fk"),
        ("category", "Category", "fk"),
        ("tags", "Tag", "m2m"),
        ("hidden_by", "User", "m2m"),
    ]
    assert post.fields == ("created", "owner", "title", "slug", "category")
    assert post.indexed_fields == ("created", "owner", "title", "slug")
    tag = model(index, "Tag")
    assert tag.relations == (Relation("posts", "Post", "reverse", None, 24),)
    user = model(index, "User")
    assert [(r.name, r.target, r.kind) for r in user.relations] == [
        ("category_owned", "Category", "reverse"),
        ("post_owned", "Post", "reverse"),
        ("profile", "Profile", "reverse"),
    ]
    assert index.by_name("TimeStamped") is None
    assert index.by_name("Fake") is None


def test_bare_model_import_and_project_base(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        {
            "core/models.py": (
                "from django.db.models import CASCADE, ForeignKey, Model, TextField\n\n"
                "class Base(Model):\n"
                "    class Meta:\n"
                "        abstract = True\n\n"
                "class Note(Base):\n"
                "    text = TextField()\n\n"
                "class Reply(Base):\n"
                "    note = ForeignKey(Note, on_delete=CASCADE, related_name='replies')\n"
            ),
            "other.py": "from tortoise.models import Model\n\nclass Thing(Model):\n    pass\n",
        },
    )
    assert [m.name for m in index.models] == ["Note", "Reply"]
    assert model(index, "Note").relations == (Relation("replies", "Reply", "reverse", None, 11),)


def test_no_models_and_the_index_is_cached_per_inventory(tmp_path: Path) -> None:
    inventory = inventory_of(tmp_path, {"main.py": "class Point:\n    x: int = 0\n"})
    first = index_models(inventory)
    assert first.models == ()
    assert first.orms == frozenset()
    assert index_models(inventory) is first
    again = build_inventory(tmp_path, is_git=False)
    assert index_models(again) is not first


def test_examples(tmp_path: Path) -> None:
    learner = index_models(build_inventory(EXAMPLES / "learner-api", is_git=False))
    assert [(m.name, m.path, m.line) for m in learner.models] == [
        ("User", "main.py", 32),
        ("Post", "main.py", 45),
        ("Comment", "main.py", 61),
    ]
    assert model(learner, "Post").relations == (
        Relation("author", "User", "relationship", None, 57),
        Relation("comments", "Comment", "relationship", None, 58),
    )
    good = index_models(build_inventory(EXAMPLES / "good-api", is_git=False))
    assert [(m.name, m.path) for m in good.models] == [
        ("Comment", "app/models/comment.py"),
        ("Post", "app/models/post.py"),
        ("User", "app/models/user.py"),
    ]
    assert model(good, "Post").indexed_fields == ("id", "author_id", "created_at")
    assert model(good, "User").indexed_fields == ("id", "email")
