"""Redaction of what is sent to the LLM: each layer on its own, and ordinary code untouched."""

from __future__ import annotations

import pytest

from reviewbot.commentary.redaction import (
    PRIVATE_KEY_NOTE,
    looks_random,
    redact_line,
    redact_text,
)
from reviewbot.secrets_mask import mask_secret

from .planted import PRIVATE_KEY, SECRETS, leaks

S = SECRETS


@pytest.mark.parametrize(
    ("line", "path", "expected"),
    [
        # provider formats, wherever they are
        (f'OPENAI_API_KEY = "{S["openai"]}"', "app/config.py", 'OPENAI_API_KEY = "sk…Ae"'),
        (f"# old key: {S['openai']}", "app/main.py", "# old key: sk-p…0sAe"),
        (f'aws_key = "{S["aws_key"]}"', "app/aws.py", 'aws_key = "AKIA…4WNB"'),
        (f"token {S['github']} here", None, "token ghp_…AbCd here"),
        (f"GH={S['github_pat']}", "deploy.sh", "GH=gith…6789"),
        (f"client = WebClient('{S['slack']}')", "bot.py", "client = WebClient('xoxb…UvWx')"),
        # credentials by name
        (f'SECRET_KEY = "{S["django"]}"', "settings.py", 'SECRET_KEY = "dj…1n"'),
        (f'JWT_SECRET: str = "{S["jwt_secret"]}"', "auth.py", 'JWT_SECRET: str = "Zm…V5"'),
        (f'{{"password": "{S["db_password"]}"}}', "db.py", '{"password": "••••"}'),
        (f"  password: {S['db_password']}", "docker-compose.yml", "  password: Pg…7Q"),
        # URLs with a password
        (f'engine = create_engine("postgresql://app:{S["db_password"]}@db:5432/app")',
         "database.py", 'engine = create_engine("postgresql://app:••••@db:5432/app")'),
        # every value of a .env file, flags and numbers excepted
        (f"API_TOKEN={S['env_token']}", ".env", "API_TOKEN=tok_…R4pW"),
        ("APP_NAME=blog", ".env.local", "APP_NAME=••••"),
        ("DEBUG=true", ".env", "DEBUG=true"),
        ("PORT=8000", ".env", "PORT=8000"),
        # random-looking literals and tokens, whatever their name
        (f'x = "{S["aws_secret"]}"', "app/s3.py", 'x = "wJal…mN2a"'),
        ("digest = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4'", "a.py",
         "digest = 'e3b0…41e4'"),
    ],
)
def test_secrets_are_masked(line: str, path: str | None, expected: str) -> None:
    assert redact_line(line, path) == expected
    assert leaks([redact_line(line, path)]) == []


@pytest.mark.parametrize(
    "line",
    [
        "def test_create_user_returns_201_when_valid(client):",
        "    id = Column(Integer, primary_key=True)",
        'SECRET_KEY = os.environ["SECRET_KEY"]',
        'DATABASE_URL = os.getenv("DATABASE_URL")',
        'template = "app/templates/index.html"',
        "from sqlalchemy.orm import selectinload",
        'raise HTTPException(status_code=404, detail="User not found")',
        "    return {\"status\": \"ok\"}",
        "ALGORITHM = \"HS256\"",
    ],
)
def test_ordinary_code_is_left_alone(line: str) -> None:
    assert redact_line(line, "app/main.py") == line


def test_python_names_after_credential_words_are_not_masked_in_python_files() -> None:
    line = "JWT_SECRET = settings.jwt_secret"
    assert redact_line(line, "app/auth.py") == line
    # In a config file the same shape is a value.
    assert redact_line("JWT_SECRET = settings_value_here", "app.cfg") == "JWT_SECRET = sett…here"


def test_the_final_prompt_pass_keeps_python_keywords() -> None:
    line = "  35 |     id = Column(Integer, primary_key=True)"
    assert redact_line(line, unquoted=False) == line


def test_private_key_blocks_are_removed_whole() -> None:
    text = f"KEY = '''\n{PRIVATE_KEY}'''\nprint('done')"
    assert redact_text(text, "keys.py") == f"KEY = '''\n{PRIVATE_KEY_NOTE}\n'''\nprint('done')"


def test_private_key_lines_without_their_header_are_masked() -> None:
    # An excerpt that starts inside the block: the BEGIN line is not in it.
    body = PRIVATE_KEY.splitlines()[1]
    assert redact_line(body, "keys.pem") == mask_secret(body)


def test_a_one_line_escaped_key_is_removed() -> None:
    line = 'PEM = "' + PRIVATE_KEY.replace("\n", "\\n") + '"'
    assert redact_text(line, "k.py") == f'PEM = "{PRIVATE_KEY_NOTE}\\n"'


def test_every_planted_secret_is_masked_in_any_file() -> None:
    lines = [f'SECRET_{n} = "{value}"' for n, value in enumerate(SECRETS.values())]
    for path in ("app/config.py", "config.yml", ".env", None):
        redacted = redact_text("\n".join(lines), path)
        assert leaks([redacted]) == [], path


@pytest.mark.parametrize(
    ("value", "random"),
    [
        ("aB3dE5gH7jK9mN1pQ3sT", True),
        ("0123456789abcdef0123", True),
        ("x8k2m9q4v7n1p3r6t5w0", True),
        ("postgresql+asyncpg", False),
        ("app/templates/index.html", False),
        ("test_create_user_returns_201", False),
        ("https://example.com/v1/Users2", False),
        ("short1A", False),
        ("Hello World 2024 Again", False),
    ],
)
def test_looks_random(value: str, random: bool) -> None:
    assert looks_random(value) is random
