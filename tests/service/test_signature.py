"""The webhook signature: GitHub's documented test vector and the fixtures' signatures."""

from __future__ import annotations

import json

import pytest

from reviewbot.service.webhooks import sign, verify_signature
from tests.service.deliveries import FIXTURES, INDEX, SECRET, fixture_body


def test_documented_vector_passes() -> None:
    vector = json.loads((FIXTURES / "signature-vector.json").read_text(encoding="utf-8"))
    case = vector["test_vector"]
    body = case["payload"].encode(case["payload_encoding"])
    assert sign(case["secret"], body) == case["expected_x_hub_signature_256"]
    assert verify_signature(case["secret"], body, case["expected_x_hub_signature_256"])


@pytest.mark.parametrize("name", sorted(INDEX))
def test_every_fixture_signature_verifies(name: str) -> None:
    assert verify_signature(SECRET, fixture_body(name), INDEX[name]["x_hub_signature_256"])


@pytest.mark.parametrize("header", [
    None, "", "sha256=", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59",
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18",
    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17",
    "sha256=ünïcode",
])
def test_bad_signatures_fail(header: str | None) -> None:
    assert not verify_signature(SECRET, b"Hello, World!", header)


def test_signature_is_over_the_exact_bytes() -> None:
    header = sign(SECRET, b"Hello, World!")
    assert not verify_signature(SECRET, b"Hello, World! ", header)
    assert not verify_signature("another secret", b"Hello, World!", header)
