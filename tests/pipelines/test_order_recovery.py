"""Order recovery materialized with real resources against a test-double shop that loses 10% of its answers
after applying them: plans checked before anything runs, every refund applied once, a failing order undone,
money above the threshold held until a person approves it, and a re-run that sends nothing."""

import json
import re
import shutil
from collections import Counter

import dagster as dg
import pytest
from aiwf_state import local_store

from pipelines.cli.demo import SAMPLES
from pipelines.order_recovery import workflow
from pipelines.order_recovery.resume import resume_recovery_job, returns_refund_job
from resources.approvals.resource import ApprovalsResource
from resources.approvals.store import ApprovalStore
from resources.audit.log import AuditLog
from resources.connectors import ShopResource
from resources.memory import MemoryResource
from resources.offline.shop_server import ShopServer
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.quarantine import Quarantine
from resources.state.resource import StateResource

DAY = "2026-03-02"
REFUND_PATH = re.compile(r"^/orders/([^/]+)/refunds$")


@pytest.fixture
def shop():
    orders = json.loads((SAMPLES / "orders" / "shop" / "orders.json").read_text())
    with ShopServer(fail_after_apply_rate=0.1, seed=3, orders=orders) as server:
        yield server


@pytest.fixture
def resources(shop, offline_llm, tmp_path, monkeypatch):
    folder = tmp_path / "orders"
    shutil.copytree(SAMPLES / "orders", folder, ignore=shutil.ignore_patterns("shop"))
    monkeypatch.setenv("AIWF_ORDERS_DIR", str(folder))
    state = StateResource()
    memory = MemoryResource(state=state)
    return {"state": state, "llm": offline_llm, "memory": memory, "io_manager": ParquetIOManager(state=state),
            "approvals": ApprovalsResource(state=state, memory=memory),
            "shop": ShopResource(base_url=shop.url, state=state, backoff_base_s=0.01, backoff_max_s=0.05)}


def materialize(resources):
    result = dg.materialize(workflow.assets, resources=resources, partition_key=DAY)
    assert result.success
    return result


def figures(result, node: str) -> dict:
    return {k: getattr(v, "value", v) for k, v in result.asset_materializations_for_node(node)[0].metadata.items()}


def refunds_applied(shop) -> Counter:
    """Refunds the shop applied, per order, from its mutation log (a replayed answer is not an application)."""
    return Counter(m["path"].split("/")[2] for m in shop.log()["mutations"]
                   if m["method"] == "POST" and REFUND_PATH.match(m["path"]))


def test_plans_run_once_each_against_a_lossy_shop_and_a_rerun_sends_nothing(resources, shop, offline_server):
    result = materialize(resources)

    plans = result.output_for_node("recovery_plans").set_index("order_id")
    assert plans.loc["O-1006", "status"] == "quarantined" and plans.loc["O-1006", "attempts"] == 2
    assert "refund total 180.00 exceeds the refundable 120.00" in plans.loc["O-1006", "errors"]
    quarantined = {q["row_key"]: q for q in Quarantine(local_store()).rows("recovery_plans")}
    assert list(quarantined) == ["O-1006"] and "exceeds the refundable" in quarantined["O-1006"]["reason"]
    assert plans.loc["O-1003", "steps"].startswith("1. refund(amount=240.0, currency=EUR")
    assert figures(result, "recovery_plans")["orders_planned"] == 6
    assert figures(result, "recovery_plans")["plans_rejected"] == 1

    done = figures(result, "recovery_actions")
    assert done["outcomes"] == {"O-1001": "completed", "O-1002": "completed", "O-1003": "held",
                                "O-1004": "completed", "O-1005": "completed", "O-1007": "escalated"}
    log = shop.log()
    assert log["counters"]["responses_lost"] > 0 and log["counters"]["conflicts"] == 0  # faults happened
    keys = [m["key"] for m in log["mutations"]]
    assert len(keys) == len(set(keys))  # no key applied twice
    assert refunds_applied(shop) == {"O-1002": 1, "O-1005": 1, "O-1007": 1}  # none for O-1003 (held), O-1006
    # the failing order: its message was refused, so its coupon and refund were undone, newest first
    assert log["orders"]["O-1007"] == {"refunded": 0.0, "status": "paid"}
    assert [r["status"] for r in log["refunds"] if r["order_id"] == "O-1007"] == ["reversed"]
    assert [c["status"] for c in log["coupons"] if c["order_id"] == "O-1007"] == ["deleted"]
    assert log["orders"]["O-1002"]["refunded"] == 32.0 and log["orders"]["O-1005"]["refunded"] == 89.9
    assert done["steps_compensated"] == 2 and done["held_for_approval"] == 1
    assert done["steps_executed"] == 2 + 3 + 3 + 2 + 2  # O-1001, -1002, -1004, -1005, and -1007's two undone
    approvals = ApprovalStore(local_store())
    held = approvals.list(status="pending", workflow="order_recovery")
    assert [(a.item_key, a.proposed_output["arguments"]["amount"]) for a in held] == [("O-1003#1", 240.0)]
    [escalated] = approvals.list(status="pending", workflow="order_recovery_escalations")
    assert escalated.item_key == f"O-1007@{DAY}" and "has no email on file" in json.dumps(escalated.evidence)
    kinds = Counter(e["kind"] for e in AuditLog(local_store()).entries())
    assert kinds["plan_made"] == 6 and kinds["plan_rejected"] == 1 and kinds["saga_escalated"] == 1
    assert kinds["saga_completed"] == 4 and AuditLog(local_store()).verify().ok
    outcomes = resources["memory"].episodes(workflow="order_recovery", kinds=["decision"])
    assert {e["item_key"] for e in outcomes if e["asset_key"] == "recovery_actions"} == {
        "O-1001", "O-1002", "O-1004", "O-1005", "O-1007"}

    mutating, answered = log["counters"]["mutating_requests"], offline_server.counters()["answered_total"]
    again = materialize(resources)
    assert shop.log()["counters"]["mutating_requests"] == mutating  # the re-run sends no mutating request
    assert offline_server.counters()["answered_total"] == answered  # and asks no model: plans are kept
    assert figures(again, "recovery_plans")["plans_cached"] == 7
    assert figures(again, "recovery_actions")["steps_executed"] == 0


