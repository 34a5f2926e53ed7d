"""run_cost_sensor: a finished run's model spend lands on the run as tags, once, failed runs included."""

import dagster as dg
from aiwf_state import local_store

from resources.llm.ledger import CallLedger, CallRecord
from resources.state.resource import StateResource
from sensors.run_cost import run_cost_sensor


@dg.asset
def spends() -> int:
    return 1


@dg.asset
def fails() -> int:
    raise RuntimeError("boom")


def _spend(run_id: str, n: int, cached: int = 0) -> None:
    ledger = CallLedger(local_store())
    for i in range(n):
        ledger.record(CallRecord(kind="chat", model="gpt-4o-mini", request_hash=f"{run_id}-{i}", status="ok",
                                 run_id=run_id, tokens_in=100, tokens_out=20, cost_usd=0.0012, offline=True))
    for i in range(cached):
        ledger.record(CallRecord(kind="chat", model="gpt-4o-mini", request_hash=f"{run_id}-{i}", status="ok",
                                 run_id=run_id, cache_hit=True))


def _tick(instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"state": StateResource()})
    return context, run_cost_sensor(context)


def test_finished_runs_get_their_cost_as_tags_once():
    with dg.instance_for_test() as instance:
        ok = dg.materialize([spends], instance=instance)
        failed = dg.materialize([fails], instance=instance, raise_on_error=False)
        idle = dg.materialize([spends], instance=instance)  # no model calls: left untagged
        rerun = dg.materialize([spends], instance=instance, tags={"aiwf/provider": "openai"})  # a model job, all cached
        _spend(ok.run_id, 3, cached=2)
        _spend(failed.run_id, 1)

        context, reason = _tick(instance)
        assert "3 tagged" in reason.skip_message and context.cursor
        tags = instance.get_run_by_id(ok.run_id).tags
        assert tags["aiwf/cost_usd"] == "0.003600" and tags["aiwf/tokens"] == "360"
        assert (tags["aiwf/llm_calls"], tags["aiwf/cache_hits"], tags["aiwf/offline"]) == ("3", "2", "true")
        assert instance.get_run_by_id(failed.run_id).tags["aiwf/llm_calls"] == "1"
        assert not any(k.startswith("aiwf/") for k in instance.get_run_by_id(idle.run_id).tags)
        assert instance.get_run_by_id(rerun.run_id).tags["aiwf/cost_usd"] == "0.000000"

        _, again = _tick(instance, context.cursor)  # nothing new after the cursor
        assert again.skip_message.startswith("0 finished runs")
        _, lost_cursor = _tick(instance)  # cursor lost: every run looked at again, nothing changes
        assert "0 tagged" in lost_cursor.skip_message
        listed = instance.get_runs(filters=dg.RunsFilter(tags={"aiwf/llm_calls": "3"}))
        assert [r.run_id for r in listed] == [ok.run_id]  # what the Runs list filters on


def test_tags_follow_the_ledger_when_it_grows_after_a_first_tagging():
    with dg.instance_for_test() as instance:
        run = dg.materialize([spends], instance=instance)
        _spend(run.run_id, 1)
        _tick(instance)
        _spend(run.run_id, 0, cached=1)  # e.g. a late ledger row
        _tick(instance)
        assert instance.get_run_by_id(run.run_id).tags["aiwf/cache_hits"] == "1"
