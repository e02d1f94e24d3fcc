"""Quote of the day from an external HTTP API."""

import logging

import httpx
from pydantic import ValidationError

from app.schemas.quote import Quote

logger = logging.getLogger(__name__)


class QuoteServiceError(Exception):
    """The quote service did not answer with a usable quote."""


async def fetch_random_quote(client: httpx.AsyncClient, url: str) -> Quote:
    """One random quote; the client carries the timeout."""
    try:
        response = await client.get(url)
        response.raise_for_status()
        return Quote.model_validate_json(response.content)
    except (httpx.HTTPError, ValidationError) as exc:
        logger.warning("quote service failed: %s", exc)
        raise QuoteServiceError(str(exc)) from exc
