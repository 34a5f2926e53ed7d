"""Act on canary checks (assets/llm_map/canary_check.py): a failed one rolls its prompt's candidate back, so the
next run answers with live only; a passed one marked ready to promote makes the candidate live. Both are Store
status changes (resources/llm/prompt_registry.py) recorded in the audit trail with the check's verdict."""

from datetime import UTC, datetime

import dagster as dg
from dagster import DagsterEventType, DagsterRunStatus

from assets.llm_map.canary_check import CANARY_MARK
from resources.llm.prompt_files import load_prompt_file
from resources.llm.prompt_registry import PromptRegistry
from resources.state.resource import StateResource

ACTOR = "prompt_canary_sensor"
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE]


def _value(meta: dict, key: str, default=None):
    value = meta.get(key, default)
    return getattr(value, "value", value)


def act_on_canary_checks(instance, run_id: str, registry: PromptRegistry) -> list[str]:
    """Roll back or promote per the canary checks of one run; returns what was done, one line each."""
    done = []
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
    for record in records:
        ev = record.event_log_entry.dagster_event.event_specific_data
        meta = ev.metadata or {}
        if not _value(meta, CANARY_MARK) or not _value(meta, "candidate"):
            continue
        pf = load_prompt_file(_value(meta, "prompt_file"))
        eff = registry.effective(pf)
        candidate = _value(meta, "candidate")
        if eff.candidate != candidate:  # already rolled back or promoted (an earlier tick, or by hand)
            continue
        where = f"{ev.check_name} on {ev.asset_key.to_user_string()}" + (f" [{ev.partition}]" if ev.partition else "")
        verdict = _value(meta, "verdict", "")
        if not ev.passed:
            registry.rollback(pf, reason=f"canary check {where} failed in run {run_id}: {verdict}", actor=ACTOR)
            done.append(f"rolled back {pf.name}@{candidate}: {verdict}")
        elif _value(meta, "promote"):
            registry.promote(pf, candidate, reason=f"canary check {where} passed in run {run_id}: {verdict}",
                             actor=ACTOR)
            done.append(f"promoted {pf.name}@{candidate}: {verdict}")
    return done


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Rolls a prompt canary back when its canary check fails (and promotes one marked ready), "
                       "recording why in the audit trail.")
def prompt_canary_sensor(context: dg.SensorEvaluationContext, state: StateResource) -> dg.SkipReason:
    """Cursor = update time of the last finished run looked at; acting twice is a no-op (status is checked)."""
    after = datetime.fromtimestamp(float(context.cursor or 0), tz=UTC)
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(statuses=FINISHED, updated_after=after), order_by="update_timestamp",
        ascending=True, limit=50)
    registry = PromptRegistry(state.store())
    done = [line for r in records for line in act_on_canary_checks(context.instance, r.dagster_run.run_id, registry)]
    for line in done:
        context.log.info(line)
    if records:
        context.update_cursor(str(records[-1].update_timestamp.timestamp()))
    return dg.SkipReason(f"{len(records)} finished runs looked at; " + ("; ".join(done) or "no canary changes"))
