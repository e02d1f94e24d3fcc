"""Security settings (C13) and configuration (C14): debug mode, CORS, ALLOWED_HOSTS, database
URLs in code, per-environment switches, settings read from the environment and the
`.env.example`, for FastAPI, Django and Flask projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.analyzers import settings_check
from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput
from reviewbot.rubric.criteria import ADJUSTERS
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from tests.core.conftest import Files, write_tree

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "config"
EXAMPLES = HERE.parents[1] / "examples"

Row = tuple[str, str, str, int | None, str]

DEBUG_LITERAL = (
    "`DEBUG = True` is hardcoded in the settings: in production it shows stack traces and "
    "configuration to anyone who triggers an error. Read it from the environment, off unless "
    'asked for: `DEBUG = os.getenv("DEBUG", "false") == "true"`.'
)
DEBUG_SWITCH = (
    "Debug mode is switched on in the code: it shows stack traces to every client. Take it "
    "from the settings, off by default."
)
CORS = (
    "CORS allows every origin together with credentials{}: any website a user visits can call "
    "this API with the user's cookies or tokens. List the front-end origins you trust, from the "
    "settings."
)
URL = (
    "{} is a database URL written into the code (`{}`): every environment (laptop, CI, "
    'production) needs its own. Read it from the environment (`os.getenv("DATABASE_URL", ...)` '
    "or a settings class), this value as the local default at most."
)
BRANCH = (
    "`{}:` hardcodes {} per environment: set each from environment variables instead, so one "
    "code path runs everywhere and a new environment needs no code change."
)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def run_on(root: Path) -> AnalyzerOutput:
    inventory = build_inventory(root, is_git=False)
    ctx = ScanContext(inventory, default_rulebook(), Settings(), root.parent / "work", 60.0)
    return settings_check.ANALYZER.run(ctx)


def analyze(tmp_path: Path, files: Files) -> AnalyzerOutput:
    return run_on(write_tree(tmp_path / "repo", files))


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.severity.value, f.path, f.line, f.message) for f in output.findings]


def test_fastapi_debug_cors_urls_and_missing_example(tmp_path: Path) -> None:
    output = analyze(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": fixture("fastapi_main.txt"),
        "app/config.py": fixture("fastapi_config.txt"),
        ".env": "OPENAI_API_KEY=\nSENTRY_DSN=\n",
    })
    assert rows(output) == [
        ("RB1311", "warning", "app/config.py", 4, DEBUG_LITERAL),
        ("RB1401", "warning", "app/config.py", 5, URL.format("`DATABASE_URL`", "sqlite:///./blog.db")),
        ("RB1311", "warning", "app/main.py", 7, DEBUG_SWITCH),
        ("RB1312", "error", "app/main.py", 11, CORS.format(" (line 12)")),
        ("RB1401", "warning", "app/main.py", 16,
         URL.format("`create_engine(...)`'s URL", "postgresql://blog@localhost/blog")),
        ("RB1402", "warning", ".env.example", None,
         "No `.env.example`: the code reads `DEBUG_SQL`, `OPENAI_API_KEY`, `REDIS_URL`, "
         "`SENTRY_DSN` from the environment and the committed `.env` sets `OPENAI_API_KEY`, "
         "`SENTRY_DSN`. Commit a `.env.example` listing every variable with a placeholder value "
         "(`DEBUG_SQL=`) so others know what to set, and keep `.env` itself out of git."),
    ]
    assert output.facts == {
        "env_sources": ["os.environ"],
        "env_variables": ["DEBUG_SQL", "OPENAI_API_KEY", "REDIS_URL", "SENTRY_DSN"],
        "reads_env": True,
        "env_example": False,
    }


def test_fastapi_done_well_is_silent(tmp_path: Path) -> None:
    output = analyze(tmp_path, {
        "app/main.py": fixture("fastapi_good_main.txt"),
        "app/settings.py": fixture("pydantic_settings.txt"),
        ".env.example": "BLOG_JWT_SECRET=\n",
    })
    assert rows(output) == []
    # Fields inherit the base class's env_prefix; an alias names its variable itself.
    assert output.facts == {
        "env_sources": ["pydantic-settings"],
        "env_variables": ["BLOG_APP_NAME", "BLOG_CORS_ORIGINS", "BLOG_DATABASE_URL",
                          "BLOG_DEBUG", "BLOG_JWT_SECRET", "SENTRY_DSN"],
        "reads_env": True,
        "env_example": True,
    }


def test_django_split_settings(tmp_path: Path) -> None:
    output = analyze(tmp_path, {
        "blog/settings/base.py": fixture("django_settings.txt"),
        "blog/settings/dev.py": fixture("django_settings_dev.txt"),
        "blog/settings/prod.py": fixture("django_settings_prod.txt"),
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'b.settings')\n",
        "README.md": "## Configure\n\nSet `DJANGO_SECRET_KEY`, `DJANGO_DEBUG`, `DATABASE_URL`, "
                     "`SECRET_KEY`, `DEBUG` and `ALLOWED_HOSTS`.\n",
    })
    assert rows(output) == [
        ("RB1311", "warning", "blog/settings/base.py", 7,
         "`DJANGO_DEBUG` defaults to on (`True`) when the variable is unset, so a deployment "
         "that forgets it runs in debug mode: make the default off."),
        ("RB1313", "info", "blog/settings/base.py", 8,
         "`ALLOWED_HOSTS` accepts any host name: list the domains the site is served from (from "
         "the environment) so forged `Host` headers are refused."),
        ("RB1312", "error", "blog/settings/base.py", 12,
         "`CORS_ALLOW_ALL_ORIGINS` with `CORS_ALLOW_CREDENTIALS = True` lets any website call "
         "this API with the user's cookies: list the trusted origins in `CORS_ALLOWED_ORIGINS` "
         "instead."),
    ]
    assert output.facts["env_sources"] == ["django-environ", "python-decouple"]


def test_django_cors_without_credentials_is_silent(tmp_path: Path) -> None:
    settings = "CORS_ALLOW_ALL_ORIGINS = True\nSECRET_KEY = __import__('os').environ['K']\n"
    assert rows(analyze(tmp_path, {"blog/settings.py": settings, ".env.example": "K=\n"})) == []


def test_flask_config_classes_factory_and_cors(tmp_path: Path) -> None:
    output = analyze(tmp_path, {"blog/__init__.py": fixture("flask_app.txt")})
    assert rows(output) == [
        ("RB1401", "warning", "blog/__init__.py", 15,
         URL.format("`SQLALCHEMY_DATABASE_URI`", "postgresql://blog@prod-db.internal/blog")),
        ("RB1401", "warning", "blog/__init__.py", 20,
         URL.format("`app.config['SQLALCHEMY_DATABASE_URI']`", "sqlite:///blog.db")),
        ("RB1311", "warning", "blog/__init__.py", 21, DEBUG_SWITCH),
        ("RB1312", "error", "blog/__init__.py", 22, CORS.format("")),
        ("RB1402", "warning", ".env.example", None,
         "No `.env.example`: the code reads `DATABASE_URL` from the environment. Commit a "
         "`.env.example` listing every variable with a placeholder value (`DATABASE_URL=`) so "
         "others know what to set."),
    ]
    assert output.facts["env_sources"] == ["os.environ", "python-dotenv"]


def test_settings_switched_per_environment(tmp_path: Path) -> None:
    output = analyze(tmp_path, {"config.py": fixture("env_branches.txt"), "env.example": "X=\n"})
    assert rows(output) == [
        ("RB1403", "warning", "config.py", 5,
         BRANCH.format("if ENV == 'production'", "`DATABASE_URL`, `DEBUG`, `LOG_LEVEL`")),
        ("RB1401", "warning", "config.py", 6,
         URL.format("`DATABASE_URL`", "postgresql://blog@prod-db.internal/blog")),
        ("RB1403", "warning", "config.py", 12,
         BRANCH.format("if os.getenv('STAGE') in ('staging', 'production')", "`SENTRY_ENABLED`")),
    ]


def test_database_password_in_a_url_is_masked(tmp_path: Path) -> None:
    password = "Pgw0rd-" + "Tq8vZ3mK"
    source = f'DATABASE_URL = "postgresql://blog:{password}@db.internal/blog"\n'
    [finding] = analyze(tmp_path, {"app/db.py": source, ".env.example": "X=\n"}).findings
    assert finding.message == URL.format(
        "`DATABASE_URL`", "postgresql://blog:Pg…mK@db.internal/blog"
    )


@pytest.mark.parametrize(
    "source",
    [
        'import os\nDEBUG = os.getenv("DEBUG", True)\n',
        'import os\nDEBUG = os.environ.get("DEBUG", "True") == "True"\n',
        'from decouple import config\nDEBUG = config("DEBUG", default=True, cast=bool)\n',
        'import os\nDEBUG = bool(int(os.getenv("APP_DEBUG", 1)))\n',
    ],
)
def test_debug_defaulting_to_on(tmp_path: Path, source: str) -> None:
    [finding] = analyze(tmp_path, {"settings.py": source, ".env.example": "DEBUG=\n"}).findings
    assert (finding.rule, finding.line) == ("RB1311", 2)
    assert "defaults to on" in finding.message


def test_pydantic_settings_field_defaulting_to_debug(tmp_path: Path) -> None:
    source = (
        "from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n"
        "    debug: bool = True\n"
    )
    [finding] = analyze(tmp_path, {"app/settings.py": source, ".env.example": "X=\n"}).findings
    assert (finding.rule, finding.line, finding.message) == (
        "RB1311", 5,
        "`DEBUG` defaults to on (`True`) when the variable is unset, so a deployment that "
        "forgets it runs in debug mode: make the default off.",
    )


@pytest.mark.parametrize(
    ("files", "silent"),
    [
        ({"settings/dev.py": "DEBUG = True\n"}, True),
        ({"local_settings.py": "DEBUG = True\nALLOWED_HOSTS = ['*']\n"}, True),
        ({"tests/test_app.py": "DEBUG = True\napp = FastAPI(debug=True)\n"}, True),
        ({"settings.py": 'import os\nDEBUG = os.getenv("DEBUG", "false") == "true"\n'}, True),
        ({"settings.py": "DEBUG = False\n"}, True),
        ({"main.py": "app = Flask(__name__)\napp.run(debug=True)\n"}, True),  # bandit B201
        ({"settings.py": "DEBUG = True\n"}, False),
    ],
)
def test_where_debug_is_not_reported(tmp_path: Path, files: Files, silent: bool) -> None:
    output = analyze(tmp_path, {**files, ".env.example": "DEBUG=\n"})
    assert (rows(output) == []) is silent


def test_code_reading_nothing_has_no_example_to_ask_for(tmp_path: Path) -> None:
    output = analyze(tmp_path, {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n"})
    assert rows(output) == []
    assert output.facts == {
        "env_sources": [], "env_variables": [], "reads_env": False, "env_example": False,
    }


def test_platform_variables_need_no_example(tmp_path: Path) -> None:
    source = (
        "import os\nTOKEN = os.environ['GITHUB_TOKEN']\nPORT = os.getenv('PORT', '8000')\n"
        "COLOR = os.getenv('NO_COLOR')\nHOME = os.environ['HOME']\n"
    )
    output = analyze(tmp_path, {"cli.py": source})
    assert rows(output) == []
    assert output.facts["reads_env"] is True


def test_a_committed_env_alone_asks_for_an_example(tmp_path: Path) -> None:
    output = analyze(tmp_path, {"main.py": "x = 1\n", ".env": "SECRET_KEY=abc\nDEBUG=1\n"})
    assert rows(output) == [
        ("RB1402", "warning", ".env.example", None,
         "No `.env.example`: the committed `.env` sets `DEBUG`, `SECRET_KEY`. Commit a "
         "`.env.example` listing every variable with a placeholder value (`DEBUG=`) so others "
         "know what to set, and keep `.env` itself out of git."),
    ]


def test_learner_example() -> None:
    output = run_on(EXAMPLES / "learner-api")
    assert [(f.rule, f.severity.value, f.path, f.line) for f in output.findings] == [
        ("RB1311", "warning", "config.py", 5),  # DEBUG = True
        ("RB1401", "warning", "config.py", 7),  # DATABASE_URL literal
        ("RB1312", "error", "main.py", 22),  # allow_origins=["*"] with allow_credentials=True
        ("RB1402", "warning", ".env.example", None),  # no example of the variables
    ]
    assert output.findings[2].message == CORS.format(" (line 23)")
    assert output.findings[3].message == (
        "No `.env.example`: the code reads `OPENAI_API_KEY` from the environment and the "
        "committed `.env` sets `DATABASE_URL`, `OPENAI_API_KEY`. Commit a `.env.example` "
        "listing every variable with a placeholder value (`OPENAI_API_KEY=`) so others know "
        "what to set, and keep `.env` itself out of git."
    )


def test_good_example_is_silent() -> None:
    output = run_on(EXAMPLES / "good-api")
    assert rows(output) == []
    assert output.facts["env_sources"] == ["pydantic-settings"]
    assert output.facts["env_example"] is True


# --- the C14 adjuster -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "score", "notes"),
    [
        ({}, 90.0, []),
        ({"config": {"env_sources": []}}, 67.5, ["nothing read from the environment"]),
        ({"config": {"env_sources": ["pydantic-settings"], "env_example": True}}, 90.0,
         ["settings from the environment (pydantic-settings)", "`.env.example` present"]),
        ({"config": {"env_sources": ["os.environ"], "env_example": False}}, 90.0,
         ["settings from the environment (os.environ)"]),
    ],
)  # fmt: skip
def test_configuration_adjuster(facts: dict[str, dict[str, object]], score: float,
                                notes: list[str]) -> None:
    assert ADJUSTERS["C14"](90.0, facts) == (score, notes)


def test_inspecting_a_url_is_not_configuring_one(tmp_path: Path) -> None:
    source = (
        "import os\n\nDATABASE_URL = os.environ['DATABASE_URL']\n\n\n"
        "def prepare(url: str) -> bool:\n"
        "    return url.startswith('sqlite:///') or url.startswith('postgresql://')\n\n\n"
        "def driver(url: str) -> str:\n"
        "    return url.replace('postgresql://', 'postgresql+psycopg://', 1)\n\n\n"
        "def connect_local() -> object:\n"
        "    return create_engine('postgresql://app@localhost/shop')\n"
    )
    output = analyze(tmp_path, {"db.py": source, ".env.example": "DATABASE_URL=\n"})
    assert rows(output) == [
        ("RB1401", "warning", "db.py", 15,
         URL.format("`create_engine(...)`'s URL", "postgresql://app@localhost/shop")),
    ]
