"""Who may see the dashboard: the operator, holding `REVIEWBOT_DASHBOARD_TOKEN`.

Without a token configured the dashboard is off; it is never public by default. With one,
a request is let in when it carries `Authorization: Bearer <token>` (scripts) or the session
cookie the login form sets (browsers). The cookie holds an issue time and an HMAC of it keyed
with the token, never the token itself: it expires after SESSION_SECONDS, and changing the
token ends every session. It is HttpOnly and SameSite=Strict, so page scripts cannot read it
and other sites cannot make a browser send it. Every comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from starlette.requests import Request

SESSION_COOKIE = "reviewbot_dashboard"
SESSION_SECONDS = 12 * 3600
_SESSION_CONTEXT = b"reviewbot dashboard session v1:"


def _digest(text: str) -> bytes:
    # Comparing digests keeps the comparison constant-time whatever the lengths.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class DashboardAuth:
    """Checks a request's credentials against the configured token."""

    def __init__(self, token: str | None, clock: Callable[[], float] = time.time) -> None:
        self._token = token
        self._clock = clock

    @property
    def enabled(self) -> bool:
        """Whether a token is configured (otherwise the dashboard is off)."""
        return self._token is not None

    def token_matches(self, candidate: str) -> bool:
        """Whether `candidate` is the token (constant time)."""
        if self._token is None:
            return False
        return hmac.compare_digest(_digest(candidate), _digest(self._token))

    @staticmethod
    def _mac(token: str, issued: int) -> str:
        message = _SESSION_CONTEXT + str(issued).encode("ascii")
        return hmac.new(token.encode("utf-8"), message, hashlib.sha256).hexdigest()

    def session_value(self) -> str:
        """A new session cookie's value: `<issued>.<hmac>` (the dashboard must be enabled)."""
        if self._token is None:
            raise ValueError("no dashboard token is configured")
        issued = int(self._clock())
        return f"{issued}.{self._mac(self._token, issued)}"

    def session_valid(self, value: str) -> bool:
        """Whether `value` is a cookie this token issued less than SESSION_SECONDS ago."""
        if self._token is None:
            return False
        issued_text, _, mac = value.partition(".")
        if not issued_text.isdigit() or len(issued_text) > 12:
            return False
        issued = int(issued_text)
        if not 0 <= self._clock() - issued < SESSION_SECONDS:
            return False
        return hmac.compare_digest(_digest(mac), _digest(self._mac(self._token, issued)))

    def allows(self, request: Request) -> bool:
        """Whether `request` carries a valid bearer token or session cookie."""
        if self._token is None:
            return False
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.token_matches(credentials.strip()):
            return True
        cookie = request.cookies.get(SESSION_COOKIE)
        return cookie is not None and self.session_valid(cookie)
