"""Authentication and authorization (C12): how passwords are stored and checked, how JWTs are
signed and verified (`auth_jwt`), and mutating routes left open while the app has auth.

Positive evidence (a password-hashing library, the share of protected mutating routes) goes
into the facts, where the rubric's C12 adjuster reads it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from reviewbot.analyzers.api_serializers import PASSWORD_FIELD, PasswordModels
from reviewbot.analyzers.auth_jwt import jwt_findings
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.orm_models import index_models
from reviewbot.analyzers.route_index import call_name, children, source_text
from reviewbot.analyzers.routes import Route, RouteTable, extract_routes
from reviewbot.model import AnalyzerOutput, Finding, Severity
from reviewbot.rulebook import Rulebook
from reviewbot.source.inventory_model import ModuleRole, PythonModule

_HASH_LIBRARIES = {
    "bcrypt": "bcrypt",
    "argon2": "argon2",
    "passlib": "passlib",
    "pwdlib": "pwdlib",
    "werkzeug.security": "werkzeug",
    "django.contrib.auth.hashers": "django",
    "flask_bcrypt": "bcrypt",
}
_HASH_CALLS = {
    "make_password": "django",
    "set_password": "django",
    "UserCreationForm": "django",
    "generate_password_hash": "werkzeug",
    "CryptContext": "passlib",
    "PasswordHasher": "argon2",
    "PasswordHash": "pwdlib",
    "hashpw": "bcrypt",
    "pbkdf2_hmac": "pbkdf2",
    "scrypt": "scrypt",
}
_FAST_HASHES = frozenset(
    {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s"}
)
_PASSWORDISH = re.compile(r"pass|pwd", re.IGNORECASE)
# A name that holds a password: `password`, `new_passwd`, `pwd`, `user_pw`; not
# `surrogatepass`, `passport` or `bypass`.
_PASSWORD_NAME = re.compile(
    r"password|passwd|passphrase|(?:^|_)(?:pass|pw|pwd)(?:_|\d|$)", re.IGNORECASE
)
_HASHED_NAME = re.compile(r"hash|digest|encrypt|crypt", re.IGNORECASE)
_CONFIRMATION = re.compile(r"confirm|repeat|again|retype|verify|2$", re.IGNORECASE)
# Names of what a handler receives from the client (`data.password`, `form.password`).
_INPUT_NAMES = frozenset(
    {
        "data",
        "form",
        "payload",
        "body",
        "request",
        "credentials",
        "creds",
        "login",
        "req",
        "params",
        "args",
        "json",
        "schema",
        "user_in",
        "auth",
        "info",
        "input",
        "change",
        "changes",
    }
)
_INPUT_SUFFIXES = ("_in", "_data", "_form", "_request", "_schema", "_payload", "_body", "_input")
_LOOKUPS = frozenset({"filter_by", "filter", "get", "get_or_none", "first", "where"})
_EXEMPT = re.compile(
    r"login|logout|sign_?in|sign_?up|signin|signup|register|token|refresh|password[-_]?reset"
    r"|reset[-_]?password|password[-_]?recover|recover[-_]?password|forgot|verify|confirm|activate"
    r"|resend|webhook|callback|oauth|health",
    re.IGNORECASE,
)
_REGISTRATION = re.compile(r"^(create|add|new|register)_?(user|account|member)s?$", re.IGNORECASE)


def _is_raw(value: ast.expr) -> bool:
    """A value stored as it came: a literal, a variable, `data.password`, `form["pw"]` —
    not the result of a (hashing) call, and not something named as a hash."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str) and value.value not in ("", "!")
    if isinstance(value, ast.Call):
        return (
            call_name(value.func) == "get"
            and bool(value.args)
            and bool(_PASSWORDISH.search(ast.unparse(value.args[0])))
        )
    if isinstance(value, ast.Name | ast.Attribute | ast.Subscript | ast.JoinedStr):
        return not _HASHED_NAME.search(ast.unparse(value))
    return False


def _owner_name(node: ast.expr) -> str:
    return ast.unparse(node.value) if isinstance(node, ast.Attribute) else ""


