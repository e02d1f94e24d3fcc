"""GitHub App authentication against the fake GitHub: JWTs, installation tokens, clones."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from conftest import OPERATIONS, REPOSITORY
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fake_github import FakeGitHub
from git import Actor, Repo

from reviewbot.github.actions_env import ActionLog
from reviewbot.github.app import (
    CloneOverrides,
    GitHubApp,
    GitHubAppError,
    InstallationToken,
    load_private_key,
    web_url_for,
)
from reviewbot.settings import Settings
from reviewbot.source.checkout import SourceError, checkout, resolve_source

APP_ID = 4242
INSTALLATION = 77
TOKEN_OP = "apps/create-installation-access-token (POST)"


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def pem(key: rsa.RSAPrivateKey) -> str:
    return _pem(key)


@pytest.fixture
def bare_root(tmp_path: Path) -> Path:
    """A folder of bare repositories holding Codertocat/Hello-World with one commit."""
    work = Repo.init(tmp_path / "work", initial_branch="main")
    (tmp_path / "work" / "app.py").write_text("print('hello')\n", encoding="utf-8")
    work.index.add(["app.py"])
    who = Actor("Learner", "learner@example.com")
    work.index.commit("first", author=who, committer=who)
    root = tmp_path / "repos"
    Repo.clone_from(str(tmp_path / "work"), str(root / f"{REPOSITORY}.git"), bare=True)
    return root


@pytest.fixture
def fake(key: rsa.RSAPrivateKey, bare_root: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub(OPERATIONS, REPOSITORY) as server:
        server.enable_app(APP_ID, key.public_key(), {REPOSITORY: INSTALLATION},
                          git_root=bare_root)
        yield server


def _app(fake: FakeGitHub, pem: str, **kwargs: Any) -> GitHubApp:
    return GitHubApp(APP_ID, pem, fake.url, web_url=f"{fake.url}/git", **kwargs)


def _token_requests(fake: FakeGitHub) -> int:
    return fake.count_by_operation()[TOKEN_OP]


# Installation tokens and their cache.


def test_token_is_fetched_once_and_cached(fake: FakeGitHub, pem: str) -> None:
    app = _app(fake, pem)
    first = app.installation_token(INSTALLATION)
    second = app.installation_token(INSTALLATION)
    assert second is first
    assert first.token.startswith("ghs_") and first.token in fake.app.issued  # type: ignore[union-attr]
    assert _token_requests(fake) == 1
    ahead = first.expires_at - datetime.now(UTC)
    assert timedelta(minutes=58) < ahead <= timedelta(hours=1)
    assert fake.calls() == [f"POST /app/installations/{INSTALLATION}/access_tokens"]


def test_token_is_refetched_shortly_before_expiry(fake: FakeGitHub, pem: str) -> None:
    now = [datetime.now(UTC)]
    app = _app(fake, pem, clock=lambda: now[0])
    first = app.installation_token(INSTALLATION)
    now[0] = first.expires_at - timedelta(minutes=5, seconds=1)
    assert app.installation_token(INSTALLATION) is first
    assert _token_requests(fake) == 1
    now[0] = first.expires_at - timedelta(minutes=4, seconds=59)
    second = app.installation_token(INSTALLATION)
    assert second.token != first.token
    assert _token_requests(fake) == 2


def test_eight_threads_make_one_request(fake: FakeGitHub, pem: str) -> None:
    app = _app(fake, pem)
    barrier = threading.Barrier(8)
    got: list[InstallationToken] = []

    def work() -> None:
        barrier.wait()
        got.append(app.installation_token(INSTALLATION))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(got) == 8
    assert {t.token for t in got} == {got[0].token}
    assert _token_requests(fake) == 1


def test_expired_tokens_are_refused_by_the_fake(fake: FakeGitHub, pem: str) -> None:
    assert fake.app is not None
    fake.app.token_lifetime = 0.5
    app = _app(fake, pem)
    publisher = app.publisher(INSTALLATION, REPOSITORY, ActionLog(io.StringIO()))
    assert publisher.create_comment(1, "fresh") is True
    time.sleep(0.6)
    assert publisher.create_comment(1, "stale") is False
    assert publisher.failed == ["the summary comment"]
    assert [c["body"] for c in fake.comments_on(1)] == ["fresh"]
    assert [r.status for r in fake.requests if r.operation == "issues/create-comment"] == [201, 401]


# The App's own requests (JWT).


def test_wrong_private_key_gives_a_clear_error(fake: FakeGitHub) -> None:
    other = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    app = _app(fake, other)
    with pytest.raises(GitHubAppError) as caught:
        app.installation_token(INSTALLATION)
    assert str(caught.value) == (
        f"GitHub App {APP_ID}: cannot get an access token for installation {INSTALLATION}: "
        "401 A JSON web token could not be decoded (Signature verification failed) "
        "(check REVIEWBOT_APP_ID and the private key)"
    )
    assert caught.value.__cause__ is None and caught.value.__context__ is not None


def test_wrong_app_id_is_refused(fake: FakeGitHub, pem: str) -> None:
    app = GitHubApp(APP_ID + 1, pem, fake.url)
    with pytest.raises(GitHubAppError, match=r"401 'Issuer' claim \('iss'\) must be 4242 "):
        app.installation_token(INSTALLATION)


def test_jwt_sent_by_pygithub_has_the_claims_github_wants(fake: FakeGitHub, pem: str) -> None:
    before = time.time()
    _app(fake, pem).installation_token(INSTALLATION)
    assert fake.app is not None
    [claims] = fake.app.jwt_claims
    assert claims["iss"] == str(APP_ID)  # PyGithub sends it as a string; GitHub takes both
    assert claims["exp"] - claims["iat"] == 360  # issued 60 s back for drift, 5 minutes ahead
    assert before - 61 <= claims["iat"] <= time.time()


def _get_app(fake: FakeGitHub, authorization: str) -> tuple[int, str]:
    answer = requests.get(f"{fake.url}/app", headers={"Authorization": authorization},
                          timeout=10)
    body = answer.json()
    return answer.status_code, body["slug"] if answer.ok else body["message"]


@pytest.mark.parametrize(
    ("claims", "algorithm", "expected"),
    [
        ({"iss": str(APP_ID)}, "RS256", (200, "octoapp")),
        ({"iss": "1"}, "RS256", (401, "'Issuer' claim ('iss') must be 4242")),
        ({"iss": None}, "RS256",
         (401, 'A JSON web token could not be decoded (Token is missing the "iss" claim)')),
        ({"iss": str(APP_ID), "exp": 700}, "RS256",
         (401, "'Expiration time' claim ('exp') is too far in the future")),
        ({"iss": str(APP_ID), "iat": -700, "exp": -10}, "RS256",
         (401, "'Expiration time' claim ('exp') must be a numeric value in the future")),
        ({"iss": str(APP_ID), "iat": 120}, "RS256",
         (401, "'Issued at' claim ('iat') must be an Integer representing a time in the past")),
        ({"iss": str(APP_ID), "iat": None}, "RS256",
         (401, 'A JSON web token could not be decoded (Token is missing the "iat" claim)')),
    ],
)
def test_fake_checks_jwt_claims(fake: FakeGitHub, key: rsa.RSAPrivateKey,
                                claims: dict[str, Any], algorithm: str,
                                expected: tuple[int, str]) -> None:
    now = int(time.time())
    payload = {"iat": now - 60, "exp": now + 300, **claims}
    for name in ("iat", "exp", "iss"):
        if payload[name] is None:
            del payload[name]
        elif name in claims and name != "iss":
            payload[name] = now + claims[name]
    token = jwt.encode(payload, key, algorithm=algorithm)
    assert _get_app(fake, f"Bearer {token}") == expected


def test_fake_refuses_other_signatures_and_schemes(fake: FakeGitHub) -> None:
    now = int(time.time())
    claims = {"iss": str(APP_ID), "iat": now - 60, "exp": now + 300}
    hs256 = jwt.encode(claims, "a shared secret of 32 bytes or more", algorithm="HS256")
    assert _get_app(fake, f"Bearer {hs256}") == (
        401, "A JSON web token could not be decoded (The specified alg value is not allowed)")
    assert _get_app(fake, "token test-token") == (
        401, "A JSON web token is required (Bearer)")


def test_fake_validates_the_token_request_body(fake: FakeGitHub, key: rsa.RSAPrivateKey
                                               ) -> None:
    now = int(time.time())
    token = jwt.encode({"iss": str(APP_ID), "iat": now - 60, "exp": now + 300}, key,
                       algorithm="RS256")
    url = f"{fake.url}/app/installations/{INSTALLATION}/access_tokens"
    headers = {"Authorization": f"Bearer {token}"}
    bad = requests.post(url, json={"repositories": "Hello-World"}, headers=headers, timeout=10)
    assert (bad.status_code, bad.json()["message"]) == (
        422, "Invalid request.\n\nrepositories: 'Hello-World' is not of type 'array'")
    good = requests.post(url, json={"repositories": ["Hello-World"]}, headers=headers,
                         timeout=10)
    assert good.status_code == 201
    assert good.json()["token"] in fake.app.issued  # type: ignore[union-attr]


def test_installation_for_a_repository(fake: FakeGitHub, pem: str) -> None:
    app = _app(fake, pem)
    assert app.installation_for("codertocat", "hello-world") == INSTALLATION
    with pytest.raises(GitHubAppError) as caught:
        app.installation_for("someone", "else")
    assert str(caught.value) == (
        f"GitHub App {APP_ID}: no installation for someone/else: 404 Not Found")


def test_publisher_acts_as_the_installation(fake: FakeGitHub, pem: str) -> None:
    app = _app(fake, pem)
    publisher = app.publisher(INSTALLATION, REPOSITORY, ActionLog(io.StringIO()))
    assert publisher.create_comment(3, "from the App") is True
    assert [c["body"] for c in fake.comments_on(3)] == ["from the App"]
    assert fake.calls() == [f"POST /app/installations/{INSTALLATION}/access_tokens",
                            f"POST /repos/{REPOSITORY}/issues/3/comments"]


# Clones over git's smart HTTP with the installation token.


def test_clone_with_the_installation_token(fake: FakeGitHub, pem: str, bare_root: Path) -> None:
    app = _app(fake, pem)
    url, settings = app.clone_settings(
        Settings(), INSTALLATION, f"{fake.url}/git/{REPOSITORY}")
    assert url == f"{fake.url}/git/{REPOSITORY}.git"
    with checkout(resolve_source(url, settings), settings) as out:
        assert (out.root / "app.py").read_text(encoding="utf-8") == "print('hello')\n"
        expected = Repo(bare_root / f"{REPOSITORY}.git").head.commit.hexsha
        assert out.commit == expected
    assert fake.app is not None
    # Protocol v2: the advertisement, then ls-refs and fetch.
    assert fake.app.git_requests == [
        ("GET", f"/git/{REPOSITORY}.git/info/refs", 200),
        ("POST", f"/git/{REPOSITORY}.git/git-upload-pack", 200),
        ("POST", f"/git/{REPOSITORY}.git/git-upload-pack", 200),
    ]


def test_clone_without_a_token_fails_cleanly(fake: FakeGitHub) -> None:
    settings = Settings(github_url=f"{fake.url}/git")
    url = f"{fake.url}/git/{REPOSITORY}.git"
    with pytest.raises(SourceError) as caught, checkout(resolve_source(url, settings), settings):
        pass
    assert str(caught.value) == (f"cannot clone {fake.url}/git/{REPOSITORY}: "
                                 "repository not found or private (set GITHUB_TOKEN)")
    assert fake.app is not None
    assert fake.app.git_requests == [("GET", f"/git/{REPOSITORY}.git/info/refs", 401)]


def test_clone_with_an_expired_token_fails_cleanly(fake: FakeGitHub, pem: str) -> None:
    assert fake.app is not None
    fake.app.token_lifetime = 0.2
    app = _app(fake, pem)
    url, settings = app.clone_settings(Settings(), INSTALLATION, REPOSITORY)
    time.sleep(0.3)
    with pytest.raises(SourceError) as caught, checkout(resolve_source(url, settings), settings):
        pass
    assert str(caught.value) == (f"cannot clone {fake.url}/git/{REPOSITORY}: "
                                 "repository not found or GITHUB_TOKEN cannot read it")


def test_fake_git_http_wants_an_installation_token(fake: FakeGitHub, pem: str) -> None:
    token = _app(fake, pem).installation_token(INSTALLATION).token
    refs = f"{fake.url}/git/{REPOSITORY}.git/info/refs?service=git-upload-pack"
    answers = [
        requests.get(refs, headers=headers, timeout=10)
        for headers in ({"Authorization": f"Bearer {token}"},
                        {"Authorization": "Bearer ghs_made_up"},
                        {"Authorization": "token test-token"},
                        {})
    ]
    assert [a.status_code for a in answers] == [200, 401, 401, 401]
    assert answers[0].headers["Content-Type"] == "application/x-git-upload-pack-advertisement"
    assert answers[0].content.startswith(b"001e# service=git-upload-pack\n")
    assert {a.headers["WWW-Authenticate"] for a in answers[1:]} == {'Basic realm="fake GitHub"'}
    missing = requests.get(f"{fake.url}/git/someone/else.git/info/refs?service=git-upload-pack",
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert missing.status_code == 404


def test_forget_token_makes_the_next_call_fetch(fake: FakeGitHub, pem: str) -> None:
    app = _app(fake, pem)
    first = app.installation_token(INSTALLATION)
    app.forget_token(INSTALLATION)
    assert app.installation_token(INSTALLATION).token != first.token
    assert _token_requests(fake) == 2


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://github.com/Codertocat/Hello-World", "https://github.com/Codertocat/Hello-World.git"),
        ("https://github.com/Codertocat/Hello-World.git",
         "https://github.com/Codertocat/Hello-World.git"),
        ("Codertocat/Hello-World", "https://github.com/Codertocat/Hello-World.git"),
    ],
)
def test_clone_url_forms(pem: str, given: str, expected: str) -> None:
    app = GitHubApp(APP_ID, pem)
    url, overrides = app.clone_url(given, "ghs_secret")
    assert url == expected
    assert overrides == CloneOverrides("https://github.com", "ghs_secret")
    assert "ghs_secret" not in url and "ghs_secret" not in repr(overrides)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("https://x-access-token:ghs_x@github.com/a/b", "a clone URL must not carry credentials"),
        ("https://gitlab.com/a/b", "not a repository of https://github.com: https://gitlab.com/a/b"),
        ("https://github.com/a", "not a repository URL or owner/repo: https://github.com/a"),
        ("a/b/c", "not a repository URL or owner/repo: a/b/c"),
    ],
)
def test_clone_url_refuses(pem: str, given: str, message: str) -> None:
    with pytest.raises(GitHubAppError) as caught:
        GitHubApp(APP_ID, pem).clone_url(given, "ghs_secret")
    assert str(caught.value) == message


def test_web_url_for() -> None:
    assert web_url_for("https://api.github.com") == "https://github.com"
    assert web_url_for("https://ghe.example.com/api/v3/") == "https://ghe.example.com"


# The private key.


def test_private_key_from_text_or_file(pem: str, tmp_path: Path) -> None:
    assert load_private_key({"REVIEWBOT_PRIVATE_KEY": pem}) == pem
    one_line = pem.strip().replace("\n", "\\n")
    assert load_private_key({"REVIEWBOT_PRIVATE_KEY": one_line}) == pem
    path = tmp_path / "app.pem"
    path.write_text(pem, encoding="utf-8")
    assert load_private_key({"REVIEWBOT_PRIVATE_KEY_PATH": str(path)}) == pem


def test_private_key_errors_name_the_variable_not_the_value(pem: str, tmp_path: Path) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hunter2-not-a-key", encoding="utf-8")
    cases = [
        ({}, "no GitHub App private key: set REVIEWBOT_PRIVATE_KEY (PEM text) or "
             "REVIEWBOT_PRIVATE_KEY_PATH (a .pem file)"),
        ({"REVIEWBOT_PRIVATE_KEY": pem, "REVIEWBOT_PRIVATE_KEY_PATH": "x.pem"},
         "set only one of REVIEWBOT_PRIVATE_KEY and REVIEWBOT_PRIVATE_KEY_PATH"),
        ({"REVIEWBOT_PRIVATE_KEY": "hunter2-not-a-key"},
         "REVIEWBOT_PRIVATE_KEY is not an unencrypted PEM private key "
         "(expected '-----BEGIN RSA PRIVATE KEY-----' as GitHub gives it)"),
        ({"REVIEWBOT_PRIVATE_KEY": pem[:200]},
         "REVIEWBOT_PRIVATE_KEY is not an unencrypted PEM private key "
         "(expected '-----BEGIN RSA PRIVATE KEY-----' as GitHub gives it)"),
        ({"REVIEWBOT_PRIVATE_KEY": ec_key},
         "REVIEWBOT_PRIVATE_KEY is not an RSA key (GitHub Apps sign with RS256)"),
        ({"REVIEWBOT_PRIVATE_KEY_PATH": str(not_pem)},
         "REVIEWBOT_PRIVATE_KEY_PATH is not an unencrypted PEM private key "
         "(expected '-----BEGIN RSA PRIVATE KEY-----' as GitHub gives it)"),
        ({"REVIEWBOT_PRIVATE_KEY_PATH": str(tmp_path / "missing.pem")},
         f"REVIEWBOT_PRIVATE_KEY_PATH: cannot read the private key file "
         f"{tmp_path / 'missing.pem'}: No such file or directory"),
    ]
    for environ, message in cases:
        with pytest.raises(GitHubAppError) as caught:
            load_private_key(environ)
        assert str(caught.value) == message
        # Nothing chained: a library's message could quote the key.
        assert caught.value.__cause__ is None
        assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_app_refuses_a_bad_key() -> None:
    with pytest.raises(GitHubAppError, match=r"^the private key is not an unencrypted PEM"):
        GitHubApp(APP_ID, "not a key")


# Secrets never leak.


def _key_lines(pem: str) -> list[str]:
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def test_token_and_key_never_in_logs_messages_or_reprs(
    fake: FakeGitHub, pem: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub keeps itself at INFO
    app = _app(fake, pem)
    token = app.installation_token(INSTALLATION)
    publisher = app.publisher(INSTALLATION, REPOSITORY, ActionLog(io.StringIO()))
    publisher.create_comment(1, "hello")
    app.installation_for("Codertocat", "Hello-World")
    url, settings = app.clone_settings(Settings(), INSTALLATION, REPOSITORY)
    with checkout(resolve_source(url, settings), settings):
        pass
    errors: list[str] = []
    for call in (lambda: app.installation_for("no", "such"),
                 lambda: _app(fake, pem).installation_token(999)):
        with pytest.raises(GitHubAppError) as caught:
            call()
        errors.append(str(caught.value))
    messages = [r.getMessage() for r in caplog.records]
    # PyGithub did log the token's response body, with the token masked.
    assert any('"token": "***"' in m and "access_tokens" in m for m in messages)
    assert any("new token for installation 77" in m for m in messages)
    texts = [*messages, *errors, repr(app), repr(token), repr(settings), str(token),
             repr(app.clone_url(url, token))]
    for text in texts:
        assert token.token not in text
        for line in _key_lines(pem):
            assert line not in text
