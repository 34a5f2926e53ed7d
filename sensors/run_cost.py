"""A run's model spend where users look: each finished run is tagged with its cost, tokens, calls and cache hits.

Tags show in the Runs list and on the run page (`aiwf/cost_usd`, `aiwf/tokens`, `aiwf/llm_calls`,
`aiwf/cache_hits`, and `aiwf/offline` when the offline test double answered). Figures are the call ledger's
totals for the run (resources/llm/ledger.py `summarize`): what the run paid, not what its data cost (that is
`data_cost_usd` in asset metadata). The sensor follows Dagster's run-finished events (success, failure,
cancellation) by storage id, so adding tags, which touches the run record, never makes a run come round again.
Tagging is idempotent. A run of a model-calling job (tag `aiwf/provider`, set by pipelines/policy.py) is tagged
even when it paid nothing (all answers from checkpoints or the cache: cost 0); other runs only if they called a model.

A re-execution starts with its parent's tags, cost tags included (Dagster copies them). So that a running
re-execution never shows its parent's cost as its own, each tick also re-tags every re-execution queued or in
progress (tag `dagster/parent_run_id`) that carries cost tags with its own ledger figures so far.
"""

import dagster as dg
from dagster import DagsterEventType

from resources.llm.ledger import CallLedger, summarize
from resources.state.resource import StateResource
from sensors.run_lookup import IN_FLIGHT

MODEL_JOB_TAG = "aiwf/provider"
PARENT_TAG = "dagster/parent_run_id"  # set by Dagster on a re-execution, which also copies its parent's tags
OFFLINE_TAG = "aiwf/offline"
COST_KEYS = ("aiwf/cost_usd", "aiwf/tokens", "aiwf/llm_calls", "aiwf/cache_hits")
FINISHED = (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED)
BATCH = 50


def cost_tags(ledger_rows: list[dict]) -> dict[str, str]:
    """The run tags for a run's ledger rows (zeros when there are none)."""
    totals = summarize(ledger_rows)
    tags = dict(zip(COST_KEYS, (f"{totals['cost_usd']:.6f}", str(totals["tokens"]), str(totals["llm_calls"]),
                                str(totals["cache_hits"]))))
    if totals["offline"]:
        tags[OFFLINE_TAG] = "true"
    return tags


def _own_tags(run: dg.DagsterRun, rows: list[dict]) -> dict[str, str]:
    """`cost_tags(rows)`, and a copied `aiwf/offline` turned false (Dagster cannot remove a tag)."""
    tags = cost_tags(rows)
    if OFFLINE_TAG in run.tags and OFFLINE_TAG not in tags:
        tags[OFFLINE_TAG] = "false"
    return tags


def _retag(instance: dg.DagsterInstance, run: dg.DagsterRun, tags: dict[str, str]) -> bool:
    if all(run.tags.get(k) == v for k, v in tags.items()):
        return False
    instance.add_run_tags(run.run_id, tags)
    return True


def tag_run_cost(instance: dg.DagsterInstance, run_id: str, ledger: CallLedger) -> bool:
    """Add (or correct) a finished run's cost tags; False when nothing changed."""
    run = instance.get_run_by_id(run_id)
    rows = ledger.rows([run_id]) if run is not None else []
    if run is None or not (rows or MODEL_JOB_TAG in run.tags):
        return False
    return _retag(instance, run, _own_tags(run, rows))


def tag_reexecutions_in_flight(instance: dg.DagsterInstance, ledger: CallLedger) -> int:
    """Re-tag re-executions queued or in progress whose cost tags may be their parent's: how many changed."""
    runs = [run for run in instance.get_runs(filters=dg.RunsFilter(statuses=IN_FLIGHT), limit=BATCH * 4)
            if PARENT_TAG in run.tags and any(k in run.tags for k in COST_KEYS)]
    return sum(_retag(instance, run, _own_tags(run, ledger.rows([run.run_id]))) for run in runs)


def finished_since(instance: dg.DagsterInstance, after: int | None) -> list[dg.EventLogRecord]:
    """Run-finished events after storage id `after`, oldest first, at most BATCH (none skipped across types)."""
    records = []
    for event_type in FINISHED:
        records += instance.fetch_run_status_changes(
            dg.RunStatusChangeRecordsFilter(event_type=event_type, after_storage_id=after),
            limit=BATCH, ascending=True).records
    return sorted(records, key=lambda r: r.storage_id)[:BATCH]


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Tags each finished run with its model cost, tokens, calls and cache hits (Runs list), "
                       "and a running re-execution with its own cost so far.")
def run_cost_sensor(context: dg.SensorEvaluationContext, state: StateResource) -> dg.SkipReason:
    """Cursor = storage id of the last run-finished event handled."""
    records = finished_since(context.instance, int(context.cursor) if context.cursor else None)
    ledger = CallLedger(state.store())
    tagged = sum(tag_run_cost(context.instance, r.event_log_entry.run_id, ledger) for r in records)
    running = tag_reexecutions_in_flight(context.instance, ledger)
    if records:
        context.update_cursor(str(records[-1].storage_id))
    return dg.SkipReason(f"{len(records)} finished runs looked at, {tagged} tagged with their cost; "
                         f"{running} running re-execution(s) tagged with their own cost so far")