@dataclass
class _PasswordScan:
    """One walk of a module for plaintext storage/comparison and fast password hashes."""

    module: PythonModule
    passwords: PasswordModels
    found: list[tuple[str, int, str]] = field(default_factory=list)  # (rule, line, message)
    hashing: set[str] = field(default_factory=set)
    function: str = ""

    def scan(self) -> None:
        stack: list[tuple[ast.AST, str]] = [(self.module.tree, "")]
        while stack:
            node, self.function = stack.pop()
            function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            inner = getattr(node, "name", "") if function else self.function
            self.visit(node)
            stack.extend((child, inner) for child in reversed(children(node)))

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            self.call(node)
        elif isinstance(node, ast.Assign):
            self.assign(node)
        elif isinstance(node, ast.Compare):
            self.compare(node)
        elif isinstance(node, ast.ImportFrom):
            self.library(node.module or "")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self.library(alias.name)

    def library(self, name: str) -> None:
        for prefix, library in _HASH_LIBRARIES.items():
            if name == prefix or name.startswith(prefix + "."):
                self.hashing.add(library)

    def call(self, node: ast.Call) -> None:
        name = call_name(node.func)
        if name in _HASH_CALLS:
            self.hashing.add(_HASH_CALLS[name])
        elif name in ("create_user", "create_superuser") and _on_objects(node):
            self.hashing.add("django")
        self.fast_hash(node, name)
        if node.keywords:
            self.stored(node, name)

    def fast_hash(self, node: ast.Call, name: str) -> None:
        algorithm = const_arg(node) if name == "new" else name
        if algorithm not in _FAST_HASHES or "hashlib" not in self.module.source:
            return
        names = [n for arg in node.args for n in identifiers(arg)]
        if any(_PASSWORD_NAME.search(n) for n in [*names, self.function]):
            where = f" in `{self.function}`" if self.function else ""
            message = (
                f"Passwords are hashed with `{algorithm}`{where}: a fast, unsalted hash is "
                "cracked in seconds; use a password hash (argon2 or bcrypt through `pwdlib`/"
                "`passlib`, Django's `make_password`, werkzeug's `generate_password_hash`)."
            )
            self.found.append(("RB1202", node.lineno, message))

    def stored(self, node: ast.Call, name: str) -> None:
        """`User(password=data.password)`, `User.objects.create(password=pw)`, or a query that
        looks a user up by their password (`filter_by(password=pw)`)."""
        stores = name in self.passwords.models or (name == "create" and _on_objects(node))
        for kw in node.keywords:
            if kw.arg is None or not PASSWORD_FIELD.match(kw.arg) or not _is_raw(kw.value):
                continue
            given = f"{kw.arg}={self.shown(kw.value)}"
            if stores:
                call = self.shown(node.func)
                self.plaintext(
                    node.lineno, f"`{call}(..., {given})` stores the password as it came"
                )
            elif name in _LOOKUPS:
                self.plaintext(
                    node.lineno, f"`{name}({given})` looks users up by plaintext password"
                )

    def assign(self, node: ast.Assign) -> None:
        value = node.value
        for target in node.targets:
            if not (isinstance(target, ast.Attribute) and PASSWORD_FIELD.match(target.attr)):
                continue
            passwordish = isinstance(value, ast.Constant) or bool(
                _PASSWORDISH.search(ast.unparse(value))
            )
            if (
                _owner_name(target) not in ("self", "cls")
                and self.passwords.models
                and passwordish
                and _is_raw(value)
            ):
                stored = f"{self.shown(target)} = {self.shown(value)}"
                self.plaintext(node.lineno, f"`{stored}` stores the password as it came")

    def compare(self, node: ast.Compare) -> None:
        if len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq | ast.NotEq):
            left, right = node.left, node.comparators[0]
            if _plaintext_pair(left, right) or _plaintext_pair(right, left):
                self.plaintext(node.lineno, f"`{self.shown(node)}` compares passwords in plaintext")

    def shown(self, node: ast.expr) -> str:
        """The code as the learner wrote it, short; a literal password is never echoed."""
        if isinstance(node, ast.Constant):
            return '"…"'
        text = " ".join((source_text(self.module.source, node) or ast.unparse(node)).split())
        return text if len(text) <= 60 else text[:59] + "…"

    def plaintext(self, line: int, what: str) -> None:
        message = (
            f"{what}: store only a salted hash (argon2 or bcrypt through `pwdlib`/`passlib`, "
            "Django's `set_password`) and check it with the library's `verify`."
        )
        self.found.append(("RB1201", line, message))


def _is_input(given: ast.expr) -> bool:
    """What the client sent: a `password` variable, `data["password"]`, `form.password`,
    `payload.old_password` (not another stored row's `bob.password`)."""
    if isinstance(given, ast.Attribute):
        owner = _owner_name(given).split(".")[-1].lower()
        return owner in _INPUT_NAMES or owner.endswith(_INPUT_SUFFIXES)
    return isinstance(given, ast.Name | ast.Subscript | ast.Call)


def _plaintext_pair(stored: ast.expr, given: ast.expr) -> bool:
    """`user.password != data.password`: a stored password against the one sent, not a
    confirmation check (`data.password != data.password2`)."""
    if not (isinstance(stored, ast.Attribute) and PASSWORD_FIELD.match(stored.attr)):
        return False
    text = ast.unparse(given)
    return (
        _is_raw(given)
        and _is_input(given)
        and bool(_PASSWORDISH.search(text))
        and not _CONFIRMATION.search(text)
        and _owner_name(stored) != _owner_name(given)
    )


def _on_objects(node: ast.Call) -> bool:
    """`User.objects.create_user(...)`: Django's manager, which hashes the password."""
    return isinstance(node.func, ast.Attribute) and call_name(node.func.value) == "objects"


def const_arg(node: ast.Call) -> str:
    first = node.args[0] if node.args else None
    return (
        first.value.lower()
        if isinstance(first, ast.Constant) and isinstance(first.value, str)
        else ""
    )


