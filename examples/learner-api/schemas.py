from typing import List, Optional

from pydantic import BaseModel


class UserCreate(BaseModel):
    name: str
    email: str
    password: str


class LoginData(BaseModel):
    email: str
    password: str


class PostCreate(BaseModel):
    title: str
    content: str
    tags: Optional[str] = None


class PostOut(BaseModel):
    id: int
    title: str
    content: str
    tags: Optional[str] = None
    comments: List[str] = []


class PasswordChange(BaseModel):
    old_password: str
    new_password: str
