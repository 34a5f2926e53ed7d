"""Failed-login throttling for the review app: at most `limit` wrong tokens per source in a sliding window.

The bucket is the client address alone: a flood from elsewhere never locks a valid token out (a bucket per token
prefix would let anyone who guesses the first characters do that), and tokens are random, so many addresses
guessing one token gain nothing worth a shared bucket. An attempt is reserved (counted as a failure) before the
token is checked, atomically with the test of the limit, so concurrent guesses cannot all pass the test first;
a right token gives its reservation back. Kept in memory, per process: a one-minute window loses nothing that
matters on restart, an attack writes nothing to the database, and no address is stored; with several app
processes the limit applies per process (put a proxy limit in front for more).
"""

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

MAX_BUCKETS = 100_000  # bounded memory under an attack from many addresses


def buckets(client: str, token: str = "") -> list[str]:
    """The throttle buckets one attempt counts against: its source only (`token` is not used)."""
    return [f"addr:{client}"]


class Throttle:
    """Sliding-window failure counts; `reserve` tests and counts an attempt in one step."""

    def __init__(self, limit: int = 10, window_s: float = 60.0, clock: Callable[[], float] = time.time):
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, keys: Iterable[str]) -> int:
        """Seconds until every bucket in `keys` takes another attempt (0: go ahead)."""
        with self._lock:
            return self._wait(list(keys), self.clock())

    def reserve(self, keys: Iterable[str]) -> tuple[int, float | None]:
        """(seconds to wait, None) when a bucket is full; else (0, stamp) with the attempt already counted as a
        failure, to be given back with `forgive(keys, stamp)` if the token turns out right."""
        keys, now = list(keys), self.clock()
        with self._lock:
            wait = self._wait(keys, now)
            if wait:
                return wait, None
            self._record(keys, now)
        return 0, now

    def forgive(self, keys: Iterable[str], stamp: float) -> None:
        """Take back one reserved attempt (the token was right)."""
        with self._lock:
            for key in keys:
                times = self._failures.get(key)
                if times and stamp in times:
                    times.remove(stamp)

    def _wait(self, keys: list[str], now: float) -> int:
        wait = 0.0
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
        with self._lock:
            self._record(list(keys), self.clock())

    def _record(self, keys: list[str], now: float) -> None:
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
