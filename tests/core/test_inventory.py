"""The inventory: classification, vendored trees, links, unreadable Python, frameworks."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.model import SkippedFile
from reviewbot.source.inventory import build_inventory, classify, module_role
from reviewbot.source.inventory_model import FileKind, ModuleRole, VendoredTree
from tests.core.conftest import write_tree as write


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("app/main.py", FileKind.PYTHON),
        ("Dockerfile", FileKind.DOCKERFILE),
        ("docker/api.Dockerfile", FileKind.DOCKERFILE),
        ("Dockerfile.prod", FileKind.DOCKERFILE),
        ("docker-compose.yml", FileKind.COMPOSE),
        ("compose.yaml", FileKind.COMPOSE),
        (".github/workflows/ci.yml", FileKind.WORKFLOW),
        ("requirements-dev.txt", FileKind.MANIFEST),
        ("requirements.in", FileKind.MANIFEST),
        ("requirements-dev.lock", FileKind.MANIFEST),
        ("requirements.log", FileKind.OTHER),
        ("pyproject.toml", FileKind.MANIFEST),
        ("poetry.lock", FileKind.MANIFEST),
        ("notes.ipynb", FileKind.NOTEBOOK),
        ("db.sqlite3", FileKind.DATABASE),
        ("README.md", FileKind.DOC),
        ("LICENSE", FileKind.DOC),
        (".env", FileKind.CONFIG),
        ("alembic.ini", FileKind.CONFIG),
        ("static/logo.png", FileKind.OTHER),
    ],
)
def test_classify(path: str, kind: FileKind) -> None:
    assert classify(path) is kind


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("app/main.py", ModuleRole.APP),
        ("tests/test_api.py", ModuleRole.TEST),
        ("app/test_models.py", ModuleRole.TEST),
        ("conftest.py", ModuleRole.TEST),
        ("blog/tests.py", ModuleRole.TEST),
        ("blog/migrations/0001_initial.py", ModuleRole.MIGRATION),
        ("alembic/versions/abc_init.py", ModuleRole.MIGRATION),
        ("manage.py", ModuleRole.SCRIPT),
        ("blog/management/commands/seed.py", ModuleRole.SCRIPT),
        ("seed_data.py", ModuleRole.SCRIPT),
    ],
)
def test_module_role(path: str, role: ModuleRole) -> None:
    assert module_role(path) is role


def test_inventory_records_vendored_trees_links_and_unreadable_files(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("OUTSIDE")
    write(
        repo,
        {
            "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
            "app/old.py": 'print "hello"\n',
            "app/broken.py": "def f(:\n    pass\n",
            "app/latin1.py": b"x = '\xe9'\n",
            "app/declared.py": b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
            "app/big.py": "x = 1\n" * 50,
            ".venv/pyvenv.cfg": "home = /usr/bin\n",
            ".venv/lib/python3.11/site-packages/pkg.py": "import os\n",
            "node_modules/left-pad/index.py": "x = 1\n",
            "examples/demo/main.py": "import flask\n",
            "app/__pycache__/main.cpython-311.pyc": b"\x00\x01",
            ".git/config": "[core]\n",
        },
    )
    (repo / "app" / "link.py").symlink_to(outside / "secret.txt")
    (repo / "linked_dir").symlink_to(outside)

    inv = build_inventory(repo, max_file_bytes=200)

    assert [m.path for m in inv.modules] == ["app/declared.py", "app/main.py"]
    assert inv.skipped == (
        SkippedFile("app/big.py", "larger than 200 bytes"),
        SkippedFile("app/broken.py", "syntax error at line 1: invalid syntax"),
        SkippedFile("app/latin1.py", "not valid UTF-8 (or its declared encoding)"),
        SkippedFile(
            "app/old.py",
            "Python 2 code (line 1: Missing parentheses in call to 'print'. Did you mean "
            "print(...)?); only Python 3 is analysed",
        ),
    )
    assert inv.vendored == (
        VendoredTree(".venv", "virtualenv"),
        VendoredTree("app/__pycache__", "cache"),
        VendoredTree("examples", "samples"),
        VendoredTree("node_modules", "node_modules"),
    )
    assert inv.symlinks == ("app/link.py", "linked_dir")
    assert not inv.has("app/link.py")
    assert inv.read_text("app/link.py") is None
    assert inv.frameworks == ("fastapi",)
    assert inv.is_python_backend
    assert inv.python_loc == 4


def test_visible_paths_leave_out_ignored_local_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.py": "import django\n",
            ".env": "SECRET=x\n",
            ".venv/pyvenv.cfg": "home = /usr/bin\n",
            "venv2/pyvenv.cfg": "home = /usr/bin\n",
        },
    )
    inv = build_inventory(tmp_path, visible={"main.py", "venv2/pyvenv.cfg"})
    assert [f.path for f in inv.files] == ["main.py"]
    assert inv.vendored == (VendoredTree("venv2", "virtualenv"),)
    assert inv.frameworks == ("django",)


@pytest.mark.parametrize(
    ("source", "frameworks"),
    [
        ("from flask import Flask\n", ("flask",)),
        ("from rest_framework import viewsets\nimport fastapi\n", ("fastapi", "django")),
        ("import litestar\n", ("litestar",)),
        ("from aiohttp import web\n", ("other",)),
        ("import pandas\n", ()),
    ],
)
def test_frameworks_come_from_app_imports(
    tmp_path: Path, source: str, frameworks: tuple[str, ...]
) -> None:
    write(tmp_path, {"app.py": source, "tests/test_app.py": "import flask\n"})
    inv = build_inventory(tmp_path)
    assert inv.frameworks == frameworks
    assert inv.is_python_backend is bool(frameworks)


def test_operator_excludes_are_not_walked(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "import flask\n", "legacy/old.py": "import flask\n"})
    inv = build_inventory(tmp_path, exclude=("legacy",))
    assert [m.path for m in inv.modules] == ["app.py"]
