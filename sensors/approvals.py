"""Acting on decisions: launch a workflow's downstream job once for each approved item.

Exactly once, by two guards: the cursor is the last decision sequence number seen (so a tick never re-reads
what an earlier tick handled), and every RunRequest has run_key = approval id, which Dagster never launches
twice for a sensor, even if a tick is retried or the daemon restarts before the cursor is saved. The sensor
also skips approvals that already have a run tagged with their id, so resetting the cursor is safe too.
The launched run finds its approval with `approval_for_run(context)`.
"""

from typing import Callable

import dagster as dg

from resources.approvals.edits import edit_problems
from resources.approvals.resource import ApprovalsResource
from resources.approvals.store import APPROVED, Approval

APPROVAL_TAG = "aiwf/approval_id"


def approved_items_sensor(
    workflow: str, job, name: str | None = None,
    run_config: Callable[[Approval], dict] | None = None, partitioned: bool = False,
    minimum_interval_seconds: int = 30, default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
) -> dg.SensorDefinition:
    """A sensor that requests one run of `job` per approved (or edited-and-approved) item of `workflow`."""

    @dg.sensor(name=name or f"{workflow}_approved_items_sensor", job=job,
               minimum_interval_seconds=minimum_interval_seconds, default_status=default_status,
               description=f"Runs {getattr(job, 'name', job)} once for each approved {workflow} item.")
    def _sensor(context: dg.SensorEvaluationContext, approvals: ApprovalsResource) -> dg.SensorResult:
        store = approvals.store()
        decisions = store.decisions_after(int(context.cursor or 0), workflow)
        if not decisions:
            return dg.SensorResult(skip_reason=f"no new {workflow} decisions")
        approved_ids = [d["approval_id"] for d in decisions if d["status"] in APPROVED]
        launched = _already_launched(context.instance, approved_ids)
        requests = []
        for approval_id in approved_ids:
            if approval_id in launched:
                continue
            approval = store.get(approval_id)
            requests.append(dg.RunRequest(
                run_key=approval.id,
                run_config=run_config(approval) if run_config else {},
                partition_key=approval.partition_key if partitioned else None,
                tags={APPROVAL_TAG: approval.id, "aiwf/item_key": approval.item_key[:255],
                      "aiwf/decided_by": approval.decided_by or ""},
            ))
        context.log.info(f"{len(decisions)} decisions read, {len(requests)} runs requested")
        return dg.SensorResult(run_requests=requests, cursor=str(decisions[-1]["seq"]))

    return _sensor


def _already_launched(instance, approval_ids: list[str]) -> set[str]:
    if not approval_ids or instance is None:
        return set()
    runs = instance.get_runs(filters=dg.RunsFilter(tags={APPROVAL_TAG: approval_ids}))
    return {run.tags.get(APPROVAL_TAG) for run in runs}


def approval_for_run(context, approvals: ApprovalsResource) -> Approval:
    """The approval a sensor-launched run acts on (use `.output`: the reviewer's edit when there is one)."""
    approval_id = context.run.tags.get(APPROVAL_TAG)
    if not approval_id:
        raise dg.Failure(f"run {context.run_id} was not launched for an approval (no {APPROVAL_TAG} tag)")
    approval = approvals.get(approval_id)
    if not approval.approved:
        raise dg.Failure(f"approval {approval_id} is {approval.status}, not approved")
    # The edit rules again where money moves: an edit written past the store (straight into its table) stops here.
    if approval.final_output is not None:
        problems = edit_problems(approval.proposed_output, approval.final_output)
        if problems:
            raise dg.Failure(f"approval {approval_id}: the approved edit is refused: {'; '.join(problems)}")
    return approval
