"""A reusable approval gate: a per-workflow policy decides which items need a human, the rest pass straight through.

Rules are plain code over each item (a dict or DataFrame row), never a model's say-so, so text inside the data
cannot talk its way past review; `contains_injection` even sends such rows *to* review. Items needing a decision
go to the approvals store with their diff, evidence and risk; `approved_items_sensor` (sensors/approvals.py)
launches the downstream action once a reviewer approves.

Example (inside a workflow asset)::

    from assets.approval_gate import ApprovalPolicy, amount_above, failed_checks, contains_injection, send_for_approval

    REFUND_POLICY = ApprovalPolicy("returns", [amount_above("refund_eur", 100), failed_checks(),
                                               contains_injection("customer_note")],
                                   on_approve=lambda row: f"Approving refunds {row['refund_eur']:.2f} EUR on order "
                                                          f"{row['order_id']} through the shop")

    @dg.asset(group_name="returns", kinds={"pandas"})
    def refunds_cleared(context, approvals: ApprovalsResource, refunds_proposed: pd.DataFrame) -> pd.DataFrame:
        gate = send_for_approval(context, approvals, REFUND_POLICY, refunds_proposed, key="order_id",
                                 output=lambda row: {"refund_eur": row["refund_eur"]},
                                 evidence=lambda row: {"sources": [row["order_id"]], "cost_usd": row["cost_usd"]})
        context.add_output_metadata(gate.metadata())
        return refunds_proposed[refunds_proposed["order_id"].isin(gate.passed_keys)]
"""

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from resources.approvals.store import RISKS, Approval, ApprovalStore
from resources.safety.pii import detect_injection

_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")

@dataclass(frozen=True)
class Rule:
    """One reason an item needs a human: a name shown to reviewers, a test over the item, and a risk class."""

    name: str
    test: Callable[[dict], bool]
    risk: str = "medium"

    def __post_init__(self):
        if self.risk not in RISKS:
            raise ValueError(f"risk must be one of {RISKS}, got {self.risk!r}")


def amount_above(field_name: str, limit: float, risk: str = "high") -> Rule:
    """Money over a limit (refunds, price changes) needs a human; a missing amount is treated as over."""
    def test(item):
        value = item.get(field_name)
        return value is None or value != value or abs(float(value)) > limit  # None or NaN: unknown
    return Rule(f"{field_name} above {limit:g}", test, risk)


def failed_checks(field_name: str = "failed_checks", risk: str = "medium") -> Rule:
    """An item that failed any non-blocking check (a list of check names in `field_name`)."""
    return Rule("failed a non-blocking check", lambda item: bool(_as_list(item.get(field_name))), risk)


def confidence_below(field_name: str, threshold: float, risk: str = "medium") -> Rule:
    """A model's classification confidence under a threshold (missing counts as low)."""
    def test(item):
        value = item.get(field_name)
        return value is None or value != value or float(value) < threshold
    return Rule(f"{field_name} below {threshold:g}", test, risk)


def touches_money(field_name: str = "touches_money", risk: str = "high") -> Rule:
    """Anything flagged as moving money, whatever the amount."""
    return Rule("touches money", lambda item: bool(item.get(field_name)), risk)


def contains_injection(*field_names: str, risk: str = "high") -> Rule:
    """Text that reads like instructions to a model goes to a human instead of acting on it."""
    return Rule("prompt-injection text in data",
                lambda item: any(detect_injection(str(item.get(f) or "")) for f in field_names), risk)


def contains_markup(*field_names: str, risk: str = "high") -> Rule:
    """HTML or script tags where plain text belongs (a title, a name) would be published as markup: a human looks."""
    return Rule("markup in a plain-text field",
                lambda item: any(_MARKUP.search(str(item.get(f) or "")) for f in field_names), risk)


def field_equals(field_name: str, value: Any, risk: str = "medium") -> Rule:
    return Rule(f"{field_name} is {value!r}", lambda item: item.get(field_name) == value, risk)


@dataclass(frozen=True)
class Verdict:
    """What the policy says about one item: which rules fired and the highest risk among them."""

    reasons: list[str]
    risk: str

    @property
    def needs_approval(self) -> bool:
        return bool(self.reasons)


@dataclass
class ApprovalPolicy:
    """A workflow's rules; an item needs approval when any rule fires. `on_approve` says in words what approving
    an item does (text, or a function of the item), stored with each approval for the review page."""

    workflow: str
    rules: list[Rule] = field(default_factory=list)
    on_approve: str | Callable[[dict], str] | None = None

    def approve_text(self, item: dict) -> str | None:
        return self.on_approve(item) if callable(self.on_approve) else self.on_approve

    def evaluate(self, item: dict) -> Verdict:
        fired = [r for r in self.rules if r.test(item)]
        risk = max((r.risk for r in fired), key=RISKS.index, default="low")
        return Verdict([r.name for r in fired], risk)


@dataclass
class GateResult:
    """The split: keys that passed straight through, approvals now pending, and ones decided earlier."""

    passed_keys: list[str] = field(default_factory=list)
    pending: list[Approval] = field(default_factory=list)
    decided: list[Approval] = field(default_factory=list)

    def metadata(self) -> dict:
        return {"passed_straight_through": len(self.passed_keys), "sent_for_approval": len(self.pending),
                "decided_earlier": len(self.decided), "pending_ids": ", ".join(a.id for a in self.pending[:20])}


def gate(policy: ApprovalPolicy, items: Iterable[dict], key: str, output: Callable[[dict], Any] | str, *,
         store: ApprovalStore, current: Callable[[dict], Any] | str | None = None,
         evidence: Callable[[dict], dict] | None = None, run_id: str | None = None,
         partition_key: str | None = None) -> GateResult:
    """Send the items the policy flags to the approvals store; idempotent, so re-runs add no duplicates."""
    result = GateResult()
    pick = lambda spec, item: spec(item) if callable(spec) else (item.get(spec) if spec else None)  # noqa: E731
    for item in _records(items):
        verdict = policy.evaluate(item)
        if not verdict.needs_approval:
            result.passed_keys.append(item[key])
            continue
        approval = store.propose(
            policy.workflow, str(item[key]), pick(output, item), current=pick(current, item),
            evidence={**(evidence(item) if evidence else {}), "policy": verdict.reasons}, risk=verdict.risk,
            reasons=verdict.reasons, run_id=run_id, partition_key=partition_key, on_approve=policy.approve_text(item))
        (result.pending if approval.status == "pending" else result.decided).append(approval)
    return result


def send_for_approval(context, approvals, policy: ApprovalPolicy, items, **kwargs) -> GateResult:
    """`gate()` from inside an asset or op: binds the run id and partition (or `partition_key`, one day of a run
    over a range), uses the `approvals` resource."""
    partition = kwargs.pop("partition_key", None) or (
        context.partition_key if getattr(context, "has_partition_key", False) else None)
    store = approvals.store() if hasattr(approvals, "store") else approvals
    return gate(policy, items, store=store, run_id=context.run_id, partition_key=partition, **kwargs)


def _records(items) -> list[dict]:
    if hasattr(items, "to_dict"):  # a pandas DataFrame
        return items.to_dict(orient="records")
    return [dict(i) for i in items]


def _as_list(value) -> list:
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v.strip()]
    return list(value)
