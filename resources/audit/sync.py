"""Bringing other records into the audit trail: model calls from the call ledger, check outcomes from Dagster.

Each source keeps its position in `audit_sync`, read and advanced under the audit log's lock, so every ledger
row and every check evaluation is appended exactly once however often (and from wherever) a sync runs.
"""

from resources.audit.log import AuditLog
from resources.state.store import Store


def sync_ledger_to_audit(log: AuditLog) -> int:
    """Copy model calls from the call ledger into the audit log, each exactly once; returns how many."""
    from resources.llm.ledger_reads import rows_after

    with log.locked():
        done = _position(log.store, "llm_calls")
        rows = rows_after(log.store, done)
        for row in rows:
            log.append("model_call", _model_call_payload(row), _model_call_provenance(row))
        if rows:
            _set_position(log.store, "llm_calls", rows[-1]["id"])
    return len(rows)


def sync_checks_to_audit(instance, run_id: str, log: AuditLog) -> int:
    """Copy a Dagster run's asset-check outcomes into the audit log, each exactly once."""
    from dagster import DagsterEventType

    with log.locked():
        done = _position(log.store, f"checks:{run_id}")
        records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
        fresh = [r for r in records if r.storage_id > done]
        for record in fresh:
            ev = record.event_log_entry.dagster_event.event_specific_data
            log.append("check", {
                "asset_key": ev.asset_key.to_user_string(), "check": ev.check_name, "passed": ev.passed,
                "severity": ev.severity.value, "description": ev.description, "blocking": ev.blocking,
                "metadata": {k: str(getattr(v, "value", v))[:500] for k, v in (ev.metadata or {}).items()},
            }, {"run_id": run_id, "partition_key": ev.partition})
        if fresh:
            _set_position(log.store, f"checks:{run_id}", fresh[-1].storage_id)
    return len(fresh)


def sync_run(instance, run_id: str, log: AuditLog) -> int:
    """Bring a finished run's model calls and check outcomes into the audit log."""
    return sync_ledger_to_audit(log) + sync_checks_to_audit(instance, run_id, log)


def _model_call_payload(row: dict) -> dict:
    keys = ("kind", "status", "tier", "tokens_in", "tokens_out", "cost_usd", "latency_ms", "attempt",
            "error_class")
    return {"ledger_id": row["id"], **{k: row.get(k) for k in keys},
            "cache_hit": bool(row.get("cache_hit")), "offline": bool(row.get("offline"))}


def _model_call_provenance(row: dict) -> dict:
    keys = ("run_id", "asset_key", "partition_key", "model", "prompt_name", "prompt_version", "prompt_hash")
    return {**{k: row.get(k) for k in keys}, "input_hash": row.get("request_hash")}


def _position(store: Store, source: str) -> int:
    rows = store.query("SELECT position FROM audit_sync WHERE source = ?", (source,))
    return int(rows[0]["position"]) if rows else 0


def _set_position(store: Store, source: str, position: int) -> None:
    store.execute("INSERT INTO audit_sync (source, position) VALUES (?, ?) "
                  "ON CONFLICT (source) DO UPDATE SET position = excluded.position", (source, int(position)))
