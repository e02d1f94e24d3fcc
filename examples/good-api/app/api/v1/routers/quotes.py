"""Quote of the day for the blog's sidebar, from an external service."""

from fastapi import APIRouter, HTTPException, status

from app.api.deps import HttpClientDep, SettingsDep
from app.schemas.quote import Quote
from app.services.quotes import QuoteServiceError, fetch_random_quote

router = APIRouter(prefix="/quotes", tags=["quotes"])


@router.get(
    "/random",
    response_model=Quote,
    responses={status.HTTP_502_BAD_GATEWAY: {"description": "Quote service failed"}},
)
async def random_quote(client: HttpClientDep, settings: SettingsDep) -> Quote:
    # Async all the way: the shared httpx.AsyncClient never blocks the event loop.
    try:
        return await fetch_random_quote(client, settings.quotes_api_url)
    except QuoteServiceError as exc:
        raise HTTPException(
            status_code=status.HTTP_502_BAD_GATEWAY, detail="Quote service unavailable"
        ) from exc
