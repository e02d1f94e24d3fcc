"""What a secret looks like: provider key formats, URLs with passwords, private keys, and
values assigned to secret-looking names; and whether a value is a real secret or a placeholder.

Pattern hits come from two sources: detect-secrets' regex plugins (a curated list, used as a
library) and reviewbot's own patterns for what learners commit most (`sk-proj-` keys, GitHub
fine-grained tokens, database URLs with their password). The plugins are called through
their pure `analyze_string`/`denylist` side only: detect-secrets' global settings (filters,
baselines, verification over the network) are never consulted, so scans running in parallel
threads cannot disturb each other and nothing ever leaves the machine.

Nothing here returns a secret for display: callers show `SecretHit.masked` only.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
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

from reviewbot.secrets_mask import mask_secret

# detect-secrets' format plugins worth a learner's attention. Left out on purpose: the
# entropy and keyword plugins (noisy on ordinary code; reviewbot judges names and values
# itself), public IPs, basic auth (reviewbot's URL pattern judges the password), and the
# vendors whose patterns match ordinary identifiers (Artifactory, IBM, SoftLayer, Cloudant).
_GITLAB_PREFIXES: Final = (
    "glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "gr1348941", "glcbt-", "glimt-", "glptt-",
    "glagent-", "gloas-",
)  # fmt: skip
PLUGINS: Final[tuple[tuple[RegexBasedDetector, tuple[str, ...]], ...]] = (
    # (plugin, lower-case words one of which every match contains: a cheap gate, since the
    # plugins' patterns are slow to search in texts that cannot match; () = always search)
    (AWSKeyDetector(), ("akia", "asia", "abia", "acca", "a3t", "aws")),
    (AzureStorageKeyDetector(), ("accountkey=",)),
    (DiscordBotTokenDetector(), ("discord", "bot_token", "bot.run")),
    (GitHubTokenDetector(), ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    (GitLabTokenDetector(), _GITLAB_PREFIXES),
    (MailchimpDetector(), ("-us",)),
    (NpmDetector(), ("_authtoken",)),
    (OpenAIDetector(), ("t3blbkfj",)),
    (PypiTokenDetector(), ("pypi-",)),
    (SendGridDetector(), ("sg.",)),
    (SlackDetector(), ("xox", "hooks.slack")),
    (SquareOAuthDetector(), ("sq0csp-",)),
    (StripeDetector(), ("_live_",)),
    (TelegramBotTokenDetector(), ("telegram", "bot_token", "/bot")),
    (TwilioKeyDetector(), ()),
)

_VALUE_IN_GROUP: Final = (AWSKeyDetector, NpmDetector)
# reviewbot's own formats: (kind, pattern, random body). The value is the whole match. A
# "random body" format also needs digits and both cases, as generated keys have: that keeps
# `sk-` slugs and kebab-case names out.
_OWN_PATTERNS: Final = (
    ("Anthropic API key", re.compile(r"sk-ant-[A-Za-z0-9_-]{20,}"), True),
    ("OpenAI API key", re.compile(r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"), True),
    ("GitHub token", re.compile(r"github_pat_[A-Za-z0-9_]{30,}"), True),
    ("Stripe live key", re.compile(r"[rs]k_live_[0-9A-Za-z]{24,}"), False),
    ("Google API key", re.compile(r"AIza[0-9A-Za-z_-]{35}"), False),
    ("Hugging Face token", re.compile(r"hf_[A-Za-z]{34}"), False),
)
_JWT: Final = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")
_PRIVATE_KEY: Final = re.compile(
    r"-----BEGIN ((?:RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP|SSH2 ENCRYPTED) )?PRIVATE KEY( BLOCK)?-----"
)
_KEY_BODY: Final = re.compile(r'(?:\\n|\\r|\s|")*(?:Proc-Type|[A-Za-z0-9+/=]{40,})')
# scheme://user:password@host. The password stops at the first `@`, `/`, quote or space.
_URL_PASSWORD: Final = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,30})://(?P<user>[^\s:/@'\"<>]{0,100}):"
    r"(?P<password>[^\s@/'\"<>]{1,200})@(?P<host>[^\s/:'\"?#<>,;]+)"
)
_SCHEME_END: Final = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,30}$")
_DATABASE_SCHEMES: Final = (
    "postgres",
    "mysql",
    "mariadb",
    "mongodb",
    "redis",
    "rediss",
    "amqp",
    "amqps",
    "mssql",
    "oracle",
    "cockroachdb",
    "sqlserver",
)
_BOUNDARY: Final = re.compile(r"[A-Za-z0-9]")
@dataclass(frozen=True, slots=True)
class SecretHit:
    """One secret-looking value at one place of a text. `value` is never shown: use `masked`."""

    kind: str
    value: str
    line: int  # 1-based
    column: int  # 0-based, of the value
    placeholder: bool
    key: str | None = None  # the name it is assigned to, when known
    url_user: str | None = None
    url_host: str | None = None

    @property
    def masked(self) -> str:
        return mask_secret(self.value)

    @property
    def is_database_url(self) -> bool:
        return self.kind == "database URL with a password"

    def describe(self) -> str:
        """"an OpenAI API key (`sk-p…zfwX`)": the kind and the masked value, safe to show."""
        if self.kind == "private key":
            return "a private key block"
        article = "an" if self.kind[:1].lower() in "aeio" else "a"
        if self.url_host is not None:
            return f"{article} {self.kind} (`{self.url_user}:{self.masked}@{self.url_host}`)"
        return f"{article} {self.kind} (`{self.masked}`)"

    @property
    def remedy(self) -> str:
        """What makes the leaked value useless: a password is changed, a key revoked."""
        return "change the password" if self.url_host is not None else "revoke it"


# --- placeholders -----------------------------------------------------------------------

_TEMPLATE: Final = re.compile(
    r"^\$\{?[A-Za-z_]|\$\{\{|\{\{.*\}\}|^\{[^}]*\}$|^<.*>$|%\(\w+\)s|^%s$|^\*+$|^\.\.\.$|^…$"
)
_PLACEHOLDER_WORDS: Final = re.compile(
    r"change.?me|change.?this|changeit|your|example|sample|placeholder|dummy|fake|todo|"
    r"replace|insert|redacted|xxx|\.\.\.|…|here|test|secret.?key$|generate|password|"
    # Runs a person types; a generated key holds one by chance about once in 10,000.
    r"1234|2345|3456|4567|5678|6789|abcd|efgh|wxyz",
    re.IGNORECASE,
)
# Values everyone uses for a local database or a first try: not worth a secret alarm.
_TRIVIAL: Final = frozenset(
    {
        "admin", "app", "bar", "changeit", "database", "db", "default", "dev", "development",
        "false", "foo", "guest", "local", "localhost", "mongo", "mysql", "none", "null", "pass",
        "passwd", "postgres", "postgresql", "pwd", "qwerty", "rabbitmq", "redis", "root", "sa",
        "secret", "true", "user", "username",
    }
)  # fmt: skip


def is_placeholder(value: str, *, key: str | None = None, user: str | None = None) -> bool:
    """True when `value` is a template, a placeholder or a trivial local default rather than
    something that could be a real credential: empty, `${VAR}`, `<...>`, `changeme`,
    `your-key-here`, `xxxx`, `postgres`, the user name again, or shorter than 8 characters."""
    text = value.strip().strip("'\"")
    lowered = text.lower()
    return (
        not text
        or bool(_TEMPLATE.search(text))
        or lowered in _TRIVIAL
        or (user is not None and lowered == user.lower())
        or (key is not None and lowered == key.lower())
        or bool(_PLACEHOLDER_WORDS.search(text))
        or len(set(lowered)) <= 4
        or len(text) < 8
    )


# --- names ------------------------------------------------------------------------------

_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORDS_OF_NAME: Final = re.compile(r"[^a-z0-9]+")
_SECRET_LAST: Final = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "apikey", "passphrase", "credentials"}
)
_KEY_AFTER: Final = frozenset(
    {"secret", "api", "private", "access", "signing", "encryption", "jwt", "auth", "master"}
)
_PASS_AFTER: Final = frozenset({"db", "database", "mysql", "postgres", "redis", "smtp", "mail"})


def is_secret_name(name: str) -> bool:
    """A name that holds a credential: `SECRET_KEY`, `JWT_SECRET`, `OPENAI_API_KEY`,
    `DB_PASSWORD`, `apiKey`; not `ACCESS_TOKEN_EXPIRE_MINUTES`, `PASSWORD_HASHERS`, `CACHE_KEY`."""
    parts = [p for p in _WORDS_OF_NAME.split(_CAMEL.sub("_", name).lower()) if p]
    if not parts:
        return False
    last = parts[-1]
    previous = parts[-2] if len(parts) > 1 else ""
    return (
        last in _SECRET_LAST
        or (last == "key" and previous in _KEY_AFTER)
        or (last == "pass" and previous in _PASS_AFTER)
    )


# --- finding hits in text ---------------------------------------------------------------


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts += [match.end() for match in re.finditer(r"\n", text)]
    return starts


def _bounded(text: str, start: int, end: int) -> bool:
    """The match is a whole token: no letter or digit glued to either end."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return not _BOUNDARY.match(before) and not _BOUNDARY.match(after)


