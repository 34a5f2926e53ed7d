"""A circuit breaker: stop calling a service that keeps failing, probe it after a cooldown, resume on success."""

import threading
import time
from typing import Callable

from resources.connectors.errors import CircuitOpenError

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    """closed → open after `failure_threshold` consecutive failures → half_open after `cooldown_s` (one probe)
    → closed when the probe succeeds, open again when it fails."""

    def __init__(self, failure_threshold: int = 5, cooldown_s: float = 30.0, clock: Callable[[], float] = time.monotonic):
        if failure_threshold < 1 or cooldown_s < 0:
            raise ValueError("failure_threshold must be >= 1 and cooldown_s >= 0")
        self.failure_threshold, self.cooldown_s, self._clock = failure_threshold, cooldown_s, clock
        self._lock = threading.Lock()
        self._state, self._failures, self._opened_at, self._probing = CLOSED, 0, 0.0, False
        self.transitions: list[tuple[str, str]] = []  # (from, to), for metadata and tests

    @property
    def state(self) -> str:
        with self._lock:
            return self._current()

    def before_call(self) -> None:
        """Let a call through, or raise CircuitOpenError (open, or half-open with its one probe already out)."""
        with self._lock:
            state = self._current()
            if state == OPEN:
                wait = self.cooldown_s - (self._clock() - self._opened_at)
                raise CircuitOpenError(f"circuit open after {self._failures} consecutive failures; retry in {wait:.1f}s")
            if state == HALF_OPEN:
                if self._probing:
                    raise CircuitOpenError("circuit half-open: a probe request is already in flight")
                self._probing = True

    def record_success(self) -> None:
        with self._lock:
            self._probing, self._failures = False, 0
            self._move(CLOSED)

    def record_failure(self) -> None:
        with self._lock:
            state = self._current()
            self._failures += 1
            self._probing = False
            if state == HALF_OPEN or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
                self._move(OPEN)

    def _current(self) -> str:
        if self._state == OPEN and self._clock() - self._opened_at >= self.cooldown_s:
            self._move(HALF_OPEN)
        return self._state

    def _move(self, new: str) -> None:
        if new != self._state:
            self.transitions.append((self._state, new))
            self._state = new


_breakers: dict[str, CircuitBreaker] = {}
_registry_lock = threading.Lock()


def breaker_for(name: str, failure_threshold: int = 5, cooldown_s: float = 30.0) -> CircuitBreaker:
    """The process-wide breaker of one service, shared by every connector that talks to it."""
    with _registry_lock:
        if name not in _breakers:
            _breakers[name] = CircuitBreaker(failure_threshold, cooldown_s)
        return _breakers[name]
