"""An event-sourced inventory ledger: stock is never stored, only append-only events; state is their replay.

Each event has a unique `event_key`, so re-running the step that emits an event never appends it twice.
"""

import time
from dataclasses import dataclass

from resources.state.store import Store



@dataclass(frozen=True)
class InventoryEvent:
    """One stock movement (received, sold, counted...), identified by event_key."""

    event_key: str
    sku: str
    delta: int
    reason: str
    source: str
    partition_key: str | None = None
    run_id: str | None = None


class InventoryLedger:
    """Append-only inventory events in aiwf's Store; `state()` replays them into on-hand counts."""

    def __init__(self, store: Store):
        self.store = store

    def append(self, events: list[InventoryEvent]) -> int:
        """Append events whose key is new; returns how many were new (a replayed emit appends nothing)."""
        new = 0
        with self.store.transaction() as cur:
            for e in events:
                if int(e.delta) != e.delta:
                    raise ValueError(f"inventory event {e.event_key}: delta must be an integer, got {e.delta!r}")
                cur.execute(
                    "INSERT INTO inventory_events (event_key, sku, delta, reason, source, partition_key, run_id, ts) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING",
                    (e.event_key, e.sku, int(e.delta), e.reason, e.source, e.partition_key, e.run_id, time.time()),
                )
                new += cur.rowcount
        return new

    def events(self, sku: str | None = None, until_id: int | None = None) -> list[dict]:
        """Events in the order they were appended (optionally one sku, optionally up to an event id)."""
        sql, params = "SELECT * FROM inventory_events WHERE 1 = 1", []
        if sku is not None:
            sql, params = sql + " AND sku = ?", params + [sku]
        if until_id is not None:
            sql, params = sql + " AND id <= ?", params + [until_id]
        return self.store.query(sql + " ORDER BY id", params)

    def event(self, event_key: str) -> dict | None:
        rows = self.store.query("SELECT * FROM inventory_events WHERE event_key = ?", (event_key,))
        return rows[0] if rows else None

    def state(self, until_id: int | None = None) -> dict[str, int]:
        """On-hand stock per sku, rebuilt by replaying the events in order (up to `until_id`)."""
        return replay(self.events(until_id=until_id))


def replay(events: list[dict]) -> dict[str, int]:
    """Fold events into on-hand counts; a count that would go below zero means the event log is corrupt."""
    on_hand: dict[str, int] = {}
    for e in events:
        on_hand[e["sku"]] = on_hand.get(e["sku"], 0) + int(e["delta"])
        if on_hand[e["sku"]] < 0:
            raise ValueError(f"inventory replay: {e['sku']} below zero at event {e['event_key']}")
    return on_hand


def sync_events(ledger: InventoryLedger, targets: dict[str, int], partition: str, run_id: str | None) -> list[dict]:
    """Append, once per sku and partition, the event that brings the replayed count to the authoritative count.

    Returns one row per sku: before (replay up to just before its event), delta, after and event_key.
    A rerun of the partition finds its events and reports the same rows without appending.
    """
    state = ledger.state()
    pending = []
    for sku, target in targets.items():
        key = f"sync:{partition}:{sku}"
        if ledger.event(key) is None and target != state.get(sku, 0):
            pending.append(InventoryEvent(key, sku, target - state.get(sku, 0), "sync to authoritative count",
                                          "authoritative_feed", partition, run_id))
    ledger.append(pending)
    rows = []
    for sku, target in targets.items():
        key = f"sync:{partition}:{sku}"
        event = ledger.event(key)
        if event is None:  # already at the authoritative count: nothing to record
            before = after = ledger.state().get(sku, 0)
            rows.append({"sku": sku, "before": before, "delta": 0, "after": after, "target": target, "event_key": None})
            continue
        before = replay(ledger.events(sku=sku, until_id=event["id"] - 1)).get(sku, 0)
        rows.append({"sku": sku, "before": before, "delta": event["delta"], "after": before + event["delta"],
                     "target": target, "event_key": key})
    return rows
