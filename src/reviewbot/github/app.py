"""reviewbot as a GitHub App: the App's key, its installation tokens, clones with them.

An App proves who it is with a short-lived JWT signed by its private key (PyGithub's
`Auth.AppAuth` makes it) and trades it for an installation token, which acts on the
repositories of one installation for an hour. Tokens are cached per installation and renewed
`refresh_margin` before they expire, one request at a time per installation however many
worker threads ask.

Neither the key nor a token is ever logged, put in an exception message, a repr, a URL or a
command line: clones get the token through `Settings.github_token`, which
`reviewbot.source.checkout` hands to git in its environment.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from github import Auth, GithubException, GithubIntegration

from reviewbot.github.actions_env import ActionLog
from reviewbot.github.publish import GitHubPublisher
from reviewbot.settings import Settings

DEFAULT_API_URL = "https://api.github.com"
KEY_VARIABLE = "REVIEWBOT_PRIVATE_KEY"
KEY_PATH_VARIABLE = "REVIEWBOT_PRIVATE_KEY_PATH"
REFRESH_MARGIN = timedelta(minutes=5)

log = logging.getLogger(__name__)
# PyGithub logs every response body at DEBUG, and the access-token answer holds the token.
_TOKEN_FIELD = re.compile(r'("token"\s*:\s*")[^"]*(")')


class _RedactTokens(logging.Filter):
    """Masks the `token` field of the response bodies PyGithub's requester logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TOKEN_FIELD.sub(r"\1***\2", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _install_redaction() -> None:
    requester = logging.getLogger("github.Requester")
    if not any(isinstance(f, _RedactTokens) for f in requester.filters):
        requester.addFilter(_RedactTokens())


_install_redaction()


class GitHubAppError(Exception):
    """The App can't authenticate or GitHub refused it. One line, never holding a secret."""


@dataclass(frozen=True, slots=True)
class InstallationToken:
    """A token acting for one installation until `expires_at` (UTC)."""

    token: str = field(repr=False)
    expires_at: datetime

    def fresh_at(self, now: datetime, margin: timedelta = REFRESH_MARGIN) -> bool:
        """Whether the token is still good for `margin` after `now`."""
        return self.expires_at - margin > now


@dataclass(frozen=True, slots=True)
class CloneOverrides:
    """The `Settings` fields that let `reviewbot.source.checkout` clone with a token."""

    github_url: str
    github_token: str = field(repr=False)

    def apply(self, settings: Settings) -> Settings:
        """`settings` with the App's web URL and the installation token."""
        return replace(settings, github_url=self.github_url, github_token=self.github_token)


def load_private_key(environ: Mapping[str, str]) -> str:
    """The App's PEM private key from `REVIEWBOT_PRIVATE_KEY` (PEM text) or
    `REVIEWBOT_PRIVATE_KEY_PATH` (a file). Errors name the variable, never the value."""
    text, path = environ.get(KEY_VARIABLE, ""), environ.get(KEY_PATH_VARIABLE, "")
    if text.strip() and path.strip():
        raise GitHubAppError(f"set only one of {KEY_VARIABLE} and {KEY_PATH_VARIABLE}")
    if text.strip():
        # A PEM pasted into a one-line variable (docker --env-file) keeps its "\n" escapes.
        pem = text.replace("\\n", "\n") if "\n" not in text.strip() else text
        where = KEY_VARIABLE
    elif path.strip():
        try:
            pem = Path(path).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not text"
            raise GitHubAppError(
                f"{KEY_PATH_VARIABLE}: cannot read the private key file {path}: {reason}"
            ) from None
        where = KEY_PATH_VARIABLE
    else:
        raise GitHubAppError(
            f"no GitHub App private key: set {KEY_VARIABLE} (PEM text) or "
            f"{KEY_PATH_VARIABLE} (a .pem file)"
        )
    check_private_key(pem, where)
    return pem.strip() + "\n"


def check_private_key(pem: str, where: str = "the private key") -> None:
    """Raise GitHubAppError unless `pem` is an unencrypted PEM RSA private key."""
    try:
        key = load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError):
        # The library's own message is dropped: it could quote part of the key.
        raise GitHubAppError(
            f"{where} is not an unencrypted PEM private key "
            "(expected '-----BEGIN RSA PRIVATE KEY-----' as GitHub gives it)"
        ) from None
    if not isinstance(key, RSAPrivateKey):
        raise GitHubAppError(f"{where} is not an RSA key (GitHub Apps sign with RS256)")


def web_url_for(api_url: str) -> str:
    """GitHub's web URL from its API URL: api.github.com -> github.com, GHES's
    https://host/api/v3 -> https://host."""
    base = api_url.rstrip("/")
    parts = urlsplit(base)
    if parts.hostname == "api.github.com":
        return f"{parts.scheme}://github.com"
    return base.removesuffix("/api/v3")


