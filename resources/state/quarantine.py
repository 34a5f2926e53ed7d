"""Quarantine: rows that could not be processed are kept with the reason, never dropped."""

import json
import time

from resources.safety.secrets import scrub
from resources.state.store import Store

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS quarantine (
        id {id},
        ts {float} NOT NULL,
        workflow TEXT NOT NULL, asset_key TEXT NOT NULL, partition_key TEXT,
        row_key TEXT NOT NULL, payload TEXT NOT NULL,
        error_class TEXT NOT NULL, reason TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 1, run_id TEXT,
        status TEXT NOT NULL DEFAULT 'open')""",
    "CREATE UNIQUE INDEX IF NOT EXISTS quarantine_row ON quarantine (asset_key, partition_key, row_key)",
]


class Quarantine:
    """One row per (asset, partition, row key); putting a row again updates its reason and attempt count."""

    def __init__(self, store: Store):
        self.store = store
        self.store.migrate("quarantine", SCHEMA)

    def put(self, *, workflow: str, asset_key: str, partition_key: str | None, row_key: str, payload: dict,
            error_class: str, reason: str, attempts: int = 1, run_id: str | None = None) -> None:
        self.store.execute(
            "INSERT INTO quarantine (ts, workflow, asset_key, partition_key, row_key, payload, error_class, "
            "reason, attempts, run_id, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open') "
            "ON CONFLICT (asset_key, partition_key, row_key) DO UPDATE SET ts = excluded.ts, "
            "payload = excluded.payload, error_class = excluded.error_class, reason = excluded.reason, "
            "attempts = quarantine.attempts + excluded.attempts, run_id = excluded.run_id, status = 'open'",
            (time.time(), workflow, asset_key, partition_key or "", row_key, scrub(json.dumps(payload, default=str)),
             error_class, scrub(reason), attempts, run_id),
        )

    def rows(self, asset_key: str | None = None, status: str = "open") -> list[dict]:
        sql, params = "SELECT * FROM quarantine WHERE status = ?", [status]
        if asset_key:
            sql, params = sql + " AND asset_key = ?", params + [asset_key]
        rows = self.store.query(sql + " ORDER BY id", params)
        for row in rows:
            row["payload"] = json.loads(row["payload"])
        return rows

    def resolve(self, asset_key: str, partition_key: str | None, row_key: str) -> None:
        """Mark a row handled, e.g. after a re-drive succeeded."""
        self.store.execute(
            "UPDATE quarantine SET status = 'resolved' WHERE asset_key = ? AND partition_key = ? AND row_key = ?",
            (asset_key, partition_key or "", row_key),
        )
