"""The audit trail: an append-only, hash-chained JSON Lines log under $AIWF_HOME/audit/.

Each line is canonical JSON holding its sequence number, the previous line's hash and its own hash over
everything else, so changing, adding or removing any byte breaks `verify()`. Every event is mirrored into the
`audit_events` table of aiwf's Store (Postgres when AIWF_PG_URL is set), which also lets verify notice a
truncated file. Anyone may call `audit_event(store, kind, payload, provenance)`; writers in threads and processes
serialise on an fcntl lock. Kinds in use: model_call, check, approval_requested, approval_decision, side_effect.
"""

import fcntl
import hashlib
import json
import os
import re
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from resources.state.store import Store

GENESIS = "0" * 64
SCHEMA = [
    """CREATE TABLE IF NOT EXISTS audit_events (
        log TEXT NOT NULL, seq INTEGER NOT NULL, ts {float} NOT NULL, kind TEXT NOT NULL, run_id TEXT,
        hash TEXT NOT NULL, prev TEXT NOT NULL, line TEXT NOT NULL, PRIMARY KEY (log, seq))""",
    "CREATE INDEX IF NOT EXISTS audit_events_run ON audit_events (run_id)",
    "CREATE TABLE IF NOT EXISTS audit_sync (source TEXT PRIMARY KEY, position INTEGER NOT NULL)",
]
_SECRET_KEY = re.compile(r"(?i)(?:^|[_-])(?:secret|token|password|passwd|api_?key|apikey|authorization|"
                         r"credentials?|access_?key|private_?key)$")  # "tokens_in" is a count, not a secret
_thread_lock = threading.Lock()
_held = threading.local()  # how deep this thread is inside locked(): flock is not re-entrant across handles


def canonical(obj: Any) -> bytes:
    """The one byte form of an entry: sorted keys, no spaces, UTF-8; what is hashed and what is written."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(entry: dict) -> str:
    return hashlib.sha256(canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


def scrub(value: Any) -> Any:
    """Secrets never reach the audit log: values under secret-like keys and token-shaped strings are masked."""
    if isinstance(value, dict):
        return {k: "[REDACTED]" if _SECRET_KEY.search(str(k)) else scrub(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        from resources.safety.pii import redact_secrets

        return redact_secrets(value)
    return value


@dataclass
class VerifyReport:
    """The outcome of verify(): ok, how many lines were checked, and the first problem found."""

    ok: bool
    lines: int
    problem: str | None = None
    line_no: int | None = None


class AuditLog:
    """One hash-chained log file plus its Store mirror."""

    def __init__(self, store: Store, path: Path | None = None):
        self.path = Path(path) if path else store.home / "audit" / "audit.jsonl"
        self.store = store
        self.store.migrate("audit", SCHEMA)
        self.log_id = f"{socket.gethostname()}:{self.path.resolve()}"  # several hosts may share one Postgres

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

    def append(self, kind: str, payload: dict, provenance: dict | None = None) -> dict:
        """Append one event and mirror it to the Store; the chain head is read under the lock."""
        with self.locked():
            return self._append(kind, payload, provenance)

    def _append(self, kind: str, payload: dict, provenance: dict | None) -> dict:
        last = self._last_entry()
        entry = {"seq": last["seq"] + 1 if last else 1, "ts": round(time.time(), 6), "kind": kind,
                 "payload": scrub(payload or {}), "provenance": scrub(provenance or {}),
                 "prev": last["hash"] if last else GENESIS}
        entry["hash"] = entry_hash(entry)
        line = canonical(entry)
        with open(self.path, "ab") as handle:
            handle.write(line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.store.execute(
            "INSERT INTO audit_events (log, seq, ts, kind, run_id, hash, prev, line) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (log, seq) DO NOTHING",
            (self.log_id, entry["seq"], entry["ts"], kind, entry["provenance"].get("run_id"), entry["hash"],
             entry["prev"], line.decode()))
        return entry

    def entries(self) -> Iterator[dict]:
        if not self.path.exists():
            return
        with open(self.path, "rb") as handle:
            for raw in handle:
                yield json.loads(raw)

    def for_run(self, run_id: str) -> list[dict]:
        return [e for e in self.entries() if e.get("provenance", {}).get("run_id") == run_id]

    def verify(self) -> VerifyReport:
        """Re-derive every hash and link; compare the tail with the Store mirror to catch truncation."""
        with self.locked():  # never read a line a writer is halfway through
            data = self.path.read_bytes() if self.path.exists() else b""
        prev, count = GENESIS, 0
        if data and not data.endswith(b"\n"):
            return VerifyReport(False, count, "the last line is incomplete (no newline)", data.count(b"\n") + 1)
        for count, raw in enumerate(data.splitlines(), start=1):
            problem = _line_problem(raw, count, prev)
            if problem:
                return VerifyReport(False, count - 1, problem, count)
            prev = json.loads(raw)["hash"]
        mirrored = self.store.query("SELECT seq FROM audit_events WHERE log = ? ORDER BY seq DESC LIMIT 1",
                                    (self.log_id,))
        if mirrored and mirrored[0]["seq"] > count:
            return VerifyReport(False, count, f"the log ends at line {count} but {mirrored[0]['seq']} events "
                                "were recorded: lines were removed", count)
        if mirrored and count:
            row = self.store.query("SELECT hash FROM audit_events WHERE log = ? AND seq = ?", (self.log_id, count))
            if row and row[0]["hash"] != prev:
                return VerifyReport(False, count, "the last line differs from the mirrored copy", count)
        return VerifyReport(True, count)

    def _last_entry(self) -> dict | None:
        """The last line, read backwards from the end so appends stay O(1) as the log grows."""
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
        return json.loads(chunk.rstrip(b"\n").rsplit(b"\n", 1)[-1])


def _line_problem(raw: bytes, line_no: int, prev: str) -> str | None:
    try:
        entry = json.loads(raw)
    except ValueError:
        return f"line {line_no} is not valid JSON"
    if not isinstance(entry, dict) or canonical(entry) != raw:
        return f"line {line_no} is not in canonical form (bytes were changed)"
    if entry.get("seq") != line_no:
        return f"line {line_no} has sequence number {entry.get('seq')} (lines were removed or reordered)"
    if entry.get("prev") != prev:
        return f"line {line_no} does not link to the previous line's hash"
    if entry.get("hash") != entry_hash(entry):
        return f"line {line_no} hash mismatch: its content was changed"
    return None


def audit_event(store: Store, kind: str, payload: dict, provenance: dict | None = None) -> dict:
    """Append one event to the audit log of `store`'s home (safe from any thread or process)."""
    return AuditLog(store).append(kind, payload, provenance)