class GitHubApp:
    """One GitHub App: installation tokens (cached, thread-safe), publishers and clones.

    `web_url` is where the repositories are cloned from; by default derived from `api_url`.
    `clock` is for tests; it returns the current time in UTC.
    """

    def __init__(
        self,
        app_id: int,
        private_key: str,
        api_url: str = DEFAULT_API_URL,
        *,
        web_url: str | None = None,
        refresh_margin: timedelta = REFRESH_MARGIN,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        check_private_key(private_key)
        self.app_id = app_id
        self.api_url = api_url.rstrip("/")
        self.web_url = (web_url or web_url_for(self.api_url)).rstrip("/")
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._integration = GithubIntegration(
            auth=Auth.AppAuth(app_id, private_key), base_url=self.api_url
        )
        self._tokens: dict[int, InstallationToken] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return f"GitHubApp(app_id={self.app_id}, api_url={self.api_url!r})"

    def installation_token(self, installation_id: int) -> InstallationToken:
        """A token for the installation, from the cache while it has `refresh_margin` left."""
        with self._guard:
            lock = self._locks.setdefault(installation_id, threading.Lock())
        # One fetch at a time per installation: the threads that waited find it cached.
        with lock:
            cached = self._tokens.get(installation_id)
            if cached is not None and cached.fresh_at(self._clock(), self.refresh_margin):
                return cached
            token = self._fetch_token(installation_id)
            self._tokens[installation_id] = token
            return token

    def forget_token(self, installation_id: int) -> None:
        """Drop the cached token (after GitHub said 401 with it, or the App was uninstalled)."""
        with self._guard:
            lock = self._locks.setdefault(installation_id, threading.Lock())
        with lock:
            self._tokens.pop(installation_id, None)

    def _fetch_token(self, installation_id: int) -> InstallationToken:
        what = f"an access token for installation {installation_id}"
        try:
            grant = self._integration.get_access_token(installation_id)
        except (GithubException, requests.RequestException) as exc:
            raise GitHubAppError(f"GitHub App {self.app_id}: cannot get {what}: "
                                 f"{_describe(exc)}") from None
        expires_at = grant.expires_at
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        log.debug("GitHub App %s: new token for installation %s, expires %s",
                  self.app_id, installation_id, expires_at.isoformat())
        return InstallationToken(grant.token, expires_at)

    def installation_for(self, owner: str, repo: str) -> int:
        """The id of the App's installation on `owner/repo`.

        GET /repos/{owner}/{repo}/installation, as the App.
        """
        try:
            return int(self._integration.get_repo_installation(owner, repo).id)
        except (GithubException, requests.RequestException) as exc:
            raise GitHubAppError(f"GitHub App {self.app_id}: no installation for "
                                 f"{owner}/{repo}: {_describe(exc)}") from None

    def publisher(
        self, installation_id: int, repository: str, log: ActionLog | None = None
    ) -> GitHubPublisher:
        """The publishing client for `owner/repo`, acting as the installation.

        The token is the one current now: make a new publisher per job, not per process.
        """
        token = self.installation_token(installation_id)
        return GitHubPublisher(token.token, self.api_url, repository,
                               log or ActionLog(sys.stderr))

    def clone_url(
        self, html_or_clone_url: str, token: InstallationToken | str
    ) -> tuple[str, CloneOverrides]:
        """The HTTPS URL to clone and the Settings overrides that authenticate it.

        Takes a repository's `html_url` or `clone_url` (from a webhook payload) or
        `owner/repo`. The URL holds no credentials: `reviewbot.source.checkout` sends the
        token as an `http.<web_url>/.extraheader` through git's environment.
        """
        secret = token.token if isinstance(token, InstallationToken) else token
        return self._repo_url(html_or_clone_url), CloneOverrides(self.web_url, secret)

    def clone_settings(
        self, settings: Settings, installation_id: int, html_or_clone_url: str
    ) -> tuple[str, Settings]:
        """(URL, settings) for `resolve_source(url, settings)` + `checkout`, with a fresh token."""
        url, overrides = self.clone_url(html_or_clone_url,
                                        self.installation_token(installation_id))
        return url, overrides.apply(settings)

    def _repo_url(self, given: str) -> str:
        text = given.strip()
        if "://" not in text:
            path = text
        else:
            parts = urlsplit(text)
            if parts.username or parts.password:
                raise GitHubAppError("a clone URL must not carry credentials")
            base = urlsplit(self.web_url)
            if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or not (
                parts.path.startswith(base.path.rstrip("/") + "/")
            ):
                raise GitHubAppError(f"not a repository of {self.web_url}: {text}")
            path = parts.path[len(base.path.rstrip("/")) :]
        owner, _, repo = path.strip("/").removesuffix(".git").partition("/")
        if not owner or not repo or "/" in repo:
            raise GitHubAppError(f"not a repository URL or owner/repo: {text}")
        return f"{self.web_url}/{owner}/{repo}.git"


def _describe(exc: Exception) -> str:
    """What GitHub answered, in one line: its status and message, nothing of the request."""
    if isinstance(exc, GithubException):
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        hint = " (check REVIEWBOT_APP_ID and the private key)" if exc.status == 401 else ""
        return f"{exc.status} {message or 'error'}{hint}"
    return type(exc).__name__
