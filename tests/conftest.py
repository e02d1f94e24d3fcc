"""Every test gets a result cache of its own: nothing is written to the user's cache folder,
and no test is served results another test computed (which could hide a bug)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_result_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWBOT_CACHE_DIR", str(tmp_path_factory.mktemp("reviewbot-cache")))
