"""What one run was, for `aiwf audit show`: its Dagster record (status, failure, duration, re-executions) and what
aiwf's state store holds for it (model calls and cost from the ledger, quarantined rows).

Only Dagster's public instance API is used: run ids are matched by prefix (the UI shows the first 8 characters),
re-executions are found by the tags Dagster sets on them (`dagster/parent_run_id`, `dagster/root_run_id`) and by
the tag `aiwf quarantine retry` sets (`aiwf/redrive_of`).
"""

from collections import Counter

from pipelines.cli.quarantine import REDRIVE_OF_TAG, REDRIVE_TAG
from resources.llm.ledger import CallLedger, summarize
from resources.state.quarantine import Quarantine
from resources.state.store import Store

PARENT_TAG, ROOT_TAG = "dagster/parent_run_id", "dagster/root_run_id"
QUARANTINE_COLUMNS = ("asset_key", "partition_key", "row_key", "error_class", "reason", "attempts", "status")
NOT_IN_INSTANCE = {"status": None, "job": None, "partition": None, "started": None, "ended": None, "duration_s": None,
                   "failure_reason": None, "parent_run_id": None, "root_run_id": None, "aiwf_tags": {},
                   "re_executions": []}  # what `--json` says of a run only the audit trail knows


class AmbiguousRunId(ValueError):
    """A short id that more than one run starts with."""

    def __init__(self, prefix: str, candidates: list):
        self.candidates = candidates
        listed = "; ".join(f"{r.run_id} ({r.job_name}, {r.status.value})" for r in candidates[:10])
        more = f" and {len(candidates) - 10} more" if len(candidates) > 10 else ""
        super().__init__(f"run id {prefix!r} matches {len(candidates)} runs: {listed}{more}; give more characters")


def resolve_run_id(instance, given: str) -> str | None:
    """The full id of the one run whose id starts with `given`; None when no run in the instance matches."""
    if instance.get_run_record_by_id(given) is not None:
        return given
    matches = [run_id for run_id in instance.get_run_ids() if run_id.startswith(given.lower())]
    if len(matches) > 1:
        raise AmbiguousRunId(given, list(instance.get_runs(_filter(run_ids=matches))))
    return matches[0] if matches else None


def dagster_story(instance, run_id: str) -> dict:
    """Status, job, partition, timing, failure reason and re-executions of a run (NOT_IN_INSTANCE's keys)."""
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return dict(NOT_IN_INSTANCE)
    run = record.dagster_run
    start, end = record.start_time, record.end_time
    return {
        "status": run.status.value, "job": run.job_name, "partition": run.tags.get("dagster/partition"),
        "started": start, "ended": end,
        "duration_s": round(end - start, 3) if start is not None and end is not None else None,
        "failure_reason": failure_reason(instance, run_id),
        "parent_run_id": run.parent_run_id, "root_run_id": run.root_run_id,
        "aiwf_tags": {k: v for k, v in run.tags.items() if k.startswith("aiwf/")},
        "re_executions": re_executions(instance, run_id),
    }


def failure_reason(instance, run_id: str) -> str | None:
    """Why the run failed: each failed step with its underlying error, else the run failure message."""
    from dagster import DagsterEventType

    from resources.safety.pii import redact_secrets

    reasons = []
    for record in instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_FAILURE).records:
        event = record.event_log_entry.dagster_event
        reasons.append(f"step {event.step_key} failed: {_root_error(event.event_specific_data.error, event.message)}")
    if not reasons:
        for record in instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_FAILURE).records:
            reasons.append(record.event_log_entry.dagster_event.message or "the run failed")
    return redact_secrets("; ".join(reasons)) if reasons else None


def _root_error(error, fallback: str | None) -> str:
    """The first line of the innermost cause: the user's ValueError, not Dagster's wrapper around it."""
    while error is not None and error.cause is not None:
        error = error.cause
    lines = ((error.message if error else fallback) or "").strip().splitlines()
    return lines[0] if lines else "no message"


def re_executions(instance, run_id: str) -> list[dict]:
    """Runs started again from this one, by tag: re-executions from the UI and the daemon's run retries (Dagster
    tags them), and `aiwf quarantine retry` re-drives."""
    found: dict[str, dict] = {}
    for tag, how in ((PARENT_TAG, "re-execution"), (ROOT_TAG, "re-execution"), (REDRIVE_OF_TAG, "quarantine re-drive")):
        for run in instance.get_runs(_filter(tags={tag: run_id})):
            found.setdefault(run.run_id, {"run_id": run.run_id, "how": how, "status": run.status.value,
                                          "job": run.job_name, "parent_run_id": run.tags.get(PARENT_TAG)})
    return sorted(found.values(), key=lambda r: r["run_id"])


def state_story(store: Store, run_id: str) -> dict:
    """Model calls and cost from the call ledger; rows the run quarantined (open or since resolved)."""
    calls = summarize(CallLedger(store).rows([run_id]))
    rows = [{c: r[c] for c in QUARANTINE_COLUMNS} for r in Quarantine(store).rows(status=None, run_id=run_id)]
    return {"calls": calls, "cost_usd": calls["cost_usd"], "quarantined": rows}


def status_lines(story: dict) -> list[str]:
    """The run's headline: status, job, partition, duration, failure and lineage."""
    if story.get("status") is None:
        return ["Status: not in this Dagster instance (only the audit trail and aiwf's state are shown)."]
    duration = "still running" if story["duration_s"] is None else f"took {story['duration_s']:.1f}s"
    lines = [f"Status: {story['status']}, job {story['job']}"
             + (f", partition {story['partition']}" if story["partition"] else "") + f", {duration}."]
    if story["failure_reason"]:
        lines.append(f"  Failure: {story['failure_reason']}")
    if story["parent_run_id"]:
        lines.append(f"  A re-execution of run {story['parent_run_id']} (root {story['root_run_id']}).")
    if REDRIVE_TAG in story["aiwf_tags"]:
        lines.append(f"  A quarantine re-drive of {story['aiwf_tags'][REDRIVE_TAG]}"
                     + (f" for run {story['aiwf_tags'][REDRIVE_OF_TAG]}." if REDRIVE_OF_TAG in story["aiwf_tags"]
                        else "."))
    return lines


def quarantine_lines(rows: list[dict], redriven: bool = False) -> list[str]:
    """Rows this run quarantined; a re-drive that quarantines a row again records it under its own run."""
    if not rows:
        return ["Quarantined rows: none" + (" still under this run (rows that failed again are under its "
                                            "re-drives, below)." if redriven else ".")]
    classes = Counter(r["error_class"] for r in rows)
    lines = [f"Quarantined rows: {len(rows)} (" + ", ".join(f"{c} x{n}" for c, n in classes.most_common()) + ")"]
    lines += [f"  {r['asset_key']} [{r['partition_key'] or '-'}] {r['row_key']} {r['error_class']} ({r['status']}): "
              f"{r['reason']}" for r in rows]
    return lines


def re_execution_lines(runs: list[dict]) -> list[str]:
    if not runs:
        return ["Re-executions: none."]
    return [f"Re-executions: {len(runs)}."] + [f"  {r['run_id']} {r['how']} ({r['job']}): {r['status']}" for r in runs]


def _filter(**fields):
    from dagster import RunsFilter

    return RunsFilter(**fields)
