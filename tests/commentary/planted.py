"""Fake secrets planted in test repositories, and the check that none of them leaked.

Every value is assembled from pieces at run time, so this source file holds no whole secret
(and no secret scanner run over the test suite finds one).
"""

from __future__ import annotations

from collections.abc import Iterable

# Name -> value. Realistic shapes: what learners actually commit.
SECRETS: dict[str, str] = {
    "openai": "sk-" + "proj-" + "Q7vX2mN9pL4kR8tW" + "3yB6cF1hJ5dG0sAe",
    "aws_key": "AKIA" + "QX7MZ2PLK9" + "RT4WNB",
    "aws_secret": "wJalrXUtnF" + "EMI/K7MDENG/" + "bPxRfiCYzQ3kL9" + "mN2a",
    "github": "ghp_" + "R4nd0mT0k3nV4lu3" + "xYz9QwErTy12AbCd",
    "github_pat": "github_pat_" + "11ABCDEFG0" + "aBcDeFgHiJkLmNoPqRsTuV_" + "wXyZ0123456789",
    "slack": "xoxb-" + "2048" + "1234567890-" + "AbCdEfGhIjKlMnOpQrStUvWx",
    "django": "django-insecure-" + "p9#x!" + "2kq$7vm^w3z&" + "r8t@1n",
    "db_password": "Pg" + "Pa55w0rd" + "Xy7Q",
    "jwt_secret": "Zm9yLXRl" + "c3RzLW9ubHktand0" + "LXNpZ25pbmcta2V5",
    "env_token": "tok_" + "8f3K2mQ9" + "vL7xR4pW",
    "private_key_body": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + "BKcwggSjAgEAAoIBAQC7vbqajDw4o6gJ",
}

PRIVATE_KEY = (
    "-----BEGIN " + "PRIVATE KEY-----\n"
    + SECRETS["private_key_body"] + "\n"
    + "y8Y3nZq0Lk2Vw9Tx4Rb7Mc1Nd5Pe6Qf" + "3Sg8Uh0Wi2Xj4Yk6Zl" + "\n"
    + "-----END " + "PRIVATE KEY-----\n"
)

# Lines of the private key's body that are secret too.
PRIVATE_KEY_LINES = [line for line in PRIVATE_KEY.splitlines() if "-----" not in line]


def fragments(secret: str, size: int = 8) -> set[str]:
    """Every `size`-character substring of `secret`."""
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def leaks(texts: Iterable[str], secrets: Iterable[str] | None = None) -> list[str]:
    """The planted secrets of which some 8-character piece appears in one of `texts`."""
    haystack = "\n".join(texts)
    found = []
    for secret in [*(secrets or SECRETS.values()), *PRIVATE_KEY_LINES]:
        if any(piece in haystack for piece in fragments(secret)):
            found.append(secret[:4] + "…")
    return found
