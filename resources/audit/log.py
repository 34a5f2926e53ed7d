"""The audit trail: an append-only, signed, hash-chained JSON Lines log under <home>/audit/.

Each line is canonical JSON holding its sequence number, the previous line's hash and its own hash over
everything else: an HMAC with the audit key when one is configured (resources/audit/keys.py), so nobody
without the key can change, insert, reorder or append a line that verifies. The first line opens the log
with a random log id, which stays with the file when a home is copied or restored elsewhere. Every line is
mirrored into `audit_events` of aiwf's Store (Postgres when configured): those are the checkpoints that
reveal a truncated, replaced or regrown log, and `anchor()` gives a (lines, head) pair to keep elsewhere.

Writers in threads and processes serialise on an fcntl lock. A torn last line (a crash mid-write) is set
aside into `audit.jsonl.torn` at the next append, never blocking later writes. Records that must commit
with a database change go through the outbox: `enqueue()` inside the caller's transaction, `flush()` after.
"""

import fcntl
import json
import os
import secrets
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from resources.audit import outbox
from resources.audit.chain import GENESIS, canonical, entry_hash, scrub
from resources.audit.keys import load_key
from resources.audit.verify import VerifyReport, verify_log
from resources.state.store import Store

OPENED = "log_opened"
_thread_lock = threading.Lock()
_held = threading.local()  # how deep this thread is inside locked(): flock is not re-entrant across handles
_UNSET: Any = object()

__all__ = ["AuditLog", "VerifyReport", "audit_event", "canonical", "entry_hash"]


