"""Acting on decisions through the same executor: a held recovery step continues once a person approves it,
and a return that returns triage's reviewer approved for a refund is refunded at the shop.

Exactly once by three guards: the sensor requests one run per approval (run_key = approval id), the pinned
plan resumes where it stopped, and every step's idempotency key is in the action ledger, so a run that
happens twice (or the daily re-run that got there first) sends nothing again.
"""

import dagster as dg

from assets.planner.executor_asset import ExecutorSpec, run_plans
from assets.planner.rules import validate
from assets.planner.store import PlanStore
from assets.pools import LLM_POOL
from pipelines.order_recovery.playbook import EXECUTOR, RULES, TOOLS, WORKFLOW
from sensors.approvals import approval_for_run

RESOURCES = {"approvals", "shop", "state", "memory", "llm"}
RETURNS = "returns_triage"
# A returns reviewer already approved the refund: no second gate; the same rules and keys as order recovery.
RETURNS_EXECUTOR = ExecutorSpec(RETURNS, TOOLS.with_approval("refund", None), RULES, "order_id", EXECUTOR.connectors,
                                lambda order: f"approved return refund: {order.get('return_id', '')}")


@dg.op(required_resource_keys=RESOURCES, pool=LLM_POOL,  # episodes are embedded through the llm resource
       description="Continue an order's recovery plan from the step a person approved (exactly once).")
def resume_approved_recovery(context: dg.OpExecutionContext) -> None:
    approval = approval_for_run(context, context.resources.approvals)
    proposal = approval.proposed_output
    partition, order_id = proposal["partition"], proposal["item_key"]
    run = PlanStore(context.resources.state.store(), WORKFLOW).run(partition, order_id)
    if run is None:
        raise dg.Failure(f"approval {approval.id}: no recovery run of {order_id} in partition {partition}")
    outcomes, figures = run_plans(context, EXECUTOR, [(order_id, run["plan"], run["item"])], partition,
                                  "recovery_actions")
    context.log.info(f"{order_id} after approval {approval.id} by {approval.decided_by}: {outcomes[0].status}; "
                     f"{figures['sent']} action(s) sent, {figures['skipped_already_done']} already done")


@dg.job(description="Continue one approved order-recovery step; launched by approved_recovery_steps_sensor.")
def resume_recovery_job():
    resume_approved_recovery()


def return_refund_plan(approval, order: dict) -> tuple[dict, dict]:
    """The one-step plan for an approved return (route refund) and the order state its rules are checked on."""
    out = approval.output if isinstance(approval.output, dict) else {}
    amount = out.get("refund_eur", out.get("price_eur"))
    if not out.get("order_id") or amount is None:
        raise dg.Failure(f"approval {approval.id} has no order_id and price_eur in its output; returns triage "
                         "must put them there for a refund to be made")
    plan = {"steps": [{"tool": "refund", "arguments": {"amount": round(float(amount), 2), "currency": "EUR",
                                                       "reason": f"approved return {approval.item_key}"},
                       "rationale": f"approved by {approval.decided_by}"}],
            "summary": f"Refund approved return {approval.item_key}."}
    item = {**order, "return_id": approval.item_key,
            "refundable": round(float(order.get("total", 0)) - float(order.get("refunded", 0)), 2)}
    return plan, item


@dg.op(required_resource_keys=RESOURCES, pool=LLM_POOL,
       description="Refund a return a reviewer approved for a refund, through the order-recovery executor.")
def refund_approved_return(context: dg.OpExecutionContext) -> None:
    approval = approval_for_run(context, context.resources.approvals)
    output = approval.output if isinstance(approval.output, dict) else {}
    if output.get("route") != "refund":
        context.log.info(f"approval {approval.id}: route is not refund, nothing to pay")
        return
    order_id = output.get("order_id")
    pinned = PlanStore(context.resources.state.store(), RETURNS).run(approval.id, order_id or "")
    if pinned is not None:  # this approval's refund was planned before: resume or report it, never re-plan
        plan, item = pinned["plan"], pinned["item"]
    else:
        with context.resources.shop.connector(context) as shop:
            order = shop.order(order_id) if order_id else None
        if order is None:
            raise dg.Failure(f"approval {approval.id}: order {order_id!r} is not in the shop")
        plan, item = return_refund_plan(approval, order)
        problems = validate(plan, item, RETURNS_EXECUTOR.registry, RULES)
        if problems:
            raise dg.Failure(f"approval {approval.id}: refund refused by the rules: {'; '.join(problems)}")
    # One run per approval: the approval id stands in for the partition in the keys and the pinned run.
    outcomes, _ = run_plans(context, RETURNS_EXECUTOR, [(order_id, plan, item)], approval.id, "returns_refunds")
    if outcomes[0].status not in ("completed",):
        raise dg.Failure(f"refund of {order_id} for {approval.item_key}: {outcomes[0].status} ({outcomes[0].error})")


@dg.job(description="Refund one approved return at the shop; launched by approved_return_refunds_sensor.")
def returns_refund_job():
    refund_approved_return()
