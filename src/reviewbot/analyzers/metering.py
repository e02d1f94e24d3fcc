"""What each analyzer's run costs, and the slots that bound how many tool processes run at once.

The scheduler gives every analyzer a Meter and makes it current (a context variable) in the
thread that runs it; `run_tool` finds it there, waits for a subprocess slot through it and
records each process's CPU time and peak RSS into it. Analyzers run outside a scheduler (a
test calling `analyzer.run(ctx)`) have no Meter: nothing is bounded or measured.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from reviewbot.analyzers.base import ToolTimeoutError


class Slots:
    """At most `size` tool processes at once across one scan.

    Waiting runs are admitted by priority (lower first: the scheduler numbers analyzers
    slowest first), then in arrival order, so the slowest tool is never queued behind a
    faster one's batches. Analyzers announced with `expect` but not yet asking (mypy
    planning its runs) keep a slot free for themselves from lower priorities.
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._busy = 0
        self._waiting: list[tuple[int, int]] = []
        self._expected: set[int] = set()
        self._tickets = itertools.count()
        self._condition = threading.Condition()

    def expect(self, priority: int) -> None:
        """An analyzer of this priority will soon ask for a slot."""
        with self._condition:
            self._expected.add(priority)

    def forget(self, priority: int) -> None:
        """That analyzer is over: it will ask for no (more) slots."""
        with self._condition:
            self._expected.discard(priority)
            self._condition.notify_all()

    def _may_go(self, ticket: tuple[int, int]) -> bool:
        ahead = sum(1 for p in self._expected if p < ticket[0])
        return self._waiting[0] == ticket and self.size - self._busy > ahead

    @contextmanager
    def hold(self, priority: int, deadline: float | None, tool: str) -> Iterator[float]:
        """Hold one slot; yields the seconds waited for it. Past `deadline` (a monotonic
        instant) the wait gives up with ToolTimeoutError."""
        ticket = (priority, next(self._tickets))
        began = time.monotonic()
        with self._condition:
            heapq.heappush(self._waiting, ticket)
            self._expected.discard(priority)
            try:
                while not self._may_go(ticket):
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        raise ToolTimeoutError(f"{tool} ran out of time waiting for a free core")
                    self._condition.wait(left)
            except BaseException:
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)
                self._condition.notify_all()
                raise
            heapq.heappop(self._waiting)
            self._busy += 1
            self._condition.notify_all()  # the next in line may fit too
        try:
            yield time.monotonic() - began
        finally:
            with self._condition:
                self._busy -= 1
                self._condition.notify_all()


class Meter:
    """One analyzer's running totals: its tool processes' CPU and peak RSS, its waits."""

    def __init__(self, priority: int = 0, slots: Slots | None = None) -> None:
        self.priority = priority
        self.slots = slots
        self.cpu = 0.0
        self.peak_rss: int | None = None
        self.waited = 0.0
        self.processes = 0
        self._lock = threading.Lock()

    def record(self, cpu: float, peak_rss: int | None) -> None:
        """One finished tool process: its user+sys seconds and peak RSS in bytes."""
        with self._lock:
            self.cpu += cpu
            self.processes += 1
            if peak_rss is not None:
                self.peak_rss = max(self.peak_rss or 0, peak_rss)

    def add_wait(self, seconds: float) -> None:
        with self._lock:
            self.waited += seconds

    @contextmanager
    def slot(self, deadline: float | None, tool: str) -> Iterator[None]:
        """A subprocess slot when the scheduler bounds them; at once otherwise."""
        if self.slots is None:
            yield
            return
        with self.slots.hold(self.priority, deadline, tool) as waited:
            self.add_wait(waited)
            yield


_CURRENT: contextvars.ContextVar[Meter | None] = contextvars.ContextVar(
    "reviewbot_meter", default=None
)


def current_meter() -> Meter | None:
    """The Meter of the analyzer running in this thread, if a scheduler gave it one."""
    return _CURRENT.get()


@contextmanager
def metered(meter: Meter) -> Iterator[Meter]:
    """Make `meter` current for the code run inside."""
    token = _CURRENT.set(meter)
    try:
        yield meter
    finally:
        _CURRENT.reset(token)