def test_an_approved_refund_continues_exactly_once(resources, shop):
    materialize(resources)
    approvals = ApprovalStore(local_store())
    [held] = approvals.list(status="pending", workflow="order_recovery")
    approvals.approve(held.id, "alice", "photos show the broken hopper")
    with dg.instance_for_test() as instance:
        for _ in range(2):  # a second tick, and a lost cursor, request nothing more
            with dg.build_sensor_context(instance=instance, resources=resources) as context:
                ticked = workflow.approved_recovery_steps_sensor.evaluate_tick(context)
            for request in ticked.run_requests:
                resume_recovery_job.execute_in_process(
                    instance=instance, resources=resources, tags={**request.tags, "dagster/run_key": request.run_key})
        assert instance.get_runs_count() == 1
        mutating = shop.log()["counters"]["mutating_requests"]
        duplicate = resume_recovery_job.execute_in_process(  # the same approval's run, launched twice by mistake
            instance=instance, resources=resources, tags=instance.get_runs()[0].tags)
        assert duplicate.success and shop.log()["counters"]["mutating_requests"] == mutating
    assert refunds_applied(shop)["O-1003"] == 1 and shop.log()["orders"]["O-1003"]["refunded"] == 240.0
    messages = [m for m in shop.log()["mutations"] if m["path"] == "/orders/O-1003/messages"]
    assert len(messages) == 1
    rerun = materialize(resources)  # the daily re-run after the approval: already done, nothing sent
    assert figures(rerun, "recovery_actions")["outcomes"]["O-1003"] == "completed"
    assert shop.log()["counters"]["mutating_requests"] == mutating


def test_an_approved_return_is_refunded_through_the_same_executor(resources, shop):
    approvals = ApprovalStore(local_store())
    refund = approvals.propose("returns_triage", "R-1001", {"route": "refund", "order_id": "O-5001",
                                                            "price_eur": 89.0}, risk="high")
    restock = approvals.propose("returns_triage", "R-1003", {"route": "restock", "order_id": "O-5003",
                                                             "price_eur": 32.0})
    for approval in (refund, restock):
        approvals.approve(approval.id, "alice")
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            ticked = workflow.approved_return_refunds_sensor.evaluate_tick(context)
        for request in [*ticked.run_requests, ticked.run_requests[0]]:  # the first one launched twice
            assert returns_refund_job.execute_in_process(instance=instance, resources=resources,
                                                         tags=request.tags).success
    assert refunds_applied(shop) == {"O-5001": 1} and shop.log()["orders"]["O-5001"]["refunded"] == 89.0
