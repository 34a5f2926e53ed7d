"""A finished Dagster run as spans: the run's root span, one span per step and one per asset-check evaluation.

Written once per run from Dagster's own records (the run record and its event log), by whichever process
sees the run finish: `run_traces_sensor` (sensors/run_traces.py) in a deployment, `aiwf demo` after each of
its in-process runs. The ids are the run's own (resources/telemetry/ids.py), so the model-call, connector
and approval spans that step processes exported while the run was going join this trace under these spans.
A run tag (`aiwf/trace_exported`) keeps the root span from being written twice.
"""

import dagster as dg
from dagster import DagsterEventType as E

from resources.telemetry import ids, traces_on
from resources.telemetry.provider import current

EXPORTED_TAG = "aiwf/trace_exported"
PARTITION_TAG = "dagster/partition"
_EVENTS = {E.STEP_START, E.STEP_SUCCESS, E.STEP_FAILURE, E.STEP_SKIPPED, E.STEP_UP_FOR_RETRY,
           E.ASSET_MATERIALIZATION, E.ASSET_CHECK_EVALUATION}
_END = {E.STEP_SUCCESS: "success", E.STEP_FAILURE: "failure", E.STEP_SKIPPED: "skipped"}


def export_run(instance: dg.DagsterInstance, run_id: str) -> int:
    """Write a finished run's spans; the number written (0: tracing off, run not finished or already written)."""
    if not traces_on():
        return 0
    record = instance.get_run_record_by_id(run_id)
    if record is None or not record.dagster_run.is_finished or record.dagster_run.tags.get(EXPORTED_TAG):
        return 0
    run = record.dagster_run
    entries = instance.all_logs(run_id, of_type=_EVENTS)
    steps, checks = _steps(entries), []
    for entry in entries:
        if entry.dagster_event.event_type == E.ASSET_CHECK_EVALUATION:
            checks.append(entry)
    _add_planned_assets(instance, run, steps)
    start = record.start_time or record.create_timestamp.timestamp()
    end = record.end_time or max([start, *(e.timestamp for e in entries)])
    telemetry, trace_id, root = current(), ids.trace_id(run_id), ids.run_span_id(run_id)
    telemetry.emit(
        f"run {run.job_name}", trace_id=trace_id, span_id=root, start_ns=_ns(start), end_ns=_ns(end),
        error="run_" + run.status.value.lower() if run.status != dg.DagsterRunStatus.SUCCESS else None,
        attributes={"dagster.run_id": run_id, "dagster.job": run.job_name, "dagster.partition": run.tags.get(
            PARTITION_TAG), "dagster.run.status": run.status.value})
    for key, step in steps.items():
        telemetry.emit(
            f"step {key}", trace_id=trace_id, span_id=ids.step_span_id(run_id, key), parent_span_id=root,
            start_ns=_ns(step["start"]), end_ns=_ns(step["end"] or end), error=step["error"],
            attributes={"dagster.run_id": run_id, "dagster.step_key": key,
                        "dagster.asset_key": _one_or_all(step["assets"]), "dagster.step.status": step["status"],
                        "dagster.step.attempts": step["attempts"]})
    for entry in checks:
        check = entry.dagster_event.event_specific_data
        step_key = entry.step_key
        telemetry.emit(
            f"check {check.check_name}", trace_id=trace_id, start_ns=_ns(entry.timestamp), end_ns=_ns(entry.timestamp),
            parent_span_id=ids.step_span_id(run_id, step_key) if step_key in steps else root,
            error=None if check.passed else "check_failed",
            attributes={"dagster.step_key": step_key, "dagster.asset_key": check.asset_key.to_user_string(),
                        "aiwf.check.name": check.check_name, "aiwf.check.passed": check.passed,
                        "aiwf.check.severity": check.severity.value, "aiwf.check.blocking": check.blocking})
    telemetry.flush()
    instance.add_run_tags(run_id, {EXPORTED_TAG: "1"})
    return 1 + len(steps) + len(checks)


def _steps(entries) -> dict[str, dict]:
    """Per step key: first start, last end, status, attempts, error and the assets it materialized."""
    steps: dict[str, dict] = {}
    for entry in entries:
        key, event = entry.step_key, entry.dagster_event
        if not key:
            continue
        step = steps.setdefault(key, {"start": entry.timestamp, "end": None, "status": "started", "attempts": 0,
                                      "error": None, "assets": set()})
        kind = event.event_type
        if kind == E.STEP_START:
            step["attempts"] += 1
        elif kind in _END:
            step["end"], step["status"] = entry.timestamp, _END[kind]
            error = getattr(event.event_specific_data, "error", None) if kind == E.STEP_FAILURE else None
            step["error"] = (getattr(error, "cls_name", None) or "step_failure") if kind == E.STEP_FAILURE else None
        elif kind == E.ASSET_MATERIALIZATION and event.asset_key is not None:
            step["assets"].add(event.asset_key.to_user_string())
    return steps


def _add_planned_assets(instance, run, steps: dict) -> None:
    """Asset keys a step was to materialize or check, for steps that failed before materializing any."""
    if not run.execution_plan_snapshot_id:
        return
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    for snap in plan.steps if plan else []:
        if snap.key in steps and not steps[snap.key]["assets"]:
            for output in snap.outputs:
                props = output.properties
                key = props and (props.asset_key or (props.asset_check_key and props.asset_check_key.asset_key))
                if key:
                    steps[snap.key]["assets"].add(key.to_user_string())


def _one_or_all(assets: set[str]) -> str | list[str] | None:
    return None if not assets else next(iter(assets)) if len(assets) == 1 else sorted(assets)


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)
