"""Post resources."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.comment import CommentRead
from app.schemas.user import UserPublic


class PostCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)


class PostUpdate(BaseModel):
    """Partial update: fields left out keep their value."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, min_length=1, max_length=20_000)


class PostRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    author: UserPublic
    created_at: datetime
    updated_at: datetime


class PostDetail(PostRead):
    comments: list[CommentRead]
