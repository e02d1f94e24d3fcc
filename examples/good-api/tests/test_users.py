import secrets
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import status
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, TEST_SECRET, Account

USERS = "/api/v1/users"


def test_register_returns_201_and_never_the_password(client: TestClient) -> None:
    response = client.post(
        USERS,
        json={
            "email": "Carol@Example.com",
            "display_name": "Carol",
            "password": PASSWORD,
        },
    )

    assert response.status_code == status.HTTP_201_CREATED
    body = response.json()
    assert sorted(body) == ["created_at", "display_name", "email", "id"]
    assert body["email"] == "carol@example.com"
    assert body["display_name"] == "Carol"


def test_register_rejects_a_taken_email_whatever_its_case(
    client: TestClient, alice: Account
) -> None:
    response = client.post(
        USERS,
        json={"email": "ALICE@example.com", "display_name": "A2", "password": PASSWORD},
    )

    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.json() == {"detail": "Email already registered"}


def test_register_validates_email_and_password_length(client: TestClient) -> None:
    response = client.post(
        USERS,
        # One character under the 8-character minimum.
        json={"email": "not-an-email", "display_name": "X", "password": PASSWORD[:7]},
    )

    assert response.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT
    failed = sorted(error["loc"][-1] for error in response.json()["detail"])
    assert failed == ["email", "password"]


def test_me_returns_the_authenticated_user(client: TestClient, alice: Account) -> None:
    response = client.get(f"{USERS}/me", headers=alice.headers)

    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert (body["id"], body["email"], body["display_name"]) == (
        alice.id,
        "alice@example.com",
        "Alice",
    )


def test_me_without_a_token_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get(f"{USERS}/me")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "Not authenticated"}


def _token(secret: str, subject: str, expires_in: timedelta) -> str:
    claims = {"sub": subject, "exp": datetime.now(UTC) + expires_in}
    return jwt.encode(claims, secret, algorithm="HS256")


def test_me_rejects_expired_forged_and_orphan_tokens(
    client: TestClient, alice: Account
) -> None:
    tokens = [
        _token(TEST_SECRET, str(alice.id), timedelta(minutes=-1)),
        _token(secrets.token_urlsafe(48), str(alice.id), timedelta(minutes=5)),
        _token(TEST_SECRET, "999999", timedelta(minutes=5)),
        "not-a-jwt",
    ]

    for token in tokens:
        response = client.get(
            f"{USERS}/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == status.HTTP_401_UNAUTHORIZED, token
        assert response.json() == {"detail": "Invalid or expired token"}


def test_public_profile_shows_only_the_display_name(
    client: TestClient, alice: Account
) -> None:
    response = client.get(f"{USERS}/{alice.id}")

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"id": alice.id, "display_name": "Alice"}


def test_unknown_user_is_404(client: TestClient) -> None:
    response = client.get(f"{USERS}/424242")

    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json() == {"detail": "User not found"}
