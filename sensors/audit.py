"""Keep the audit trail current: after each run finishes, append its model calls and check outcomes."""

from datetime import datetime, timezone

import dagster as dg
from dagster import DagsterRunStatus

from resources.audit.log import AuditLog
from resources.audit.sync import sync_run
from resources.state.resource import StateResource

FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Appends each finished run's model calls and check outcomes to the audit trail.")
def finished_runs_audit_sensor(context: dg.SensorEvaluationContext, state: StateResource) -> dg.SkipReason:
    """Cursor = update time of the last run synced; syncing is idempotent, so a repeated run costs nothing."""
    after = datetime.fromtimestamp(float(context.cursor or 0), tz=timezone.utc)
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(statuses=FINISHED, updated_after=after), order_by="update_timestamp",
        ascending=True, limit=50)
    log = AuditLog(state.store())
    appended = sum(sync_run(context.instance, r.dagster_run.run_id, log) for r in records)
    if records:
        context.update_cursor(str(records[-1].update_timestamp.timestamp()))
    return dg.SkipReason(f"{len(records)} finished runs synced, {appended} audit events appended")
