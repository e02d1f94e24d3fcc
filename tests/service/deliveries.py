"""Webhook deliveries built from the shared fixtures, with their real signatures."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("REVIEWBOT_SHARED", ROOT.parent / "shared"))
FIXTURES = SHARED / "github-fixtures"
WEBHOOKS = FIXTURES / "webhooks"
SECRET = "It's a Secret to Everybody"  # the key of index.json's precomputed signatures
INDEX: dict[str, Any] = json.loads((WEBHOOKS / "index.json").read_text(encoding="utf-8"))["files"]


def fixture_body(name: str) -> bytes:
    return (WEBHOOKS / name).read_bytes()


def fixture_payload(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(fixture_body(name))
    return payload


def headers(name: str, delivery: str, *, signature: str | None = None,
            event: str | None = None) -> dict[str, str]:
    """The headers GitHub sends with fixture `name` (its precomputed signature)."""
    entry = INDEX[name]
    sent = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "X-GitHub-Event": event or entry["x_github_event_header"],
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Hook-ID": "292430182",
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-GitHub-Hook-Installation-Target-ID": "29310",
    }
    sent["X-Hub-Signature-256"] = signature or entry["x_hub_signature_256"]
    return sent
