from pathlib import Path

from fastapi import status
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import ALLOWED_ORIGIN, make_settings


def test_healthz_reports_ok(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "blog.db"
    app = create_app(make_settings(f"sqlite:///{missing}"))

    with TestClient(app) as client:
        response = client.get("/healthz")

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response.json() == {"status": "unavailable", "database": "unavailable"}


def test_cors_allows_the_configured_origin(client: TestClient) -> None:
    response = client.options(
        "/api/v1/posts",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
    )

    assert response.status_code == status.HTTP_200_OK
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_cors_rejects_other_origins(client: TestClient) -> None:
    response = client.options(
        "/api/v1/posts",
        headers={
            "Origin": "https://evil.example.net",
            "Access-Control-Request-Method": "POST",
        },
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert "access-control-allow-origin" not in response.headers


def test_openapi_documents_the_versioned_routes(client: TestClient) -> None:
    docs = client.get("/docs")
    schema = client.get("/openapi.json").json()

    assert docs.status_code == status.HTTP_200_OK
    assert sorted(schema["paths"]) == [
        "/api/v1/auth/token",
        "/api/v1/comments/{comment_id}",
        "/api/v1/posts",
        "/api/v1/posts/{post_id}",
        "/api/v1/posts/{post_id}/comments",
        "/api/v1/quotes/random",
        "/api/v1/users",
        "/api/v1/users/me",
        "/api/v1/users/{user_id}",
        "/healthz",
    ]
