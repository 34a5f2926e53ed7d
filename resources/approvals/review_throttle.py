"""Failed-login throttling for the review app: at most `limit` wrong tokens per bucket in a sliding window.

Buckets are the client address and the first characters of the token tried, so one address cannot guess
quickly and many addresses cannot pile onto one token. Kept in memory, per process: a one-minute window loses
nothing that matters on restart, an attack writes nothing to the database, and no address or token prefix is
stored; with several app processes the limit applies per process (put a proxy limit in front for more).
Tokens should be random from their first character: a fixed prefix shared by all tokens would be one bucket.
"""

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

PREFIX_CHARS = 4
MAX_BUCKETS = 100_000  # bounded memory under an attack from many addresses


def buckets(client: str, token: str) -> list[str]:
    """The throttle buckets one attempt counts against."""
    return [f"addr:{client}", f"prefix:{token[:PREFIX_CHARS]}"]


class Throttle:
    """Sliding-window failure counts; `retry_after` says how long a bucket that is full must wait."""

    def __init__(self, limit: int = 10, window_s: float = 60.0, clock: Callable[[], float] = time.time):
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, keys: Iterable[str]) -> int:
        """Seconds until every bucket in `keys` takes another attempt (0: go ahead)."""
        now, wait = self.clock(), 0.0
        with self._lock:
            for key in keys:
                times = self._failures.get(key)
                if not times:
                    continue
                while times and times[0] <= now - self.window_s:
                    times.popleft()
                if len(times) >= self.limit:
                    wait = max(wait, times[-self.limit] + self.window_s - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, keys: Iterable[str]) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= MAX_BUCKETS:
                self._forget(now)
            for key in keys:
                times = self._failures.setdefault(key, deque(maxlen=self.limit * 2))
                times.append(now)

    def _forget(self, now: float) -> None:
        """Drop buckets with no failure in the window; if that is not enough, the oldest half."""
        self._failures = {k: t for k, t in self._failures.items() if t and t[-1] > now - self.window_s}
        if len(self._failures) >= MAX_BUCKETS:
            keep = sorted(self._failures.items(), key=lambda kv: kv[1][-1])[MAX_BUCKETS // 2:]
            self._failures = dict(keep)
