"""`POST /webhooks/github`: authenticate, bound, parse, deduplicate and record a delivery.

The order matters. The signature (HMAC-SHA256 of the raw body, compared in constant time)
is checked before the body is parsed, so nothing an unauthenticated sender writes is ever
interpreted. The body is read with a size cap (the Content-Length header first, then the
bytes actually streamed). The delivery and its jobs are committed before the 202 is sent,
so an acknowledged delivery is never lost; a repeated `X-GitHub-Delivery` is a duplicate.
A review of a repository removed from the App's installation is ignored ("repo not
installed"); a repository first seen in a delivery is registered under its installation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from reviewbot.service.events import (
    NOT_INSTALLED,
    Admission,
    Decision,
    ReviewRequest,
    admission,
    decide,
)
from reviewbot.service.logs import get_logger
from reviewbot.service.queue import JobQueue
from reviewbot.service.store import Delivery, Repository, Review

SIGNATURE_PREFIX = "sha256="
log = get_logger("webhooks")


class BodyTooLargeError(Exception):
    """The request body is over the configured cap."""


def sign(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for `body`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is the signature of the raw `body` with `secret` (constant time)."""
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body).encode("ascii"),
                               header.strip().encode("utf-8", "replace"))


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, or BodyTooLargeError as soon as it is known to be over `limit` bytes."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise BodyTooLargeError
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLargeError
    return bytes(body)


