"""Pydantic models for request bodies and responses (the API contract)."""
