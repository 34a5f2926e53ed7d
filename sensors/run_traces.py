"""Each finished run's root, step and check spans, written once from Dagster's records (resources/telemetry/runs.py).

Why a sensor: it is the one place that sees every run end whatever ran its steps (forked processes, Celery
workers, Kubernetes pods) and whichever way it ended, including runs whose worker died and that the watchdog
failed; a hook inside the run worker would miss those. Dagster's run-status sensors follow one status each;
this one follows success, failure and cancellation with one cursor, like run_cost_sensor. The model-call,
connector and approval spans are exported by the processes that made them, under the ids written here.
With tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT in the daemon) it only moves its cursor.
"""

import dagster as dg

from resources import telemetry
from sensors.run_cost import finished_since


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Exports each finished run's trace root, step and check spans to OpenTelemetry (OTLP).")
def run_traces_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    """Cursor = storage id of the last run-finished event handled."""
    records = finished_since(context.instance, int(context.cursor) if context.cursor else None)
    spans = 0
    if records and telemetry.traces_on():
        from resources.telemetry.runs import export_run

        spans = sum(export_run(context.instance, r.event_log_entry.run_id) for r in records)
    if records:
        context.update_cursor(str(records[-1].storage_id))
    if not telemetry.traces_on():
        return dg.SkipReason(f"tracing is off (OTEL_EXPORTER_OTLP_ENDPOINT unset); {len(records)} finished runs passed")
    return dg.SkipReason(f"{len(records)} finished runs looked at, {spans} spans exported")
