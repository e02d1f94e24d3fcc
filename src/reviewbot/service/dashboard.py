"""The operator's dashboard: server-rendered pages over the stored reviews.

- `/` and `/dashboard`: the cohort table (one row per learner repository: latest grade,
  trend, weakest criterion, last activity), sortable with `?sort=<column>&order=asc|desc`,
  and the dead-lettered jobs that need attention.
- `/dashboard/{owner}/{repo}`: the grade history chart and the latest review.
- `/dashboard/reviews/{id}`: one review, rendered from its stored report JSON.
- `/dashboard/login` (form) and `/dashboard/logout`.

Access is checked by `DashboardAuth` (see dashboard_auth.py): off without a configured token
(404 telling the operator how to turn it on), 401 with the login form without valid
credentials. Jinja2 autoescapes everything; learner-controlled text (repository names,
finding messages, errors) is also made printable and bounded. Pages carry a strict
Content-Security-Policy: no script, no external asset, forms only to this site.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.model import Finding, Report
from reviewbot.reporters import json_report
from reviewbot.reporters.escaping import printable, shorten
from reviewbot.reporters.html import STATUS_LABEL, grade_band
from reviewbot.rulebook import Rulebook
from reviewbot.service import dashboard_data as data
from reviewbot.service.dashboard_auth import SESSION_COOKIE, SESSION_SECONDS, DashboardAuth
from reviewbot.service.dashboard_chart import history_chart

OFF_MESSAGE = ("The dashboard is off: set REVIEWBOT_DASHBOARD_TOKEN to a long random value "
               "to turn it on.\n")
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
TOP_FINDINGS = 10
MAX_FINDINGS = 300
TEXT_LIMIT = 400
# The order a column sorts in when its header is first clicked.
FIRST_ORDER = {"repo": "asc", "learner": "asc", "score": "desc", "trend": "desc",
               "weakest": "asc", "activity": "desc"}
COLUMN_LABELS = {"repo": "Repository", "learner": "Learner", "score": "Grade",
                 "trend": "Trend", "weakest": "Weakest criterion", "activity": "Last activity"}


@dataclass(frozen=True, slots=True)
class Column:
    """A cohort table header: its sort link and its aria-sort state."""

    key: str
    label: str
    href: str
    aria_sort: str  # ascending | descending | none


def _clean(text: object, limit: int = TEXT_LIMIT) -> str:
    return shorten(printable(str(text), keep_newlines=True), limit)


@cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("reviewbot.service", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["clean"] = _clean
    env.filters["band"] = grade_band
    env.filters["iso"] = data.iso_time
    env.filters["urlpath"] = lambda text: quote(str(text), safe="/")
    return env


def _page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = _environment().get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers={
        "Content-Security-Policy": CSP, "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a dashboard path of this site, never another site."""
    if target and (target == "/" or target.startswith("/dashboard")) and "\\" not in target:
        return target
    return "/dashboard"


def columns(sort: str, order: str) -> list[Column]:
    """The cohort table's headers for the current sort: clicking the sorted column flips
    its order, clicking another sorts by it in its first order."""
    out = []
    for key in data.SORT_KEYS:
        if key == sort:
            following = "desc" if order == "asc" else "asc"
            state = "ascending" if order == "asc" else "descending"
        else:
            following, state = FIRST_ORDER[key], "none"
        out.append(Column(key, COLUMN_LABELS[key],
                          "/dashboard?" + urlencode({"sort": key, "order": following}), state))
    return out


def _findings(report: Report, limit: int, *, unsuppressed_only: bool = False) -> list[Finding]:
    shown = [f for f in report.findings if not (unsuppressed_only and f.suppressed)]
    return sorted(shown, key=Finding.sort_key)[:limit]


def _review_context(report: Report | None, limit: int, unsuppressed_only: bool
                    ) -> dict[str, Any]:
    if report is None:
        return {"report": None, "criteria": [], "findings": [], "findings_total": 0,
                "next_steps": []}
    return {"report": report, "criteria": sorted(report.criteria, key=lambda c: c.id),
            "findings": _findings(report, limit, unsuppressed_only=unsuppressed_only),
            "findings_total": len(report.findings), "next_steps": list(report.next_steps)}


def _decode(report_json: str) -> Report | None:
    try:
        return json_report.loads(report_json)
    except (ValueError, KeyError, TypeError):
        # A report stored by an older version this code can't read: the summary still shows.
        return None


