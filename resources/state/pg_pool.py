"""Postgres connections for the Store: a small per-process pool that survives forks, restarts and deadlocks.

Why not psycopg2.pool: its pools raise instead of waiting when exhausted, know nothing of fork (a child
must never close or reuse its parent's sockets) and hand back connections the server already dropped.
"""

import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator

# Connections a forked child inherited: kept referenced so garbage collection never closes them, which
# would send a terminate message on the socket the parent is still using.
_INHERITED: list = []
# Connection errors a wait does not cure: the store fails at once instead of waiting AIWF_INFRA_WAIT_S.
_NOT_A_BLIP = ("authentication failed", "does not exist", "no password supplied", "invalid dsn")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


class PgPool:
    """At most AIWF_PG_POOL_SIZE connections per process (default 8); callers wait up to
    AIWF_PG_POOL_TIMEOUT_S (default 30) for a free one; idle connections older than 10 minutes are replaced."""

    MAX_IDLE_S = 600

    def __init__(self, url: str):
        self.url = url
        self.size = max(1, _env_int("AIWF_PG_POOL_SIZE", 8))
        self.wait_s = _env_int("AIWF_PG_POOL_TIMEOUT_S", 30)
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.pid = os.getpid()
        self._idle: list[tuple[float, object]] = []
        self._slots = threading.BoundedSemaphore(self.size)

    def _connect(self):
        import psycopg2

        try:
            return psycopg2.connect(
                self.url, connect_timeout=10, application_name="aiwf",
                keepalives=1, keepalives_idle=60, keepalives_interval=10, keepalives_count=3,
            )
        except psycopg2.OperationalError as exc:  # nothing was sent: safe to try again once the server is back
            exc.aiwf_retryable = not any(s in str(exc) for s in _NOT_A_BLIP)
            raise

    @contextmanager
    def connection(self) -> Iterator[tuple[object, bool]]:
        """A connection for one transaction and whether it was reused from the pool (it may be stale)."""
        with self._lock:
            if self.pid != os.getpid():  # we are a forked child: the parent's connections are not ours
                _INHERITED.extend(conn for _, conn in self._idle)
                self._reset()
            slots = self._slots
        if not slots.acquire(timeout=self.wait_s):
            raise TimeoutError(
                f"all {self.size} Postgres connections of this process stayed busy for {self.wait_s}s "
                "(raise AIWF_PG_POOL_SIZE or look for a transaction left open)"
            )
        try:
            conn, reused = self._take()
            try:
                yield conn, reused
            finally:
                self._give_back(conn)
        finally:
            slots.release()

    def _take(self) -> tuple[object, bool]:
        now = time.monotonic()
        with self._lock:
            while self._idle:
                since, conn = self._idle.pop()
                if now - since < self.MAX_IDLE_S and not conn.closed:
                    return conn, True
                conn.close()
        return self._connect(), False

    def _give_back(self, conn) -> None:
        from psycopg2.extensions import TRANSACTION_STATUS_IDLE

        if conn.closed:
            return
        if conn.get_transaction_status() != TRANSACTION_STATUS_IDLE or os.getpid() != self.pid:
            conn.close()  # never pool a connection left mid-transaction
            return
        with self._lock:
            self._idle.append((time.monotonic(), conn))

    def close(self) -> None:
        """Close the idle connections (those in use close when handed back to a closed pool's owner)."""
        with self._lock:
            if self.pid == os.getpid():
                for _, conn in self._idle:
                    conn.close()
            self._idle.clear()
