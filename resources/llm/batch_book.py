"""The `llm_batches` table: which Batch API batches each partition has in flight, and whether they were billed.

Kept apart from the client (resources/llm/batch_api.py) so the batch sensor and the factory name it without
importing `openai`.
"""

import json
import time
from dataclasses import dataclass

from resources.llm.cache import PUT as CACHE_PUT
from resources.llm.ledger import CallLedger, CallRecord
from resources.state.store import Store

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass
class BatchRow:
    """One batch as recorded: its input file, the provider's batch id (None until created) and its requests."""

    input_file_id: str
    batch_id: str | None
    asset_key: str
    partition_key: str
    scope: str
    requests: dict  # custom_id -> input hash of the row it answers
    status: str  # uploaded | submitted | the provider's last status seen
    billed: bool
    consumed: bool
    run_id: str | None


class BatchBook:
    """The `llm_batches` table: which batches a partition has in flight, and how far each got."""

    def __init__(self, store: Store):
        self.store = store

    def uploaded(self, input_file_id: str, asset_key: str, partition_key: str, scope: str, requests: dict,
                 run_id: str | None) -> None:
        now = time.time()
        self.store.execute(
            "INSERT INTO llm_batches (input_file_id, asset_key, partition_key, scope, requests, status, run_id, "
            "created, updated) VALUES (?, ?, ?, ?, ?, 'uploaded', ?, ?, ?)",
            (input_file_id, asset_key, partition_key, scope, json.dumps(requests), run_id, now, now))

    def submitted(self, input_file_id: str, batch_id: str, status: str = "submitted") -> None:
        self.store.execute("UPDATE llm_batches SET batch_id = ?, status = ?, updated = ? WHERE input_file_id = ?",
                           (batch_id, status, time.time(), input_file_id))

    def note(self, input_file_id: str, status: str) -> None:
        self.store.execute("UPDATE llm_batches SET status = ?, updated = ? WHERE input_file_id = ?",
                           (status, time.time(), input_file_id))

    def consumed(self, input_file_id: str) -> None:
        """Every answer of the batch is checkpointed or handed on: it is done with."""
        self.store.execute("UPDATE llm_batches SET consumed = 1, updated = ? WHERE input_file_id = ?",
                           (time.time(), input_file_id))

    def open(self, asset_key: str, partition_key: str, scope: str | None = None) -> list[BatchRow]:
        """The partition's batches not yet consumed (of one request scope, when given), oldest first."""
        sql = "SELECT * FROM llm_batches WHERE asset_key = ? AND partition_key = ? AND consumed = 0"
        params = [asset_key, partition_key]
        if scope is not None:
            sql, params = sql + " AND scope = ?", params + [scope]
        return [_row(r) for r in self.store.query(sql + " ORDER BY created", params)]

    def waiting(self) -> list[BatchRow]:
        """Every batch not yet consumed, across assets and partitions (what the batch_jobs sensor watches)."""
        return [_row(r) for r in self.store.query("SELECT * FROM llm_batches WHERE consumed = 0 ORDER BY created")]

    def bill(self, input_file_id: str, records: list[CallRecord], cache_rows: list[tuple]) -> bool:
        """Book a batch's answers in the ledger and cache, once: False when it was billed before."""
        with self.store.transaction() as cur:
            cur.execute("UPDATE llm_batches SET billed = 1, updated = ? WHERE input_file_id = ? AND billed = 0",
                        (time.time(), input_file_id))
            if cur.rowcount != 1:
                return False
            CallLedger.record_in(cur, records)
            if cache_rows:
                cur.executemany(CACHE_PUT, cache_rows)
        return True


def _row(r: dict) -> BatchRow:
    return BatchRow(r["input_file_id"], r["batch_id"], r["asset_key"], r["partition_key"], r["scope"],
                    json.loads(r["requests"]), r["status"], bool(r["billed"]), bool(r["consumed"]), r["run_id"])


def is_terminal(status: str) -> bool:
    return status in TERMINAL
