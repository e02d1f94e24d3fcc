"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 that PyGithub talks to unchanged.

It serves the operations of `github-fixtures/rest/operations.json` (routed by its `index`),
and for each request:

- checks the token: unknown tokens get 401, read-only tokens get 403 on every write, as
  GitHub answers a fork's pull request token ("Resource not accessible by integration");
- validates the body against the operation's request schema (JSON Schema 2020-12) and the
  query and path parameters against theirs; an invalid request gets GitHub's 422;
- enforces the limits the schemas don't say: 65,536-character comment bodies (with the 422
  GitHub was seen answering), 255-character annotation titles, and inline review comments
  only on lines of the pull request's diff (else the whole review gets a 422);
- keeps state, so a second run sees the first run's reviews, comments and check runs;
- answers with bodies made from the operation's own response example, patched with the
  state's ids and values and this server's URL, and checked against the response schema;
- records every request (method, path, query, body, status, operation) for assertions.

`GET /repos/{owner}/{repo}` and `pulls/get` (a re-run command resolves the pull request's
current head with it) answer from the same state. Operations reviewbot does not call answer
501, so a test notices a new call.

With `enable_app(...)` it also plays a GitHub App's side of GitHub:

- `GET /app`, `GET /repos/{owner}/{repo}/installation` and
  `POST /app/installations/{id}/access_tokens` want the App's JWT: RS256 signed with the
  private key matching the given public key, `iss` the app id, `iat` not in the future
  (60 s of clock drift allowed, as GitHub does), `exp` in the future and at most 10 minutes
  ahead; anything else gets 401 with the reason;
- installation tokens are issued with an expiry `token_lifetime` seconds ahead and, until
  then, are accepted like `tokens` by the REST operations and by git's smart HTTP protocol,
  served by the machine's `git http-backend` under `/git/{owner}/{repo}.git` from a folder of
  bare repositories (Basic or Bearer auth; 401 with `WWW-Authenticate` otherwise).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from jsonschema import Draft202012Validator

