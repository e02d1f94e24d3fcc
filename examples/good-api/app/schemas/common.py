"""Shapes shared by several resources."""

from typing import Generic, TypeVar

from pydantic import BaseModel

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list endpoint, with what is needed to ask for the next one."""

    items: list[ItemT]
    total: int
    limit: int
    offset: int