def password_findings(
    book: Rulebook, ctx: ScanContext, passwords: PasswordModels
) -> tuple[list[Finding], set[str]]:
    findings: list[Finding] = []
    hashing: set[str] = set()
    for module in ctx.inventory.modules:
        if module.role is ModuleRole.MIGRATION:
            continue
        visitor = _PasswordScan(module, passwords)
        visitor.scan()
        if module.role is ModuleRole.APP:
            hashing |= visitor.hashing
        findings += _located(book, module, visitor.found)
    return findings, hashing


def _located(
    book: Rulebook, module: PythonModule, found: list[tuple[str, int, str]]
) -> list[Finding]:
    """App code: one finding per place. Tests and scripts (seed data): one per rule and file,
    at a lower severity, counting the places."""
    unique = list(dict.fromkeys(found))
    if module.role is ModuleRole.APP:
        seen: set[tuple[str, int]] = set()
        located = []
        for rule, line, message in unique:
            if (rule, line) not in seen:
                seen.add((rule, line))
                located.append(book.finding(rule, module.path, line, message))
        return located
    severity = Severity.INFO if module.role is ModuleRole.TEST else Severity.WARNING
    grouped: dict[str, list[tuple[int, str]]] = {}
    for rule, line, message in unique:
        grouped.setdefault(rule, []).append((line, message))
    located = []
    for rule, places in grouped.items():
        lines = sorted({line for line, _ in places})
        extra = (
            f" (also line{'s' if len(lines) > 2 else ''} {', '.join(map(str, lines[1:]))})"
            if len(lines) > 1
            else ""
        )
        located.append(
            book.finding(rule, module.path, lines[0], places[0][1] + extra, severity=severity)
        )
    return located


def is_exempt(route: Route) -> bool:
    """Routes that must be public: login, registration, tokens, webhooks, health."""
    if _EXEMPT.search(route.path) or _EXEMPT.search(route.handler):
        return True
    last = route.handler.rsplit(".", 1)[-1]
    segments = [s for s in route.path.strip("/").split("/") if s]
    users = bool(segments) and segments[-1].lower() in ("users", "accounts", "user", "account")
    return bool(_REGISTRATION.match(last)) or (route.method == "POST" and users)


def _words(path: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Z]?[a-z]+", path)}


def _closest(route: Route, protected: list[tuple[Route, set[str]]]) -> str:
    """The protected route most like this one (sharing words of its path), and its place."""
    wanted = _words(route.path)
    best = max(protected, key=lambda pair: len(wanted & pair[1]))[0]
    return f"`{best.view_class or best.handler}` ({best.handler_file}:{best.handler_line})"


def open_routes(book: Rulebook, table: RouteTable) -> tuple[list[Finding], dict[str, object]]:
    """Mutating routes nothing authenticates, while other routes of the app do."""
    judged = [r for r in table.routes if r.is_mutating and not is_exempt(r)]
    protected = [r for r in judged if r.auth]
    facts: dict[str, object] = {
        "mutating_routes": len(judged),
        "protected_mutating_routes": len(protected),
        "protected_share": round(len(protected) / len(judged), 3) if judged else None,
        "protected_routes": sum(1 for r in table.routes if r.auth),
    }
    if not any(r.auth for r in table.routes):
        return [], facts
    guarded = [(r, _words(r.path)) for r in protected or [r for r in table.routes if r.auth]]
    grouped: dict[tuple[str, int], list[Route]] = {}
    for route in judged:
        if route.auth is False:
            grouped.setdefault((route.handler_file, route.handler_line), []).append(route)
    findings = []
    for (path, line), routes in grouped.items():
        methods = "/".join(dict.fromkeys(r.method for r in routes))
        name = routes[0].view_class or routes[0].handler
        findings.append(
            book.finding(
                "RB1208",
                path,
                line,
                f"`{methods} {routes[0].path}` (`{name}`) changes data but nothing checks who "
                f"calls it, while other routes require a login: protect it the way "
                f"{_closest(routes[0], guarded)} is.",
            )
        )
    return findings, facts


class AuthAnalyzer:
    name = "auth"
    criteria = ("C12",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        table = extract_routes(ctx.inventory)
        passwords = PasswordModels.build(index_models(ctx.inventory))
        stored, hashing = password_findings(ctx.rulebook, ctx, passwords)
        tokens, token_facts = jwt_findings(ctx.rulebook, table.project)
        routes, route_facts = open_routes(ctx.rulebook, table)
        findings = sorted(stored + tokens + routes, key=lambda f: (f.path, f.line or 0, f.rule))
        facts: dict[str, object] = {
            **route_facts,
            **token_facts,
            "password_hashing": sorted(hashing),
            "stores_passwords": bool(passwords.models),
        }
        if not table.routes and not findings and not passwords.models:
            facts["not_applicable"] = {"C12": "no web routes and no authentication code found"}
        return AnalyzerOutput(tuple(findings), facts)


ANALYZER = AuthAnalyzer()


def identifiers(node: ast.AST) -> list[str]:
    """The variable and attribute names in an expression (string contents left out)."""
    return [
        n.id if isinstance(n, ast.Name) else n.attr
        for n in ast.walk(node)
        if isinstance(n, ast.Name | ast.Attribute)
    ]
