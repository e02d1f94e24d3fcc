from app.core.rate_limit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_the_limit_then_says_how_long_to_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit=2, window_seconds=60, clock=clock)

    results = [limiter.hit("10.0.0.1") for _ in range(2)]
    clock.now += 15
    results.append(limiter.hit("10.0.0.1"))

    assert results == [None, None, 45.0]


def test_keys_are_counted_separately() -> None:
    limiter = RateLimiter(limit=1, window_seconds=60, clock=FakeClock())

    assert limiter.hit("10.0.0.1") is None
    assert limiter.hit("10.0.0.2") is None
    assert limiter.hit("10.0.0.1") is not None


def test_a_new_window_starts_fresh() -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit=1, window_seconds=60, clock=clock)
    limiter.hit("10.0.0.1")

    clock.now += 60

    assert limiter.hit("10.0.0.1") is None
