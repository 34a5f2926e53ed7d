"""A window's inbox file, appended durably and idempotently: what a queue sensor writes before it acks.

Each window (a day) has one CSV file, `<prefix>_<window>.csv`, in the inbox folder the workflow already reads,
and a log of the message ids it holds, `.queue/<prefix>_<window>.ids` (a JSON line per batch: the ids and the
CSV's length after them). A batch is appended and fsynced, then its ids line is appended and fsynced, and only
then may the caller ack. On the next write the CSV is cut back to the length the log last vouched for, so a
batch torn by a kill, or written but never logged, disappears and is landed again when it is redelivered;
an id already in the log is never written twice. Invalid messages go to `rejected/<window>.jsonl` with the reason.
"""

import csv
import fcntl
import hashlib
import io
import json
import os
from contextlib import contextmanager
from pathlib import Path

LOG_DIR, REJECTED_DIR = ".queue", "rejected"


class WindowInbox:
    """The CSV files one queue sensor lands rows in, one per window, under `folder`."""

    def __init__(self, folder: Path, prefix: str, columns: list[str]):
        self.folder, self.prefix, self.columns = Path(folder), prefix, [*columns, "message_id"]

    def path(self, window: str) -> Path:
        return self.folder / f"{self.prefix}_{window}.csv"

    def _log(self, window: str) -> Path:
        return self.folder / LOG_DIR / f"{self.prefix}_{window}.ids"

    def windows(self) -> list[str]:
        """Windows with landed messages, oldest first."""
        logs = (self.folder / LOG_DIR).glob(f"{self.prefix}_*.ids")
        return sorted(p.stem[len(self.prefix) + 1:] for p in logs)

    def log_size(self, window: str) -> int:
        """The size of the window's id log: unchanged size, unchanged messages (spares re-reading it)."""
        try:
            return self._log(window).stat().st_size
        except FileNotFoundError:
            return 0

    def ids(self, window: str) -> list[str]:
        """The ids of the messages the window's file holds, in landing order."""
        return [i for line in _entries(self._log(window)) for i in line["ids"]]

    def digest(self, window: str) -> str:
        """A short hash of the window's message ids, whatever order they arrived in."""
        return hashlib.sha256("\n".join(sorted(self.ids(window))).encode()).hexdigest()[:16]

    def land(self, window: str, rows: list[tuple[str, dict]]) -> int:
        """Append (message id, row) pairs not already landed; durable when this returns. Returns how many."""
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / LOG_DIR).mkdir(exist_ok=True)
        with _locked(self._log(window)):
            entries = _entries(self._log(window))
            seen = {i for e in entries for i in e["ids"]}
            fresh, ids = [], []
            for msg_id, row in rows:
                if msg_id not in seen:
                    seen.add(msg_id)
                    fresh.append({**row, "message_id": msg_id})
                    ids.append(msg_id)
            if not fresh:
                return 0
            end = self._append(window, entries[-1]["end"] if entries else 0, fresh)
            _append_line(self._log(window), {"ids": ids, "end": end})
        return len(fresh)

    def _append(self, window: str, vouched: int, rows: list[dict]) -> int:
        """Cut the file back to `vouched` bytes, append `rows` (with the header on an empty file), fsync."""
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=self.columns, extrasaction="ignore", lineterminator="\n")
        if vouched == 0:
            writer.writeheader()
        writer.writerows(rows)
        path, new = self.path(window), not self.path(window).exists()
        with open(path, "ab") as handle:
            handle.truncate(vouched)
            handle.seek(vouched)
            handle.write(text.getvalue().encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
            end = handle.tell()
        if new:
            _fsync_dir(self.folder)
        return end

    def rejected_path(self, window: str | None) -> Path:
        return self.folder / REJECTED_DIR / f"{self.prefix}_{window or 'undated'}.jsonl"

    def reject(self, window: str | None, items: list[tuple[str, str, bytes]]) -> int:
        """Keep invalid messages (id, reason, body) in rejected/<window>.jsonl, once each; durable on return."""
        if not items:
            return 0
        path = self.rejected_path(window)
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path.with_suffix(".ids")):
            seen = {e.get("message_id") for e in _entries(path)}
            fresh = [{"message_id": i, "reason": reason, "body": body.decode("utf-8", errors="replace")}
                     for i, reason, body in items if i not in seen and not seen.add(i)]
            for entry in fresh:
                _append_line(path, entry, sync=False)
            if fresh:
                _sync(path)
        return len(fresh)


def _entries(path: Path) -> list[dict]:
    """The whole JSON lines of a log; a torn last line (a kill mid-write) is ignored and later overwritten."""
    if not path.exists():
        return []
    out = []
    with open(path, "rb") as handle:
        data = handle.read()
    good = 0
    for line in data.split(b"\n")[:-1]:  # the part after the last newline is torn or empty
        try:
            out.append(json.loads(line))
        except ValueError:
            break
        good += len(line) + 1
    if good < len(data):
        with open(path, "ab") as handle:
            handle.truncate(good)
    return out


def _append_line(path: Path, entry: dict, sync: bool = True) -> None:
    with open(path, "ab") as handle:
        handle.write(json.dumps(entry, separators=(",", ":")).encode() + b"\n")
        if sync:
            handle.flush()
            os.fsync(handle.fileno())


def _sync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _locked(path: Path):
    """An exclusive lock beside `path`, so two ticks (a stuck one and the next) never interleave writes."""
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

