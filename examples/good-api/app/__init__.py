"""Blog API: a FastAPI service for users, posts and comments."""

__version__ = "1.0.0"
