"""The approvals store: items waiting for a human decision, with diff, evidence, risk and who decided.

Rows live in aiwf's one Store, handed over by the `state` resource (resources/approvals/resource.py). `propose()` is keyed by
workflow + item key + output hash, so re-running a partition never queues the same proposal twice. Every
decision is also appended to `approval_decisions`, whose sequence number is the cursor sensors follow.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Protocol

import dagster as dg

from resources import telemetry
from resources.approvals.edits import check_edit
from resources.approvals.record import APPROVED, Approval, make_diff, output_hash, to_text  # noqa: F401  (re-exported)
from resources.audit.log import AuditLog
from resources.state.store import Store

RISKS = ("low", "medium", "high")


class ApprovalNotFound(KeyError):
    """No approval with this id (the review API answers 404)."""


class AlreadyDecided(RuntimeError):
    """The approval was decided before (the review API answers 409)."""


class CorrectionSink(Protocol):
    """Where reviewers' edits are remembered besides the approvals store (the bound MemoryResource)."""

    def record_correction(self, **fields) -> object: ...


class ApprovalStore:
    """Propose, list and decide approvals; decisions are atomic (first decider wins, others get AlreadyDecided).

    `corrections_to` (episodic memory) also receives each reviewer's edit; a failure there never undoes a decision.
    """

    def __init__(self, store: Store, corrections_to: CorrectionSink | None = None):
        self.store, self.corrections_to = store, corrections_to
        self.audit = AuditLog(store)

    def propose(
        self, workflow: str, item_key: str, output: Any, *, current: Any = None, evidence: dict | None = None,
        risk: str = "medium", reasons: list[str] | None = None, run_id: str | None = None,
        partition_key: str | None = None, on_approve: str | None = None,
    ) -> Approval:
        """Queue an item for review, or return the existing approval for the same output (idempotent);
        `on_approve` says in words what approving it will do (the review page shows it)."""
        if risk not in RISKS:
            raise ValueError(f"risk must be one of {RISKS}, got {risk!r}")
        digest = output_hash(output)
        approval_id = "apr_" + hashlib.sha256(f"{workflow}\0{item_key}\0{digest}".encode()).hexdigest()[:20]
        row = [approval_id, workflow, str(item_key), digest, json.dumps(output, default=str),
               json.dumps(current, default=str), make_diff(current, output), json.dumps(evidence or {}, default=str),
               json.dumps(list(reasons or [])), risk, "pending", run_id, partition_key, time.time(), on_approve]
        with self.store.transaction() as cur:
            cur.execute(
                "INSERT INTO approvals (id, workflow, item_key, output_hash, proposed_output, current_version, "
                "diff, evidence, reasons, risk, status, run_id, partition_key, created_at, on_approve) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING", row)
            created = cur.rowcount == 1
            if not created and on_approve:  # proposed before its proposer said what approving does
                cur.execute("UPDATE approvals SET on_approve = ? WHERE id = ? AND on_approve IS NULL",
                            (on_approve, approval_id))
            if not created:  # the same output proposed again: revive it if a newer proposal had replaced it
                cur.execute("UPDATE approvals SET status = 'pending' WHERE id = ? AND status = 'superseded'",
                            (approval_id,))
            if created or cur.rowcount == 1:  # any other pending proposal for this item is stale now
                cur.execute("UPDATE approvals SET status = 'superseded' WHERE workflow = ? AND item_key = ? "
                            "AND status = 'pending' AND id <> ?", (workflow, str(item_key), approval_id))
            if created:
                self._audit(cur, "approval_requested", approval_id, {"reasons": list(reasons or []), "risk": risk})
        self._flush_audit()
        return self.get(approval_id)

    def get(self, approval_id: str) -> Approval:
        rows = self.store.query("SELECT * FROM approvals WHERE id = ?", (approval_id,))
        if not rows:
            raise ApprovalNotFound(approval_id)
        return Approval.from_row(rows[0])

    def list(self, status: str | None = None, workflow: str | None = None, risk: str | None = None,
             limit: int = 500) -> list[Approval]:
        """Approvals, oldest first, filtered by any of status, workflow and risk."""
        where, params = [], []
        for column, value in (("status", status), ("workflow", workflow), ("risk", risk)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT * FROM approvals" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self.store.query(sql + " ORDER BY created_at, id LIMIT ?", [*params, int(limit)])
        return [Approval.from_row(r) for r in rows]

    def approve(self, approval_id: str, by: str, reason: str | None = None) -> Approval:
        return self._decide(approval_id, "approved", by, reason)

    def reject(self, approval_id: str, by: str, reason: str) -> Approval:
        if not (reason or "").strip():
            raise ValueError("a rejection needs a reason")
        return self._decide(approval_id, "rejected", by, reason.strip())

    def edit_and_approve(self, approval_id: str, by: str, output: Any, reason: str | None = None) -> Approval:
        """Replace the proposal with the reviewer's version, approve it and record the correction; an edit that
        moves money elsewhere or more of it is refused (EditRefused, resources/approvals/edits.py)."""
        before = self.get(approval_id)
        check_edit(before.proposed_output, output)
        decided = self._decide(approval_id, "edited", by, reason, final_output=output)
        self._record_correction(decided, before.proposed_output, output, by, reason)
        return decided

    def _record_correction(self, approval: Approval, before: Any, after: Any, reviewer: str,
                           reason: str | None) -> bool:
        """Keep a reviewer's edit in `approval_corrections`, and in memory when there is one; True if memory got it."""
        in_memory = self._to_memory(dict(
            workflow=approval.workflow, item_key=approval.item_key, before=before, after=after, reviewer=reviewer,
            reason=reason, approval_id=approval.id, run_id=approval.run_id, partition_key=approval.partition_key))
        self.store.execute(
            "INSERT INTO approval_corrections (approval_id, workflow, item_key, before_output, after_output, "
            "reviewer, reason, ts, in_memory) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (approval.id, approval.workflow, approval.item_key, json.dumps(before, default=str),
             json.dumps(after, default=str), reviewer, reason, time.time(), int(in_memory)))
        return in_memory

    def _to_memory(self, fields: dict) -> bool:
        if self.corrections_to is None:
            return False
        try:
            self.corrections_to.record_correction(**fields)
            return True
        except Exception as exc:  # memory is best effort; the correction is safe in the approvals store
            dg.get_dagster_logger().warning(f"correction for {fields['approval_id']} not written to memory: {exc!r}")
            return False

    def decisions_after(self, seq: int, workflow: str | None = None, limit: int = 200) -> list[dict]:
        """Decisions with a sequence number above `seq`, in order: what a sensor cursor follows."""
        sql, params = "SELECT * FROM approval_decisions WHERE seq > ?", [int(seq)]
        if workflow:
            sql, params = sql + " AND workflow = ?", [*params, workflow]
        return self.store.query(sql + " ORDER BY seq LIMIT ?", [*params, int(limit)])

    def created_by_run(self, run_id: str) -> int:
        """How many approvals a run proposed (a shadow run must propose none)."""
        return int(self.store.execute("SELECT COUNT(*) FROM approvals WHERE run_id = ?", (run_id,))[0][0])

    def requested_by_workflow(self, since: float, until: float) -> dict[str, int]:
        """workflow -> approvals proposed with since <= created_at < until."""
        rows = self.store.execute("SELECT workflow, COUNT(*) FROM approvals WHERE created_at >= ? AND created_at < ? "
                                  "GROUP BY workflow", (since, until))
        return {workflow: int(n) for workflow, n in rows}

    def decision_counts(self, since: float, until: float, by_day: bool = False) -> dict[tuple, int]:
        """(workflow, status[, UTC day number]) -> decisions made with since <= decided_at < until."""
        day = f", {self.store.day_number('decided_at')}" if by_day else ""
        rows = self.store.execute(f"SELECT workflow, status{day}, COUNT(*) FROM approval_decisions "
                                  f"WHERE decided_at >= ? AND decided_at < ? GROUP BY 1, 2{', 3' if by_day else ''}",
                                  (since, until))
        return {tuple(r[:-1]): int(r[-1]) for r in rows}

    def workflows_of(self, approval_ids: list[str]) -> dict[str, str]:
        """approval id -> its workflow (ids not found are left out)."""
        out: dict[str, str] = {}
        for start in range(0, len(approval_ids), 500):
            chunk = approval_ids[start:start + 500]
            rows = self.store.execute(f"SELECT id, workflow FROM approvals WHERE id IN ({', '.join('?' * len(chunk))})",
                                      chunk)
            out.update({approval_id: workflow for approval_id, workflow in rows})
        return out

    def latest_decisions(self, workflow: str, partition_key: str) -> dict[str, str]:
        """item key -> the latest decided status of its approvals in this partition (none: not reviewed)."""
        rows = self.store.query("SELECT item_key, status FROM approvals WHERE workflow = ? AND partition_key = ? AND "
                                "status IN ('approved', 'edited', 'rejected') ORDER BY created_at",
                                (workflow, partition_key))
        return {r["item_key"]: r["status"] for r in rows}

    def corrections(self, workflow: str | None = None) -> list[dict]:
        sql, params = "SELECT * FROM approval_corrections", []
        if workflow:
            sql, params = sql + " WHERE workflow = ?", [workflow]
        return self.store.query(sql + " ORDER BY id", params)

    def _decide(self, approval_id: str, status: str, by: str, reason: str | None, final_output: Any = None):
        if not by:
            raise ValueError("a decision needs the reviewer's name")
        now = time.time()  # NaN or Infinity in an edit is a ValueError here, before anything is written
        stored = json.dumps(final_output, allow_nan=False) if final_output is not None else None
        with self.store.transaction() as cur:
            if self.store.dialect == "postgres":  # decision seq order == commit order, so cursors skip nothing
                cur.execute("SELECT pg_advisory_xact_lock(hashtext('aiwf_approval_decisions'))", ())
            cur.execute(
                "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, reason = ?, final_output = ? "
                "WHERE id = ? AND status = 'pending'",
                (status, by, now, reason, stored, approval_id))
            if cur.rowcount != 1:
                cur.execute("SELECT status, decided_by FROM approvals WHERE id = ?", (approval_id,))
                found = cur.fetchone()
                if not found:
                    raise ApprovalNotFound(approval_id)
                raise AlreadyDecided(f"{approval_id} is already {found[0]}" + (f" by {found[1]}" if found[1] else ""))
            cur.execute("SELECT workflow FROM approvals WHERE id = ?", (approval_id,))
            cur.execute("INSERT INTO approval_decisions (approval_id, workflow, status, decided_by, decided_at, "
                        "reason) VALUES (?, ?, ?, ?, ?, ?)", (approval_id, cur.fetchone()[0], status, by, now, reason))
            self._audit(cur, "approval_decision", approval_id, {"status": status, "decided_by": by, "reason": reason})
        self._flush_audit()
        decided = self.get(approval_id)
        if telemetry.enabled():  # the wait for a human as a span in the proposing run's trace
            from resources.telemetry.spans import approval_decided

            approval_decided(decided)
        return decided

    def _audit(self, cur, kind: str, approval_id: str, payload: dict) -> None:
        """Queue the audit record in the same transaction as the change it records (the audit outbox)."""
        cur.execute("SELECT * FROM approvals WHERE id = ?", (approval_id,))
        approval = Approval.from_row(dict(zip([d[0] for d in cur.description], cur.fetchone())))
        self.audit.enqueue(
            cur, kind, {"approval_id": approval.id, "workflow": approval.workflow, "item_key": approval.item_key,
                        **payload},
            {"run_id": approval.run_id, "partition_key": approval.partition_key,
             "output_hash": output_hash(approval.output)})

    def _flush_audit(self) -> None:
        """Write queued audit records now; if that fails they stay queued for the next append, never lost."""
        try:
            self.audit.flush()
        except Exception as exc:  # noqa: BLE001 - the decision is committed and its record is safe in the outbox
            dg.get_dagster_logger().warning(f"audit records wait in the outbox: {exc!r}")
