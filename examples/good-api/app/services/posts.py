"""Reading and writing posts."""

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.models import Comment, Post, User
from app.schemas.post import PostCreate, PostUpdate

logger = logging.getLogger(__name__)


def list_posts(
    session: Session, *, limit: int, offset: int, author_id: int | None = None
) -> tuple[list[Post], int]:
    """Newest posts first, one page of them, with the total for the same filter."""
    query = select(Post)
    if author_id is not None:
        query = query.where(Post.author_id == author_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.options(selectinload(Post.author))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(page), total


def get_post(session: Session, post_id: int) -> Post | None:
    return session.get(Post, post_id)


def get_post_detail(session: Session, post_id: int) -> Post | None:
    """A post with its author, comments and commenters loaded in three queries."""
    return session.scalars(
        select(Post)
        .where(Post.id == post_id)
        .options(
            selectinload(Post.author),
            selectinload(Post.comments).selectinload(Comment.author),
        )
    ).first()


def create_post(session: Session, author: User, data: PostCreate) -> Post:
    post = Post(title=data.title, body=data.body, author=author)
    session.add(post)
    session.commit()
    session.refresh(post)
    logger.info("user %s created post %s", author.id, post.id)
    return post


def update_post(session: Session, post: Post, changes: PostUpdate) -> Post:
    """Apply the fields the client sent; the others keep their value."""
    for field, value in changes.model_dump(exclude_none=True).items():
        setattr(post, field, value)
    session.commit()
    session.refresh(post)
    return post


def delete_post(session: Session, post: Post) -> None:
    session.delete(post)
    session.commit()
    logger.info("deleted post %s", post.id)
