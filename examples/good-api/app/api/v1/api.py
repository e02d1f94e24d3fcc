"""Assembles the v1 routers."""

from fastapi import APIRouter

from app.api.v1.routers import auth, comments, posts, quotes, users

api_router = APIRouter()
api_router.include_router(auth.router)
api_router.include_router(users.router)
api_router.include_router(posts.router)
api_router.include_router(comments.router)
api_router.include_router(quotes.router)