def _plugin_spans(text: str) -> Iterator[tuple[str, int, str]]:
    """(kind, offset, value) for each match of a detect-secrets plugin."""
    lowered = text.lower()
    for plugin, gate in PLUGINS:
        if gate and not any(word in lowered for word in gate):
            continue
        for pattern in plugin.denylist:
            for match in pattern.finditer(text):
                # Most plugins' groups are prefixes (`(ghp|gho)_...`); for these two the
                # group is the key itself (after `aws_secret = "` or `:_authToken=`).
                group = pattern.groups if isinstance(plugin, _VALUE_IN_GROUP) else 0
                if not match[group]:
                    continue
                if _bounded(text, match.start(group), match.end(group)):
                    yield str(plugin.secret_type), match.start(group), match[group]
    for match in _JWT.finditer(text):
        if JwtTokenDetector.is_formally_valid(match[0]):
            yield "JSON Web Token", match.start(), match[0]


def _random_looking(value: str) -> bool:
    return (
        any(c.isdigit() for c in value)
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
    )


def _own_spans(text: str) -> Iterator[tuple[str, int, str]]:
    for kind, pattern, random_body in _OWN_PATTERNS:
        for match in pattern.finditer(text):
            if _bounded(text, match.start(), match.end()) and (
                not random_body or _random_looking(match[0])
            ):
                yield kind, match.start(), match[0]