class AuditLog:
    """One signed, hash-chained log file plus its Store mirror."""

    def __init__(self, store: Store, path: Path | None = None, key: bytes | None = _UNSET):
        self.path = Path(path) if path else store.home / "audit" / "audit.jsonl"
        self.store = store
        self.key = load_key() if key is _UNSET else key

    @contextmanager
    def locked(self) -> Iterator["AuditLog"]:
        """Hold the log exclusively (threads and processes) for a read-then-append sequence; re-entrant."""
        if getattr(_held, "depth", 0):
            _held.depth += 1
            try:
                yield self
            finally:
                _held.depth -= 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _thread_lock, open(self.path, "ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            _held.depth = 1
            try:
                yield self
            finally:
                _held.depth = 0
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- writing ---------------------------------------------------------------------------------
    def append(self, kind: str, payload: dict, provenance: dict | None = None) -> dict:
        """Append one event (after any records waiting in the outbox) and mirror it to the Store."""
        with self.locked():
            self._drain_outbox()
            return self._append(kind, payload, provenance)

    def enqueue(self, cur, kind: str, payload: dict, provenance: dict | None = None) -> None:
        """Queue an event inside the caller's transaction: it exists exactly when the caller's change commits,
        with a MAC made now (resources/audit/outbox.py). Call `flush()` after the commit (any later append or
        verify-time flush also writes it)."""
        outbox.queue(cur, self.key, kind, payload, provenance)

    def flush(self) -> int:
        """Write the outbox's queued events to the log (refusing any that fail their MAC); returns how many left it."""
        with self.locked():
            return self._drain_outbox()

    def _drain_outbox(self) -> int:
        return outbox.drain(self)

    def _append(self, kind: str, payload: dict, provenance: dict | None) -> dict:
        torn = self._set_aside_torn_tail()
        last = self._last_entry() or self._open()
        if torn:
            last = self._write(last, "torn_line_set_aside", torn, {})
        return self._write(last, kind, payload, provenance)

    def _open(self) -> dict:
        """The log's first line: a random id that follows the file wherever the home is copied."""
        log_id = secrets.token_hex(16)
        opening = {"log_id": log_id, "host": socket.gethostname(), "path": str(self.path.resolve())}
        self.store.execute("INSERT INTO audit_logs (log_id, host, path, created) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (log_id) DO NOTHING", (log_id, opening["host"], opening["path"], time.time()))
        return self._write(None, OPENED, opening, {})

    def _write(self, last: dict | None, kind: str, payload: dict, provenance: dict | None) -> dict:
        entry = {"seq": last["seq"] + 1 if last else 1, "ts": round(time.time(), 6), "kind": kind,
                 "payload": scrub(payload or {}), "provenance": scrub(provenance or {}),
                 "prev": last["hash"] if last else GENESIS, "keyed": self.key is not None}
        entry["hash"] = entry_hash(entry, self.key)
        line = canonical(entry)
        with open(self.path, "ab") as handle:
            handle.write(line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        log_id = payload["log_id"] if kind == OPENED else self.log_id()
        self.store.execute(
            "INSERT INTO audit_events (log, seq, ts, kind, run_id, hash, prev, line) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (log, seq) DO NOTHING",
            (log_id, entry["seq"], entry["ts"], kind, entry["provenance"].get("run_id"), entry["hash"],
             entry["prev"], line.decode()))
        return entry

    def _set_aside_torn_tail(self) -> dict | None:
        """Move a partial last line (no newline: a crash mid-write) to <log>.torn and cut it from the log."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return None
        with open(self.path, "rb+") as handle:
            end = handle.seek(0, os.SEEK_END)
            handle.seek(end - 1)
            if handle.read(1) == b"\n":
                return None
            handle.seek(0)
            data = handle.read()
            keep = data.rfind(b"\n") + 1
            with open(self.path.with_name(self.path.name + ".torn"), "ab") as aside:
                aside.write(data[keep:] + b"\n")
            handle.truncate(keep)
        return {"bytes": len(data) - keep, "at_line": data[:keep].count(b"\n") + 1,
                "set_aside_to": self.path.name + ".torn"}

    # --- reading ---------------------------------------------------------------------------------
    def entries(self) -> Iterator[dict]:
        if not self.path.exists():
            return
        with open(self.path, "rb") as handle:
            for raw in handle:
                if raw.endswith(b"\n"):  # a torn last line is not an entry
                    yield json.loads(raw)

    def for_run(self, run_id: str) -> list[dict]:
        return [e for e in self.entries() if e.get("provenance", {}).get("run_id") == run_id]

    def log_id(self) -> str | None:
        """The id in the log's opening line (None for an empty log)."""
        first = next(self.entries(), None)
        if first is None:
            return None
        if first.get("kind") == OPENED:
            return first["payload"]["log_id"]
        return f"{socket.gethostname()}:{self.path.resolve()}"  # a log written before logs had ids

    def anchor(self) -> dict:
        """(lines, head hash) to keep outside this machine; `verify(anchor=...)` checks the log still has it."""
        with self.locked():
            last = self._last_entry()
        return {"log_id": self.log_id(), "lines": last["seq"] if last else 0, "head": last["hash"] if last else None}

    def verify(self, anchor: str | None = None) -> VerifyReport:
        """Re-derive every hash and link, then hold the log against its checkpoints in the Store (and `anchor`)."""
        with self.locked():  # never read a line a writer is halfway through
            data = self.path.read_bytes() if self.path.exists() else b""
        return verify_log(data, self, anchor)

    def _last_entry(self) -> dict | None:
        """The last complete line, read backwards from the end so appends stay O(1) as the log grows."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return None
        with open(self.path, "rb") as handle:
            end = handle.seek(0, os.SEEK_END)
            chunk, pos = b"", end
            while pos > 0 and chunk.count(b"\n") < 2:
                step = min(65536, pos)
                pos -= step
                handle.seek(pos)
                chunk = handle.read(step) + chunk
        complete = [line for line in chunk.split(b"\n")[:-1] if line]  # a torn tail has no newline: left out
        return json.loads(complete[-1]) if complete else None


def audit_event(store: Store, kind: str, payload: dict, provenance: dict | None = None) -> dict:
    """Append one event to the audit log of `store`'s home (safe from any thread or process)."""
    return AuditLog(store).append(kind, payload, provenance)
