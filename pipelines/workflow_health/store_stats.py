"""Approvals, quarantine and side-effect figures per workflow, counted in aiwf's store with GROUP BY.

Approvals requested in the window are counted from `approvals` (created_at); decisions made in the window from
`approval_decisions` (decided_at), the append-only log the approvals sensors follow, so an approval decided
today counts today whenever it was requested. Quarantined rows are those put (or put again) in the window.
Side effects are the action ledger's transitions in the window (`action_history` joined to `action_ledger`):
`sent` = actions that reached done, `failed` = failed attempts. A skip (already done) changes nothing in the
ledger, so skips come from the connectors' `skipped_already_done` materialization metadata (runs.py).
"""

from pipelines.workflow_health.ledger_stats import day_sql
from resources.approvals.store import ApprovalStore
from resources.connectors.ledger import ActionLedger
from resources.state.quarantine import Quarantine
from resources.state.store import Store

DECISIONS = ("approved", "edited", "rejected")


def approvals_requested(store: Store, since: float, until: float) -> dict[str, int]:
    ApprovalStore(store)  # its tables exist even before the first proposal
    rows = store.execute("SELECT workflow, COUNT(*) FROM approvals WHERE created_at >= ? AND created_at < ? "
                         "GROUP BY workflow", (since, until))
    return {workflow: int(n) for workflow, n in rows}


def decisions(store: Store, since: float, until: float, by_day: bool = False) -> dict[tuple, int]:
    """(workflow, status[, UTC day number]) -> decisions made in the window."""
    ApprovalStore(store)
    day = f", {day_sql(store, 'decided_at')}" if by_day else ""
    rows = store.execute(f"SELECT workflow, status{day}, COUNT(*) FROM approval_decisions "
                         f"WHERE decided_at >= ? AND decided_at < ? GROUP BY 1, 2{', 3' if by_day else ''}",
                         (since, until))
    return {tuple(r[:-1]): int(r[-1]) for r in rows}


def approval_workflows(store: Store, approval_ids: list[str]) -> dict[str, str]:
    """approval id -> workflow, to place runs the approvals sensors launched."""
    if not approval_ids:
        return {}
    ApprovalStore(store)
    out: dict[str, str] = {}
    for start in range(0, len(approval_ids), 500):
        chunk = approval_ids[start:start + 500]
        rows = store.execute(f"SELECT id, workflow FROM approvals WHERE id IN ({', '.join('?' * len(chunk))})",
                             chunk)
        out.update({approval_id: workflow for approval_id, workflow in rows})
    return out


def quarantined(store: Store, since: float, until: float) -> dict[str, int]:
    Quarantine(store)
    rows = store.execute("SELECT workflow, COUNT(*) FROM quarantine WHERE ts >= ? AND ts < ? GROUP BY workflow",
                         (since, until))
    return {workflow: int(n) for workflow, n in rows}


def side_effects(store: Store, since: float, until: float) -> dict[str, dict[str, int]]:
    """workflow -> {"sent": actions done, "failed": failed attempts, "in_doubt": held for a person}."""
    ActionLedger(store)
    rows = store.execute(
        "SELECT a.workflow, h.status, COUNT(*) FROM action_history h JOIN action_ledger a "
        "ON a.idempotency_key = h.idempotency_key WHERE h.ts >= ? AND h.ts < ? "
        "AND h.status IN ('done', 'failed', 'in_doubt') GROUP BY 1, 2", (since, until))
    names = {"done": "sent", "failed": "failed", "in_doubt": "in_doubt"}
    out: dict[str, dict[str, int]] = {}
    for workflow, status, n in rows:
        out.setdefault(workflow, {"sent": 0, "failed": 0, "in_doubt": 0})[names[status]] += int(n)
    return out