def _url_matches(text: str) -> Iterator[re.Match[str]]:
    """`_URL_PASSWORD` matches, searched from each `://` (searching the pattern itself would
    try every letter of the text as a scheme's start)."""
    position = text.find("://")
    while position >= 0:
        start = max(0, position - 31)
        scheme = _SCHEME_END.search(text, start, position)
        match = _URL_PASSWORD.match(text, scheme.start()) if scheme else None
        if match is not None:
            yield match
        position = text.find("://", position + 3)


def _url_hits(text: str, starts: list[int]) -> Iterator[SecretHit]:
    for match in _url_matches(text):
        scheme = match["scheme"].lower()
        database = scheme.split("+")[0] in _DATABASE_SCHEMES or scheme.startswith("postgres")
        offset = match.start("password")
        line = bisect.bisect_right(starts, offset)
        yield SecretHit(
            kind="database URL with a password" if database else "URL with a password",
            value=match["password"],
            line=line,
            column=offset - starts[line - 1],
            placeholder=is_placeholder(match["password"], user=match["user"]),
            url_user=match["user"],
            url_host=match["host"],
        )


def find_secrets(text: str, *, jwt: bool = True) -> list[SecretHit]:
    """Every provider-format secret, URL password and private-key block in `text`, in order.

    Overlapping matches keep the earliest and longest one (our own `sk-proj-` pattern and a
    plugin may both see the same key). `jwt=False` leaves out JSON Web Tokens (documents
    quote sample tokens).
    """
    starts = _line_starts(text)
    # Earliest first, then longest, then reviewbot's own name for a format both know.
    spans = sorted(
        {*((*span, 0) for span in _own_spans(text)), *((*s, 1) for s in _plugin_spans(text))},
        key=lambda s: (s[1], -len(s[2]), s[3], s[0]),
    )
    hits: list[SecretHit] = []
    covered = -1
    for kind, offset, value, _ in spans:
        if offset < covered or (kind == "JSON Web Token" and not jwt):
            continue
        covered = offset + len(value)
        line = bisect.bisect_right(starts, offset)
        hits.append(
            SecretHit(kind, value, line, offset - starts[line - 1], is_placeholder(value))
        )
    for match in _PRIVATE_KEY.finditer(text):
        # A header alone (a README showing the format) is not a key: the body must follow.
        if _KEY_BODY.match(text, match.end()):
            line = bisect.bisect_right(starts, match.start())
            hits.append(SecretHit("private key", match[0], line, 0, placeholder=False))
    hits += _url_hits(text, starts)
    return sorted(hits, key=lambda h: (h.line, h.column))


