"""Secrets (C13): provider formats, URL passwords, secret-named values, placeholders, every
file kind, the git history, and masking in every output.

Fake secrets are assembled here from pieces, so that no complete key sits in our own files
(neither our own scanner nor GitHub's should ever find one in this repository); the fixtures
hold `@@NAME@@` markers that the tests fill in.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import git
import pytest
from hostile import make_hostile_repo, snapshot

from reviewbot.analyzers import secrets
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.secret_patterns import (
    env_file_kind,
    find_secrets,
    is_placeholder,
    is_secret_name,
    key_value,
    safe_url,
)
from reviewbot.model import AnalyzerOutput, Report
from reviewbot.pipeline import scan
from reviewbot.reporters import FORMATS, render
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.git import added_lines, history
from reviewbot.source.inventory import build_inventory
from tests.core.conftest import Files, write_tree
from tests.source.gitrepos import commit_files

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "secrets"
EXAMPLES = HERE.parents[1] / "examples"

Row = tuple[str, str, str, int | None, str]


def _b64(data: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


RANDOM = "Q7vLmX2pRt9ZkB4n" + "W8yHc3JdF6sGa1Ue5oTiVxYz"
OPENAI = "sk-proj-" + RANDOM
DB_PASSWORD = "Pgw0rd-" + "Tq8vZ3mK"
SECRET = "kJ8vQ2xN" + "5rT7wY9zB3mL6pD"
FALLBACK = "fb7Kq2" + "Lm9xV4nR8tZ"
STRIPE = "sk_" + "live_" + RANDOM[:24]
DJANGO = "x7#k2" + "m@9q!v3z(8w$r5t^6y&1u*4o)0p"
SLACK = "https://hooks.slack.com/services/" + "T0Q7VLMX2/B0RT9ZKB4/" + RANDOM
GITHUB = "ghp_" + RANDOM[:36]
AWS = "AKIA" + RANDOM.upper()[:16]
JWT = _b64({"alg": "HS256", "typ": "JWT"}) + "." + _b64({"sub": "42"}) + "." + RANDOM
PAT = "github_pat_" + RANDOM + "_" + RANDOM
KEY_HEADER = "-----BEGIN RSA " + "PRIVATE KEY-----"
PRIVATE_KEY = f"{KEY_HEADER}\nMIIEow{RANDOM * 2}\n-----END RSA PRIVATE KEY-----"
MARKERS = {
    "@@OPENAI@@": OPENAI,
    "@@DB_PASSWORD@@": DB_PASSWORD,
    "@@SECRET@@": SECRET,
    "@@FALLBACK@@": FALLBACK,
    "@@STRIPE@@": STRIPE,
    "@@DJANGO@@": DJANGO,
    "@@SLACK@@": SLACK,
    "@@GITHUB@@": GITHUB,
    "@@AWS@@": AWS,
    "@@JWT@@": JWT,
    "@@PRIVATE_KEY@@": PRIVATE_KEY,
    "@@KEY_HEADER@@": KEY_HEADER,
}
APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def fixture(name: str) -> str:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for marker, value in MARKERS.items():
        text = text.replace(marker, value)
    return text


def run_on(root: Path, *, is_git: bool = False) -> AnalyzerOutput:
    inventory = build_inventory(root, is_git=is_git)
    ctx = ScanContext(inventory, default_rulebook(), Settings(), root.parent / "work", 60.0)
    return secrets.ANALYZER.run(ctx)


def analyze(tmp_path: Path, files: Files) -> list[Row]:
    """Findings on a checkout of `files` (said to be committed; it has no history)."""
    return rows(run_on(write_tree(tmp_path / "repo", files), is_git=True))


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.severity.value, f.path, f.line, f.message) for f in output.findings]


def fix_of(path: str, remedy: str = "revoke it") -> str:
    return f"{remedy}, `git rm --cached {path}`, and commit a `.env.example` with placeholders " \
        "instead."


# --- what a secret looks like -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("SECRET_KEY", True), ("JWT_SECRET", True), ("JWT_SECRET_KEY", True),
        ("OPENAI_API_KEY", True), ("DB_PASSWORD", True), ("apiKey", True),
        ("clientSecret", True), ("AWS_SECRET_ACCESS_KEY", True), ("EMAIL_HOST_PASSWORD", True),
        ("token", True), ("access_token", True), ("secret_key", True), ("DB_PASS", True),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", False), ("PASSWORD_HASHERS", False),
        ("AUTH_PASSWORD_VALIDATORS", False), ("CACHE_KEY", False), ("TOKEN_TYPE", False),
        ("password_hash", False), ("token_url", False), ("key", False), ("PASS", False),
    ],
)  # fmt: skip
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        ("", True), ("${SECRET_KEY}", True), ("${{ secrets.KEY }}", True), ("<your key>", True),
        ("{password}", True), ("changeme", True), ("change-me-in-production", True),
        ("your-secret-here", True), ("xxxxxxxxxxxxxxxx", True), ("postgres", True),
        ("sk-...", True), ("AKIAIOSFODNN7EXAMPLE", True), ("sk-proj-abcd1234efgh5678", True),
        ("hunter2", True), ("test-secret-key", True), ("mypassword123", True), ("*****", True),
        (SECRET, False), (DB_PASSWORD, False), (OPENAI, False), ("blog-secret-key-8f3k2l", False),
    ],
)  # fmt: skip
def test_placeholders(value: str, placeholder: bool) -> None:
    assert is_placeholder(value) is placeholder


def test_a_value_equal_to_its_user_or_key_is_a_placeholder() -> None:
    assert is_placeholder("bloguser1", user="bloguser1") is True
    assert is_placeholder("JWT_SECRET_VALUE", key="jwt_secret_value") is True


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        (f'key = "{OPENAI}"', "OpenAI API key", OPENAI),
        (f"AWS_ACCESS_KEY_ID={AWS}", "AWS Access Key", AWS),
        (f"token: {GITHUB}", "GitHub Token", GITHUB),
        (f"url = '{SLACK}'", "Slack Token", SLACK),
        (f"STRIPE = {STRIPE}", "Stripe live key", STRIPE),
        (f"Authorization: Bearer {JWT}", "JSON Web Token", JWT),
        (PAT, "GitHub token", PAT),
        (f"postgres://blog:{DB_PASSWORD}@db.example:5432/blog", "database URL with a password",
         DB_PASSWORD),
        (f"mongodb+srv://app:{DB_PASSWORD}@cluster0.example.net/", "database URL with a password",
         DB_PASSWORD),
        (f"https://deploy:{DB_PASSWORD}@git.example.com/repo.git", "URL with a password",
         DB_PASSWORD),
        (PRIVATE_KEY, "private key", KEY_HEADER),
    ],
)  # fmt: skip
def test_provider_formats(text: str, kind: str, value: str) -> None:
    [hit] = find_secrets(text)
    assert (hit.kind, hit.value, hit.line, hit.placeholder) == (kind, value, 1, False)


@pytest.mark.parametrize(
    "text",
    [
        "scikit-learn and task-runner-with-a-very-long-name-indeed",  # `sk-` slugs
        "see sk-learn-documentation-pages-for-details",
        f"    {KEY_HEADER}\n\nfollowed by base64 data",  # a header alone is no key
        "sqlite:///./app.db and https://example.com/path",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9",  # half a token
    ],
)
def test_lookalikes_are_not_secrets(text: str) -> None:
    assert find_secrets(text) == []


def test_hits_carry_lines_and_columns_and_placeholders() -> None:
    text = f"a = 1\nURL=postgresql://postgres:postgres@localhost/db\nKEY={OPENAI}\n"
    found = [(h.kind, h.line, h.column, h.placeholder, h.describe()) for h in find_secrets(text)]
    assert found == [
        ("database URL with a password", 2, 26, True,
         "a database URL with a password (`postgres:••••@localhost`)"),
        ("OpenAI API key", 3, 4, False, "an OpenAI API key (`sk-p…VxYz`)"),
    ]


def test_documents_can_leave_tokens_out() -> None:
    assert find_secrets(f"token {JWT}", jwt=False) == []


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("KEY=value", ("KEY", "value", 4)),
        ("export KEY='value' # note", ("KEY", "value", 12)),
        ('  "password": "abc",', ("password", "abc", 15)),
        ("- JWT_SECRET=abc", ("JWT_SECRET", "abc", 13)),
        ("POSTGRES_PASSWORD: ${X:?set}", ("POSTGRES_PASSWORD", "${X:?set}", 19)),
        ("password = hunter2 # local only", ("password", "hunter2", 11)),
        ('SECRET_KEY = ""', ("SECRET_KEY", "", 14)),
        ("# KEY=value", None),
        ("url: https://example.com", ("url", "https://example.com", 5)),
        ("just text", None),
        ("KEY=" + "v" * 3000, None),  # minified or generated: not a setting
    ],
)
def test_key_value_lines(line: str, parsed: tuple[str, str, int] | None) -> None:
    assert key_value(line) == parsed


def test_safe_url_masks_the_password_only() -> None:
    assert safe_url(f"postgresql://blog:{DB_PASSWORD}@db/blog") == "postgresql://blog:Pg…mK@db/blog"
    assert safe_url("sqlite:///./app.db") == "sqlite:///./app.db"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        (".env", "env"), (".env.production", "env"), ("prod.env", "env"), (".env.local", "env"),
        (".env.example", "template"), (".env.sample", "template"), ("env.example", "template"),
        (".env.template", "template"), ("example.env", "template"), (".envrc", "env"),
        ("settings.py", None), ("environment.yml", None),
    ],
)  # fmt: skip
def test_env_file_kinds(name: str, kind: str | None) -> None:
    assert env_file_kind(name) == kind


# --- .env files -------------------------------------------------------------------------


def test_committed_env_file(tmp_path: Path) -> None:
    found = analyze(tmp_path, {"main.py": APP, ".env": fixture("env_committed.txt")})
    placeholder = (
        "in the committed `.env` is a placeholder: nothing leaked, but name the file "
        "`.env.example` so real values never follow it into git."
    )
    assert found == [
        ("RB1302", "error", ".env", 2,
         "`OPENAI_API_KEY` in the committed `.env` is an OpenAI API key (`sk-p…VxYz`): "
         + fix_of(".env")),
        ("RB1302", "error", ".env", 3,
         "`DATABASE_URL` in the committed `.env` is a database URL with a password "
         "(`bloguser:Pg…mK@blog-db.internal.example`): " + fix_of(".env", "change the password")),
        ("RB1302", "error", ".env", 4,
         "`JWT_SECRET` in the committed `.env` is a real-looking secret (`kJ8v…L6pD`): "
         + fix_of(".env")),
        ("RB1302", "info", ".env", 5, f"`SECRET_KEY` {placeholder}"),
        ("RB1302", "info", ".env", 8, f"`LOCAL_DB` {placeholder}"),
    ]


def test_a_plain_folder_is_not_said_to_be_committed(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"main.py": APP, ".env": f"JWT_SECRET={SECRET}\n",
                                          "README.md": f"`KEY={OPENAI}`\n"})
    assert rows(run_on(root, is_git=False)) == [
        ("RB1302", "error", ".env", 1,
         "`JWT_SECRET` in `.env` is a real-looking secret (`kJ8v…L6pD`): " + fix_of(".env")),
        ("RB1303", "error", "README.md", 1,
         "An OpenAI API key (`sk-p…VxYz`) is written in `README.md`: revoke it and pass it in "
         "from the environment or the CI's secret store."),
    ]


def test_env_templates_with_placeholders_are_silent(tmp_path: Path) -> None:
    files = {"main.py": APP, ".env.example": fixture("env_example.txt"),
             "deploy/env.sample": fixture("env_example.txt")}
    assert analyze(tmp_path, files) == []


def test_env_template_with_a_real_key(tmp_path: Path) -> None:
    found = analyze(tmp_path, {"main.py": APP, ".env.example": fixture("env_example_leaky.txt")})
    assert found == [
        ("RB1302", "warning", ".env.example", 1,
         "The template `.env.example` holds an OpenAI API key (`sk-p…VxYz`): replace it with a "
         "placeholder and revoke it, the template is public too."),
    ]


# --- Python code ------------------------------------------------------------------------

LITERAL = (
    "read it from the environment (`os.environ[\"{}\"]` or a settings class) and rotate it, "
    "the old value stays in the git history."
)
PRINTED = (
    "to the output: logs and terminals are read by many people; log that the event happened, "
    "never the secret itself."
)


def test_fastapi_settings_and_handlers(tmp_path: Path) -> None:
    found = analyze(tmp_path, {"app/config.py": fixture("fastapi_config.txt")})
    path = "app/config.py"
    assert found == [
        ("RB1301", "error", path, 5,
         "`SECRET_KEY` is hardcoded (`kJ8v…L6pD`): " + LITERAL.format("SECRET_KEY")),
        ("RB1301", "warning", path, 6,
         "`JWT_SECRET` is a hardcoded placeholder: " + LITERAL.format("JWT_SECRET")),
        ("RB1301", "warning", path, 8,
         "`API_TOKEN` falls back to a hardcoded secret (`fb7K…R8tZ`) when the variable is "
         "unset: drop the default so a missing secret stops the app at startup, and rotate "
         "this value."),
        ("RB1301", "error", path, 12,
         "A database URL with a password (`blog:Pg…mK@db.internal.example`) in a commented-out "
         "line: read it from the environment and change the password, the old value stays in "
         "the git history."),
        ("RB1301", "error", path, 13,
         "A Stripe live key (`sk_l…c3Jd`) in the code: read it from the environment and revoke "
         "it, the old value stays in the git history."),
        ("RB1306", "warning", path, 21, f"`print` writes `token` {PRINTED}"),
        ("RB1306", "warning", path, 23, f"`logger.info` writes `user.password` {PRINTED}"),
    ]


def test_django_settings(tmp_path: Path) -> None:
    found = analyze(tmp_path, {"blog/settings.py": fixture("django_settings.txt")})
    assert found == [
        ("RB1301", "warning", "blog/settings.py", 5,
         "`SECRET_KEY` is Django's generated development key (`djan…o)0p`): "
         + LITERAL.format("SECRET_KEY")),
        ("RB1301", "error", "blog/settings.py", 14,
         "`\"PASSWORD\"` is hardcoded (`Pg…mK`): " + LITERAL.format("DB_PASSWORD")),
    ]


def test_flask_app_config_in_a_factory(tmp_path: Path) -> None:
    found = analyze(tmp_path, {"blog/__init__.py": fixture("flask_app.txt")})
    assert found == [
        ("RB1301", "error", "blog/__init__.py", 8,
         "`SECRET_KEY` is hardcoded (`kJ8v…L6pD`): " + LITERAL.format("SECRET_KEY")),
        ("RB1301", "error", "blog/__init__.py", 9,
         "`secret_key` is hardcoded (`kJ8v…L6pD`): " + LITERAL.format("SECRET_KEY")),
    ]


def test_settings_read_from_the_environment_are_silent(tmp_path: Path) -> None:
    assert analyze(tmp_path, {"blog/settings.py": fixture("settings_from_env.txt")}) == []


def test_tests_and_seed_scripts_drop_severity(tmp_path: Path) -> None:
    found = analyze(tmp_path, {
        "main.py": APP,
        "tests/test_auth.py": fixture("test_module.txt"),
        "seed.py": fixture("seed.txt"),
    })
    assert found == [
        ("RB1301", "warning", "seed.py", 1,
         "`ADMIN_PASSWORD` is hardcoded (`kJ8v…L6pD`): " + LITERAL.format("ADMIN_PASSWORD")),
        ("RB1301", "info", "seed.py", 2,
         "`SEED_TOKEN` is a hardcoded placeholder: " + LITERAL.format("SEED_TOKEN")),
        ("RB1306", "info", "seed.py", 3, f"`print` writes `ADMIN_PASSWORD` {PRINTED}"),
        ("RB1301", "info", "tests/test_auth.py", 2,
         "An OpenAI API key (`sk-p…VxYz`) in the code: read it from the environment and revoke "
         "it, the old value stays in the git history."),
    ]


# --- configuration, CI, Docker, notebooks, documents ------------------------------------


def test_compose_workflow_and_dockerfile(tmp_path: Path) -> None:
    found = analyze(tmp_path, {
        "main.py": APP,
        "docker-compose.yml": fixture("compose.txt"),
        ".github/workflows/ci.yml": fixture("workflow.txt"),
        "Dockerfile": fixture("Dockerfile.txt"),
    })
    store = "and pass it in from the environment or the CI's secret store."
    baked = "into every layer of the image: pass it at run time (`docker run -e {}`, compose " \
        "`env_file:`) and rotate it."
    assert found == [
        ("RB1303", "error", ".github/workflows/ci.yml", 14,
         f"An OpenAI API key (`sk-p…VxYz`) is committed in `.github/workflows/ci.yml`: revoke it "
         f"{store}"),
        ("RB1303", "error", ".github/workflows/ci.yml", 20,
         f"A GitHub Token (`ghp_…5oTi`) is committed in `.github/workflows/ci.yml`: revoke it "
         f"{store}"),
        ("RB1304", "error", "Dockerfile", 3,
         "`ARG SENTRY_TOKEN` bakes a secret (`kJ8v…L6pD`) " + baked.format("SENTRY_TOKEN")),
        ("RB1304", "error", "Dockerfile", 5,
         "`ENV SECRET_KEY` bakes a secret (`kJ8v…L6pD`) " + baked.format("SECRET_KEY")),
        ("RB1304", "error", "Dockerfile", 8,
         "An AWS Access Key (`AKIA…KB4N`) in the Dockerfile is baked into the image: pass it at "
         "run time (`docker run -e`, compose `env_file:`) and revoke it."),
        ("RB1303", "warning", "docker-compose.yml", 11,
         "`JWT_SECRET` is set to a real-looking secret (`kJ8v…L6pD`) in `docker-compose.yml`: "
         "reference `${JWT_SECRET}` and keep the value in an uncommitted `.env`."),
        ("RB1303", "error", "docker-compose.yml", 16,
         f"A Slack Token (`http…VxYz`) is committed in `docker-compose.yml`: revoke it {store}"),
    ]


def test_workflow_secret_named_literal(tmp_path: Path) -> None:
    workflow = "on: push\njobs:\n  t:\n    env:\n      SENTRY_TOKEN: " + SECRET + "\n"
    found = analyze(tmp_path, {"main.py": APP, ".github/workflows/t.yml": workflow})
    assert found == [
        ("RB1303", "warning", ".github/workflows/t.yml", 5,
         "`SENTRY_TOKEN` is set to a real-looking secret (`kJ8v…L6pD`) in "
         "`.github/workflows/t.yml`: store it as a repository secret and use "
         "`${{ secrets.SENTRY_TOKEN }}`."),
    ]


def test_toml_json_notebook_documents_and_key_files(tmp_path: Path) -> None:
    found = analyze(tmp_path, {
        "main.py": APP,
        "pyproject.toml": fixture("pyproject.txt"),
        "config/settings.json": fixture("config_json.txt"),
        "notebooks/explore.ipynb": fixture("notebook.txt"),
        "README.md": fixture("readme.txt"),
        "deploy/server.pem": fixture("key_pem.txt"),
        "docs/keys.md": fixture("key_format_doc.txt"),
        "tests/data/settings.json": fixture("config_json.txt"),
        "tests/data/client.pem": fixture("key_pem.txt"),
    })
    store = "and pass it in from the environment or the CI's secret store."
    from_env = "read it from the environment instead, and rotate it."
    assert found == [
        ("RB1303", "error", "README.md", 6,
         "A database URL with a password (`admin:Pg…mK@db.internal.example`) is committed in "
         f"`README.md`: change the password {store}"),
        ("RB1303", "warning", "config/settings.json", 4,
         f"`password` is set to a real-looking secret (`Pg…mK`) in `config/settings.json`: "
         f"{from_env}"),
        ("RB1303", "error", "deploy/server.pem", 1,
         f"A private key block is committed in `deploy/server.pem`: revoke it {store}"),
        ("RB1303", "error", "notebooks/explore.ipynb", 10,
         "An OpenAI API key (`sk-p…VxYz`) is committed in `notebooks/explore.ipynb`: revoke it "
         f"{store}"),
        ("RB1303", "warning", "notebooks/explore.ipynb", 11,
         "`HF_TOKEN` is set to a real-looking secret (`kJ8v…L6pD`) in "
         f"`notebooks/explore.ipynb`: {from_env}"),
        ("RB1303", "warning", "pyproject.toml", 6,
         f"`secret_key` is set to a real-looking secret (`kJ8v…L6pD`) in `pyproject.toml`: "
         f"{from_env}"),
        ("RB1303", "info", "tests/data/client.pem", 1,
         f"A private key block is committed in `tests/data/client.pem`: revoke it {store}"),
    ]


# --- the example repositories -----------------------------------------------------------


def test_learner_example_planted_secrets() -> None:
    output = run_on(EXAMPLES / "learner-api")
    assert [(f.rule, f.severity.value, f.path, f.line) for f in output.findings] == [
        ("RB1302", "error", ".env", 1),  # OpenAI key
        ("RB1302", "error", ".env", 2),  # database URL with its password
        ("RB1304", "error", "Dockerfile", 9),  # ENV SECRET_KEY
        ("RB1301", "error", "auth.py", 4),  # SECRET_KEY literal
        ("RB1301", "error", "config.py", 8),  # password in a commented-out line
        ("RB1306", "warning", "main.py", 133),  # access token printed
    ]
    assert output.facts == {
        "secrets_found": 5,
        "files_with_secrets": [".env", "Dockerfile", "auth.py", "config.py"],
        "history_commits_scanned": 0,
    }
    messages = "\n".join(f.message for f in output.findings)
    assert "`SECRET_KEY` is hardcoded (`blog…3k2l`)" in messages
    assert "(`bloguser:bl…24@blog-db.internal.example`) in a commented-out line" in messages


def test_good_example_is_silent() -> None:
    output = run_on(EXAMPLES / "good-api")
    assert rows(output) == []
    assert output.facts["secrets_found"] == 0


# --- the git history --------------------------------------------------------------------

T0 = 1_700_000_000


def _repo(root: Path) -> git.Repo:
    root.mkdir(parents=True)
    return git.Repo.init(root)


def test_a_key_committed_then_removed_is_found_in_the_history(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = _repo(root)
    added = commit_files(repo, "Add OpenAI summaries", T0, {
        "app/main.py": APP,
        "app/ai.py": f'import os\n\nOPENAI_API_KEY = "{OPENAI}"\nMODEL = "gpt-4o-mini"\n',
        ".env": f"JWT_SECRET={SECRET}\nDEBUG=true\n",
    })
    commit_files(repo, "Read the key from the environment", T0 + 60, {
        "app/ai.py": 'import os\n\nOPENAI_API_KEY = os.environ["OPENAI_API_KEY"]\n',
        ".env": None,
    })
    output = run_on(root, is_git=True)
    assert rows(output) == [
        ("RB1305", "warning", ".env", 1,
         f"A secret in `JWT_SECRET` (`kJ8v…L6pD`) was committed in `{added.hexsha[:7]}` and "
         "later removed: it is still in the git history for anyone who clones the repository. "
         "Revoke it: deleting the line does not un-publish it."),
        ("RB1305", "warning", "app/ai.py", 3,
         f"An OpenAI API key (`sk-p…VxYz`) was committed in `{added.hexsha[:7]}` and later "
         "removed: it is still in the git history for anyone who clones the repository. "
         "Revoke it: deleting the line does not un-publish it."),
    ]
    assert output.facts["history_commits_scanned"] == 2


def test_history_reports_the_commit_that_added_a_secret_first(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = _repo(root)
    password_url = f"postgresql://blog:{DB_PASSWORD}@db.internal.example/blog"
    first = commit_files(repo, "db", T0, {"main.py": APP, "db.py": f'URL = "{password_url}"\n'})
    commit_files(repo, "move", T0 + 60, {"db.py": None, "database.py": f'U = "{password_url}"\n'})
    commit_files(repo, "env", T0 + 120, {"database.py": "import os\nU = os.environ['U']\n"})
    [finding] = run_on(root, is_git=True).findings
    assert (finding.rule, finding.path, finding.line) == ("RB1305", "db.py", 1)
    assert f"committed in `{first.hexsha[:7]}`" in finding.message
    assert "change the password" in finding.message.lower()


def test_secrets_still_present_tests_and_placeholders_are_not_history(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = _repo(root)
    commit_files(repo, "start", T0, {
        "main.py": APP + f'\nSTRIPE = "{STRIPE}"\n',
        "tests/test_ai.py": f'KEY = "{OPENAI}"\n',
        "settings.py": 'SECRET_KEY = "change-me"\nDB = "postgres://u:postgres@localhost/db"\n',
        "examples/demo.py": f'KEY = "{OPENAI}"\n',
    })
    commit_files(repo, "clean", T0 + 60, {
        "tests/test_ai.py": "KEY = 'x'\n", "settings.py": "SECRET_KEY = None\n",
        "examples/demo.py": None,
    })
    output = run_on(root, is_git=True)
    assert [(f.rule, f.path, f.line) for f in output.findings] == [("RB1301", "main.py", 5)]


def test_no_history_without_git(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = _repo(root)
    commit_files(repo, "key", T0, {"main.py": APP + f'KEY = "{OPENAI}"\n'})
    commit_files(repo, "no key", T0 + 60, {"main.py": APP})
    assert run_on(root, is_git=False).findings == ()


def test_added_lines_reads_hunks_with_their_line_numbers(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = _repo(root)
    one = commit_files(repo, "one", T0, {"a.txt": "1\n2\n3\n", "b.txt": "x\n"})
    two = commit_files(repo, "two", T0 + 60, {
        "a.txt": "1\n++ not a header\n3\n4\n", "b.txt": None, "c d.txt": "--- odd\n+++ odd\n",
    })
    found = [(a.sha, a.path, a.line, a.text) for a in added_lines(root, [two.hexsha, one.hexsha])]
    assert found == [
        (two.hexsha, "a.txt", 2, "++ not a header"),
        (two.hexsha, "a.txt", 4, "4"),
        (two.hexsha, "c d.txt", 1, "--- odd"),
        (two.hexsha, "c d.txt", 2, "+++ odd"),
        (one.hexsha, "a.txt", 1, "1"),
        (one.hexsha, "a.txt", 2, "2"),
        (one.hexsha, "a.txt", 3, "3"),
        (one.hexsha, "b.txt", 1, "x"),
    ]
    kept = added_lines(root, [two.hexsha, one.hexsha], exclude=["**/a.txt", "c *"])
    assert [(a.path, a.line) for a in kept] == [("b.txt", 1)]
    assert added_lines(root, ["not-a-sha", "HEAD"]) == []
    assert added_lines(root, [two.hexsha], max_bytes=10) == []


def test_history_reading_runs_nothing_from_a_hostile_repository(tmp_path: Path) -> None:
    hostile = make_hostile_repo(tmp_path / "submission", tmp_path / "outside")
    before = snapshot(hostile.root)
    shas = [commit.sha for commit in history(hostile.root)]
    assert len(added_lines(hostile.root, shas)) > 0
    run_on(hostile.root, is_git=True)
    assert hostile.fired() == []
    assert snapshot(hostile.root) == before


# --- every output masks every secret ----------------------------------------------------


PUBLIC_PREFIXES = ("sk-proj-", "sk_live_")
JWT_LITERAL = "Zt4pW9" + "qLm2xR7vK5nB8"


def _planted_repo(root: Path) -> list[str]:
    repo = _repo(root)
    deleted = "sk-proj-" + RANDOM[::-1]
    commit_files(repo, "Blog API", T0, {
        "app/__init__.py": "",
        "app/main.py": APP + "\nfrom app import config\n",
        "app/config.py": (
            f'SECRET_KEY = "{SECRET}"\nOPENAI_API_KEY = "{OPENAI}"\n'
            f'DATABASE_URL = "postgresql://blog:{DB_PASSWORD}@db.internal.example/blog"\n'
            f'PASSWORD = "{FALLBACK}"\n'
        ),
        "app/ai.py": f'KEY = "{deleted}"\n',
        "app/auth.py": (
            "import jwt\n\nfrom app.config import SECRET_KEY\n\n\n"
            "def issue(uid):\n    return jwt.encode({'sub': uid}, SECRET_KEY, algorithm='HS256')\n"
            "\n\ndef admin():\n"
            f"    return jwt.encode({{'sub': 'admin'}}, '{JWT_LITERAL}', algorithm='HS256')\n"
        ),
        ".env": f"OPENAI_API_KEY={OPENAI}\nJWT_SECRET={SECRET}\n",
        "Dockerfile": f"FROM python:3.12-slim\nENV SECRET_KEY={SECRET}\nCMD python -m app\n",
        "docker-compose.yml": f"services:\n  api:\n    environment:\n      - TOKEN={FALLBACK}\n",
        ".github/workflows/ci.yml": f"on: push\njobs:\n  t:\n    env:\n      KEY: {STRIPE}\n",
        "README.md": f"# Blog\n\nRun with `OPENAI_API_KEY={OPENAI}`.\n",
        "requirements.txt": "fastapi==0.115.0\n",
    })
    commit_files(repo, "Drop the AI key", T0 + 60, {"app/ai.py": "KEY = None\n"})
    return [SECRET, OPENAI, DB_PASSWORD, FALLBACK, STRIPE, JWT_LITERAL, deleted]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Path, list[str]]:
    root = tmp_path_factory.mktemp("planted") / "repo"
    secrets_planted = _planted_repo(root)
    return scan(str(root), Settings()), root, secrets_planted


def test_the_planted_secrets_are_all_reported(planted: tuple[Report, Path, list[str]]) -> None:
    report, _, _ = planted
    found = sorted({(f.rule, f.path) for f in report.findings if f.analyzer == "secrets"})
    assert found == [
        ("RB1301", "app/config.py"),
        ("RB1302", ".env"),
        ("RB1303", ".github/workflows/ci.yml"),
        ("RB1303", "README.md"),
        ("RB1303", "docker-compose.yml"),
        ("RB1304", "Dockerfile"),
        ("RB1305", "app/ai.py"),
    ]


@pytest.mark.parametrize(
    "fmt",
    [
        fmt
        for fmt in FORMATS
    ],
)
def test_no_output_format_shows_a_planted_secret(
    planted: tuple[Report, Path, list[str]], fmt: str
) -> None:
    report, root, secrets_planted = planted
    text = render(report, fmt, root=root)
    for secret in secrets_planted:
        # A key format's public prefix (`sk-proj-`) is in the rule docs; the rest is not.
        runs = {secret[i : i + 8] for i in range(len(secret) - 7)} - set(PUBLIC_PREFIXES)
        shown = sorted(part for part in runs if part in text)
        assert shown == [], (secret[:4], shown)


def test_html_without_excerpts_shows_no_planted_secret(
    planted: tuple[Report, Path, list[str]],
) -> None:
    report, _, secrets_planted = planted
    text = render(report, "html")
    for secret in secrets_planted:
        runs = {secret[i : i + 8] for i in range(len(secret) - 7)} - set(PUBLIC_PREFIXES)
        assert sorted(part for part in runs if part in text) == []
