"""Masking everything sent to an LLM, whatever the analyzers found (DESIGN.md, decision 3).

The secrets analyzer's findings say where secrets are, but the prompt must not depend on one
analyzer having caught everything: every excerpt line and every string of the report goes
through `redact_text` before it is put into a prompt, and the rendered prompt goes through it
once more. Several independent layers each mask what they recognise:

1. private key blocks are removed whole;
2. detect-secrets' format plugins, called through their pure `analyze_string`;
3. the secrets analyzer's own patterns (`analyzers.secret_patterns`: provider formats, URL
   passwords, `key: value` settings whose name holds a credential), and shapes of the keys
   learners commit most (`sk-`, `sk-proj-`, `AKIA`, `ghp_`, `github_pat_`, Slack tokens and
   webhooks, JWTs, ...);
4. passwords in URLs;
5. values assigned to credential names (`SECRET_KEY = "..."`, `password: ...`), and every
   value of a `.env` file;
6. random-looking quoted strings and long random tokens;
7. the reporters' own excerpt masking (`reporters.excerpts.mask_line`) as a last pass.

It errs towards masking: an excerpt in a prompt is for the shape of the code, not its values.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import PurePosixPath
from typing import Final

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from reviewbot.analyzers.secret_patterns import find_secrets, is_secret_name, key_value
from reviewbot.reporters.excerpts import mask_line
from reviewbot.secrets_mask import mask_secret

PRIVATE_KEY_NOTE: Final = "[private key removed]"

_PRIVATE_KEY_BLOCK: Final = re.compile(
    r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?"
    r"(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)

_KEY_SHAPES: Final = re.compile(
    "|".join(
        (
            r"(?<![A-Za-z0-9])sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{16,}",
            r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[0-9A-Z]{16}\b",
            r"\bgh[pousr]_[A-Za-z0-9]{20,}",
            r"\bgithub_pat_[A-Za-z0-9_]{20,}",
            r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
            r"hooks\.slack\.com/services/[A-Za-z0-9/_-]+",
            r"\b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}",
            r"\bAIza[0-9A-Za-z_-]{35}",
            r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
            r"\bhf_[A-Za-z0-9]{30,}",
            r"\bglpat-[A-Za-z0-9_-]{20,}",
            r"\bpypi-[A-Za-z0-9_-]{50,}",
        )
    )
)

# scheme://user:password@host: the password.
_URL_PASSWORD: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:(?P<value>[^\s@'\"]+)@")

# A name that holds a credential: SECRET_KEY, jwtSecret, DB_PASSWORD, api_token, DATABASE_DSN.
_CREDENTIAL_NAME: Final = (
    r"\w*(?:key|secret|token|pass(?:word|wd|phrase)?|pwd|salt|dsn|credentials?)\w*"
)
# `NAME = "value"`, `NAME: str = 'value'`, `"password": "value"`, `password="value"`.
_QUOTED_ASSIGNMENT: Final = re.compile(
    rf"(?i:{_CREDENTIAL_NAME})['\"]?\s*(?::\s*[\w.\[\]| ]+?\s*)?[:=]\s*[rbfuRBFU]{{0,2}}"
    r"(?P<quote>['\"])(?P<value>[^'\"\n]+)(?P=quote)"
)
# `NAME=value` / `name: value` outside Python (.env, YAML, TOML, Dockerfile, shell).
_UNQUOTED_ASSIGNMENT: Final = re.compile(
    rf"(?i:{_CREDENTIAL_NAME})\s*[:=]\s*(?P<value>[^\s'\"#,;()\[\]{{}}]{{4,}})(?![(\[.\w])"
)
# Every `KEY=value` of a .env file: `export` and quotes allowed.
_ENV_LINE: Final = re.compile(
    r"^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*(?P<quote>['\"]?)(?P<value>.*?)(?P=quote)"
    r"\s*(?:#.*)?$"
)
_STRING_LITERAL: Final = re.compile(r"(?P<quote>['\"])(?P<value>[^'\"\n]{12,})(?P=quote)")
_TOKEN: Final = re.compile(r"(?<![\w/+=-])[A-Za-z0-9+/_-]{24,}={0,2}(?![\w/+=-])")
_HEX: Final = re.compile(r"[0-9a-fA-F]+")
_PLAIN_VALUES: Final = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null"})
_PYTHON_SUFFIXES: Final = frozenset({".py", ".pyi"})


@cache
def _plugins() -> tuple[RegexBasedDetector, ...]:
    # Format plugins only: the entropy and keyword plugins are noisy on code, and layers 5
    # and 6 judge names and randomness here. Nothing global of detect-secrets is consulted.
    return (
        AWSKeyDetector(),
        AzureStorageKeyDetector(),
        BasicAuthDetector(),
        DiscordBotTokenDetector(),
        GitHubTokenDetector(),
        GitLabTokenDetector(),
        JwtTokenDetector(),
        MailchimpDetector(),
        NpmDetector(),
        OpenAIDetector(),
        PypiTokenDetector(),
        SendGridDetector(),
        SlackDetector(),
        SquareOAuthDetector(),
        StripeDetector(),
        TelegramBotTokenDetector(),
        TwilioKeyDetector(),
    )


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def looks_random(value: str) -> bool:
    """A value that reads like a generated key rather than prose, a path or a name: no
    spaces, 16+ characters, and either long hex or a high-entropy mix of character kinds."""
    if len(value) < 16 or any(char.isspace() for char in value) or "://" in value:
        return False
    if len(value) >= 20 and _HEX.fullmatch(value):
        return True
    lower = any(c.islower() for c in value)
    upper = any(c.isupper() for c in value)
    digits = sum(c.isdigit() for c in value)
    other = any(not c.isalnum() and c not in "_-." for c in value)
    kinds = lower + upper + (digits > 0) + other
    entropy = _entropy(value)
    if kinds >= 3 and entropy >= 3.5:
        return True
    return kinds == 2 and digits >= len(value) / 5 and entropy >= 3.8


def _is_env_file(path: str | None) -> bool:
    if path is None:
        return False
    name = PurePosixPath(path).name.lower()
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def _is_python(path: str | None) -> bool:
    return path is not None and PurePosixPath(path).suffix.lower() in _PYTHON_SUFFIXES


def _env_value(line: str, path: str | None) -> str | None:
    """The value of a `.env` line, unless it is a plain flag or number."""
    if not _is_env_file(path):
        return None
    env = _ENV_LINE.match(line)
    value = env["value"] if env else ""
    if not value or value.lower() in _PLAIN_VALUES or value.isdigit():
        return None
    return value


def _random_token(token: str) -> bool:
    mixed = any(c.islower() for c in token) and any(c.isupper() for c in token)
    if mixed and any(c.isdigit() for c in token) and _entropy(token) >= 4.0:
        return True
    return len(token) >= 32 and bool(_HEX.fullmatch(token))


def _unquoted_values(line: str) -> Iterator[str]:
    for match in _UNQUOTED_ASSIGNMENT.finditer(line):
        value = match["value"]
        if value.lower() not in _PLAIN_VALUES and not value.isdigit():
            yield value


def _setting_value(line: str) -> Iterator[str]:
    """The value of a `KEY=value` / `key: value` setting line whose key names a credential,
    as the secrets analyzer reads settings files."""
    setting = key_value(line)
    if setting is not None and is_secret_name(setting[0]):
        yield setting[1]


def _secret_values(line: str, path: str | None, unquoted: bool) -> Iterator[str]:
    for plugin in _plugins():
        yield from plugin.analyze_string(line)
    yield from (hit.value for hit in find_secrets(line))
    yield from (match[0] for match in _KEY_SHAPES.finditer(line))
    yield from (match["value"] for match in _URL_PASSWORD.finditer(line))
    yield from (match["value"] for match in _QUOTED_ASSIGNMENT.finditer(line))
    if unquoted and not _is_python(path):
        yield from _unquoted_values(line)
        yield from _setting_value(line)
    env = _env_value(line, path)
    if env is not None:
        yield env
    for match in _STRING_LITERAL.finditer(line):
        if looks_random(match["value"]):
            yield match["value"]
    yield from (match[0] for match in _TOKEN.finditer(line) if _random_token(match[0]))


def redact_line(line: str, path: str | None = None, *, unquoted: bool = True) -> str:
    """`line` with every value that may be a secret replaced by its masked form.

    `path` (relative, forward slashes) says where the line comes from: every value of a
    `.env` file is masked, and unquoted `name: value` pairs are masked outside Python files
    (and in text of unknown origin, unless `unquoted` is false).
    """
    values = {value for value in _secret_values(line, path, unquoted) if len(value) >= 4}
    # Longest first: a key inside a longer match (a URL, an assignment) is masked with it.
    for value in sorted(values, key=len, reverse=True):
        line = line.replace(value, mask_secret(value))
    return mask_line(line)


def redact_text(text: str, path: str | None = None, *, unquoted: bool = True) -> str:
    """`text` (one line or many) with private key blocks removed and every line redacted.

    A whole prompt, whose code excerpts were already redacted knowing their files, is
    redacted again with `unquoted=False`: Python's `primary_key=True` is not a secret."""
    text = _PRIVATE_KEY_BLOCK.sub(PRIVATE_KEY_NOTE, text)
    return "\n".join(redact_line(line, path, unquoted=unquoted) for line in text.split("\n"))
