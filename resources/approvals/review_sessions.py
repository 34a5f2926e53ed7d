"""Review sessions kept server-side in aiwf's Store, so every app process shares them and logout really ends one.

The cookie carries only a random id; the table keeps its SHA-256 (a database reader gets no usable cookie), the
keyed reference of the token entry it was opened with, its CSRF token, and when it was opened and last used.
A session ends at logout, after `idle_s` without a request, or `max_s` after login, whichever comes first.
"""

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from resources.state.store import Store

MAX_ID_LENGTH = 128


@dataclass(frozen=True)
class Session:
    """One logged-in browser: the token entry it stands for and the CSRF token its forms must carry."""

    id: str
    token_ref: str
    csrf: str


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """Open, look up (sliding the idle deadline) and revoke sessions in the `review_sessions` table."""

    def __init__(self, store: Store, idle_s: float, max_s: float, clock: Callable[[], float] = time.time):
        self.store, self.idle_s, self.max_s, self.clock = store, idle_s, max_s, clock
        self.touch_s = min(30.0, idle_s / 10)  # write last_seen at most this often per session

    def server_key(self) -> bytes:
        """The key every process of this Store shares when AIWF_REVIEW_SECRET is not set (made on first use)."""
        self.store.execute("INSERT INTO review_keys (name, value) VALUES ('hmac', ?) ON CONFLICT (name) DO NOTHING",
                           (secrets.token_hex(32),))
        return bytes.fromhex(self.store.query("SELECT value FROM review_keys WHERE name = 'hmac'")[0]["value"])

    def open(self, token_ref: str) -> Session:
        now = self.clock()
        self.store.execute("DELETE FROM review_sessions WHERE last_seen < ? OR created_at < ?",
                           (now - self.idle_s, now - self.max_s))
        session = Session(secrets.token_urlsafe(32), token_ref, secrets.token_urlsafe(32))
        self.store.execute(
            "INSERT INTO review_sessions (id_hash, token_ref, csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?)",
            (_digest(session.id), token_ref, session.csrf, now, now))
        return session

    def get(self, session_id: str) -> Session | None:
        """The live session with this id, or None; an expired one is deleted on the way."""
        if not session_id or len(session_id) > MAX_ID_LENGTH:
            return None
        rows = self.store.query("SELECT * FROM review_sessions WHERE id_hash = ?", (_digest(session_id),))
        if not rows:
            return None
        row, now = rows[0], self.clock()
        if now - row["last_seen"] >= self.idle_s or now - row["created_at"] >= self.max_s:
            self.revoke(session_id)
            return None
        if now - row["last_seen"] >= self.touch_s:
            self.store.execute("UPDATE review_sessions SET last_seen = ? WHERE id_hash = ?", (now, row["id_hash"]))
        return Session(session_id, row["token_ref"], row["csrf"])

    def revoke(self, session_id: str) -> None:
        self.store.execute("DELETE FROM review_sessions WHERE id_hash = ?", (_digest(session_id),))