# --- key = value lines ------------------------------------------------------------------

_KEY_VALUE: Final = re.compile(
    r"""^\s*(?:-\s+)?(?:export\s+)?["']?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)["']?\s*
    (?::(?!//)|=|:=)\s*(?P<value>.*?)\s*,?\s*$""",
    re.VERBOSE,
)


_MAX_SETTING_LINE: Final = 2_000


def key_value(line: str) -> tuple[str, str, int] | None:
    """(key, value, column of the value) of a `KEY=value`, `key: value`, `"key": "value"`
    or `export KEY=value` line; quotes and a trailing ` # comment` are removed."""
    # Minified or generated lines are no settings, and would make the pattern slow.
    if len(line) > _MAX_SETTING_LINE or line.lstrip().startswith(("#", ";", "//")):
        return None
    match = _KEY_VALUE.match(line)
    if match is None:
        return None
    value, column = match["value"], match.start("value")
    if value and value[0] in "\"'" and value[0] in value[1:]:
        quote = value[0]
        value = value[1 : value.index(quote, 1)]
        column += 1
    else:
        value = value.split(" #", 1)[0].strip()
    return match["key"], value, column


# --- files and URLs ---------------------------------------------------------------------

_ENV_TEMPLATES: Final = (".example", ".sample", ".template", ".dist", ".defaults", ".tpl")
_TEMPLATE_NAMES: Final = frozenset(
    {"env.example", "example.env", "env.sample", "sample.env", "env.template"}
)


def env_file_kind(name: str) -> str | None:
    """"env" for a `.env`-style file meant to hold real values (`.env`, `.env.production`,
    `prod.env`), "template" for `.env.example` and friends, None for any other file name."""
    lowered = name.lower()
    if lowered in _TEMPLATE_NAMES:
        return "template"
    if lowered.startswith(".env") or lowered.endswith(".env"):
        return "template" if lowered.endswith(_ENV_TEMPLATES) else "env"
    return None


def safe_url(url: str) -> str:
    """`url` with any password in it masked, fit to show."""
    return _URL_PASSWORD.sub(
        lambda m: f"{m['scheme']}://{m['user']}:{mask_secret(m['password'])}@{m['host']}", url
    )