DOCS = "https://docs.github.com/rest"
COMMENT_LIMIT = 65_536
TITLE_LIMIT = 255
BODY_TOO_LONG = {
    "message": "Validation Failed",
    "errors": [
        {
            "resource": "IssueComment",
            "code": "unprocessable",
            "field": "data",
            "message": "Body is too long (maximum is 65536 characters)",
        }
    ],
    "documentation_url": f"{DOCS}/issues/comments#create-an-issue-comment",
}
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
# The operations that authenticate as the App itself (JWT), not as an installation.
APP_OPERATIONS = frozenset(
    {"apps/get-authenticated", "apps/get-repo-installation",
     "apps/create-installation-access-token"}
)
JWT_MAX_AHEAD = 600  # GitHub: exp no more than 10 minutes into the future
JWT_DRIFT = 60  # clock drift GitHub tolerates on iat


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int
    operation: str | None

    @property
    def call(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class PullState:
    head_sha: str
    base_sha: str
    files: list[dict[str, Any]]
    head_ref: str = "changes"
    base_ref: str = "main"
    author: str = "Codertocat"
    reviews: list[dict[str, Any]] = field(default_factory=list)
    review_comments: list[dict[str, Any]] = field(default_factory=list)


def diff_lines(patch: str | None) -> dict[str, set[int]]:
    """The lines a review comment may target, per side, read independently of reviewbot."""
    sides: dict[str, set[int]] = {"LEFT": set(), "RIGHT": set()}
    left = right = 0
    for text in (patch or "").splitlines():
        match = _HUNK.match(text)
        if match:
            left, right = int(match.group(1)), int(match.group(3))
        elif text.startswith("+"):
            sides["RIGHT"].add(right)
            right += 1
        elif text.startswith("-"):
            sides["LEFT"].add(left)
            left += 1
        elif text.startswith(" ") or text == "":
            sides["LEFT"].add(left)
            sides["RIGHT"].add(right)
            left, right = left + 1, right + 1
    return sides


@dataclass
class AppState:
    """The GitHub App side: its id and key, installations and the tokens issued."""

    app_id: int
    public_key: Any  # a cryptography RSA public key, or its PEM
    installations: dict[str, int]  # "owner/repo" -> installation id
    git_root: Path | None  # a folder of bare repositories "owner/repo.git"
    token_lifetime: float = 3600.0
    issued: dict[str, tuple[int, float]] = field(default_factory=dict)  # token -> (id, exp)
    jwt_claims: list[dict[str, Any]] = field(default_factory=list)  # every JWT accepted
    git_requests: list[tuple[str, str, int]] = field(default_factory=list)  # method, path, status

    def valid_token(self, token: str) -> bool:
        issued = self.issued.get(token)
        return issued is not None and issued[1] > time.time()


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, chunked (as git sends large pushes and fetches) or not."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while size := int(handler.rfile.readline().split(b";")[0], 16):
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        handler.rfile.readline()
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def answer(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes
           ) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status, self.body = status, body


class FakeGitHub:
    """The fake server and its state. Use as a context manager; `url` is the API base URL."""

    def __init__(
        self,
        operations_file: Path,
        repository: str,
        *,
        tokens: tuple[str, ...] = ("test-token",),
        read_only_tokens: tuple[str, ...] = ("read-only-token",),
    ) -> None:
        self.ops = json.loads(operations_file.read_text(encoding="utf-8"))
        self.repository = repository
        self.tokens, self.read_only = set(tokens), set(read_only_tokens)
        self.pulls: dict[int, PullState] = {}
        self.issue_comments: dict[int, dict[str, Any]] = {}
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.app: AppState | None = None
        self._ids = 1000
        self._lock = threading.Lock()
        self._routes = [self._route(key, op) for key, op in self.ops["index"].items()]
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # State the tests set up and read.

    def enable_app(self, app_id: int, public_key: Any, installations: dict[str, int],
                   git_root: Path | None = None, token_lifetime: float = 3600.0) -> AppState:
        """Act as GitHub for the App `app_id` whose JWTs `public_key` verifies."""
        self.app = AppState(app_id, public_key, dict(installations), git_root, token_lifetime)
        return self.app

    def add_pull(self, number: int, head_sha: str, base_sha: str, files: list[dict[str, Any]],
                 *, head_ref: str = "changes", author: str = "Codertocat") -> None:
        self.pulls[number] = PullState(head_sha, base_sha, files, head_ref=head_ref,
                                       author=author)

    def push_to_pull(self, number: int, head_sha: str, files: list[dict[str, Any]]) -> None:
        self.pulls[number].head_sha, self.pulls[number].files = head_sha, files

    def calls(self, since: int = 0) -> list[str]:
        """'METHOD /path' of every request from number `since` on."""
        return [r.call for r in self.requests[since:]]

    def count_by_operation(self, since: int = 0) -> Counter[str]:
        return Counter(f"{r.operation} ({r.method})" for r in self.requests[since:])

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.issue_comments.values() if c["_issue"] == number]

    # Routing and checks.

    def _route(self, key: str, op_id: str) -> tuple[str, re.Pattern[str], str]:
        method, template = key.split(" ", 1)
        op = self.ops["operations"][op_id]
        multi = {p["name"] for p in op["request"]["parameters"] if p.get("x-multi-segment")}

        def param(match: re.Match[str]) -> str:
            name = match.group(1)
            return f"(?P<{name}>.+)" if name in multi else f"(?P<{name}>[^/]+)"

        pattern = re.sub(r"\{(\w+)\}", param, re.escape(template).replace(r"\{", "{").replace(
            r"\}", "}"))
        return method, re.compile(pattern + "$"), op_id

    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator({**schema, "$defs": self.ops["$defs"]})

    def _check_parameters(self, op: dict[str, Any], params: dict[str, str],
                          query: dict[str, list[str]]) -> None:
        for spec in op["request"]["parameters"]:
            raw = params.get(spec["name"]) if spec["in"] == "path" else (
                query.get(spec["name"], [None])[0] if spec["in"] == "query" else None)
            if raw is None:
                continue
            value: Any = raw
            if spec.get("schema", {}).get("type") == "integer":
                if not re.fullmatch(r"-?\d+", raw):
                    raise ApiError(422, {"message": f"Invalid request.\n\n{spec['name']} is "
                                         "not an integer.", "documentation_url": DOCS})
                value = int(raw)
            errors = [e.message for e in self._validator(spec.get("schema", {})).iter_errors(value)]
            if spec["name"] == "per_page" and value > 100:  # documented, not in the schema
                errors.append(f"per_page {value} is over the maximum of 100")
            if errors:
                raise ApiError(422, {"message": f"Invalid request.\n\n{errors[0]}",
                                     "documentation_url": DOCS})

    def _check_body(self, op: dict[str, Any], body: Any) -> None:
        spec = op["request"].get("body")
        if spec is None:
            return
        errors = sorted(self._validator(spec["schema"]).iter_errors(body), key=str)
        if errors:
            detail = "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}"[:300]
                               for e in errors)
            raise ApiError(422, {"message": f"Invalid request.\n\n{detail}",
                                 "documentation_url": op.get("docs_url", DOCS)})

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
               ) -> tuple[int, Any, dict[str, str]]:
        split = urlsplit(raw_path)
        path, query = split.path, parse_qs(split.query)
        body: Any = None
        operation = None
        extra: dict[str, str] = {}
        try:
            if raw_body:
                try:
                    body = json.loads(raw_body)
                except ValueError:
                    raise ApiError(400, {"message": "Problems parsing JSON",
                                         "documentation_url": DOCS}) from None
            match = next(((m, op_id) for verb, pattern, op_id in self._routes
                          if verb == method and (m := pattern.match(path))), None)
            if match is None:
                raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
            found, operation = match
            if operation in APP_OPERATIONS:
                self._authorise_app(headers)
            else:
                self._authorise(method, headers)
            op = self.ops["operations"][operation]
            params = found.groupdict()
            self._check_parameters(op, params, query)
            self._check_body(op, body)
            with self._lock:
                status, payload, extra = self._dispatch(operation, params, query, body)
            self._check_response(op, status, payload)
        except ApiError as exc:
            status, payload = exc.status, exc.body
        with self._lock:
            self.requests.append(Recorded(method, path, query, body, status, operation))
        return status, payload, extra

    def _authorise(self, method: str, headers: dict[str, str]) -> None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if self.app is not None and scheme.lower() in ("token", "bearer") and (
                self.app.valid_token(token)):
            return
        if scheme.lower() not in ("token", "bearer") or token not in self.tokens | self.read_only:
            raise ApiError(401, {"message": "Bad credentials", "documentation_url": DOCS,
                                 "status": "401"})
        if token in self.read_only and method != "GET":
            raise ApiError(403, {"message": "Resource not accessible by integration",
                                 "documentation_url": DOCS, "status": "403"})

    def _authorise_app(self, headers: dict[str, str]) -> None:
        """The request must carry a JWT of the App, as GitHub checks it."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if self.app is None:
            raise ApiError(401, {"message": "A JSON web token could not be decoded",
                                 "documentation_url": DOCS})
        if scheme.lower() != "bearer":
            raise ApiError(401, {"message": "A JSON web token is required (Bearer)",
                                 "documentation_url": DOCS})
        try:
            claims = jwt.decode(token, self.app.public_key, algorithms=["RS256"],
                                options={"require": ["iat", "exp", "iss"], "verify_exp": False,
                                         "verify_iat": False})
        except jwt.PyJWTError as exc:
            raise ApiError(401, {"message": f"A JSON web token could not be decoded ({exc})",
                                 "documentation_url": DOCS}) from None
        now = time.time()
        problem = None
        if str(claims["iss"]) != str(self.app.app_id):
            problem = f"'Issuer' claim ('iss') must be {self.app.app_id}"
        elif claims["iat"] > now + JWT_DRIFT:
            problem = "'Issued at' claim ('iat') must be an Integer representing a time in the past"
        elif claims["exp"] <= now:
            problem = "'Expiration time' claim ('exp') must be a numeric value in the future"
        elif claims["exp"] > now + JWT_MAX_AHEAD:
            problem = "'Expiration time' claim ('exp') is too far in the future"
        if problem:
            raise ApiError(401, {"message": problem, "documentation_url": DOCS})
        with self._lock:
            self.app.jwt_claims.append(claims)

    def _check_response(self, op: dict[str, Any], status: int, payload: Any) -> None:
        """The fake's own answers must match the response schema: a bug here is a 500."""
        content = op["responses"].get(str(status), {}).get("content") or {}
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return
        errors = list(self._validator(schema).iter_errors(payload))
        if errors:
            raise ApiError(500, {"message": f"fake response invalid: {errors[0].message}"})

    # Responses.

    def _example(self, op_id: str, status: str) -> Any:
        content = self.ops["operations"][op_id]["responses"][status]["content"]
        example = next(iter(content["application/json"]["examples"].values()))["value"]
        text = json.dumps(example).replace("https://api.github.com", self.url)
        return json.loads(text)

    def _item(self, op_id: str, status: str) -> dict[str, Any]:
        example = self._example(op_id, status)
        return copy.deepcopy(example[0] if isinstance(example, list) else example)

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _repo_url(self) -> str:
        return f"{self.url}/repos/{self.repository}"

    def _page(self, items: list[Any], query: dict[str, list[str]], path: str
              ) -> tuple[int, Any, dict[str, str]]:
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = f'<{self.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"'
        return 200, chunk, headers

    def _dispatch(self, op_id: str, params: dict[str, str], query: dict[str, list[str]],
                  body: Any) -> tuple[int, Any, dict[str, str]]:
        if op_id in APP_OPERATIONS:
            app_result: tuple[int, Any, dict[str, str]] = getattr(
                self, "_op_" + op_id.replace("/", "_").replace("-", "_"))(params, query, body)
            return app_result
        if f"{params.get('owner')}/{params.get('repo')}" != self.repository:
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
        handler = getattr(self, "_op_" + op_id.replace("/", "_").replace("-", "_"), None)
        if handler is None:
            raise ApiError(501, {"message": f"{op_id} is not served by the fake"})
        result: tuple[int, Any, dict[str, str]] = handler(params, query, body)
        return result

    # The App's operations (self.app is set: _authorise_app checked it).

    def _op_apps_get_authenticated(self, params: dict[str, str], query: dict[str, list[str]],
                                   body: Any) -> tuple[int, Any, dict[str, str]]:
        assert self.app is not None
        app = self._item("apps/get-authenticated", "200")
        app["id"] = self.app.app_id
        return 200, app, {}

    def _op_apps_get_repo_installation(self, params: dict[str, str],
                                       query: dict[str, list[str]], body: Any
                                       ) -> tuple[int, Any, dict[str, str]]:
        assert self.app is not None
        wanted = f"{params['owner']}/{params['repo']}".lower()
        found = next((i for name, i in self.app.installations.items()
                      if name.lower() == wanted), None)
        if found is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
        installation = self._item("apps/get-repo-installation", "200")
        installation.update(id=found, app_id=self.app.app_id)
        return 200, installation, {}

    def _op_apps_create_installation_access_token(
            self, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        assert self.app is not None
        installation_id = int(params["installation_id"])
        if installation_id not in self.app.installations.values():
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
        token = "ghs_" + secrets.token_hex(18)
        expires = time.time() + self.app.token_lifetime
        self.app.issued[token] = (installation_id, expires)
        answer = self._item("apps/create-installation-access-token", "201")
        answer.update(token=token, expires_at=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                             time.gmtime(expires)))
        return 201, answer, {}

    # git smart HTTP, through the machine's git http-backend (CGI).

    def serve_git(self, method: str, raw_path: str, headers: dict[str, str], body: bytes
                  ) -> tuple[int, dict[str, str], bytes]:
        """Answer a git smart-HTTP request under /git/ for a holder of an installation token."""
        split = urlsplit(raw_path)
        path = split.path.removeprefix("/git")
        status, out_headers, data = self._git_backend(method, path, split.query, headers, body)
        if self.app is not None:
            with self._lock:
                self.app.git_requests.append((method, split.path, status))
        return status, out_headers, data

    def _git_token(self, headers: dict[str, str]) -> str | None:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return value
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode()
            except ValueError:
                return None
            return decoded.partition(":")[2]
        return None

    def _git_backend(self, method: str, path: str, query: str, headers: dict[str, str],
                     body: bytes) -> tuple[int, dict[str, str], bytes]:
        unauthorised = (401, {"WWW-Authenticate": 'Basic realm="fake GitHub"',
                              "Content-Type": "text/plain"}, b"Authentication required\n")
        if self.app is None or self.app.git_root is None:
            return 404, {"Content-Type": "text/plain"}, b"Not Found\n"
        token = self._git_token(headers)
        if token is None or not self.app.valid_token(token):
            return unauthorised
        exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True,
                                   check=True).stdout.strip()
        env = {
            "PATH": "/usr/bin:/bin",
            "GIT_PROJECT_ROOT": str(self.app.git_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.app.git_root),
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": "127.0.0.1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        if "git-protocol" in headers:
            env["HTTP_GIT_PROTOCOL"] = headers["git-protocol"]
        if "content-encoding" in headers:
            env["HTTP_CONTENT_ENCODING"] = headers["content-encoding"]
        result = subprocess.run([f"{exec_path}/git-http-backend"], input=body, env=env,
                                capture_output=True, timeout=60, check=False)
        head, _, data = result.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, data = result.stdout.partition(b"\n\n")
        status, out_headers = 200, {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                out_headers[name.strip()] = value.strip()
        return status, out_headers, data

    def _pull(self, params: dict[str, str]) -> PullState:
        pull = self.pulls.get(int(params["pull_number"]))
        if pull is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
        return pull

    def _op_repos_get(self, params: dict[str, str], query: dict[str, list[str]],
                      body: Any) -> tuple[int, Any, dict[str, str]]:
        repo = self._item("repos/get", "200")
        owner, name = self.repository.split("/")
        # The spec's example lacks `language`, which its schema requires, and describes a
        # fork (`parent`, `source`): the learner's repository is none.
        repo.update(full_name=self.repository, name=name, url=self._repo_url(),
                    html_url=f"https://github.com/{self.repository}", language="Python",
                    fork=False)
        repo.pop("parent", None)
        repo.pop("source", None)
        repo["owner"]["login"] = owner
        return 200, repo, {}

    def _op_pulls_get(self, params: dict[str, str], query: dict[str, list[str]],
                      body: Any) -> tuple[int, Any, dict[str, str]]:
        """The pull request as it is now: its head moves with `push_to_pull`."""
        pull = self._pull(params)
        number = int(params["pull_number"])
        owner, name = self.repository.split("/")
        item = self._item("pulls/get", "200")
        # requested_teams: the spec's example team lacks the `type` its schema requires.
        item.update(number=number, state="open", url=f"{self._repo_url()}/pulls/{number}",
                    html_url=f"https://github.com/{self.repository}/pull/{number}",
                    requested_teams=[])
        item["user"]["login"] = pull.author
        for side, sha, ref in (("head", pull.head_sha, pull.head_ref),
                               ("base", pull.base_sha, pull.base_ref)):
            item[side].update(sha=sha, ref=ref, label=f"{owner}:{ref}")
            item[side]["repo"].update(full_name=self.repository, name=name,
                                      url=self._repo_url())
            item[side]["repo"]["owner"]["login"] = owner
        return 200, item, {}

    def _op_pulls_list_files(self, params: dict[str, str], query: dict[str, list[str]],
                             body: Any) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(params)
        items = []
        for entry in pull.files:
            item = self._item("pulls/list-files", "200")
            item.update(entry)
            items.append(item)
        path = f"/repos/{self.repository}/pulls/{params['pull_number']}/files"
        return self._page(items, query, path)

    def _op_pulls_list_reviews(self, params: dict[str, str], query: dict[str, list[str]],
                               body: Any) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(params)
        path = f"/repos/{self.repository}/pulls/{params['pull_number']}/reviews"
        return self._page([copy.deepcopy(r) for r in pull.reviews], query, path)

    def _op_pulls_create_review(self, params: dict[str, str], query: dict[str, list[str]],
                                body: Any) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(params)
        event = body.get("event")
        text = body.get("body") or ""
        if event in ("COMMENT", "REQUEST_CHANGES") and not text:
            raise ApiError(422, {"message": "Unprocessable Entity", "documentation_url": DOCS,
                                 "errors": ["Review body is required"]})
        if len(text) > COMMENT_LIMIT:
            raise ApiError(422, {"message": "Unprocessable Entity", "documentation_url": DOCS,
                                 "errors": ["Body is too long (maximum is 65536 characters)"]})
        files = {f["filename"]: diff_lines(f.get("patch")) for f in pull.files}
        for comment in body.get("comments", []):
            side = comment.get("side", "RIGHT")
            line = comment.get("line")
            if comment["path"] not in files or line not in files[comment["path"]].get(side, ()):
                raise ApiError(422, {"message": "Unprocessable Entity",
                                     "documentation_url": DOCS,
                                     "errors": ["Pull request review thread line must be part "
                                                "of the diff"]})
        review = self._item("pulls/create-review", "200")
        number = params["pull_number"]
        review_id = self._next_id()
        review.update(
            id=review_id, body=text, user={**review["user"], **BOT},
            state={"COMMENT": "COMMENTED", "APPROVE": "APPROVED",
                   "REQUEST_CHANGES": "CHANGES_REQUESTED"}.get(event, "PENDING"),
            commit_id=body.get("commit_id", pull.head_sha),
            pull_request_url=f"{self._repo_url()}/pulls/{number}",
            html_url=f"https://github.com/{self.repository}/pull/{number}"
                     f"#pullrequestreview-{review_id}",
        )
        review["_links"] = {"html": {"href": review["html_url"]},
                            "pull_request": {"href": review["pull_request_url"]}}
        pull.reviews.append(review)
        for comment in body.get("comments", []):
            pull.review_comments.append({**comment, "review_id": review_id,
                                         "commit_id": review["commit_id"]})
        return 200, review, {}

    def _issue_comment(self, number: int, text: str) -> dict[str, Any]:
        comment = self._item("issues/create-comment", "201")
        comment_id = self._next_id()
        comment.update(
            id=comment_id, body=text, user={**comment["user"], **BOT},
            url=f"{self._repo_url()}/issues/comments/{comment_id}",
            issue_url=f"{self._repo_url()}/issues/{number}",
            html_url=f"https://github.com/{self.repository}/pull/{number}"
                     f"#issuecomment-{comment_id}",
        )
        return comment

    @staticmethod
    def _check_comment_body(text: str) -> None:
        if len(text) > COMMENT_LIMIT:
            raise ApiError(422, copy.deepcopy(BODY_TOO_LONG))

    def _op_issues_list_comments(self, params: dict[str, str], query: dict[str, list[str]],
                                 body: Any) -> tuple[int, Any, dict[str, str]]:
        number = int(params["issue_number"])
        items = [{k: v for k, v in c.items() if k != "_issue"} for c in self.comments_on(number)]
        return self._page(items, query, f"/repos/{self.repository}/issues/{number}/comments")

    def _op_issues_create_comment(self, params: dict[str, str], query: dict[str, list[str]],
                                  body: Any) -> tuple[int, Any, dict[str, str]]:
        self._check_comment_body(body["body"])
        number = int(params["issue_number"])
        comment = self._issue_comment(number, body["body"])
        self.issue_comments[comment["id"]] = {**comment, "_issue": number}
        return 201, comment, {}

    def _op_issues_update_comment(self, params: dict[str, str], query: dict[str, list[str]],
                                  body: Any) -> tuple[int, Any, dict[str, str]]:
        self._check_comment_body(body["body"])
        stored = self.issue_comments.get(int(params["comment_id"]))
        if stored is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
        stored.update(body=body["body"], updated_at="2024-01-01T00:00:00Z")
        return 200, {k: v for k, v in stored.items() if k != "_issue"}, {}

    def _check_annotations(self, output: dict[str, Any] | None) -> list[dict[str, Any]]:
        annotations = list((output or {}).get("annotations") or [])
        for note in annotations:
            if len(note.get("title", "")) > TITLE_LIMIT or len(note["message"]) > 64 * 1024:
                raise ApiError(422, {"message": "Invalid request.\n\nannotation too long",
                                     "documentation_url": DOCS})
        return annotations

    def _check_run_response(self, run: dict[str, Any]) -> dict[str, Any]:
        response = self._item("checks/create", "201")
        output = run["output"]
        response.update(
            id=run["id"], name=run["name"], head_sha=run["head_sha"], status=run["status"],
            conclusion=run["conclusion"], external_id=run.get("external_id"),
            url=f"{self._repo_url()}/check-runs/{run['id']}",
            html_url=f"https://github.com/{self.repository}/runs/{run['id']}",
            output={"title": output.get("title"), "summary": output.get("summary"),
                    "text": output.get("text"), "annotations_count": len(run["annotations"]),
                    "annotations_url": f"{self._repo_url()}/check-runs/{run['id']}/annotations"},
            pull_requests=[],
        )
        return response

    def _op_checks_create(self, params: dict[str, str], query: dict[str, list[str]],
                          body: Any) -> tuple[int, Any, dict[str, str]]:
        annotations = self._check_annotations(body.get("output"))
        run_id = self._next_id()
        status = "completed" if body.get("conclusion") else body.get("status", "queued")
        output = {k: v for k, v in (body.get("output") or {}).items() if k != "annotations"}
        run = {"id": run_id, "name": body["name"], "head_sha": body["head_sha"],
               "status": status, "conclusion": body.get("conclusion"), "output": output,
               "annotations": annotations, "external_id": body.get("external_id")}
        self.check_runs[run_id] = run
        return 201, self._check_run_response(run), {}

    def _op_checks_update(self, params: dict[str, str], query: dict[str, list[str]],
                          body: Any) -> tuple[int, Any, dict[str, str]]:
        run = self.check_runs.get(int(params["check_run_id"]))
        if run is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
        run["annotations"] += self._check_annotations(body.get("output"))
        run["output"].update(
            {k: v for k, v in (body.get("output") or {}).items() if k != "annotations"})
        for key in ("status", "conclusion", "name"):
            if key in body:
                run[key] = body[key]
        return 200, self._check_run_response(run), {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                raw = read_body(self)
                headers = {k.lower(): v for k, v in self.headers.items()}
                if self.path.startswith("/git/"):
                    answer(self, *fake.serve_git(self.command, self.path, headers, raw))
                    return
                status, payload, extra = fake.handle(self.command, self.path, headers, raw)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            # The names http.server calls.
            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_PATCH(self) -> None:
                self._serve()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the recorded requests are the log

        return Handler
