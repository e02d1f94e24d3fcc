"""Exchanging credentials for an access token."""

import logging
from typing import Final

from fastapi import APIRouter, Depends, HTTPException, status

from app.api.deps import SessionDep, SettingsDep, limit_login_attempts
from app.core.security import create_access_token
from app.schemas.auth import LoginRequest, TokenResponse
from app.services import users

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/auth", tags=["auth"])

BEARER: Final = "bearer"


@router.post(
    "/token",
    response_model=TokenResponse,
    dependencies=[Depends(limit_login_attempts)],
    responses={
        status.HTTP_401_UNAUTHORIZED: {"description": "Wrong email or password"},
        status.HTTP_429_TOO_MANY_REQUESTS: {"description": "Too many attempts"},
    },
)
def issue_token(
    credentials: LoginRequest, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """A short-lived bearer token for valid credentials."""
    user = users.authenticate(session, credentials.email, credentials.password)
    if user is None:
        logger.info("rejected login attempt")
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token, expires_in = create_access_token(user.id, settings)
    return TokenResponse(access_token=token, token_type=BEARER, expires_in=expires_in)
