"""Per-row checkpoints of batch model calls, so a failed, cancelled or killed run resumes with only missing rows.

A checkpoint is keyed by asset, partition, row key, prompt version + hash and model: editing the prompt or
switching the model makes every row due again, and a row whose input changed (its input hash) is redone.
Rows are written in group commits: each answer is durable within the event-loop iteration it arrived in, and
under load several answers share a transaction (what keeps hundreds of rows/s cheap, on Postgres too).
Each row keeps what its answer cost when paid for (`cost_usd`, `tokens`: the partition's data cost, even when the
answer came from the cache) and whether the offline test double gave it; the workflow's daily spend counts only
what was really spent.
"""

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from resources.state.store import Store

COLUMNS = ("asset_key partition_key row_key prompt_version prompt_hash model input_hash output answered_by tier "
           "escalated cost_usd tokens run_id ts offline").split()
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

    def __init__(self, store: Store):
        self.store = store

    def load(self, scope: Scope) -> dict[str, dict]:
        """row key -> {input_hash, output (decoded), answered_by, tier, escalated, cost_usd, tokens, offline}."""
        rows = self.store.query(
            "SELECT row_key, input_hash, output, answered_by, tier, escalated, cost_usd, tokens, offline "
            "FROM llm_checkpoints WHERE "
            "asset_key = ? AND partition_key = ? AND prompt_version = ? AND prompt_hash = ? AND model = ?",
            scope.key())
        return {r["row_key"]: {**r, "output": json.loads(r["output"])} for r in rows}

    def count(self, asset_key: str, partition_key: str | None = None) -> int:
        sql, params = "SELECT COUNT(*) FROM llm_checkpoints WHERE asset_key = ?", [asset_key]
        if partition_key is not None:
            sql, params = sql + " AND partition_key = ?", params + [partition_key]
        return int(self.store.execute(sql, params)[0][0])

    def costs(self, asset_key: str, partition_key: str, prompt_version: str, prompt_hash: str) -> dict[str, float]:
        """row key -> what its answer cost under this prompt version (latest checkpoint per row)."""
        rows = self.store.query("SELECT row_key, cost_usd FROM llm_checkpoints WHERE asset_key = ? AND partition_key = ? "
                                "AND prompt_version = ? AND prompt_hash = ? ORDER BY ts",
                                (asset_key, partition_key, prompt_version, prompt_hash))
        return {r["row_key"]: float(r["cost_usd"] or 0) for r in rows}

    def workflow_spent(self, workflow: str, day: str | None = None) -> tuple[float, int]:
        """USD and tokens the workflow's batch assets spent on a UTC day (default today)."""
        rows = self.store.execute("SELECT cost_usd, tokens FROM llm_workflow_spend WHERE workflow = ? AND day = ?",
                                  (workflow, day or today()))
        return (float(rows[0][0]), int(rows[0][1])) if rows else (0.0, 0)


class CheckpointWriter:
    """Writes finished rows (and what they cost the workflow) in group commits on the batch's event loop.

    Rows finishing in the same loop iteration share one transaction, committed before the loop moves on, so an
    answer is durable a fraction of a millisecond after it arrives. Writing from the loop's own thread keeps
    SQLite's single writer uncontended (a second writer thread would make the loop wait on its lock).
    """

    def __init__(self, checkpoints: Checkpoints, scope: Scope, workflow: str, run_id: str | None):
        self.store, self.scope, self.workflow, self.run_id = checkpoints.store, scope, workflow, run_id
        self._rows: list[tuple] = []
        self._spend = [0.0, 0]
        self._also: list[tuple] = []  # (work(cursor), done()) committed with the next batch: an LLM session's answers
        self._scheduled = False
        self._error: Exception | None = None
        self.written = 0
        self.commits = 0

    def add(self, row_key: str, input_hash: str, output, answered_by: str, tier: str, escalated: bool,
            cost_usd: float, tokens: int, *, offline: bool = False, spent: tuple[float, int] | None = None,
            scope: Scope | None = None) -> None:
        """Queue one finished row; it is committed at the end of this loop iteration (at once outside a loop).

        `cost_usd`/`tokens`: what the answer cost when paid for; `spent`: what this run paid (default the same);
        `scope`: where the row is filed (default the writer's; a canary files candidate rows under their own).
        """
        key = (scope or self.scope).key()
        self._rows.append((*key[:2], row_key, *key[2:], input_hash, json.dumps(output),
                           answered_by, tier, int(escalated), cost_usd, tokens, self.run_id, time.time(), int(offline)))
        self.spend(*(spent if spent is not None else (cost_usd, tokens)))

    def spend(self, cost_usd: float, tokens: int) -> None:
        """Count money spent on the workflow's daily budget (also for answers that were not kept)."""
        self._spend[0] += cost_usd
        self._spend[1] += tokens
        if self._error is not None:  # stop the batch rather than keep paying for answers we cannot keep
            raise RuntimeError(f"checkpoints cannot be written: {self._error}") from self._error
        self._schedule()

    def also(self, work, done=None) -> None:
        """Commit `work(cursor)` in the next group commit, in the same transaction as the checkpoints queued by
        then; `done()` runs once it committed. An LLM session stores its answers so (cache entry, ledger rows,
        end of claim): one transaction per loop iteration instead of one per answer."""
        self._also.append((work, done))
        self._schedule()

    def _schedule(self) -> None:
        if self._scheduled:
            return
        try:
            asyncio.get_running_loop().call_soon(self.flush)
            self._scheduled = True
        except RuntimeError:  # no running loop: write now
            self.flush()

    def flush(self) -> None:
        """Commit everything queued in one transaction; on error the rows stay queued for the next flush."""
        self._scheduled = False
        rows, spend, also = self._rows, self._spend, self._also
        if not rows and not any(spend) and not also:
            return
        try:
            with self.store.transaction() as cur:
                for work, _ in also:
                    work(cur)
                if rows:
                    cur.executemany(UPSERT, rows)
                if any(spend):
                    cur.execute(SPEND, (self.workflow, today(), spend[0], spend[1]))
        except Exception as exc:
            self._error = exc
            raise
        self._error = None
        self._rows, self._spend, self._also = [], [0.0, 0], []
        for _, done in also:
            if done is not None:
                done()
        self.written += len(rows)
        self.commits += 1

    def close(self) -> None:
        """Commit whatever is still queued (after a crash of the batch, too)."""
        self.flush()
