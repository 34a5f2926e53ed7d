"""What Dagster recorded about each run in a window: status, partition, step durations, check outcomes, skips.

Read through the instance's API: `get_run_records` for the runs created in the window, `get_event_records`
(one query per event type, not one per run) for STEP_SUCCESS durations and ASSET_CHECK_EVALUATION outcomes,
and `fetch_materializations` (per asset key, paged) for the `skipped_already_done` figure connectors put on
their materializations.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import dagster as dg

from pipelines.reporting.workflow_index import WorkflowIndex
from sensors.approvals import APPROVAL_TAG

PARTITION_TAG = "dagster/partition"
FINISHED = {s.value for s in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)}


@dataclass
class RunFacts:
    """One run as the report counts it."""

    run_id: str
    workflow: str
    status: str  # DagsterRunStatus value: SUCCESS, FAILURE, CANCELED, STARTED, QUEUED, ...
    created: float
    partition: str | None = None
    steps: dict[str, float] = field(default_factory=dict)  # step key -> seconds (successful steps)
    checks_passed: int = 0
    checks_failed: int = 0
    skipped: int = 0  # side effects skipped as already done

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCESS"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def _events(instance: dg.DagsterInstance, event_type: dg.DagsterEventType, since: float, run_ids: set[str]):
    records = instance.get_event_records(dg.EventRecordsFilter(event_type=event_type, after_timestamp=since))
    for record in records:
        entry = record.event_log_entry
        if entry.run_id in run_ids and entry.dagster_event is not None:
            yield entry


def _materializations(instance: dg.DagsterInstance, since: float, run_ids: set[str]):
    for key in instance.get_asset_keys():
        cursor = None
        while True:
            page = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, after_timestamp=since),
                                                   limit=1000, cursor=cursor)
            yield from (r.event_log_entry for r in page.records if r.event_log_entry.run_id in run_ids)
            if not page.has_more:
                break
            cursor = page.cursor


def _metadata_int(metadata: Mapping, name: str) -> int:
    value = metadata.get(name)
    value = getattr(value, "value", value)
    return int(value) if isinstance(value, (int, float)) else 0


def _selected(run: dg.DagsterRun) -> list[str]:
    return [key.to_user_string() for key in run.asset_selection or ()]


def collect_runs(instance: dg.DagsterInstance, since: float, until: float, index: WorkflowIndex,
                 approval_workflows: Callable[[list[str]], Mapping[str, str]] = lambda ids: {},
                 exclude: set[str] = frozenset()) -> list[RunFacts]:
    """RunFacts for every run created in [since, until), except the run ids in `exclude`."""
    records = instance.get_run_records(filters=dg.RunsFilter(
        created_after=dt.datetime.fromtimestamp(since, dt.UTC),
        created_before=dt.datetime.fromtimestamp(until, dt.UTC)))
    runs = [r.dagster_run for r in records if r.dagster_run.run_id not in exclude]
    created = {r.dagster_run.run_id: r.create_timestamp.timestamp() for r in records}
    ids = {run.run_id for run in runs}
    steps: dict[str, dict[str, float]] = {run_id: {} for run_id in ids}
    for entry in _events(instance, dg.DagsterEventType.STEP_SUCCESS, since, ids):
        steps[entry.run_id][entry.step_key] = entry.dagster_event.event_specific_data.duration_ms / 1000
    checks = {run_id: [0, 0] for run_id in ids}
    for entry in _events(instance, dg.DagsterEventType.ASSET_CHECK_EVALUATION, since, ids):
        checks[entry.run_id][0 if entry.dagster_event.event_specific_data.passed else 1] += 1
    skipped = dict.fromkeys(ids, 0)
    for entry in _materializations(instance, since, ids):
        metadata = entry.asset_materialization.metadata or {}
        skipped[entry.run_id] += _metadata_int(metadata, "skipped_already_done")
    approvals = approval_workflows(sorted({r.tags[APPROVAL_TAG] for r in runs if r.tags.get(APPROVAL_TAG)}))
    return [RunFacts(
        run_id=run.run_id, status=run.status.value, created=created[run.run_id],
        workflow=index.of_run(run.job_name, run.tags, [*steps[run.run_id], *_selected(run)], approvals),
        partition=run.tags.get(PARTITION_TAG), steps=steps[run.run_id], checks_passed=checks[run.run_id][0],
        checks_failed=checks[run.run_id][1], skipped=skipped[run.run_id]) for run in runs]