class Gate:
    """Lets the operator in: the dashboard's off switch, the credential check and the
    login page shown in place of a page when the check fails."""

    def __init__(self, auth: DashboardAuth) -> None:
        self.auth = auth

    def off(self) -> Response | None:
        """The 404 telling the operator how to turn the dashboard on, while it is off."""
        return None if self.auth.enabled else PlainTextResponse(OFF_MESSAGE, status_code=404)

    def login_page(self, request: Request, status: int, error: str | None = None,
                   target: str | None = None) -> HTMLResponse:
        """The login form, returning to `target` (default: the requested page)."""
        if target is None:
            query = f"?{request.url.query}" if request.url.query else ""
            target = request.url.path + query
        response = _page("login.html.j2", status, error=error, next=safe_next(target),
                         signed_in=False)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="reviewbot dashboard"'
        return response

    def check(self, request: Request) -> Response | None:
        """None when the request may see the page, else the response to send instead."""
        if (off := self.off()) is not None:
            return off
        return None if self.auth.allows(request) else self.login_page(request, 401)


class LoginForm(BaseModel):
    """The login form's fields. Both may be missing: a missing token is a wrong token, and
    gets the login page again rather than a validation error."""

    token: str = ""
    next: str | None = None


def _login_routes(router: APIRouter, gate: Gate) -> None:
    @router.get("/dashboard/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        return gate.off() or gate.login_page(request, 200, target=request.query_params.get(
            "next"))

    @router.post("/dashboard/login", response_class=HTMLResponse)
    def login(request: Request, form: Annotated[LoginForm, Form()]) -> Response:
        if (off := gate.off()) is not None:
            return off
        token, target = form.token, form.next
        if not gate.auth.token_matches(token):
            return gate.login_page(request, 401, "That token is not the dashboard token.",
                                   target)
        response = RedirectResponse(safe_next(target), status_code=303)
        response.set_cookie(SESSION_COOKIE, gate.auth.session_value(), max_age=SESSION_SECONDS,
                            path="/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @router.post("/dashboard/logout", response_class=RedirectResponse)
    def logout() -> Response:
        response = RedirectResponse("/dashboard/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return response


def _cohort_route(router: APIRouter, gate: Gate, sessions: sessionmaker[Session],
                  rulebook: Rulebook, clock: Callable[[], float]) -> None:
    @router.get("/", response_class=HTMLResponse)
    @router.get("/dashboard", response_class=HTMLResponse)
    def cohort_page(request: Request, sort: str = "repo", order: str | None = None
                    ) -> Response:
        if (denied := gate.check(request)) is not None:
            return denied
        sort = sort if sort in data.SORT_KEYS else "repo"
        order = order if order in ("asc", "desc") else FIRST_ORDER[sort]
        with sessions() as session:
            rows = data.sort_rows(data.cohort(session, rulebook), sort, order == "desc")
            dead = data.dead_jobs(session)
        return _page("cohort.html.j2", rows=rows, dead=dead, columns=columns(sort, order),
                     now=clock(), relative=data.relative_time, signed_in=True)


def _review_routes(router: APIRouter, gate: Gate, sessions: sessionmaker[Session],
                   rulebook: Rulebook) -> None:
    titles = {c.id: c.title for c in rulebook.criteria}

    # Registered before the repository page: /dashboard/reviews/7 is a review, not a repo.
    @router.get("/dashboard/reviews/{review_id}", response_class=HTMLResponse)
    def review_page(request: Request, review_id: int) -> Response:
        if (denied := gate.check(request)) is not None:
            return denied
        with sessions() as session:
            found = data.review(session, review_id)
        if found is None:
            return _page("missing.html.j2", 404, what=f"review #{review_id}", signed_in=True)
        summary, report_json = found
        return _page("review.html.j2", review=summary, signed_in=True, titles=titles,
                     status_label=STATUS_LABEL,
                     **_review_context(_decode(report_json), MAX_FINDINGS, False))

    @router.get("/dashboard/{owner}/{name}", response_class=HTMLResponse)
    def repo_page(request: Request, owner: str, name: str) -> Response:
        if (denied := gate.check(request)) is not None:
            return denied
        repo = f"{owner}/{name}"
        with sessions() as session:
            known = data.is_known(session, repo)
            reviews = data.history(session, repo) if known else []
            latest = data.review(session, reviews[-1].id) if reviews else None
        if not known:
            return _page("missing.html.j2", 404, what=f"repository {repo}", signed_in=True)
        ids = data.criteria_ids(reviews, rulebook)
        chart = history_chart(reviews, [(cid, titles.get(cid, cid)) for cid in ids])
        report = _decode(latest[1]) if latest else None
        return _page("repo.html.j2", repo=repo, reviews=reviews, chart=chart,
                     review=latest[0] if latest else None, signed_in=True, titles=titles,
                     status_label=STATUS_LABEL, **_review_context(report, TOP_FINDINGS, True))


def dashboard_router(auth: DashboardAuth, sessions: sessionmaker[Session], rulebook: Rulebook,
                     clock: Callable[[], float] = time.time) -> APIRouter:
    """The dashboard's routes (see the module doc); `clock` dates "3 hours ago"."""
    router = APIRouter()
    gate = Gate(auth)
    _login_routes(router, gate)
    _cohort_route(router, gate, sessions, rulebook, clock)
    _review_routes(router, gate, sessions, rulebook)
    return router
