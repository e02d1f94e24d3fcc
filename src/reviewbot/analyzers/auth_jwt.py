"""JWT handling (C12): literal signing secrets, a verify secret that differs from the signing
one, verification switched off, no `algorithms=` on decode, tokens without an expiry.

Reads PyJWT (`jwt.encode/decode`, `from jwt import encode`), python-jose (`from jose import
jwt`) and authlib (`jwt.encode(header, payload, key)`) calls in the project's own modules."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from reviewbot.analyzers.auth_secrets import Secret, Secrets
from reviewbot.analyzers.route_index import (
    FunctionNode,
    ModuleIndex,
    ProjectIndex,
    const_str,
    keyword,
    walk_body,
)
from reviewbot.model import Finding, Severity
from reviewbot.rulebook import Rulebook
from reviewbot.secrets_mask import mask_secret

_JWT_MODULES = frozenset({"jwt", "jose.jwt", "jwt.api_jwt", "authlib.jose.jwt"})
_LIBRARIES = frozenset({"jwt", "jose", "authlib"})
# Asymmetric algorithms verify with a public key that differs from the signing key.
_ASYMMETRIC = ("RS", "ES", "PS", "Ed")
_HINT_EXP = '`"exp": datetime.now(UTC) + timedelta(minutes=30)`'


@dataclass(frozen=True)
class TokenCall:
    """One `jwt.encode`/`jwt.decode` call with the function it is in."""

    index: ModuleIndex
    call: ast.Call
    kind: str  # "encode" | "decode"
    function: FunctionNode | None

    def argument(self, position: int, name: str) -> ast.expr | None:
        # authlib's `jwt.encode({"alg": ...}, payload, key)` puts the header first
        first = self.call.args[0] if self.call.args else None
        authlib = (
            self.kind == "encode"
            and isinstance(first, ast.Dict)
            and any(k is not None and const_str(k) == "alg" for k in first.keys)
        )
        position += authlib
        args = self.call.args
        return args[position] if len(args) > position else keyword(self.call, name)

    @property
    def payload(self) -> ast.expr | None:
        return self.argument(0, "payload")

    @property
    def key(self) -> ast.expr | None:
        return self.argument(1, "key")

    @property
    def where(self) -> str:
        return f"`jwt.{self.kind}` ({self.index.path}:{self.call.lineno})"


def _token_kind(index: ModuleIndex, call: ast.Call) -> str | None:
    """ "encode"/"decode" for a call of PyJWT, python-jose or authlib, else None."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("encode", "decode"):
        owner = ast.unparse(func.value)
        origin = index.imports.get(owner.split(".")[0])
        library = origin is not None and origin[0].split(".")[0] in _LIBRARIES
        return func.attr if library and owner.endswith("jwt") else None
    if isinstance(func, ast.Name):
        origin = index.imports.get(func.id)
        if origin is not None and origin[0] in _JWT_MODULES and origin[1] in ("encode", "decode"):
            return origin[1]
    return None


def token_calls(project: ProjectIndex) -> list[TokenCall]:
    found: list[TokenCall] = []
    for index in project:
        if "jwt" not in index.module.source:
            continue
        inside: set[int] = set()
        for fn in index.all_functions:
            for node in walk_body(fn):
                if isinstance(node, ast.Call) and (kind := _token_kind(index, node)):
                    found.append(TokenCall(index, node, kind, fn))
                    inside.add(id(node))
        for call in index.calls:
            kind = _token_kind(index, call)
            if kind and id(call) not in inside:
                found.append(TokenCall(index, call, kind, None))
    return found


def _algorithms(call: ast.Call) -> ast.expr | None:
    found = keyword(call, "algorithms") or keyword(call, "algorithm")
    return found or (call.args[2] if len(call.args) > 2 else None)


def _none_algorithm(call: ast.Call) -> str | None:
    algorithms = _algorithms(call)
    items = getattr(algorithms, "elts", [algorithms]) if algorithms is not None else []
    if any((const_str(item) or "").lower() == "none" for item in items):
        return 'the "none" algorithm'
    return None


def unverified(call: ast.Call) -> str | None:
    """Why a decode does not verify the signature, or None."""
    options = keyword(call, "options")
    if isinstance(options, ast.Dict):
        for key, value in zip(options.keys, options.values, strict=True):
            off = isinstance(value, ast.Constant) and value.value is False
            if key is not None and const_str(key) == "verify_signature" and off:
                return '`options={"verify_signature": False}`'
    verify = keyword(call, "verify")
    if isinstance(verify, ast.Constant) and verify.value is False:
        return "`verify=False`"
    return _none_algorithm(call)


def payload_literal(call: TokenCall) -> ast.Dict | None:
    """The claims dict literal: inline, or assigned to the variable in the same function."""
    payload = call.payload
    if isinstance(payload, ast.Dict):
        return payload
    if isinstance(payload, ast.Name) and call.function is not None:
        for node in walk_body(call.function):
            named = isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == payload.id for t in node.targets
            )
            if named and isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                return node.value
    return None


