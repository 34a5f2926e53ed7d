"""A run's model spend where users look: each finished run is tagged with its cost, tokens, calls and cache hits.

Tags show in the Runs list and on the run page (`aiwf/cost_usd`, `aiwf/tokens`, `aiwf/llm_calls`,
`aiwf/cache_hits`, and `aiwf/offline` when the offline test double answered). Figures are the call ledger's
totals for the run (resources/llm/ledger.py `summarize`): what the run paid, not what its data cost (that is
`data_cost_usd` in asset metadata). The sensor follows Dagster's run-finished events (success, failure,
cancellation) by storage id, so adding tags, which touches the run record, never makes a run come round again.
Tagging is idempotent. A run of a model-calling job (tag `aiwf/provider`, set by pipelines/policy.py) is tagged
even when it paid nothing (all answers from checkpoints or the cache: cost 0); other runs only if they called a model.
"""

import dagster as dg
from dagster import DagsterEventType

from resources.llm.ledger import CallLedger, summarize
from resources.state.resource import StateResource

MODEL_JOB_TAG = "aiwf/provider"
FINISHED = (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED)
BATCH = 50


def cost_tags(ledger_rows: list[dict]) -> dict[str, str]:
    """The run tags for a run's ledger rows (zeros when there are none)."""
    totals = summarize(ledger_rows)
    tags = {"aiwf/cost_usd": f"{totals['cost_usd']:.6f}", "aiwf/tokens": str(totals["tokens"]),
            "aiwf/llm_calls": str(totals["llm_calls"]), "aiwf/cache_hits": str(totals["cache_hits"])}
    if totals["offline"]:
        tags["aiwf/offline"] = "true"
    return tags


def tag_run_cost(instance: dg.DagsterInstance, run_id: str, ledger: CallLedger) -> bool:
    """Add (or correct) a finished run's cost tags; False when nothing changed."""
    run = instance.get_run_by_id(run_id)
    rows = ledger.rows([run_id]) if run is not None else []
    if run is None or not (rows or MODEL_JOB_TAG in run.tags):
        return False
    tags = cost_tags(rows)
    if all(run.tags.get(k) == v for k, v in tags.items()):
        return False
    instance.add_run_tags(run_id, tags)
    return True


def finished_since(instance: dg.DagsterInstance, after: int | None) -> list[dg.EventLogRecord]:
    """Run-finished events after storage id `after`, oldest first, at most BATCH (none skipped across types)."""
    records = []
    for event_type in FINISHED:
        records += instance.fetch_run_status_changes(
            dg.RunStatusChangeRecordsFilter(event_type=event_type, after_storage_id=after),
            limit=BATCH, ascending=True).records
    return sorted(records, key=lambda r: r.storage_id)[:BATCH]


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Tags each finished run with its model cost, tokens, calls and cache hits (Runs list).")
def run_cost_sensor(context: dg.SensorEvaluationContext, state: StateResource) -> dg.SkipReason:
    """Cursor = storage id of the last run-finished event handled."""
    records = finished_since(context.instance, int(context.cursor) if context.cursor else None)
    ledger = CallLedger(state.store())
    tagged = sum(tag_run_cost(context.instance, r.event_log_entry.run_id, ledger) for r in records)
    if records:
        context.update_cursor(str(records[-1].storage_id))
    return dg.SkipReason(f"{len(records)} finished runs looked at, {tagged} tagged with their cost")
