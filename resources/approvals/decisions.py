"""Reviewer decisions as the review API and the review pages both apply them."""

from typing import Any

from resources.approvals.review_auth import Reviewer
from resources.approvals.store import AlreadyDecided, Approval, ApprovalStore


def apply_decision(store: ApprovalStore, action: str, approval_id: str, reviewer: Reviewer,
                   reason: str | None = None, output: Any = None) -> Approval:
    """One decision, shared by the API and the pages; raises ApprovalNotFound, AlreadyDecided or ValueError."""
    if action == "approve":
        return store.approve(approval_id, reviewer.name, reason)
    if action == "reject":
        return store.reject(approval_id, reviewer.name, reason or "")
    if action == "edit":
        if output is None:
            raise ValueError("an edit needs the new output")
        return store.edit_and_approve(approval_id, reviewer.name, output, reason)
    raise ValueError(f"unknown action {action!r}")


def bulk_approve_low_risk(store: ApprovalStore, reviewer: Reviewer, ids: list[str] | None) -> dict:
    """Approve pending low-risk items (all of them, or those in `ids`); anything else is skipped with a reason."""
    low = {a.id: a for a in store.list(status="pending", risk="low", limit=10_000)}
    approved, skipped = [], {}
    for approval_id in (ids if ids is not None else list(low)):
        if approval_id not in low:
            skipped[approval_id] = "not a pending low-risk item"
            continue
        try:
            approved.append(store.approve(approval_id, reviewer.name, "bulk approval of low-risk items").id)
        except AlreadyDecided as exc:
            skipped[approval_id] = str(exc)
    return {"approved": approved, "skipped": skipped}
