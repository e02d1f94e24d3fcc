"""Posts: public reads, authenticated writes, only the author may change a post."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy.orm import Session

from app.api.deps import CurrentUser, PaginationDep, Responses, SessionDep
from app.models import Post, User
from app.schemas.common import Page
from app.schemas.post import PostCreate, PostDetail, PostRead, PostUpdate
from app.services import posts as post_service

router = APIRouter(prefix="/posts", tags=["posts"])

NOT_FOUND: Responses = {status.HTTP_404_NOT_FOUND: {"description": "No such post"}}
NOT_OWNER: Responses = {
    status.HTTP_403_FORBIDDEN: {"description": "Not the post's author"}
}


def _owned_post(session: Session, post_id: int, user: User) -> Post:
    post = post_service.get_post(session, post_id)
    if post is None:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND, detail="Post not found"
        )
    if post.author_id != user.id:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN, detail="Only the author may do this"
        )
    return post


@router.get("", response_model=Page[PostRead])
def list_posts(
    session: SessionDep,
    pagination: PaginationDep,
    author_id: Annotated[int | None, Query(ge=1)] = None,
) -> Page[PostRead]:
    items, total = post_service.list_posts(
        session, limit=pagination.limit, offset=pagination.offset, author_id=author_id
    )
    return Page[PostRead](
        items=[PostRead.model_validate(post) for post in items],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.post("", response_model=PostRead, status_code=status.HTTP_201_CREATED)
def create_post(data: PostCreate, session: SessionDep, user: CurrentUser) -> Post:
    return post_service.create_post(session, user, data)


@router.get("/{post_id}", response_model=PostDetail, responses=NOT_FOUND)
def read_post(post_id: int, session: SessionDep) -> Post:
    post = post_service.get_post_detail(session, post_id)
    if post is None:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND, detail="Post not found"
        )
    return post


@router.patch("/{post_id}", response_model=PostRead, responses=NOT_FOUND | NOT_OWNER)
def update_post(
    post_id: int, changes: PostUpdate, session: SessionDep, user: CurrentUser
) -> Post:
    post = _owned_post(session, post_id, user)
    return post_service.update_post(session, post, changes)


@router.delete(
    "/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=NOT_FOUND | NOT_OWNER,
)
def delete_post(post_id: int, session: SessionDep, user: CurrentUser) -> None:
    post = _owned_post(session, post_id, user)
    post_service.delete_post(session, post)
