"""Database plumbing: declarative base and sessions."""
