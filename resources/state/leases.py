"""Leases in the shared Store: who is doing a piece of work right now, across runs, processes and machines.

A lease is one row (name, owner, expiry) taken with an insert-if-absent: the first taker holds it, a second
learns who does; the holder renews it while it works and deletes it when done. A holder that crashed stops
renewing, so its lease expires and the next taker gets it: nobody waits forever on a dead process. Taking is
one transaction on SQLite (BEGIN IMMEDIATE) and on Postgres (INSERT ... ON CONFLICT locks the row), so two
takers never both win. Expiry is wall-clock time: hosts sharing a Postgres store need synchronised clocks.
Owners are named `<label>@<host>:<pid>` (`owner_name`), so a taker on the same host can tell a holder whose
process is gone (`gone`) and take its lease at once instead of waiting for it to expire.
"""

import os
import socket
import time
from dataclasses import dataclass

from resources.state.store import Store

TAKE = ("INSERT INTO aiwf_leases (name, owner, expires, acquired) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires, "
        "acquired = excluded.acquired WHERE aiwf_leases.expires < ? OR aiwf_leases.owner IN (excluded.owner, ?)")


def owner_name(label: str) -> str:
    """An owner for `label` (a run id, say) in this process: `<label>@<host>:<pid>`."""
    return f"{label}@{socket.gethostname()}:{os.getpid()}"


def owner_label(owner: str) -> str:
    """The label part of an owner name (the whole name when it has no host part)."""
    return owner.rpartition("@")[0] or owner


def gone(owner: str) -> bool:
    """Whether an owner's process is known to have ended: it ran on this host and its pid no longer exists."""
    host, _, pid = owner.rpartition("@")[2].rpartition(":")
    if "@" not in owner or host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


@dataclass(frozen=True)
class Holder:
    """Who holds a lease, and until when (epoch seconds)."""

    owner: str
    expires: float

    def seconds_left(self) -> float:
        return self.expires - time.time()


class Leases:
    """Take, renew, read and release named leases."""

    def __init__(self, store: Store):
        self.store = store

    def take(self, name: str, owner: str, ttl_s: float, replacing: str | None = None) -> Holder | None:
        """Take the lease (or renew it, when `owner` holds it already); None when taken, else the live holder.

        `replacing` names a holder known to be gone (its run finished) whose lease may be taken before expiry.
        """
        with self.store.transaction() as cur:
            return self.take_in(cur, name, owner, ttl_s, replacing)

    @staticmethod
    def take_in(cur, name: str, owner: str, ttl_s: float, replacing: str | None = None) -> Holder | None:
        """`take` inside the caller's transaction (so that what it reads next is ordered after the take)."""
        now = time.time()
        cur.execute(TAKE + " RETURNING owner", (name, owner, now + ttl_s, now, now, replacing or owner))
        if cur.fetchone() is not None:  # inserted or taken over: ours
            return None
        cur.execute("SELECT owner, expires FROM aiwf_leases WHERE name = ?", (name,))
        row = cur.fetchone()
        return None if row is None or row[0] == owner else Holder(row[0], float(row[1]))

    def holder(self, name: str) -> Holder | None:
        """The live holder of a lease (a read, no lock), or None when it is free or expired."""
        rows = self.store.execute("SELECT owner, expires FROM aiwf_leases WHERE name = ?", (name,))
        if not rows or float(rows[0][1]) < time.time():
            return None
        return Holder(rows[0][0], float(rows[0][1]))

    def renew(self, name: str, owner: str, ttl_s: float) -> bool:
        """Push the expiry out; False when the lease was lost (it expired and someone else took it)."""
        rows = self.store.execute("UPDATE aiwf_leases SET expires = ? WHERE name = ? AND owner = ? RETURNING name",
                                  (time.time() + ttl_s, name, owner))
        return bool(rows)

    def release(self, name: str, owner: str) -> None:
        """Give the lease up; a no-op when `owner` does not hold it."""
        self.store.execute("DELETE FROM aiwf_leases WHERE name = ? AND owner = ?", (name, owner))

    @staticmethod
    def release_in(cur, name: str, owner: str) -> None:
        """`release` inside the caller's transaction (committed with what it stored)."""
        cur.execute("DELETE FROM aiwf_leases WHERE name = ? AND owner = ?", (name, owner))
