"""A re-execution starts with its parent's cost tags (Dagster copies them); while it is queued or running,
run_cost_sensor replaces them with its own ledger figures so far, and keeps them current."""

import dagster as dg
from aiwf_state import local_store
from in_process_location import in_process_location

from resources.llm.ledger import CallLedger, CallRecord
from test_run_cost import _spend, _tick, spends

reexecution_defs = dg.Definitions(assets=[spends], jobs=[dg.define_asset_job("spend_job", [spends])])


def reexecute(instance, parent_run_id: str) -> dg.DagsterRun:
    """What the UI's Re-execute (all steps) does: a run created from the parent, with the parent's tags."""
    from sensors.dagster_internals import ReexecutionStrategy

    with in_process_location(instance, __file__, "reexecution_defs") as (request, location, repo):
        return instance.create_reexecuted_run(request_context=request, parent_run=instance.get_run_by_id(parent_run_id),
                                              code_location=location, remote_job=repo.get_full_job("spend_job"),
                                              strategy=ReexecutionStrategy.ALL_STEPS, use_parent_run_tags=True)


def test_a_running_reexecution_shows_its_own_cost_not_its_parents():
    with dg.instance_for_test() as instance:
        parent = reexecution_defs.resolve_job_def("spend_job").execute_in_process(instance=instance)
        _spend(parent.run_id, 3)  # offline rows: the parent is tagged aiwf/offline=true
        context, _ = _tick(instance)
        parent_tags = instance.get_run_by_id(parent.run_id).tags
        assert (parent_tags["aiwf/llm_calls"], parent_tags["aiwf/offline"]) == ("3", "true")

        child = reexecute(instance, parent.run_id)
        assert child.tags["dagster/parent_run_id"] == parent.run_id
        assert child.tags["aiwf/cost_usd"] == parent_tags["aiwf/cost_usd"]  # copied: the friction itself

        CallLedger(local_store()).record(CallRecord(kind="chat", model="gpt-4o", request_hash="child-1", status="ok",
                                                    run_id=child.run_id, tokens_in=10, tokens_out=5, cost_usd=0.5))
        context, reason = _tick(instance, context.cursor)
        assert "1 running re-execution(s)" in reason.skip_message
        tags = instance.get_run_by_id(child.run_id).tags
        assert (tags["aiwf/cost_usd"], tags["aiwf/tokens"], tags["aiwf/llm_calls"]) == ("0.500000", "15", "1")
        assert tags["aiwf/offline"] == "false"  # the parent's offline tag is not the child's

        _spend(child.run_id, 1)  # it goes on calling the model: the next tick follows
        context, _ = _tick(instance, context.cursor)
        assert instance.get_run_by_id(child.run_id).tags["aiwf/llm_calls"] == "2"
        assert instance.get_run_by_id(parent.run_id).tags["aiwf/llm_calls"] == "3"  # the parent keeps its own
        assert "0 running" in _tick(instance, context.cursor)[1].skip_message  # unchanged: nothing rewritten
