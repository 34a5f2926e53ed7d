"""What the planner and executor keep in aiwf's Store: item snapshots and each item's run (plans themselves are
the planner's row checkpoints: assets/planner/factory.py).

- snapshots: an item's state as first seen in a partition (first write wins), so a re-run plans from the
  same state even after this workflow changed the item (a refund raises `refunded`).
- runs: per (workflow, partition, item) the plan pinned for execution, its attempt, status and evidence; a
  held or interrupted saga resumes from here, and a finished one is never run again in that partition.
"""

import json
import time
from typing import Callable

from resources.state.store import Store

FINISHED = ("completed", "rejected", "escalated")  # a run in one of these is never executed again


class PlanStore:
    """Snapshots and runs of one workflow."""

    def __init__(self, store: Store, workflow: str):
        self.store, self.workflow = store, workflow

    def snapshot(self, partition_key: str, item_key: str, read: Callable[[], dict | None]) -> dict | None:
        """The item's state as first recorded for this partition; `read()` (None: unknown item) only when none was."""
        where = (self.workflow, partition_key, item_key)
        sql = "SELECT state FROM planner_snapshots WHERE workflow = ? AND partition_key = ? AND item_key = ?"
        rows = self.store.query(sql, where)
        if not rows:
            state = read()
            if state is None:
                return None
            self.store.execute(
                "INSERT INTO planner_snapshots (workflow, partition_key, item_key, state, ts) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (workflow, partition_key, item_key) DO NOTHING",
                (*where, json.dumps(state, default=str), time.time()))
            rows = self.store.query(sql, where)
        return json.loads(rows[0]["state"])

    def run(self, partition_key: str, item_key: str) -> dict | None:
        rows = self.store.query("SELECT * FROM planner_runs WHERE workflow = ? AND partition_key = ? AND item_key = ?",
                                (self.workflow, partition_key, item_key))
        return _decode(rows[0], "plan", "item", "evidence") if rows else None

    def pin(self, partition_key: str, item_key: str, plan: dict, plan_hash: str, item: dict) -> dict:
        """The run of this item in this partition: an existing one (its plan stays pinned), else a new one."""
        self.store.execute(
            "INSERT INTO planner_runs (workflow, partition_key, item_key, attempt, plan_hash, plan, item, status, "
            "evidence, ts) VALUES (?, ?, ?, 1, ?, ?, ?, 'running', '{}', ?) "
            "ON CONFLICT (workflow, partition_key, item_key) DO NOTHING",
            (self.workflow, partition_key, item_key, plan_hash, json.dumps(plan), json.dumps(item, default=str),
             time.time()))
        return self.run(partition_key, item_key)

    def update(self, partition_key: str, item_key: str, *, status: str, attempt: int, evidence: dict) -> None:
        self.store.execute(
            "UPDATE planner_runs SET status = ?, attempt = ?, evidence = ?, ts = ? WHERE workflow = ? "
            "AND partition_key = ? AND item_key = ?",
            (status, attempt, json.dumps(evidence, default=str), time.time(), self.workflow, partition_key,
             item_key))


def _decode(row: dict, *columns: str) -> dict:
    return {**row, **{c: json.loads(row[c]) if row.get(c) is not None else None for c in columns}}
