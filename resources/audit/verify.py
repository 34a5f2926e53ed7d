"""Verifying an audit log: the chain line by line, then the file against what the Store recorded of it.

The Store's mirror holds every line's hash under the log's id, so a log cut short, a last line swapped,
or a log deleted and started again at the same place are caught on any host and under any path; an
anchor kept elsewhere (`aiwf audit anchor`) catches a rewrite even by someone who also controls the Store.
"""

import json
import re
import socket
from dataclasses import dataclass, field

from resources.audit.chain import GENESIS, line_problem


@dataclass
class VerifyReport:
    """The outcome of verify(): ok, lines checked, the first problem, whether the log is keyed, and notes."""

    ok: bool
    lines: int
    problem: str | None = None
    line_no: int | None = None
    keyed: bool = False
    notes: list[str] = field(default_factory=list)


def verify_log(data: bytes, log, anchor: str | None = None) -> VerifyReport:
    """Check the bytes of `log`'s file (an AuditLog) and its checkpoints; the first problem wins."""
    keyed, notes, torn = log.key is not None, [], bool(data) and not data.endswith(b"\n")
    if torn:
        data = data[: data.rfind(b"\n") + 1]
        notes.append("the last line is incomplete (a torn write); the next append sets it aside")
    prev, count, entries = GENESIS, 0, []
    for count, raw in enumerate(data.splitlines(), start=1):
        problem = line_problem(raw, count, prev, log.key)
        if problem:
            return VerifyReport(False, count - 1, problem, count, keyed, notes)
        entry = json.loads(raw)
        prev = entry["hash"]
        entries.append(entry)
        if entry["kind"] == "outbox_row_refused":
            notes.append(f"line {count}: an audit outbox row claiming {entry['payload'].get('claimed_kind')!r} was "
                         f"refused, not signed ({entry['payload'].get('reason')})")
        if entry["kind"] == "torn_line_set_aside":
            notes.append(f"a torn line ({entry['payload'].get('bytes')} bytes) was set aside before line {count}")
    if not keyed:
        notes.append("the log is not keyed: anyone who can write the file can rebuild the chain (aiwf audit init)")
    here = (socket.gethostname(), str(log.path.resolve()))
    problem = _checkpoint_problem(log.store, here, entries) or _anchor_problem(anchor, entries)
    gaps = _mirror_gaps(log.store, _log_id(entries, here), count)
    if gaps:
        notes.append(gaps)
    if problem and torn:
        problem += " (and the last line is incomplete)"
    if problem:
        at = re.match(r"line (\d+) ", problem)
        return VerifyReport(False, count, problem, int(at.group(1)) if at else count, keyed, notes)
    return VerifyReport(True, count, keyed=keyed, notes=notes)


def _checkpoint_problem(store, here: tuple[str, str], entries: list[dict]) -> str | None:
    log_id = _log_id(entries, here)
    if log_id is not None:
        problem = _mirror_problem(store, log_id, entries)
        if problem:
            return problem
    earlier = store.query("SELECT l.log_id, COUNT(e.seq) AS events FROM audit_logs l JOIN audit_events e "
                          "ON e.log = l.log_id WHERE l.host = ? AND l.path = ? AND l.log_id <> ? "
                          "GROUP BY l.log_id", (*here, log_id or ""))
    if earlier:
        gone = earlier[0]
        return (f"an earlier log at this path (id {gone['log_id'][:12]}, {gone['events']} events) is gone and a "
                "new one was started: the log was deleted or replaced")
    return None


def _mirror_problem(store, log_id: str, entries: list[dict]) -> str | None:
    """Every line against the hash the database recorded for its seq when it was written: a log cut and then
    regrown (by aiwf's own later appends) has new lines where the mirror keeps the erased ones."""
    recorded = {int(r["seq"]): r["hash"] for r in store.query("SELECT seq, hash FROM audit_events WHERE log = ?",
                                                             (log_id,))}
    for entry in entries:
        kept = recorded.get(entry["seq"])
        if kept is not None and kept != entry["hash"]:
            return (f"line {entry['seq']} differs from the copy recorded in the database: lines were erased and "
                    "the log regrown, or the line was replaced")
    if recorded and max(recorded) > len(entries):
        return f"the log ends at line {len(entries)} but {max(recorded)} events were recorded: lines were removed"
    return None


def _mirror_gaps(store, log_id: str | None, count: int) -> str | None:
    """Lines the database has no copy of (a crash between a line's write and its mirror row): a note, as the
    line's own hash and link were checked."""
    if log_id is None or not count:
        return None
    rows = store.query("SELECT COUNT(*) AS n FROM audit_events WHERE log = ? AND seq <= ?", (log_id, count))
    missing = count - int(rows[0]["n"])
    return f"{missing} line(s) have no copy in the database mirror" if missing > 0 else None


def _log_id(entries: list[dict], here: tuple[str, str]) -> str | None:
    if not entries:
        return None
    first = entries[0]
    return first["payload"]["log_id"] if first["kind"] == "log_opened" else f"{here[0]}:{here[1]}"


def _anchor_problem(anchor: str | None, entries: list[dict]) -> str | None:
    """An anchor is `HEAD` or `LINES:HEAD` from `aiwf audit anchor`: that line must still be in the log."""
    if not anchor:
        return None
    lines, _, head = anchor.rpartition(":")
    if lines:
        if not lines.isdigit() or int(lines) > len(entries) or entries[int(lines) - 1]["hash"] != head:
            return f"the anchor {anchor[:24]}... does not match line {lines}: the log was rewritten or cut"
        return None
    if not any(e["hash"] == head for e in entries):
        return "the anchor's head hash is not in the log: the log was rewritten or cut"
    return None
