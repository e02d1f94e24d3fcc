"""Reading and writing comments."""

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.models import Comment, Post, User
from app.schemas.comment import CommentCreate

logger = logging.getLogger(__name__)


def list_comments(
    session: Session, post_id: int, *, limit: int, offset: int
) -> tuple[list[Comment], int]:
    """Oldest comments first, one page of them, with the post's comment count."""
    total = (
        session.scalar(select(func.count(Comment.id)).where(Comment.post_id == post_id))
        or 0
    )
    page = session.scalars(
        select(Comment)
        .where(Comment.post_id == post_id)
        .options(selectinload(Comment.author))
        .order_by(Comment.id)
        .limit(limit)
        .offset(offset)
    )
    return list(page), total


def get_comment(session: Session, comment_id: int) -> Comment | None:
    return session.get(Comment, comment_id)


def create_comment(
    session: Session, post: Post, author: User, data: CommentCreate
) -> Comment:
    comment = Comment(body=data.body, post=post, author=author)
    session.add(comment)
    session.commit()
    session.refresh(comment)
    return comment


def delete_comment(session: Session, comment: Comment) -> None:
    session.delete(comment)
    session.commit()
    logger.info("deleted comment %s", comment.id)


def notify_post_author(author_id: int, post_id: int, comment_id: int) -> None:
    """Tell a post's author about a new comment (runs after the response is sent).

    Delivery is a log line for now; a mail provider would plug in here.
    """
    logger.info(
        "notified user %s of comment %s on post %s", author_id, comment_id, post_id
    )