def expires(call: TokenCall) -> bool | None:
    """Whether the signed claims get an `exp`; None when they come from elsewhere."""
    literal = payload_literal(call)
    if literal is None or None in literal.keys:  # not ours to see, or `{**claims}`
        return None
    if call.function is None or isinstance(call.payload, ast.Dict):
        return "exp" in {const_str(k) for k in literal.keys if k is not None}
    # `claims["exp"] = ...`, `claims.update({"exp": ...})`, `update(exp=...)` in the function
    return any(
        (isinstance(node, ast.Constant) and node.value == "exp")
        or (isinstance(node, ast.keyword) and node.arg == "exp")
        for node in walk_body(call.function)
    )


class _Report:
    def __init__(self, book: Rulebook) -> None:
        self.book = book
        self.found: dict[tuple[str, str, int], Finding] = {}

    def add(
        self, rule: str, path: str, line: int, message: str, severity: Severity | None = None
    ) -> None:
        self.found.setdefault(
            (rule, path, line), self.book.finding(rule, path, line, message, severity=severity)
        )

    def literal(self, secret: Secret, used_by: str) -> None:
        masked = mask_secret(secret.literal or "")
        if secret.fallback:
            self.add(
                "RB1203",
                secret.path,
                secret.line,
                f"The JWT secret used by {used_by} falls back to the literal `{masked}` when the "
                "variable is unset: require it from the environment (no default).",
                Severity.WARNING,
            )
            return
        self.add(
            "RB1203",
            secret.path,
            secret.line,
            f"The JWT secret used by {used_by} is the literal `{masked}` in code: anyone who reads "
            "the repo can forge tokens; load it from the environment (a settings field with no "
            "default).",
        )

    def call(self, call: TokenCall) -> None:
        line = call.call.lineno
        if call.kind == "decode":
            reason = unverified(call.call)
            if reason is not None:
                self.add(
                    "RB1205",
                    call.index.path,
                    line,
                    f"`jwt.decode` runs with {reason}: any forged token is accepted; verify the "
                    'signature with your secret and `algorithms=["HS256"]`.',
                )
            elif _algorithms(call.call) is None:
                self.add(
                    "RB1206",
                    call.index.path,
                    line,
                    "`jwt.decode` has no `algorithms=`: pin the algorithm you sign with "
                    '(`algorithms=["HS256"]`) so a token cannot choose its own.',
                )
            return
        reason = _none_algorithm(call.call)
        if reason is not None:
            self.add(
                "RB1205",
                call.index.path,
                line,
                f"`jwt.encode` signs with {reason}: such tokens carry no signature at all; sign "
                "with HS256 and a secret.",
            )
        if expires(call) is False:
            literal = payload_literal(call)
            self.add(
                "RB1207",
                call.index.path,
                literal.lineno if literal is not None else line,
                f"The claims signed at line {line} have no `exp`: the token never expires; add "
                f"{_HINT_EXP}.",
            )


def _shown(canonical: str) -> str:
    kind, _, value = canonical.partition(":")
    if kind == "lit":
        return f"the literal `{mask_secret(value)}`"
    if kind == "env":
        return f"the `{value}` environment variable"
    return f"`{value}`"


def _mismatches(report: _Report, calls: list[TokenCall], keys: dict[int, Secret | None]) -> None:
    """Decode calls whose (symmetric) secret is none of the ones tokens are signed with."""
    signed = [keys[id(c.call)] for c in calls if c.kind == "encode"]
    if not signed or any(s is None for s in signed):
        return  # a signing key we cannot follow: nothing to compare with
    signing = {s.canonical for s in signed if s is not None}
    used = ", ".join(sorted(_shown(s) for s in signing))
    for call in calls:
        secret = keys[id(call.call)]
        algorithms = ast.unparse(_algorithms(call.call) or ast.Constant(""))
        if call.kind != "decode" or secret is None or secret.canonical in signing:
            continue
        secretish = secret.literal or any(w in secret.canonical.lower() for w in ("secret", "key"))
        if not secretish or any(a in algorithms for a in _ASYMMETRIC):
            continue
        report.add(
            "RB1204",
            call.index.path,
            call.call.lineno,
            f"`jwt.decode` verifies with {_shown(secret.canonical)} but tokens are signed with "
            f'{used}: valid tokens are rejected (and switching verification off to "fix" it '
            "lets anyone forge one); use the same secret setting for both.",
        )


def jwt_findings(book: Rulebook, project: ProjectIndex) -> tuple[list[Finding], dict[str, object]]:
    """Findings on every token call of the project, and how many there are."""
    calls = token_calls(project)
    secrets = Secrets(project)
    report = _Report(book)
    keys = {id(c.call): secrets.resolve(c.index, c.key) for c in calls}
    for call in calls:
        secret = keys[id(call.call)]
        if secret is not None and secret.literal:
            report.literal(secret, call.where)
        report.call(call)
    for library, secret in secrets.library_keys():
        report.literal(secret, f"`{library}`")
    _mismatches(report, calls, keys)
    return list(report.found.values()), {"jwt_calls": len(calls)}
