from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, status
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.conftest import Account

POSTS = "/api/v1/posts"


def _create(client: TestClient, account: Account, title: str) -> dict[str, Any]:
    response = client.post(
        POSTS, json={"title": title, "body": f"About {title}."}, headers=account.headers
    )
    assert response.status_code == status.HTTP_201_CREATED, response.text
    body: dict[str, Any] = response.json()
    return body


def test_empty_list_is_an_empty_page(client: TestClient) -> None:
    response = client.get(POSTS)

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"items": [], "total": 0, "limit": 20, "offset": 0}


def test_create_returns_201_with_the_author(client: TestClient, alice: Account) -> None:
    response = client.post(
        POSTS, json={"title": "Hi", "body": "Text"}, headers=alice.headers
    )

    assert response.status_code == status.HTTP_201_CREATED
    body = response.json()
    assert (body["title"], body["body"]) == ("Hi", "Text")
    assert body["author"] == {"id": alice.id, "display_name": "Alice"}


def test_create_requires_authentication(client: TestClient) -> None:
    response = client.post(POSTS, json={"title": "Hi", "body": "Text"})

    assert response.status_code == status.HTTP_401_UNAUTHORIZED


def test_create_validates_the_body(client: TestClient, alice: Account) -> None:
    response = client.post(
        POSTS, json={"title": "", "body": "x"}, headers=alice.headers
    )

    assert response.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT
    assert response.json()["detail"][0]["loc"] == ["body", "title"]


def test_list_pages_newest_first(client: TestClient, alice: Account) -> None:
    for title in ("one", "two", "three"):
        _create(client, alice, title)

    first = client.get(POSTS, params={"limit": 2}).json()
    second = client.get(POSTS, params={"limit": 2, "offset": 2}).json()

    assert [p["title"] for p in first["items"]] == ["three", "two"]
    assert [p["title"] for p in second["items"]] == ["one"]
    assert (first["total"], first["limit"], second["offset"]) == (3, 2, 2)


def test_list_bounds_the_page_size(client: TestClient) -> None:
    too_big = client.get(POSTS, params={"limit": 101})
    negative = client.get(POSTS, params={"offset": -1})

    assert too_big.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT
    assert negative.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT


def test_list_filters_by_author(
    client: TestClient, alice: Account, bob: Account
) -> None:
    _create(client, alice, "by alice")
    _create(client, bob, "by bob")

    response = client.get(POSTS, params={"author_id": bob.id})

    assert [p["title"] for p in response.json()["items"]] == ["by bob"]
    assert response.json()["total"] == 1


@contextmanager
def _count_selects(app: FastAPI) -> Iterator[list[str]]:
    engine: Engine = app.state.session_factory.kw["bind"]
    statements: list[str] = []

    def record(*args: Any) -> None:
        statement = args[2]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_list_loads_authors_without_n_plus_one_queries(
    client: TestClient, app: FastAPI, make_account: Callable[[str], Account]
) -> None:
    for name in ("Ann", "Ben", "Cid", "Dee"):
        _create(client, make_account(name), f"post by {name}")

    with _count_selects(app) as selects:
        response = client.get(POSTS)

    assert response.json()["total"] == len(("Ann", "Ben", "Cid", "Dee"))
    # count(*), the page of posts, then all their authors in one IN query.
    assert len(selects) == len(["count", "posts", "authors"])


def test_read_returns_the_post_with_its_comments(
    client: TestClient, post: dict[str, Any], bob: Account
) -> None:
    client.post(
        f"{POSTS}/{post['id']}/comments", json={"body": "Nice"}, headers=bob.headers
    )

    response = client.get(f"{POSTS}/{post['id']}")

    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert body["title"] == "Hello"
    assert [(c["body"], c["author"]["id"]) for c in body["comments"]] == [
        ("Nice", bob.id)
    ]


def test_read_unknown_post_is_404(client: TestClient) -> None:
    response = client.get(f"{POSTS}/999")

    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json() == {"detail": "Post not found"}


def test_author_can_update_some_fields(
    client: TestClient, post: dict[str, Any], alice: Account
) -> None:
    response = client.patch(
        f"{POSTS}/{post['id']}", json={"title": "Hello again"}, headers=alice.headers
    )

    assert response.status_code == status.HTTP_200_OK
    assert (response.json()["title"], response.json()["body"]) == (
        "Hello again",
        "First post.",
    )


def test_only_the_author_may_update_or_delete(
    client: TestClient, post: dict[str, Any], bob: Account
) -> None:
    url = f"{POSTS}/{post['id']}"

    patched = client.patch(url, json={"title": "Mine now"}, headers=bob.headers)
    deleted = client.delete(url, headers=bob.headers)

    for response in (patched, deleted):
        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == {"detail": "Only the author may do this"}
    assert client.get(url).json()["title"] == "Hello"


def test_update_and_delete_need_a_token_and_an_existing_post(
    client: TestClient, post: dict[str, Any], alice: Account
) -> None:
    anonymous = client.patch(f"{POSTS}/{post['id']}", json={"title": "x"})
    missing = client.delete(f"{POSTS}/999", headers=alice.headers)

    assert anonymous.status_code == status.HTTP_401_UNAUTHORIZED
    assert missing.status_code == status.HTTP_404_NOT_FOUND


def test_delete_returns_204_and_the_post_is_gone(
    client: TestClient, post: dict[str, Any], alice: Account
) -> None:
    response = client.delete(f"{POSTS}/{post['id']}", headers=alice.headers)

    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert response.content == b""
    assert client.get(f"{POSTS}/{post['id']}").status_code == status.HTTP_404_NOT_FOUND
