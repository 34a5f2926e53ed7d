"""Approvals, quarantine and side-effect figures per workflow, counted with GROUP BY by each table's owner.

Approvals requested in the window are counted from `approvals` (created_at); decisions made in the window from
`approval_decisions` (decided_at), the append-only log the approvals sensors follow, so an approval decided
today counts today whenever it was requested. Quarantined rows are those put (or put again) in the window.
Side effects are the action ledger's transitions in the window (`action_history` joined to `action_ledger`):
`sent` = actions that reached done, `failed` = failed attempts. A skip (already done) changes nothing in the
ledger, so skips come from the connectors' `skipped_already_done` materialization metadata (runs.py).
"""

from resources.approvals.store import ApprovalStore
from resources.connectors.ledger import ActionLedger
from resources.state.quarantine import Quarantine
from resources.state.store import Store

DECISIONS = ("approved", "edited", "rejected")


def approvals_requested(store: Store, since: float, until: float) -> dict[str, int]:
    return ApprovalStore(store).requested_by_workflow(since, until)


def decisions(store: Store, since: float, until: float, by_day: bool = False) -> dict[tuple, int]:
    """(workflow, status[, UTC day number]) -> decisions made in the window."""
    return ApprovalStore(store).decision_counts(since, until, by_day)


def approval_workflows(store: Store, approval_ids: list[str]) -> dict[str, str]:
    """approval id -> workflow, to place runs the approvals sensors launched."""
    return ApprovalStore(store).workflows_of(approval_ids) if approval_ids else {}


def quarantined(store: Store, since: float, until: float) -> dict[str, int]:
    return Quarantine(store).count_by_workflow(since, until)


def side_effects(store: Store, since: float, until: float) -> dict[str, dict[str, int]]:
    """workflow -> {"sent": actions done, "failed": failed attempts, "in_doubt": held for a person}."""
    return ActionLedger(store).transitions_by_workflow(since, until)
