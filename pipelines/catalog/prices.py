"""Price monitoring with guardrails: match the cheapest competitor, but never by more than the maximum change,
never below the floor price, and only after a person approves changes above the approval threshold."""

from dataclasses import dataclass

import pandas as pd

COLUMNS = ["sku", "current_price", "competitor_price", "competitor", "proposed_price", "change_pct", "decision",
           "clamped", "reason"]


@dataclass(frozen=True)
class PriceRules:
    """The shop's pricing policy (changed in code review, so the reconciliation check enforces the same one)."""

    tolerance_pct: float = 1.0  # gaps smaller than this are noise, not worth a price change
    approval_threshold_pct: float = 5.0  # larger changes wait for a person
    max_change_pct: float = 15.0  # no single change moves a price further than this


PRICE_RULES = PriceRules()


def monitor_prices(authoritative: pd.DataFrame, competitors: pd.DataFrame, rules: PriceRules = PRICE_RULES) -> pd.DataFrame:
    """One row per authoritative sku: keep (no change), auto (small change) or needs_approval (large change)."""
    cheapest = competitors.sort_values("price").drop_duplicates("sku").set_index("sku")
    rows = []
    for item in authoritative.itertuples():
        current = float(item.price)
        row = {"sku": item.sku, "current_price": current, "competitor_price": None, "competitor": None,
               "proposed_price": current, "change_pct": 0.0, "decision": "keep", "clamped": False, "reason": ""}
        if item.sku not in cheapest.index:
            rows.append({**row, "reason": "no competitor price"})
            continue
        seen = float(cheapest.loc[item.sku, "price"])
        row.update(competitor_price=seen, competitor=cheapest.loc[item.sku, "competitor"])
        gap_pct = (seen - current) / current * 100
        if gap_pct >= -rules.tolerance_pct:
            rows.append({**row, "reason": f"cheapest competitor {gap_pct:+.1f}%: within tolerance or dearer"})
            continue
        proposed, reasons = seen, [f"match {row['competitor']} at {seen:.2f}"]
        lowest = round(current * (1 - rules.max_change_pct / 100), 2)
        if proposed < lowest:
            proposed, row["clamped"] = lowest, True
            reasons.append(f"clamped to the {rules.max_change_pct:.0f}% maximum change")
        if proposed < float(item.floor_price):
            proposed, row["clamped"] = float(item.floor_price), True
            reasons.append(f"raised to the floor price {float(item.floor_price):.2f}")
        change = (proposed - current) / current * 100
        decision = "needs_approval" if abs(change) > rules.approval_threshold_pct else "auto"
        if decision == "needs_approval":
            reasons.append(f"{change:+.1f}% is above the {rules.approval_threshold_pct:.0f}% approval threshold")
        rows.append({**row, "proposed_price": round(proposed, 2), "change_pct": round(change, 2),
                     "decision": decision, "reason": "; ".join(reasons)})
    return pd.DataFrame(rows, columns=COLUMNS)


def apply_approvals(frame: pd.DataFrame, approvals, workflow: str, run_id: str | None, partition: str) -> pd.DataFrame:
    """Queue each needs_approval change for a person (idempotent per proposal) and apply decisions already made:
    approved → the reviewer's price with decision `approved`; rejected → `rejected`; pending stays held."""
    frame = frame.assign(approval_id=None)
    for row in frame[frame.decision == "needs_approval"].itertuples():
        approval = approvals.propose(
            workflow, f"price:{row.sku}", {"sku": row.sku, "price": row.proposed_price},
            current={"sku": row.sku, "price": row.current_price}, reasons=[row.reason],
            evidence={"competitor": row.competitor, "competitor_price": row.competitor_price},
            risk="high" if row.clamped else "medium", run_id=run_id, partition_key=partition,
            on_approve=f"Approving sets {row.sku}'s price to {row.proposed_price:.2f} (now {row.current_price:.2f}) "
                       "at the shop on the next catalog_job run (shop_updates).")
        frame.loc[row.Index, "approval_id"] = approval.id
        if approval.approved:
            frame.loc[row.Index, ["decision", "proposed_price"]] = ["approved", float(approval.output["price"])]
        elif approval.status != "pending":
            frame.loc[row.Index, "decision"] = approval.status
    return frame
