"""`/healthz` for load balancers, compose and the Docker HEALTHCHECK."""

import logging

from fastapi import APIRouter, Response, status
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import SessionDep
from app.schemas.health import Health

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": Health}},
)
def healthz(session: SessionDep, response: Response) -> Health:
    """200 when the service can reach its database, 503 when it cannot."""
    try:
        session.execute(select(1))
    except SQLAlchemyError:
        logger.exception("health check: database unreachable")
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="unavailable", database="unavailable")
    return Health(status="ok", database="ok")
