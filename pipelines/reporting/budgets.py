"""The report's budgets section: each budget across runs (AIWF_BUDGETS) in its current window, and how close it is."""

from resources.llm.budgets_file import load_budgets
from resources.llm.shared_budget import CHEAP_AT, WARN_AT
from resources.state.spend import BudgetSpend


def budget_figures(store) -> dict[str, dict]:
    """budget (`workflow:NAME`, `tag:K=V`) -> its window, cap, spend, share and status (ok, warning at 80%,
    cheap tier at 90%, exceeded at 100%); {} when no budgets file is configured."""
    spend, out = BudgetSpend(store), {}
    for line in load_budgets():
        window = line.window_key()
        spent, reserved = spend.of(line.key, window)
        share = (spent + reserved) / line.usd if line.usd else 1.0
        status = ("exceeded" if share >= 1 else "cheap_tier" if share >= CHEAP_AT else "warning" if share >= WARN_AT
                  else "ok")
        out[line.key] = {"window": window, "usd": line.usd, "spent_usd": round(spent, 6),
                         "reserved_usd": round(reserved, 6), "share": round(share, 4), "status": status}
    return out


def budget_lines(budgets: dict[str, dict]) -> list[str]:
    """One line per budget for `aiwf report`'s summary."""
    return [f"budget {key} ({b['window']}): ${b['spent_usd']:.4f} of ${b['usd']:g} spent ({b['share']:.0%})"
            + ("" if b["status"] == "ok" else f", {b['status'].replace('_', ' ')}") for key, b in budgets.items()]
