"""Public README badges: `GET /badge/{owner}/{repo}.svg` and `.json` (shields.io endpoint).

The badge shows the latest review of the default branch (or, before the default branch was
ever reviewed, the latest review of a pull request), drawn by the reporters' badge module from
the stored report. A repository the App knows but never reviewed gets a 200 grey
"no review yet" badge, so a README can add the badge before the first review; a repository
it doesn't know is a 404 (the service must not reveal or invent anything about others).

Responses carry `Cache-Control: public, max-age=300` (GitHub's image proxy and shields.io
cache them; five minutes keeps a new grade visible soon) and a strong ETag over the body;
`If-None-Match` with it gets a 304.
"""

from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.reporters import badge, json_report
from reviewbot.service import dashboard_data as data

MAX_AGE = 300
NO_REVIEW = "no review yet"
MEDIA_TYPES = {"svg": "image/svg+xml; charset=utf-8", "json": "application/json"}


def unreviewed_svg() -> str:
    """The grey badge of a known repository without a review."""
    return badge.svg(badge.LABEL, NO_REVIEW, badge.COLORS["lightgrey"])


def unreviewed_json() -> str:
    """The shields endpoint JSON of a known repository without a review."""
    return json.dumps({"schemaVersion": 1, "label": badge.LABEL, "message": NO_REVIEW,
                       "color": "lightgrey"}) + "\n"


def badge_body(sessions: sessionmaker[Session], repo: str, kind: str) -> str | None:
    """The badge of `repo` as `kind` ("svg" or "json"), or None for an unknown repository."""
    with sessions() as session:
        if not data.is_known(session, repo):
            return None
        found = data.badge_review(session, repo)
    if found is None:
        return unreviewed_svg() if kind == "svg" else unreviewed_json()
    report = json_report.loads(found[1])
    return badge.render(report) if kind == "svg" else badge.shields_endpoint(report)


def etag(body: str) -> str:
    """A strong ETag of the body."""
    return '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'


def badge_router(sessions: sessionmaker[Session]) -> APIRouter:
    """The router serving the public badges."""
    router = APIRouter()

    @router.get("/badge/{owner}/{filename}")
    def repo_badge(request: Request, owner: str, filename: str) -> Response:
        name, _, kind = filename.rpartition(".")
        if kind not in MEDIA_TYPES or not name:
            return PlainTextResponse("badges are /badge/{owner}/{repo}.svg or .json\n", 404)
        body = badge_body(sessions, f"{owner}/{name}", kind)
        if body is None:
            return PlainTextResponse("unknown repository\n", 404)
        tag = etag(body)
        headers = {"Cache-Control": f"public, max-age={MAX_AGE}", "ETag": tag,
                   "X-Content-Type-Options": "nosniff",
                   # An SVG opened on its own is a document: it may run nothing.
                   "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
        if tag in {value.strip() for value in
                   request.headers.get("if-none-match", "").split(",")}:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=MEDIA_TYPES[kind], headers=headers)

    return router
