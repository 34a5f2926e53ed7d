"""How order recovery plans: the shop's tools, the rules every plan must pass, the planning prompt, and the
playbook's starting plan for each problem (the model keeps it when it fits the order, fixes it when not)."""

import json

from assets.planner import rules as r
from assets.planner.executor_asset import ExecutorSpec
from assets.planner.factory import PlannerSpec
from pipelines.prompt_catalog import prompt_file
from resources.connectors.tools import ToolRegistry, shop_tools
from resources.safety.injection import as_data

WORKFLOW = "order_recovery"
REFUND_APPROVAL_EUR = 100.0  # a refund above this waits for a person
TOOLS = ToolRegistry(tuple(shop_tools(refund_approval_above=REFUND_APPROVAL_EUR)))
RULES = [r.at_most_steps(6), r.money_within("refund", "refundable"), r.at_most_one("refund"),
         r.argument_at_most("coupon", "percent", 20, "%"), r.last_if_any("message")]
RULES_TEXT = ("- at most 6 steps\n- at most one refund, and never more than the order's refundable amount\n"
              "- coupons of at most 20%\n- a customer message, if any, is the last step")

# Plans are checkpointed by the order's prompt variables (its state, the draft below, the rules in force) and
# this prompt's version and hash: a change to the drafts or the rules re-asks the orders it touches.
PLAN = prompt_file("order_recovery_plan")  # prompts/order_recovery_plan.yaml: the Store's live version answers


def variables(order: dict) -> dict:
    """The order's prompt variables; the customer's note is fenced as data."""
    fields = ("order_id", "problem", "detail", "status", "total", "currency", "refunded", "refundable", "items",
              "shipment")
    return {**{f: order.get(f) for f in fields}, "supplier": order.get("supplier") or "none",
            "claimed": _money(order.get("claimed_amount")) or "none",
            "note": as_data(order.get("customer_note") or "(none)", "customer_note")}


def situation(order: dict) -> str:
    """The order's problem in one line (no customer data): memory's query and the episode's text."""
    return f"{order['problem'].replace('_', ' ')}: {order.get('detail') or ''}".strip()


def draft(order: dict) -> dict:
    """The playbook's starting plan: a goodwill coupon for delays, the item's price back for damage, a supplier
    ticket when the supplier is late, the disputed amount back for a chargeback; then a message."""
    problem, currency, oid = order["problem"], order["currency"], order["order_id"]
    steps = {
        "late_shipment": [_coupon(10, "The parcel is late; a goodwill coupon is our standard apology.")],
        "damaged_item": [_refund(_damaged_value(order), currency, "Item arrived damaged: refund its price."),
                         _coupon(10, "A goodwill coupon for the trouble of a damaged delivery.")],
        "supplier_delay": [_step("supplier_ticket", "The supplier is late; chase them with a ticket.",
                                 supplier=order.get("supplier") or "unknown", issue=order.get("detail") or problem),
                           _coupon(5, "A small goodwill coupon while we wait for the supplier.")],
        "chargeback_notice": [_refund(order.get("claimed_amount") or order.get("refundable") or 0, currency,
                                      "Settle the disputed amount before the chargeback fee.")],
    }[problem]
    steps.append(_step("message", "Tell the customer what we did, once it is done.", channel="email",
                       body=_message(oid, problem, steps)))
    return {"steps": steps, "summary": f"Playbook for a {problem.replace('_', ' ')} on order {oid}."}


PLANNER = PlannerSpec(WORKFLOW, TOOLS, PLAN, RULES, "order_id", variables, situation, RULES_TEXT, draft,
                      outcome_asset="recovery_actions")
EXECUTOR = ExecutorSpec(WORKFLOW, TOOLS, RULES, "order_id", lambda context: {"shop": context.resources.shop.connector(
    context)}, situation)


def _damaged_value(order: dict) -> float:
    """The damaged item's price times quantity when the report names its sku, else the claimed amount."""
    items = json.loads(order["items"]) if isinstance(order.get("items"), str) else order.get("items") or []
    for item in items:
        if order.get("sku") and item.get("sku") == order["sku"]:
            return round(float(item.get("price", 0)) * int(item.get("qty", 1)), 2)
    return float(order.get("claimed_amount") or order.get("refundable") or 0)


def _step(tool: str, rationale: str, **arguments) -> dict:
    return {"tool": tool, "arguments": arguments, "rationale": rationale}


def _refund(amount, currency: str, rationale: str) -> dict:
    return _step("refund", rationale, amount=round(float(amount), 2), currency=currency,
                 reason=rationale.split(":")[0])


def _coupon(percent: float, rationale: str) -> dict:
    return _step("coupon", rationale, percent=float(percent), reason="goodwill")


def _message(order_id: str, problem: str, steps: list[dict]) -> str:
    done = []
    for s in steps:
        a = s["arguments"]
        done.append({"refund": lambda: f"refunded {a.get('amount', 0):.2f} {a.get('currency', '')}",
                     "coupon": lambda: f"added a {a.get('percent', 0):g}% coupon to your account",
                     "supplier_ticket": lambda: "asked our supplier to hurry"}[s["tool"]]())
    return (f"Hello, we are sorry about the {problem.replace('_', ' ')} on order {order_id}. We have "
            f"{' and '.join(done)}. Reply to this message if anything is still wrong.")


def _money(value) -> str:
    return f"{float(value):.2f}" if value not in (None, "") and value == value else ""
