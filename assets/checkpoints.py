"""Per-row checkpoints of batch model calls, so a failed, cancelled or killed run resumes with only missing rows.

A checkpoint is keyed by asset, partition, row key, prompt version + hash and model: editing the prompt or
switching the model makes every row due again, and a row whose input changed (its input hash) is redone.
Rows are written by one background thread in group commits: each answer is durable within one commit of
arriving, and under load many answers share a transaction (what keeps 100s of rows/s cheap on Postgres too).
"""

import json
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from resources.store import Store, get_store

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS llm_checkpoints (
        asset_key TEXT NOT NULL, partition_key TEXT NOT NULL, row_key TEXT NOT NULL,
        prompt_version TEXT NOT NULL, prompt_hash TEXT NOT NULL, model TEXT NOT NULL,
        input_hash TEXT NOT NULL, output TEXT NOT NULL, answered_by TEXT NOT NULL, tier TEXT NOT NULL,
        escalated INTEGER NOT NULL DEFAULT 0, cost_usd {float} NOT NULL DEFAULT 0,
        tokens INTEGER NOT NULL DEFAULT 0, run_id TEXT, ts {float} NOT NULL,
        PRIMARY KEY (asset_key, partition_key, row_key, prompt_version, prompt_hash, model))""",
    """CREATE TABLE IF NOT EXISTS llm_workflow_spend (
        workflow TEXT NOT NULL, day TEXT NOT NULL, cost_usd {float} NOT NULL DEFAULT 0,
        tokens INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (workflow, day))""",
]
COLUMNS = ("asset_key partition_key row_key prompt_version prompt_hash model input_hash output answered_by tier "
           "escalated cost_usd tokens run_id ts").split()
UPSERT = (f"INSERT INTO llm_checkpoints ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
          "ON CONFLICT (asset_key, partition_key, row_key, prompt_version, prompt_hash, model) DO UPDATE SET "
          + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[6:]))
SPEND = ("INSERT INTO llm_workflow_spend (workflow, day, cost_usd, tokens) VALUES (?, ?, ?, ?) "
         "ON CONFLICT (workflow, day) DO UPDATE SET cost_usd = llm_workflow_spend.cost_usd + excluded.cost_usd, "
         "tokens = llm_workflow_spend.tokens + excluded.tokens")


@dataclass(frozen=True)
class Scope:
    """What a checkpoint answers: one asset partition under one prompt version and model."""

    asset_key: str
    partition_key: str
    prompt_version: str
    prompt_hash: str
    model: str

    def key(self) -> tuple:
        return (self.asset_key, self.partition_key, self.prompt_version, self.prompt_hash, self.model)


def today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


class Checkpoints:
    """Reads of the checkpoint and workflow-spend tables."""

    def __init__(self, store: Store | None = None):
        self.store = store or get_store()
        self.store.migrate("llm_checkpoints", SCHEMA)

    def load(self, scope: Scope) -> dict[str, dict]:
        """row key -> {input_hash, output (decoded), answered_by, tier, escalated} for one scope."""
        rows = self.store.query(
            "SELECT row_key, input_hash, output, answered_by, tier, escalated FROM llm_checkpoints WHERE "
            "asset_key = ? AND partition_key = ? AND prompt_version = ? AND prompt_hash = ? AND model = ?",
            scope.key())
        return {r["row_key"]: {**r, "output": json.loads(r["output"])} for r in rows}

    def count(self, asset_key: str, partition_key: str | None = None) -> int:
        sql, params = "SELECT COUNT(*) FROM llm_checkpoints WHERE asset_key = ?", [asset_key]
        if partition_key is not None:
            sql, params = sql + " AND partition_key = ?", params + [partition_key]
        return int(self.store.execute(sql, params)[0][0])

    def workflow_spent(self, workflow: str, day: str | None = None) -> tuple[float, int]:
        """USD and tokens the workflow's batch assets spent on a UTC day (default today)."""
        rows = self.store.execute("SELECT cost_usd, tokens FROM llm_workflow_spend WHERE workflow = ? AND day = ?",
                                  (workflow, day or today()))
        return (float(rows[0][0]), int(rows[0][1])) if rows else (0.0, 0)


class CheckpointWriter:
    """Writes finished rows (and what they cost the workflow) in group commits from one background thread."""

    def __init__(self, checkpoints: Checkpoints, scope: Scope, workflow: str, run_id: str | None):
        self.store, self.scope, self.workflow, self.run_id = checkpoints.store, scope, workflow, run_id
        self._lock = threading.Lock()
        self._rows: list[tuple] = []
        self._spend = [0.0, 0]
        self._queued = False
        self._error: BaseException | None = None
        self._last: Future | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="aiwf-checkpoints")
        self.written = 0

    def add(self, row_key: str, input_hash: str, output, answered_by: str, tier: str, escalated: bool,
            cost_usd: float, tokens: int) -> None:
        """Queue one finished row; it is committed with the next group (at once when the writer is idle)."""
        row = (*self.scope.key()[:2], row_key, *self.scope.key()[2:], input_hash, json.dumps(output), answered_by,
               tier, int(escalated), cost_usd, tokens, self.run_id, time.time())
        with self._lock:
            self._rows.append(row)
        self.spend(cost_usd, tokens)

    def spend(self, cost_usd: float, tokens: int) -> None:
        """Count money spent on the workflow's daily budget (also for answers that were not kept)."""
        with self._lock:
            self._spend[0] += cost_usd
            self._spend[1] += tokens
            if self._error is not None:
                raise RuntimeError("checkpoint writer failed") from self._error
            if not self._queued:
                self._queued = True
                self._last = self._pool.submit(self._flush)

    def _flush(self) -> None:
        with self._lock:
            rows, spend, self._rows, self._spend, self._queued = self._rows, self._spend, [], [0.0, 0], False
        if not rows and not spend[0] and not spend[1]:
            return
        try:
            with self.store.transaction() as cur:
                if rows:
                    cur.executemany(UPSERT, rows)
                if spend[0] or spend[1]:
                    cur.execute(SPEND, (self.workflow, today(), spend[0], spend[1]))
            self.written += len(rows)
        except BaseException as exc:
            with self._lock:  # keep the rows for the final flush, and stop accepting more
                self._rows[:0], self._error = rows, exc
                self._spend = [self._spend[0] + spend[0], self._spend[1] + spend[1]]
            raise

    def close(self) -> None:
        """Commit everything still queued and stop the thread; raise if any commit failed."""
        self._pool.shutdown(wait=True)
        if self._rows or self._spend[0] or self._spend[1]:
            self._error = None
            self._flush()
        if self._error is not None:
            raise RuntimeError("checkpoint writer failed") from self._error
