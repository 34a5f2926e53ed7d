"""Spans for what a run does besides model calls: connector actions and approval waits."""

import time

from opentelemetry.trace import SpanKind

from resources.telemetry import ids
from resources.telemetry.provider import current


def connector_action(connector, action, started_ns: int, outcome: str, error: str | None = None) -> None:
    """One Connector.execute: the action, its idempotency key and what became of it (sent, skipped, failed,
    in_doubt), under the step that sent it (or its run)."""
    step = getattr(connector, "trace_step", None)
    run_id = step[0] if step else _run_of(getattr(connector, "owner", ""))
    trace_id = ids.trace_id(run_id) if run_id else None
    parent = ids.step_span_id(*step) if step else ids.run_span_id(run_id) if run_id else None
    current().emit(
        f"{connector.name} {action.action}", trace_id=trace_id, parent_span_id=parent, start_ns=started_ns,
        end_ns=time.time_ns(), kind=SpanKind.CLIENT, error=error,
        attributes={"aiwf.connector": connector.name, "aiwf.action.name": action.action,
                    "aiwf.action.workflow": action.workflow, "aiwf.action.idempotency_key": action.key,
                    "aiwf.action.payload_version": action.payload_version, "aiwf.action.outcome": outcome,
                    "aiwf.action.compensates": action.compensates})


def approval_decided(approval) -> None:
    """The time an item waited for a human, from proposal to decision, in the trace of the run that proposed it."""
    if approval.decided_at is None:
        return
    run_id = approval.run_id
    waited = approval.decided_at - approval.created_at
    current().emit(
        f"approval {approval.workflow}", trace_id=ids.trace_id(run_id) if run_id else None,
        parent_span_id=ids.run_span_id(run_id) if run_id else None, start_ns=int(approval.created_at * 1e9),
        end_ns=int(approval.decided_at * 1e9),
        attributes={"aiwf.approval.id": approval.id, "aiwf.approval.workflow": approval.workflow,
                    "aiwf.approval.risk": approval.risk, "aiwf.approval.decision": approval.status,
                    "aiwf.approval.wait_s": round(waited, 3), "dagster.partition": approval.partition_key})


def _run_of(owner: str) -> str | None:
    """The run id in a connector owner `run-<id>` (resources/connectors/resource.py)."""
    return owner[4:] if owner and owner.startswith("run-") else None
