"""Quote of the day, proxied from an external service."""

from pydantic import BaseModel


class Quote(BaseModel):
    content: str
    author: str
