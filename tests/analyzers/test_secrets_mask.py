from __future__ import annotations

import pytest

from reviewbot.secrets_mask import mask_secret


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("sk-proj-abcd...9XQz", "sk-p…9XQz"),
        ("sk-proj-abcd1234efgh5678ijkl9XQz", "sk-p…9XQz"),
        ("", "••••"),
        ("a", "••••"),
        ("hunter2", "••••"),
        ("12345678", "••••"),
        ("123456789", "12…89"),
        ("django-insecure1", "dj…e1"),  # 16 characters
        ("django-insecure12", "djan…re12"),  # 17 characters
    ],
)
def test_masks_secret(value: str, masked: str) -> None:
    assert mask_secret(value) == masked


@pytest.mark.parametrize("length", range(0, 64))
def test_never_shows_half_of_the_value(length: int) -> None:
    value = "".join(chr(ord("a") + i % 26) for i in range(length))
    shown = mask_secret(value).replace("…", "").replace("•", "")
    assert len(shown) * 2 < max(length, 1)
