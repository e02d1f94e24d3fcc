"""A small fixed-window rate limiter for endpoints that attract brute force."""

import threading
import time
from collections.abc import Callable

_MAX_TRACKED_KEYS = 10_000


class RateLimiter:
    """Allows `limit` hits per key in each window of `window_seconds`.

    In-process state: good for one worker. Several workers or hosts would share the
    counters in Redis instead.
    """

    def __init__(
        self,
        limit: int,
        window_seconds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def _forget_expired(self, now: float) -> None:
        expired = [
            key
            for key, (started, _) in self._windows.items()
            if now - started >= self._window
        ]
        for key in expired:
            del self._windows[key]

    def hit(self, key: str) -> float | None:
        """Count one hit; None if allowed, else the seconds until the key may retry."""
        now = self._clock()
        with self._lock:
            # Bound memory: one entry per recent client, not per client ever seen.
            if len(self._windows) >= _MAX_TRACKED_KEYS:
                self._forget_expired(now)
            started, count = self._windows.get(key, (now, 0))
            if now - started >= self._window:
                started, count = now, 0
            if count >= self._limit:
                return self._window - (now - started)
            self._windows[key] = (started, count + 1)
            return None
