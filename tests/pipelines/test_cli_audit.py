"""`aiwf audit show --run`: the short id the UI shows, a failed run's status and reason, its cost, quarantined rows,
approvals, side effects and re-executions, in text and JSON; an ambiguous prefix names the candidates."""

import json
import os

import dagster as dg
from aiwf_state import local_store

from pipelines.cli import main
from resources.approvals.store import ApprovalStore
from resources.audit.log import audit_event
from resources.llm.ledger import CallLedger, CallRecord
from resources.state.home import open_dagster_instance
from resources.state.quarantine import Quarantine


@dg.asset
def supplier_prices() -> int:
    if os.environ.get("SUPPLIER_FEED_FIXED") != "1":
        raise ValueError("supplier feed has no 'price' column")
    return 1


def prices_job() -> dg.JobDefinition:
    """Module level, so Dagster can reconstruct it for a re-execution."""
    graph = dg.Definitions(assets=[supplier_prices]).resolve_asset_graph()
    return dg.define_asset_job("prices_job", [supplier_prices], executor_def=dg.in_process_executor).resolve(
        asset_graph=graph)


def _what_the_failed_run_left(run_id: str) -> None:
    store = local_store()
    CallLedger(store).record(CallRecord(kind="chat", model="gpt-4o-mini", request_hash="h1", status="ok",
                                        run_id=run_id, asset_key="supplier_prices", tokens_in=40, tokens_out=10,
                                        cost_usd=0.0125))
    Quarantine(store).put(workflow="catalog", asset_key="supplier_prices", partition_key=None, row_key="SKU-9",
                          payload={"sku": "SKU-9"}, error_class="invalid_row", reason="price: not a number " * 8,
                          run_id=run_id)
    ApprovalStore(store).propose("catalog", "price:SKU-1", "9.99", reasons=["touches money"], run_id=run_id)
    for entity, status, error in (("product:SKU-1", "done", None), ("product:SKU-2", "failed", "shop answered 503")):
        audit_event(store, "side_effect", {"idempotency_key": entity, "status": status, "error": error,
                                           "workflow": "catalog", "entity": entity, "action": "put_product",
                                           "connector": "shop"}, {"run_id": run_id})


def test_the_short_id_tells_what_a_failed_run_did_and_what_came_after(capsys, monkeypatch):
    with open_dagster_instance() as instance:
        failed = prices_job().execute_in_process(instance=instance, raise_on_error=False)
        _what_the_failed_run_left(failed.run_id)
        monkeypatch.setenv("SUPPLIER_FEED_FIXED", "1")
        retried = dg.execute_job(  # tagged as the UI's re-execution and the daemon's run retries tag theirs
            dg.reconstructable(prices_job), instance,
            reexecution_options=dg.ReexecutionOptions.from_failure(failed.run_id, instance),
            tags={"dagster/parent_run_id": failed.run_id, "dagster/root_run_id": failed.run_id})
    assert not failed.success and retried.success

    assert main(["audit", "show", "--run", failed.run_id[:8]]) == 0
    out = capsys.readouterr().out
    assert f"Run {failed.run_id}" in out
    assert "Status: FAILURE, job prices_job, took " in out
    assert "Failure: step supplier_prices failed: ValueError: supplier feed has no 'price' column" in out
    assert "Model calls: 1 answered, 0 served from cache, 0 failed attempts; 50 tokens, $0.0125" in out
    assert "Quarantined rows: 1 (invalid_row x1)" in out and "price: not a number " * 8 in out
    assert "catalog/price:SKU-1" in out and "still pending" in out
    assert "Side effects: 2 actions, 1 done, 1 failed (shop.put_product x2)" in out
    assert "FAILED put_product product:SKU-2: shop answered 503" in out
    assert f"Re-executions: 1.\n  {retried.run_id} re-execution (prices_job): SUCCESS" in out

    assert main(["audit", "show", "--run", failed.run_id[:8], "--json"]) == 0
    story = json.loads(capsys.readouterr().out)
    assert {"run_id", "events", "decisions"} <= story.keys()  # the keys scripts already read
    assert story["run_id"] == failed.run_id and story["status"] == "FAILURE"
    assert story["duration_s"] > 0 and story["cost_usd"] == 0.0125 and story["calls"]["llm_calls"] == 1
    assert [r["row_key"] for r in story["quarantined"]] == ["SKU-9"]
    assert [a["status"] for a in story["approvals"]] == ["pending"]
    assert story["side_effects"]["by_status"] == {"done": 1, "failed": 1}
    assert [(r["run_id"], r["status"]) for r in story["re_executions"]] == [(retried.run_id, "SUCCESS")]

    assert main(["audit", "show", "--run", retried.run_id[:8]]) == 0
    assert f"A re-execution of run {failed.run_id} (root {failed.run_id})." in capsys.readouterr().out


def test_an_ambiguous_short_id_lists_the_runs_it_could_mean(capsys):
    ids = ["abcd1234-0000-4000-8000-000000000001", "abcd1234-0000-4000-8000-000000000002"]
    with open_dagster_instance() as instance:
        for run_id in ids:
            prices_job().execute_in_process(instance=instance, raise_on_error=False, run_id=run_id)
    assert main(["audit", "show", "--run", "abcd1234", "--no-sync"]) == 2
    err = capsys.readouterr().err
    assert "'abcd1234' matches 2 runs" in err and all(f"{i} (prices_job, FAILURE)" in err for i in ids)
    assert main(["audit", "show", "--run", ids[1], "--no-sync", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == ids[1]
    assert main(["audit", "show", "--run", "ffff0000", "--no-sync"]) == 1
