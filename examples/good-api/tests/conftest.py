"""Fixtures: a freshly migrated SQLite database per test, the app, a client, users."""

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI, status
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.security import create_access_token
from app.main import create_app

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Generated per run: no credential-looking literal lives in the repository.
TEST_SECRET = secrets.token_urlsafe(48)
PASSWORD = secrets.token_urlsafe(16)
ALLOWED_ORIGIN = "https://blog.example.com"
LOGIN_LIMIT = 3


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    display_name: str
    headers: dict[str, str]


def alembic_config(database_url: str) -> Config:
    """Alembic pointed at `database_url`, leaving pytest's logging alone."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url)
    config.attributes["configure_logger"] = False
    return config


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "jwt_secret_key": TEST_SECRET,
        "cors_origins": [ALLOWED_ORIGIN],
        "login_rate_limit": LOGIN_LIMIT,
        "quotes_api_url": "https://quotes.example.com/random",
    }
    values.update(overrides)
    # _env_file=None: a developer's .env must not leak into the tests.
    return Settings(_env_file=None, **values)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A new SQLite file, migrated to the latest revision like production."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_account(client: TestClient, settings: Settings) -> Callable[[str], Account]:
    """Registers a user through the API and gives them a valid bearer token."""

    def make(name: str) -> Account:
        email = f"{name.lower()}@example.com"
        response = client.post(
            "/api/v1/users",
            json={"email": email, "display_name": name, "password": PASSWORD},
        )
        assert response.status_code == status.HTTP_201_CREATED, response.text
        user_id = response.json()["id"]
        token, _ = create_access_token(user_id, settings)
        headers = {"Authorization": f"Bearer {token}"}
        return Account(id=user_id, email=email, display_name=name, headers=headers)

    return make


@pytest.fixture
def alice(make_account: Callable[[str], Account]) -> Account:
    return make_account("Alice")


@pytest.fixture
def bob(make_account: Callable[[str], Account]) -> Account:
    return make_account("Bob")


@pytest.fixture
def post(client: TestClient, alice: Account) -> dict[str, Any]:
    """A post by Alice, as the API returned it."""
    response = client.post(
        "/api/v1/posts",
        json={"title": "Hello", "body": "First post."},
        headers=alice.headers,
    )
    assert response.status_code == status.HTTP_201_CREATED, response.text
    body: dict[str, Any] = response.json()
    return body
