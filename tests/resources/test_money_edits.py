"""An approver's edit cannot redirect money, and approval limits count per order across runs and days."""

import json
from types import SimpleNamespace

import dagster as dg
import pytest
from aiwf_state import local_store

from resources.approvals.edits import edit_problems
from resources.approvals.resource import ApprovalsResource
from resources.approvals.store import ApprovalStore
from resources.connectors import ActionLedger, ShopConnector
from resources.connectors.tools import ToolRegistry, shop_tools
from resources.offline.shop_server import ShopServer
from sensors.approvals import APPROVAL_TAG, approval_for_run

RETURN = {"route": "refund", "reason": "damaged", "damage": "severe", "fraud_risk": "high", "order_id": "O-5001",
          "price_eur": 120.0}
REDIRECT = {**RETURN, "order_id": "O-5018", "refund_eur": 1299}


def _return_approval():
    return ApprovalStore(local_store()).propose("returns_triage", "R-1001", RETURN, risk="high")


@pytest.mark.parametrize("edit, problem", [
    (REDIRECT, "order_id is fixed"),
    ({**RETURN, "refund_eur": 1299}, "refund_eur 1299 is above what was proposed (120)"),
    ({**RETURN, "price_eur": 120.01}, "price_eur 120.01 is above what was proposed (120)"),
    ({**RETURN, "price_eur": "1299"}, "price_eur must be a number"),
    ({**RETURN, "price_eur": -5}, "price_eur must be a finite number of at least 0"),
    ({**{k: v for k, v in RETURN.items() if k != "order_id"}}, "order_id is fixed"),
])
def test_an_edit_that_moves_money_elsewhere_or_more_of_it_is_refused_and_changes_nothing(edit, problem):
    approval = _return_approval()
    with pytest.raises(ValueError, match="the edit is refused") as refused:
        ApprovalStore(local_store()).edit_and_approve(approval.id, "mallory", edit, "customer called")
    assert problem in str(refused.value)
    assert ApprovalStore(local_store()).get(approval.id).status == "pending"


def test_an_edit_within_the_rules_stands():
    approval = _return_approval()
    lower = {**RETURN, "refund_eur": 60.0, "reason": "defective"}
    assert edit_problems(RETURN, lower) == []
    assert ApprovalStore(local_store()).edit_and_approve(approval.id, "alice", lower).output == lower
    assert edit_problems({"sku": "S-1", "price": 10.0}, {"sku": "S-1", "price": 12.5}) == []  # a price, not money out
    assert edit_problems("draft", "edited draft") == []


def test_a_run_refuses_an_edit_written_past_the_store():
    approval = _return_approval()
    ApprovalStore(local_store()).approve(approval.id, "alice")
    local_store().execute("UPDATE approvals SET final_output = ?, status = 'edited' WHERE id = ?",
                          (json.dumps(REDIRECT), approval.id))
    context = SimpleNamespace(run=SimpleNamespace(tags={APPROVAL_TAG: approval.id}), run_id="r1")
    with pytest.raises(dg.Failure, match="order_id is fixed"):
        approval_for_run(context, ApprovalsResource())


@pytest.fixture
def shop():
    with ShopServer(orders=[{"order_id": "O-7", "total": 900.0, "currency": "EUR", "customer": {}}]) as server:
        yield server


def test_approval_limits_count_every_refund_of_an_order_across_days(shop):
    tool = ToolRegistry(tuple(shop_tools(refund_approval_above=100))).get("refund")
    connector = ShopConnector(shop.url, ledger=ActionLedger(local_store()), owner="run-t", backoff_base_s=0.001)
    args = {"amount": 100.0, "currency": "EUR", "reason": "chargeback"}

    def needs(day: str, step: int = 1) -> bool:
        return tool.needs_approval(args, connector, workflow="order_recovery", item_key="O-7", step=step,
                                   version=f"{day}:a1")

    assert not needs("2026-03-01")
    connector.execute(tool.action(connector, workflow="order_recovery", item_key="O-7", step=1,
                                  version="2026-03-01:a1", arguments=args))
    assert not needs("2026-03-01")  # the same step again (a re-run) is not counted twice
    assert needs("2026-03-02")  # 100 already refunded + 100 today > 100: a person approves
    assert needs("2026-03-02", step=2)


def test_three_daily_refunds_of_100_on_one_order_wait_for_a_person_after_the_first(shop):
    from assets.planner.saga_runner import SagaRunner
    from assets.planner.store import PlanStore
    from pipelines.order_recovery.playbook import RULES, TOOLS, WORKFLOW

    store = local_store()
    connector = ShopConnector(shop.url, ledger=ActionLedger(store), owner="run-t", backoff_base_s=0.001)
    runner = SagaRunner(SimpleNamespace(run_id="r", has_partition_key=False), WORKFLOW, TOOLS, RULES,
                        {"shop": connector}, PlanStore(store, WORKFLOW), ApprovalsResource())
    plan = {"steps": [{"tool": "refund", "arguments": {"amount": 100.0, "currency": "EUR", "reason": "chargeback"},
                       "rationale": "settle the dispute"}], "summary": "chargeback"}
    item = {"order_id": "O-7", "refundable": 900.0, "currency": "EUR"}
    statuses = [runner.execute(day, "O-7", plan, item).status for day in ("2026-03-01", "2026-03-02", "2026-03-03")]
    assert statuses == ["completed", "held", "held"]
    assert shop.log()["orders"]["O-7"]["refunded"] == 100.0
    assert runner.execute("2026-03-01", "O-7", plan, item).status == "completed"  # day 1 re-run: nothing new held
