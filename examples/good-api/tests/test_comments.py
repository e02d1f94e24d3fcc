import logging
from typing import Any

import pytest
from fastapi import status
from fastapi.testclient import TestClient

from tests.conftest import Account

NOTIFIER = "app.services.comments"


def _comments_url(post: dict[str, Any]) -> str:
    return f"/api/v1/posts/{post['id']}/comments"


def test_comment_is_created_and_the_author_notified(
    client: TestClient,
    post: dict[str, Any],
    bob: Account,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=NOTIFIER)

    response = client.post(
        _comments_url(post), json={"body": "Great read"}, headers=bob.headers
    )

    assert response.status_code == status.HTTP_201_CREATED
    body = response.json()
    assert (body["post_id"], body["body"]) == (post["id"], "Great read")
    assert body["author"] == {"id": bob.id, "display_name": "Bob"}
    author_id, comment_id, post_id = post["author"]["id"], body["id"], post["id"]
    notices = [r.getMessage() for r in caplog.records if r.name == NOTIFIER]
    assert notices == [
        f"notified user {author_id} of comment {comment_id} on post {post_id}"
    ]


def test_commenting_on_your_own_post_sends_no_notification(
    client: TestClient,
    post: dict[str, Any],
    alice: Account,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=NOTIFIER)

    response = client.post(
        _comments_url(post), json={"body": "Edit: typo"}, headers=alice.headers
    )

    assert response.status_code == status.HTTP_201_CREATED
    assert [r for r in caplog.records if r.name == NOTIFIER] == []


def test_comments_are_listed_oldest_first_in_pages(
    client: TestClient, post: dict[str, Any], bob: Account
) -> None:
    for text in ("first", "second", "third"):
        client.post(_comments_url(post), json={"body": text}, headers=bob.headers)

    response = client.get(_comments_url(post), params={"limit": 2, "offset": 1})

    assert response.status_code == status.HTTP_200_OK
    page = response.json()
    assert [c["body"] for c in page["items"]] == ["second", "third"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)


def test_comments_of_an_unknown_post_are_404(client: TestClient, bob: Account) -> None:
    url = "/api/v1/posts/999/comments"

    listed = client.get(url)
    created = client.post(url, json={"body": "Hello?"}, headers=bob.headers)

    for response in (listed, created):
        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == {"detail": "Post not found"}


def test_commenting_needs_a_token_and_a_body(
    client: TestClient, post: dict[str, Any], bob: Account
) -> None:
    anonymous = client.post(_comments_url(post), json={"body": "Hi"})
    empty = client.post(_comments_url(post), json={"body": ""}, headers=bob.headers)

    assert anonymous.status_code == status.HTTP_401_UNAUTHORIZED
    assert empty.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT


def test_only_the_comment_author_may_delete_it(
    client: TestClient, post: dict[str, Any], alice: Account, bob: Account
) -> None:
    comment = client.post(_comments_url(post), json={"body": "Hi"}, headers=bob.headers)
    url = f"/api/v1/comments/{comment.json()['id']}"

    forbidden = client.delete(url, headers=alice.headers)
    deleted = client.delete(url, headers=bob.headers)
    gone = client.delete(url, headers=bob.headers)

    assert forbidden.status_code == status.HTTP_403_FORBIDDEN
    assert deleted.status_code == status.HTTP_204_NO_CONTENT
    assert deleted.content == b""
    assert gone.status_code == status.HTTP_404_NOT_FOUND
    assert gone.json() == {"detail": "Comment not found"}


def test_deleting_a_post_deletes_its_comments(
    client: TestClient, post: dict[str, Any], alice: Account, bob: Account
) -> None:
    comment = client.post(_comments_url(post), json={"body": "Hi"}, headers=bob.headers)

    client.delete(f"/api/v1/posts/{post['id']}", headers=alice.headers)
    response = client.delete(
        f"/api/v1/comments/{comment.json()['id']}", headers=bob.headers
    )

    assert response.status_code == status.HTTP_404_NOT_FOUND
