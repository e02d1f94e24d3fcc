"""The service's configuration, read from the environment (`REVIEWBOT_*`).

Secrets (the webhook secret, the dashboard token, the App's private key) are kept out of
`repr`, so logging the config never prints them; the broker URL appears there with its
password masked (`masked_url`).

`REVIEWBOT_BROKER_URL` (a `redis://` or `rediss://` URL) switches to scale-out mode: jobs
are dispatched to Celery workers (`reviewbot worker`) instead of the embedded threads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import typer

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_BODY_LIMIT = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB
DEFAULT_WORKERS = 1
BROKER_SCHEMES = ("redis", "rediss")


class ConfigError(Exception):
    """A REVIEWBOT_* variable has a value the service cannot use."""


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Everything `reviewbot serve` needs to know, read once at start."""

    webhook_secret: str = field(repr=False)
    database_url: str
    data_dir: Path
    github_api_url: str = DEFAULT_API_URL
    github_web_url: str | None = None  # where repositories are cloned; from the API URL
    workers: int = DEFAULT_WORKERS
    dashboard_token: str | None = field(default=None, repr=False)
    app_id: str | None = None
    private_key: str | None = field(default=None, repr=False)
    private_key_path: Path | None = None
    settings_file: Path | None = None  # the operator's reviewbot.toml: rubric and thresholds
    body_limit: int = DEFAULT_BODY_LIMIT
    max_attempts: int = 5
    lease_seconds: float = 600.0
    retry_backoff: float = 30.0  # seconds before the first retry; doubles every attempt
    broker_url: str | None = field(default=None, repr=False)  # None: the embedded queue
    sweep_seconds: float = 15.0  # how often `serve` re-sends runnable jobs to the broker

    def __repr__(self) -> str:
        # The dataclass repr, less the secrets (fields with repr=False), with the passwords
        # of the database and broker URLs masked.
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                 if f.repr and f.name != "database_url"]
        shown.insert(0, f"database_url={masked_url(self.database_url)!r}")
        shown.append(f"broker_url={masked_url(self.broker_url)!r}")
        return f"ServiceConfig({', '.join(shown)})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceConfig:
        """Read the configuration from `environ` (default: the process environment)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"REVIEWBOT_{name}", "").strip()
            return value or None

        secret = get("WEBHOOK_SECRET")
        if secret is None:
            raise ConfigError("REVIEWBOT_WEBHOOK_SECRET is not set: every delivery would be "
                              "rejected")
        database_url, data_dir = database_location(env)
        key_path = get("PRIVATE_KEY_PATH")
        settings_file = get("CONFIG")
        return cls(
            webhook_secret=secret,
            database_url=database_url,
            data_dir=data_dir,
            github_api_url=(get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            github_web_url=get("GITHUB_URL"),
            workers=_positive_int("WORKERS", get("WORKERS"), DEFAULT_WORKERS, minimum=0),
            dashboard_token=get("DASHBOARD_TOKEN"),
            app_id=get("APP_ID"),
            private_key=get("PRIVATE_KEY"),
            private_key_path=Path(key_path) if key_path else None,
            settings_file=Path(settings_file) if settings_file else None,
            body_limit=_positive_int("MAX_BODY_BYTES", get("MAX_BODY_BYTES"), DEFAULT_BODY_LIMIT,
                                     minimum=1),
            max_attempts=_positive_int("MAX_ATTEMPTS", get("MAX_ATTEMPTS"), 5, minimum=1),
            lease_seconds=_seconds("LEASE_SECONDS", get("LEASE_SECONDS"), 600.0),
            retry_backoff=_seconds("RETRY_BACKOFF", get("RETRY_BACKOFF"), 30.0),
            broker_url=_broker_url(get("BROKER_URL")),
            sweep_seconds=_seconds("SWEEP_SECONDS", get("SWEEP_SECONDS"), 15.0),
        )


def masked_url(url: str | None) -> str | None:
    """`url` with its password replaced by `***`, for logs and `repr`."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _broker_url(value: str | None) -> str | None:
    if value is None:
        return None
    if urlsplit(value).scheme not in BROKER_SCHEMES:
        raise ConfigError("REVIEWBOT_BROKER_URL must be a redis:// or rediss:// URL: "
                          f"{masked_url(value)!r}")
    return value


def database_location(environ: Mapping[str, str] | None = None) -> tuple[str, Path]:
    """(REVIEWBOT_DATABASE_URL, the data dir): by default a SQLite file in the data dir,
    REVIEWBOT_DATA_DIR or the platform's per-user application folder."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("REVIEWBOT_DATA_DIR", "").strip() or typer.get_app_dir("reviewbot"))
    url = env.get("REVIEWBOT_DATABASE_URL", "").strip()
    return url or f"sqlite:///{data_dir / 'reviewbot.db'}", data_dir


def _positive_int(name: str, value: str | None, default: int, *, minimum: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"REVIEWBOT_{name} must be a whole number: {value!r}") from None
    if number < minimum:
        raise ConfigError(f"REVIEWBOT_{name} must be at least {minimum}: {number}")
    return number


def _seconds(name: str, value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"REVIEWBOT_{name} must be a number of seconds: {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise ConfigError(f"REVIEWBOT_{name} must be a positive number of seconds: {value!r}")
    return number
