"""Typing coverage (C03) from the parsed trees alone."""

from __future__ import annotations

import pytest

from reviewbot.analyzers import typing_coverage

from .conftest import MakeContext, rows

APP = '''\
from typing import Any
import typing

from pydantic import BaseModel


class UserBase(BaseModel):
    email: str


class UserCreate(UserBase):
    password: str


class Service:
    def __init__(self, db: Any):
        self.db = db

    def get(self, user_id):
        return self.db.get(user_id)

    def count(self) -> int:
        return 0

    def _cache(self, key):
        return key

    @staticmethod
    def build(config: dict[str, typing.Any], debug) -> "Service":
        return Service(config)


def list_users(limit=10, *args, **kwargs):
    def inner(x):
        return x

    return []


def create_user(payload: UserCreate) -> dict[str, Any]:
    return {}


def _helper(x):
    return x


async def health():
    return {"ok": True}  # type: ignore[return-value]
'''

MESSAGE = "`{}` has no type annotations: annotate its parameters and return type"


def test_facts_and_findings(repo: MakeContext) -> None:
    ctx = repo(
        {
            "app/users.py": APP,
            "tests/test_users.py": "def test_it():\n    assert True\n",  # tests don't count
            "manage.py": "def main():\n    pass\n",  # nor scripts
        }
    )
    output = typing_coverage.ANALYZER.run(ctx)
    assert rows(output.findings) == [
        ("RB0301", "app/users.py", 19, None, "info", MESSAGE.format("Service.get")),
        ("RB0301", "app/users.py", 33, None, "info", MESSAGE.format("list_users")),
        ("RB0301", "app/users.py", 48, None, "info", MESSAGE.format("health")),
    ]
    assert {(f.criterion, f.analyzer) for f in output.findings} == {("C03", "typing")}
    assert output.facts == {
        # __init__ (typed args, no return needed), count, create_user: fully annotated.
        # build is partly annotated; get, _cache, list_users, _helper, health: not at all.
        "functions": 9,
        "fully_annotated": 3,
        "annotated_share": 0.333,
        "unannotated": 5,
        "unannotated_public": 3,
        "unannotated_public_not_reported": 0,
        "any_uses": 3,
        "type_ignores": 1,
        "mypy_config": None,
        "pydantic_models": 2,
        "uses_pydantic": True,
    }


def test_findings_are_capped(repo: MakeContext) -> None:
    source = "".join(f"def handler_{i}(request):\n    return request\n\n\n" for i in range(15))
    output = typing_coverage.ANALYZER.run(repo({"app/views.py": source}))
    assert [f.line for f in output.findings] == [1 + 4 * i for i in range(10)]
    assert output.facts["unannotated_public"] == 15
    assert output.facts["unannotated_public_not_reported"] == 5


def test_empty_repo(repo: MakeContext) -> None:
    output = typing_coverage.ANALYZER.run(repo({"README.md": "# nothing\n"}))
    assert output.findings == ()
    assert output.facts["functions"] == 0
    assert output.facts["annotated_share"] is None
    assert output.facts["uses_pydantic"] is False


def test_base_model_without_pydantic_is_not_a_pydantic_model(repo: MakeContext) -> None:
    source = "class BaseModel:\n    pass\n\n\nclass User(BaseModel):\n    pass\n"
    output = typing_coverage.ANALYZER.run(repo({"app/models.py": source}))
    assert output.facts["pydantic_models"] == 0


def test_sqlmodel_tables_are_pydantic_models(repo: MakeContext) -> None:
    source = (
        "import sqlmodel\n\n\nclass Hero(sqlmodel.SQLModel, table=True):\n    name: str\n"
    )
    output = typing_coverage.ANALYZER.run(repo({"app/models.py": source}))
    assert output.facts["pydantic_models"] == 1


@pytest.mark.parametrize(
    ("files", "config"),
    [
        ({"mypy.ini": "[mypy]\nstrict = True\n"}, "mypy.ini"),
        ({".mypy.ini": "[mypy]\n"}, ".mypy.ini"),
        ({"pyproject.toml": "[tool.mypy]\nstrict = true\n"}, "pyproject.toml"),
        ({"pyproject.toml": "[[tool.mypy.overrides]]\nmodule = 'x'\n"}, "pyproject.toml"),
        ({"setup.cfg": "[metadata]\nname = x\n\n[mypy]\nstrict = True\n"}, "setup.cfg"),
        ({"pyproject.toml": "[tool.ruff]\n# [tool.mypy] is elsewhere\n"}, None),
        ({"setup.cfg": "[flake8]\nmax-line-length = 100\n"}, None),
    ],
)
def test_mypy_config_presence(repo: MakeContext, files: dict[str, str], config: str | None) -> None:
    output = typing_coverage.ANALYZER.run(repo(files))
    assert output.facts["mypy_config"] == config
