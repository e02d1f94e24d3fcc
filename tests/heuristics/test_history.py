"""Git history (C06) on real GitPython repositories with controlled dates; structure (C05)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import git
import pytest

from reviewbot.analyzers import history
from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput
from reviewbot.rubric.criteria import ADJUSTERS
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from tests.core.conftest import Files, write_tree
from tests.source.gitrepos import commit_files

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"
DAY = 86_400
START = 1_767_225_600  # 1 Jan 2026, 00:00 UTC

Row = tuple[str, str, int | None, str, str]


def functions(prefix: str, count: int) -> str:
    """`count` two-line functions: 2 * count non-blank lines of Python."""
    return "".join(f"def {prefix}{i}():\n    return {i}\n" for i in range(count))


def run_on(root: Path, *, is_git: bool = True) -> AnalyzerOutput:
    inventory = build_inventory(root, is_git=is_git)
    ctx = ScanContext(inventory, default_rulebook(), Settings(), root, 60.0)
    return history.ANALYZER.run(ctx)


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.path, f.line, f.severity.value, f.message) for f in output.findings]


Commit = tuple[str, int, dict[str, str | bytes | None]]


@pytest.fixture
def repo_with(tmp_path: Path) -> Callable[[list[Commit]], Path]:
    """A git repository whose commits are made at the given times, oldest first."""

    def build(commits: list[Commit]) -> Path:
        root = tmp_path / "repo"
        repo = git.Repo.init(root)
        for subject, when, files in commits:
            commit_files(repo, subject, when, files)
        return root

    return build


def test_a_single_commit_holding_everything(repo_with: Callable[[list[Commit]], Path]) -> None:
    root = repo_with([
        ("Initial commit", START, {"main.py": functions("f", 80), "README.md": "# x\n"}),
    ])
    output = run_on(root)
    assert rows(output) == [
        ("RB0610", ".", None, "warning",
         'The whole history is one commit ("Initial commit", 2 files, 161 lines): commit in '
         "small steps whose messages say what changed, so a reviewer can follow how the project "
         "grew."),
    ]
    assert output.facts["commits"] == 1
    assert output.facts["shallow"] is False


def test_a_tiny_project_may_be_one_commit(repo_with: Callable[[list[Commit]], Path]) -> None:
    root = repo_with([("Initial commit", START, {"main.py": functions("f", 10)})])
    assert rows(run_on(root)) == []


def test_all_commits_within_one_day(repo_with: Callable[[list[Commit]], Path]) -> None:
    root = repo_with([
        ("Add the post model", START + 9 * 3600, {"models.py": functions("m", 100)}),
        ("Add post routes", START + 12 * 3600, {"routes.py": functions("r", 100)}),
        ("Add the user service", START + 20 * 3600, {"services.py": functions("s", 100)}),
    ])
    assert rows(run_on(root)) == [
        ("RB0611", ".", None, "info",
         "All 3 commits were made within one day (1 Jan 2026): a history built over the life "
         "of the project shows how you work; commit as you go."),
    ]


def test_one_giant_commit_with_small_fixes_after_it(
    repo_with: Callable[[list[Commit]], Path],
) -> None:
    root = repo_with([
        ("First version of the blog API", START, {"main.py": functions("f", 450)}),
        ("Fix the slug of long titles", START + 3 * DAY, {"slug.py": functions("s", 5)}),
        ("Return 404 for missing posts", START + 9 * DAY, {"errors.py": functions("e", 5)}),
        ("Document the setup", START + 20 * DAY, {"README.md": "# Blog\n\nSetup.\n"}),
    ])
    output = run_on(root)
    sha = git.Repo(root).git.rev_list("--max-parents=0", "HEAD")[:7]
    assert rows(output) == [
        ("RB0612", ".", None, "info",
         f'Commit {sha} ("First version of the blog API", 1 Jan 2026) added 900 of the 923 '
         "lines in the history (98%): commit each feature or fix on its own."),
    ]
    assert output.facts["span_days"] == 20.0
    assert output.facts["active_days"] == 4


def test_vague_commit_messages_with_examples(repo_with: Callable[[list[Commit]], Path]) -> None:
    subjects = ["update", "fix", "wip", ".", "Add login endpoint", "Merge branch 'dev'",
                "Update main.py", "asdf"]
    root = repo_with([
        (subject, START + i * DAY, {f"m{i}.py": functions("f", 3)})
        for i, subject in enumerate(subjects)
    ])
    output = run_on(root)
    assert rows(output) == [
        ("RB0613", ".", None, "info",
         '6 of 7 commit messages say nothing about the change ("update", "fix", "wip"): write '
         'what changed and why, e.g. "Add pagination to GET /posts".'),
    ]
    assert output.facts["vague_share"] == 0.86


def test_a_good_history_is_silent(repo_with: Callable[[list[Commit]], Path]) -> None:
    root = repo_with([
        ("Scaffold the FastAPI app", START, {"app/main.py": functions("a", 60)}),
        ("Add Post and User models", START + 2 * DAY, {"app/models.py": functions("m", 80)}),
        ("Paginate GET /posts", START + 5 * DAY, {"app/routes.py": functions("r", 90)}),
        ("Fix the 500 on an empty search", START + 6 * DAY, {"app/search.py": functions("s", 40)}),
        ("Hash passwords with argon2", START + 11 * DAY, {"app/auth.py": functions("h", 60)}),
    ])
    output = run_on(root)
    assert rows(output) == []
    assert {k: output.facts[k] for k in ("is_git", "commits", "span_days", "authors")} == {
        "is_git": True, "commits": 5, "span_days": 11.0, "authors": 1}


def test_a_shallow_clone_is_not_judged_on_depth(
    repo_with: Callable[[list[Commit]], Path], tmp_path: Path
) -> None:
    origin = repo_with([
        ("Scaffold the app", START, {"main.py": functions("a", 100)}),
        ("Add routes", START + 4 * DAY, {"routes.py": functions("r", 100)}),
    ])
    clone = tmp_path / "clone"
    git.Repo.clone_from(origin.as_uri(), clone, depth=1)
    output = run_on(clone)
    # One commit is visible, but the history is only cut off: no RB0610.
    assert rows(output) == []
    assert (output.facts["commits"], output.facts["shallow"]) == (1, True)


def test_outside_git_only_structure_is_judged(tmp_path: Path) -> None:
    output = run_on(write_tree(tmp_path / "repo", {"main.py": "x = 1\n"}), is_git=False)
    assert rows(output) == []
    assert output.facts["is_git"] is False
    assert "commits" not in output.facts


def test_vague_subjects() -> None:
    vague = ["update", "Update", "fix.", "WIP", "..", "asdf", "changes", "Add files via upload",
             "Update README.md", "update 3", "minor changes", "x"]
    meaningful = ["Initial commit", "Fix login with expired tokens", "Update FastAPI to 0.115",
                  "Add README", "Create main.py", "Refactor the post service"]
    assert [s for s in vague if not history.is_vague(s)] == []
    assert [s for s in meaningful if history.is_vague(s)] == []


# --- structure (C05) ---------------------------------------------------------------------

SQLA_MODELS = (
    "from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import declarative_base\n\n"
    "Base = declarative_base()\n\n\nclass User(Base):\n    __tablename__ = 'users'\n"
    "    id = Column(Integer, primary_key=True)\n\n\nclass Post(Base):\n"
    "    __tablename__ = 'posts'\n    id = Column(Integer, primary_key=True)\n"
)
ROUTES = "".join(
    f"\n\n@app.get('/items{i}')\ndef items{i}():\n    return []\n" for i in range(3)
)


def analyze_tree(tmp_path: Path, files: Files) -> AnalyzerOutput:
    return run_on(write_tree(tmp_path / "repo", files), is_git=False)


def test_fastapi_models_and_routes_in_one_module(tmp_path: Path) -> None:
    main = (
        "from fastapi import FastAPI\n" + SQLA_MODELS + "\napp = FastAPI()\n" + ROUTES
        + functions("helper", 70)
    )
    output = analyze_tree(tmp_path, {"main.py": main})
    assert rows(output) == [
        ("RB0511", "main.py", 8, "warning",
         "`main.py` holds the ORM models (`User`, `Post`) and 3 route handlers: move the models "
         "to `models.py` and the routes into one router module per resource (e.g. "
         "`routers/posts.py`), so each file has one reason to change."),
    ]


def test_flask_sqlalchemy_models_and_routes_in_one_module(tmp_path: Path) -> None:
    app = (
        "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\n"
        "app = Flask(__name__)\ndb = SQLAlchemy(app)\n\n\n"
        "class Note(db.Model):\n    id = db.Column(db.Integer, primary_key=True)\n\n\n"
        "class Tag(db.Model):\n    id = db.Column(db.Integer, primary_key=True)\n"
        + ROUTES.replace("@app.get(", "@app.route(") + functions("helper", 70)
    )
    output = analyze_tree(tmp_path, {"app.py": app})
    assert [(r[0], r[1], r[2]) for r in rows(output)] == [("RB0511", "app.py", 8)]


def test_a_module_with_models_only_or_few_routes_is_fine(tmp_path: Path) -> None:
    output = analyze_tree(tmp_path, {
        "models.py": SQLA_MODELS + functions("m", 80),
        "main.py": "from fastapi import FastAPI\napp = FastAPI()\n" + ROUTES[:60],
    })
    assert rows(output) == []


def test_grab_bag_utils_module(tmp_path: Path) -> None:
    output = analyze_tree(tmp_path, {
        "app/utils.py": functions("helper", 150),
        "app/helpers.py": functions("small", 20),
    })
    assert rows(output) == [
        ("RB0510", "app/utils.py", None, "info",
         "`app/utils.py` is a 300-line grab-bag of 150 functions and classes: move each group "
         "next to what uses it, in modules named for what they hold (e.g. `security.py` for "
         "hashing, `text.py` for formatting)."),
    ]


def test_django_apps_and_concern_packages_are_evidence(tmp_path: Path) -> None:
    output = analyze_tree(tmp_path, {
        "blog/__init__.py": "",
        "blog/apps.py": "from django.apps import AppConfig\n",
        "blog/models.py": "from django.db import models\n",
        "blog/views.py": "from django.http import HttpResponse\n",
        "blog/serializers.py": "from rest_framework import serializers\n",
        "shop/__init__.py": "",
        "shop/apps.py": "from django.apps import AppConfig\n",
        "shop/models.py": "from django.db import models\n",
        "manage.py": "import django\n",
    })
    assert rows(output) == []
    assert output.facts == {
        "concerns": ["models", "routes", "schemas"],
        "packages": 2,
        "django_apps": 2,
        "is_git": False,
    }


def test_learner_example_mixes_models_and_routes() -> None:
    output = run_on(EXAMPLES / "learner-api", is_git=False)
    assert rows(output) == [
        ("RB0511", "main.py", 32, "warning",
         "`main.py` holds the ORM models (`User`, `Post`, `Comment`) and 18 route handlers: move "
         "the models to `models.py` and the routes into one router module per resource (e.g. "
         "`routers/posts.py`), so each file has one reason to change."),
    ]


def test_good_example_is_split_by_concern() -> None:
    output = run_on(EXAMPLES / "good-api", is_git=False)
    assert rows(output) == []
    assert output.facts["concerns"] == [
        "auth", "config", "database", "dependencies", "models", "routes", "schemas", "services"]


def test_rubric_names_the_evidence_of_structure_history_containers_ci_and_docs() -> None:
    facts = {
        "history": {"concerns": ["models", "routes", "schemas"], "packages": 2, "commits": 42,
                    "span_days": 30.5, "truncated": False},
        "docker": {"multi_stage": True, "compose_databases": ["docker-compose.yml:db"]},
        "ci": {"installs": True, "lints": False, "tests": True, "on_push_or_pr": True},
        "docs": {"readme_sections": ["what", "install"], "license": True},
    }
    notes = {cid: ADJUSTERS[cid](80.0, facts) for cid in ("C05", "C06", "C17", "C18", "C19")}
    assert notes == {
        "C05": (80.0, ["code split by concern (models, routes, schemas)"]),
        "C06": (80.0, ["42 commits over 30.5 days"]),
        "C17": (80.0, ["multi-stage build", "compose file with the database"]),
        "C18": (80.0, ["CI installs, tests on push/pull request"]),
        "C19": (80.0, ["README covers what, install", "license"]),
    }
    # Modules named by concern side by side in the root are no package split.
    flat = {"history": {"concerns": ["auth", "config", "schemas"], "packages": 0}}
    assert ADJUSTERS["C05"](70.0, flat) == (70.0, [])
    same_day = {"history": {"commits": 3, "span_days": 0.2}}
    assert ADJUSTERS["C06"](70.0, same_day) == (70.0, ["3 commits within a day"])
    # Notes only: nothing is said when the evidence is not there, and no score moves.
    assert [ADJUSTERS[cid](55.0, {}) for cid in ("C05", "C06", "C17", "C18", "C19")] == [
        (55.0, [])] * 5
