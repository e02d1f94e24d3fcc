"""Liveness/readiness report."""

from typing import Literal

from pydantic import BaseModel

CheckStatus = Literal["ok", "unavailable"]


class Health(BaseModel):
    status: CheckStatus
    database: CheckStatus
