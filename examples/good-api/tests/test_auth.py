from fastapi import status
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.security import decode_access_token, hash_password, verify_password
from tests.conftest import LOGIN_LIMIT, PASSWORD, Account

LOGIN_URL = "/api/v1/auth/token"
WRONG_PASSWORD = PASSWORD + "-typo"


def test_valid_credentials_get_an_expiring_bearer_token(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    response = client.post(LOGIN_URL, json={"email": alice.email, "password": PASSWORD})

    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_expire_minutes * 60
    assert decode_access_token(body["access_token"], settings) == alice.id


def test_the_token_opens_protected_routes(client: TestClient, alice: Account) -> None:
    login = client.post(LOGIN_URL, json={"email": alice.email, "password": PASSWORD})
    token = login.json()["access_token"]

    response = client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["id"] == alice.id


def test_wrong_password_and_unknown_email_get_the_same_401(
    client: TestClient, alice: Account
) -> None:
    wrong_password = client.post(
        LOGIN_URL, json={"email": alice.email, "password": WRONG_PASSWORD}
    )
    unknown_email = client.post(
        LOGIN_URL, json={"email": "nobody@example.com", "password": PASSWORD}
    )

    for response in (wrong_password, unknown_email):
        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json() == {"detail": "Incorrect email or password"}


def test_missing_password_is_422(client: TestClient) -> None:
    response = client.post(LOGIN_URL, json={"email": "alice@example.com"})

    assert response.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


def test_login_attempts_are_rate_limited(client: TestClient, alice: Account) -> None:
    attempts = [
        client.post(
            LOGIN_URL, json={"email": alice.email, "password": WRONG_PASSWORD}
        ).status_code
        for _ in range(LOGIN_LIMIT)
    ]

    blocked = client.post(LOGIN_URL, json={"email": alice.email, "password": PASSWORD})

    assert attempts == [status.HTTP_401_UNAUTHORIZED] * LOGIN_LIMIT
    assert blocked.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert int(blocked.headers["retry-after"]) > 0


def test_passwords_are_stored_as_salted_argon2_hashes() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)

    assert first.startswith("$argon2id$")
    assert first != second
    assert verify_password(first, PASSWORD)
    assert not verify_password(first, "wrong")
    assert not verify_password("not-a-hash", PASSWORD)
