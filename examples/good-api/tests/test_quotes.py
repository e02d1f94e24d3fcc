from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI, status
from fastapi.testclient import TestClient

from app.api.deps import get_http_client
from app.core.config import Settings

QUOTE = "/api/v1/quotes/random"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def serve_quotes(app: FastAPI) -> Callable[[Handler], list[httpx.Request]]:
    """Route the app's outgoing HTTP calls to `handler`; returns the requests seen."""

    def install(handler: Handler) -> list[httpx.Request]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        client = httpx.AsyncClient(transport=httpx.MockTransport(record))
        app.dependency_overrides[get_http_client] = lambda: client
        return seen

    return install


def test_quote_is_proxied_from_the_configured_service(
    client: TestClient,
    settings: Settings,
    serve_quotes: Callable[[Handler], list[httpx.Request]],
) -> None:
    seen = serve_quotes(
        lambda _: httpx.Response(200, json={"content": "Ship it.", "author": "Anon"})
    )

    response = client.get(QUOTE)

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"content": "Ship it.", "author": "Anon"}
    assert [str(request.url) for request in seen] == [settings.quotes_api_url]


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("too slow", request=request)


@pytest.mark.parametrize(
    "handler",
    [
        lambda _: httpx.Response(500, text="oops"),
        lambda _: httpx.Response(200, json={"unexpected": "shape"}),
        _timeout,
    ],
    ids=["upstream-error", "bad-payload", "timeout"],
)
def test_quote_service_failures_become_502(
    client: TestClient,
    serve_quotes: Callable[[Handler], list[httpx.Request]],
    handler: Handler,
) -> None:
    serve_quotes(handler)

    response = client.get(QUOTE)

    assert response.status_code == status.HTTP_502_BAD_GATEWAY
    assert response.json() == {"detail": "Quote service unavailable"}
