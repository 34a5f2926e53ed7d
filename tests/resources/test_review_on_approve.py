"""The review page and its JSON say what approving each item does: the text its proposer stored (the approval
gate's policy, the price monitor, a held recovery step), or one line naming the workflow when none was stored."""

import dagster as dg
import pandas as pd
from aiwf_state import local_store
from markupsafe import escape

from assets.approval_gate import send_for_approval
from assets.planner.saga_runner import step_text
from pipelines.catalog.prices import apply_approvals
from pipelines.content_ops import workflow as content_ops
from pipelines.order_recovery.playbook import TOOLS
from pipelines.returns_triage import workflow as returns
from resources.approvals.resource import ApprovalsResource
from resources.approvals.store import ApprovalStore
from test_review_app import APPROVER, VIEWER, client  # noqa: F401  (the app over this test's store, and tokens)

REFUND = "Approving refunds 120.00 EUR on order O-1001 through the shop (returns_refund_job, launched by " \
         "approved_return_refunds_sensor)."
PUBLISH = "Approving publishes the draft cold-brew to its day's publish queue (publish_approved_draft_job, " \
          "launched by approved_drafts_sensor)."


def a_return(return_id: str, route: str) -> dict:
    return {"return_id": return_id, "order_id": "O-1001", "route": route, "fraud_risk": "high", "damage": "none",
            "customer_note": "arrived broken", "confidence": 0.9, "price_eur": 120.0}


def gated_items() -> dict[str, str]:
    """Returns triage and content ops send items through their own review policies, as their assets do."""
    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["2026-03-02"]))
    def gated(context, approvals: ApprovalsResource) -> None:
        send_for_approval(context, approvals, returns.REVIEW_POLICY,
                          [a_return("R-1", "refund"), a_return("R-2", "restock")], key="return_id",
                          output=lambda r: {"route": r["route"], "order_id": r["order_id"]})
        send_for_approval(context, approvals, content_ops.REVIEW_POLICY,
                          [{"slug": "cold-brew", "title": "Cold brew", "body": "Steep it.", "brief_injection": False,
                            "failed_checks": ["drafts_match_brand_tone"]}], key="slug", output="body")

    assert dg.materialize([gated], resources={"approvals": ApprovalsResource()}, partition_key="2026-03-02").success
    return {a.item_key: a.id for a in ApprovalStore(local_store()).list(status="pending")}


def test_the_api_and_the_pages_say_what_approving_does(client):  # noqa: F811
    ids = gated_items()
    listed = client.get("/api/approvals?status=pending", headers=VIEWER).json()["approvals"]
    said = {a["item_key"]: a["on_approve"] for a in listed}
    assert said == {"R-1": REFUND, "R-2": "Approving confirms route restock for return R-2: nothing is paid or sent.",
                    "cold-brew": PUBLISH}
    assert client.get(f"/api/approvals/{ids['R-1']}", headers=VIEWER).json()["on_approve"] == REFUND

    page = client.get(f"/approvals/{ids['R-1']}", headers=APPROVER).text
    assert f'<dd id="on-approve">{REFUND}</dd>' in page
    assert f'<p class="on-approve">{REFUND}</p>' in page.split('id="approve"')[0]  # beside the Approve button
    assert str(escape(PUBLISH)) in client.get("/", headers=VIEWER).text  # and in the list, per item

    decided = client.post(f"/api/approvals/{ids['R-1']}/approve", headers=APPROVER).json()
    assert decided["status"] == "approved" and decided["on_approve"] == REFUND


def test_an_approval_without_the_text_gets_its_workflows_line_and_a_later_proposal_fills_it(client):  # noqa: F811
    store = ApprovalStore(local_store())
    old = store.propose("catalog", "price:GRD-BURR-C40", {"sku": "GRD-BURR-C40", "price": 36.0},
                        current={"sku": "GRD-BURR-C40", "price": 38.0}, reasons=["-5.3% is above the threshold"])
    said = client.get(f"/api/approvals/{old.id}", headers=VIEWER).json()["on_approve"]
    assert said.startswith("Approving lets the catalog workflow act on this item as proposed")

    frame = pd.DataFrame([{"sku": "GRD-BURR-C40", "current_price": 38.0, "competitor_price": 35.0,
                           "competitor": "BeanCo", "proposed_price": 36.0, "change_pct": -5.26,
                           "decision": "needs_approval", "clamped": False, "reason": "-5.3% is above the threshold"}])
    apply_approvals(frame, store, "catalog", None, "2026-03-02")  # the price monitor proposes the same change
    expected = ("Approving sets GRD-BURR-C40's price to 36.00 (now 38.00) at the shop on the next catalog_job run "
                "(shop_updates).")
    assert store.get(old.id).on_approve == expected
    assert str(escape(expected)) in client.get(f"/approvals/{old.id}", headers=VIEWER).text


def test_a_held_recovery_step_says_what_it_sends():
    refund = step_text(TOOLS.get("refund"), {"amount": 120, "currency": "EUR", "reason": "damaged"}, "O-1001", 2)
    assert refund == ("Approving sends the refund of 120.00 EUR on O-1001 through the shop (step 2 of its plan); "
                      "the plan's later steps follow.")
    coupon = step_text(TOOLS.get("coupon"), {"percent": 10.0, "reason": "goodwill"}, "O-1002", 1)
    assert coupon.startswith("Approving sends the coupon (percent=10.0, reason=goodwill) on O-1002 through the shop")
