"""Comments on a post."""

from fastapi import APIRouter, BackgroundTasks, HTTPException, Response, status

from app.api.deps import CurrentUser, PaginationDep, Responses, SessionDep
from app.models import Comment
from app.schemas.comment import CommentCreate, CommentRead
from app.schemas.common import Page
from app.services import comments as comment_service
from app.services import posts as post_service

router = APIRouter(tags=["comments"])

POST_NOT_FOUND: Responses = {status.HTTP_404_NOT_FOUND: {"description": "No such post"}}


def _post_not_found() -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Post not found")


@router.get(
    "/posts/{post_id}/comments",
    response_model=Page[CommentRead],
    responses=POST_NOT_FOUND,
)
def list_comments(
    post_id: int, session: SessionDep, pagination: PaginationDep
) -> Page[CommentRead]:
    if post_service.get_post(session, post_id) is None:
        raise _post_not_found()
    items, total = comment_service.list_comments(
        session, post_id, limit=pagination.limit, offset=pagination.offset
    )
    return Page[CommentRead](
        items=[CommentRead.model_validate(comment) for comment in items],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.post(
    "/posts/{post_id}/comments",
    response_model=CommentRead,
    status_code=status.HTTP_201_CREATED,
    responses=POST_NOT_FOUND,
)
def create_comment(
    post_id: int,
    data: CommentCreate,
    session: SessionDep,
    user: CurrentUser,
    background_tasks: BackgroundTasks,
) -> Comment:
    post = post_service.get_post(session, post_id)
    if post is None:
        raise _post_not_found()
    comment = comment_service.create_comment(session, post, user, data)
    if post.author_id != user.id:
        background_tasks.add_task(
            comment_service.notify_post_author, post.author_id, post.id, comment.id
        )
    return comment


@router.delete(
    "/comments/{comment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={
        status.HTTP_403_FORBIDDEN: {"description": "Not the comment's author"},
        status.HTTP_404_NOT_FOUND: {"description": "No such comment"},
    },
)
def delete_comment(comment_id: int, session: SessionDep, user: CurrentUser) -> None:
    comment = comment_service.get_comment(session, comment_id)
    if comment is None:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND, detail="Comment not found"
        )
    if comment.author_id != user.id:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN, detail="Only the author may do this"
        )
    comment_service.delete_comment(session, comment)