def parse_payload(body: bytes, content_type: str) -> dict[str, Any]:
    """The delivery's JSON object, sent as JSON or as the form field `payload`.
    Raises ValueError when it is neither."""
    text = body.decode("utf-8")
    if content_type.partition(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        fields = parse_qs(text, strict_parsing=True)
        if len(fields.get("payload", ())) != 1:
            raise ValueError("the form has no single `payload` field")
        text = fields["payload"][0]
    payload = json.loads(text)
    if not isinstance(payload, dict):
        raise ValueError("the payload is not a JSON object")
    return payload


@dataclass(frozen=True, slots=True)
class Outcome:
    """The response to one delivery."""

    status_code: int
    body: dict[str, Any]


class DeliveryRecorder:
    """Stores a delivery with what it asked for, in one transaction. `count(event, outcome)`
    is told every delivery's outcome (the metrics' delivery counter), rejections included."""

    def __init__(self, sessions: sessionmaker[Session], queue: JobQueue, rules_version: str,
                 max_attempts: int, count: Callable[[str, str], None] | None = None) -> None:
        self._sessions = sessions
        self._queue = queue
        self._rules_version = rules_version
        self._max_attempts = max_attempts
        self._count = count

    def rejected(self, event: str) -> None:
        """Count a rejected delivery (`event` is "" when it is not authenticated)."""
        if self._count is not None:
            self._count(event, "rejected")

    def record(self, delivery_id: str, event: str, payload: dict[str, Any]) -> Outcome:
        """Record the delivery and act on it: enqueue reviews, register repositories."""
        outcome = self._record(delivery_id, event, payload)
        if self._count is not None:
            self._count(event, str(outcome.body["status"]))
        return outcome

    def _record(self, delivery_id: str, event: str, payload: dict[str, Any]) -> Outcome:
        decision = decide(event, payload)
        try:
            with self._sessions() as session:
                if session.get(Delivery, delivery_id) is not None:
                    return Outcome(200, {"status": "duplicate", "delivery": delivery_id})
                delivery = Delivery(id=delivery_id, event=event,
                                    action=_text(payload.get("action")),
                                    outcome=decision.outcome, detail=decision.reason)
                session.add(delivery)
                session.flush()
                outcome = self._act(session, delivery, decision)
                session.commit()
        except IntegrityError:
            # The same delivery id committed first on another connection.
            return Outcome(200, {"status": "duplicate", "delivery": delivery_id})
        return outcome

    def _act(self, session: Session, delivery: Delivery, decision: Decision) -> Outcome:
        if decision.outcome == "registered":
            self._register(session, decision)
            return Outcome(200, {"status": "registered", "reason": decision.reason,
                                 "added": list(decision.register),
                                 "removed": list(decision.forget)})
        jobs = []
        # A delivery's reviews are all of the repository it came from: one registry check.
        if decision.reviews and not _admitted(session, decision.reviews[0]):
            delivery.outcome, delivery.detail = "ignored", NOT_INSTALLED
            return Outcome(200, {"status": "ignored", "reason": NOT_INSTALLED})
        for request in decision.reviews:
            # A review stored but not yet published still needs a job (its publication
            # failed for good): the job publishes the stored report without scanning again.
            if request.sha is not None and session.execute(select(Review.id).where(
                    Review.repo == request.repo, Review.sha == request.sha,
                    Review.rules_version == self._rules_version,
                    Review.published.is_(True))).first() is not None:
                continue
            jobs.append(self._queue.enqueue(session, "review", request.payload(),
                                            delivery_id=delivery.id,
                                            max_attempts=self._max_attempts).id)
        if delivery.outcome == "accepted" and not jobs:
            delivery.outcome, delivery.detail = "ignored", "the commit was already reviewed"
        if delivery.outcome != "accepted":
            return Outcome(200, {"status": "ignored", "reason": delivery.detail})
        return Outcome(202, {"status": "accepted", "reason": decision.reason, "jobs": jobs})

    @staticmethod
    def _register(session: Session, decision: Decision) -> None:
        installation = decision.installation_id
        for name in decision.register:
            repo = session.get(Repository, name)
            if repo is None:
                session.add(Repository(full_name=name, installation_id=installation or 0))
            else:
                repo.installation_id, repo.removed_at = installation or 0, None
        forget = set(decision.forget)
        if decision.forget_installation and installation is not None:
            forget |= set(session.scalars(select(Repository.full_name).where(
                Repository.installation_id == installation)))
        for name in forget:
            repo = session.get(Repository, name)
            if repo is not None and repo.removed_at is None:
                repo.removed_at = time.time()


def _admitted(session: Session, request: ReviewRequest) -> bool:
    """Whether the installation registry lets `request` be reviewed; registers its
    repository on first sight (see `events.admission`)."""
    row = session.get(Repository, request.repo)
    verdict = admission(request, None if row is None else row.installation_id,
                        row is not None and row.removed_at is not None)
    if verdict is Admission.REGISTER:
        # Concurrent first deliveries of one repository: the first insert wins, the others
        # do nothing (a unique-key error here would pass for a duplicate delivery).
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else (
            sqlite_insert)
        session.execute(insert(Repository).values(
            full_name=request.repo, installation_id=request.installation_id,
            added_at=time.time()).on_conflict_do_nothing(index_elements=["full_name"]))
    elif verdict is Admission.REREGISTER and row is not None:
        row.installation_id, row.removed_at = request.installation_id or 0, None
    return verdict is not Admission.REFUSE


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def webhook_router(secret: str, body_limit: int, recorder: DeliveryRecorder) -> APIRouter:
    """The router serving `POST /webhooks/github`."""
    router = APIRouter()

    @router.post("/webhooks/github")
    async def github_webhook(request: Request) -> JSONResponse:
        delivery_id = request.headers.get("x-github-delivery", "")
        event = request.headers.get("x-github-event", "")
        context = {"delivery_id": delivery_id or None, "event": event or None}
        signature = request.headers.get("x-hub-signature-256")
        # Until the signature is checked the event header is anyone's text: counted as "".
        if not signature:
            log.warning("delivery without a signature", extra=context)
            recorder.rejected("")
            return _answer(401, "missing X-Hub-Signature-256", context)
        try:
            body = await read_body(request, body_limit)
        except BodyTooLargeError:
            recorder.rejected("")
            return _answer(413, f"the body is over {body_limit:,} bytes", context)
        if not verify_signature(secret, body, signature):
            recorder.rejected("")
            return _answer(401, "bad signature", context)
        if not delivery_id or not event:
            recorder.rejected(event)
            return _answer(400, "missing X-GitHub-Delivery or X-GitHub-Event", context)
        try:
            payload = parse_payload(body, request.headers.get("content-type", ""))
        except (UnicodeDecodeError, ValueError) as exc:
            recorder.rejected(event)
            return _answer(400, f"malformed payload: {exc}", context)
        outcome = await run_in_threadpool(recorder.record, delivery_id, event, payload)
        log.info("delivery %s", outcome.body["status"], extra={
            **context, "outcome": outcome.body["status"], "status": outcome.status_code})
        return JSONResponse(outcome.body, status_code=outcome.status_code)

    return router


def _answer(status: int, error: str, context: dict[str, Any]) -> JSONResponse:
    log.warning("delivery rejected: %s", error, extra={**context, "status": status})
    return JSONResponse({"status": "rejected", "error": error}, status_code=status)
