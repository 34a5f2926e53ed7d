"""Quarantine: rows that could not be processed are kept with the reason, never dropped.

A step quarantines a row with `quarantine_row(context, state, ...)`: run id, asset, partition and workflow come
from the step's context. `Quarantine` owns the `quarantine` table (schema in migrations.py): every read of it,
the CLI's, the run story's, the canary check's and the health report's, goes through its methods.
"""

import json
import time

from resources.safety.secrets import scrub
from resources.state.store import Store


class Quarantine:
    """One row per (asset, partition, row key); putting a row again updates its reason and attempt count."""

    def __init__(self, store: Store):
        self.store = store

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

    def rows(self, asset_key: str | None = None, status: str | None = "open", *, partition_key: str | None = None,
             run_id: str | None = None) -> list[dict]:
        """Quarantined rows (payload decoded), oldest first; status None: open and resolved alike."""
        sql, params = "SELECT * FROM quarantine WHERE 1 = 1", []
        for column, value in (("status", status), ("asset_key", asset_key), ("partition_key", partition_key),
                              ("run_id", run_id)):
            if value:
                sql, params = sql + f" AND {column} = ?", params + [value]
        rows = self.store.query(sql + " ORDER BY id", params)
        for row in rows:
            row["payload"] = json.loads(row["payload"])
        return rows

    def count_by_workflow(self, since: float, until: float) -> dict[str, int]:
        """workflow -> rows put (or put again) with since <= ts < until."""
        rows = self.store.execute("SELECT workflow, COUNT(*) FROM quarantine WHERE ts >= ? AND ts < ? "
                                  "GROUP BY workflow", (since, until))
        return {workflow: int(n) for workflow, n in rows}

    def resolve(self, asset_key: str, partition_key: str | None, row_key: str) -> None:
        """Mark a row handled, e.g. after a re-drive succeeded."""
        self.store.execute(
            "UPDATE quarantine SET status = 'resolved' WHERE asset_key = ? AND partition_key = ? AND row_key = ?",
            (asset_key, partition_key or "", row_key),
        )


def quarantine_row(context, state, *, row_key: str, row: dict, error_class: str, reason: str, attempts: int = 1,
                   workflow: str | None = None, asset_key: str | None = None,
                   partition_key: str | None = None) -> None:
    """Quarantine one row a step could not process. `state` is the step's StateResource (or a Store); the run
    id, the asset, its partition and its workflow (the asset's group) come from the context, unless named
    (a step writing for another asset, or for one day of a run over a range)."""
    store = state.store() if callable(getattr(state, "store", None)) else state
    Quarantine(store).put(
        workflow=workflow or _group_of(context), asset_key=asset_key or context.asset_key.to_user_string(),
        partition_key=partition_key or (context.partition_key if context.has_partition_key else None),
        row_key=row_key, payload=row, error_class=error_class, reason=reason, attempts=attempts,
        run_id=context.run_id)


def _group_of(context) -> str:
    try:
        return context.assets_def.group_names_by_key[context.asset_key]
    except Exception:  # a bare op context (tests): no asset definition to ask
        return "default"
