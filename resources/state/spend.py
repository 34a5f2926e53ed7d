"""What each budget across runs (resources/llm/budgets_file.py) spent and holds in flight, per window.

The `llm_budget_spend` table has one row per (budget, window). A reservation is one conditional UPDATE that
refuses when spent + reserved + the request's maximum would pass the cap, so every process and worker sharing
the store (Postgres when configured) together stay within the cap plus what one request spends beyond its
reserved maximum. A settle moves the reservation to what the request really cost. A process killed between
the two leaves its reservation held until the window ends (errs on the side of spending less).
"""

import time

from resources.state.store import Store


class Refused(Exception):
    """A reservation the cap cannot take; rolls the whole reservation back."""

    def __init__(self, budget: str, spent: float, reserved: float):
        super().__init__(budget)
        self.budget, self.spent, self.reserved = budget, spent, reserved


class BudgetSpend:
    """Reads and atomic updates of `llm_budget_spend`."""

    def __init__(self, store: Store):
        self.store = store

    def reserve(self, caps: list[tuple[str, str, float]], usd: float) -> dict[str, float]:
        """Hold `usd` on every (budget, window, cap) at once, or on none (raises Refused naming the first budget
        that cannot take it); returns budget -> share of its cap now spent or held."""

        def work(cur) -> dict[str, float]:
            levels = {}
            for budget, window, cap in caps:
                cur.execute("INSERT INTO llm_budget_spend (budget, window_key, spent_usd, reserved_usd, updated) "
                            "VALUES (?, ?, 0, 0, ?) ON CONFLICT (budget, window_key) DO NOTHING",
                            (budget, window, time.time()))
                cur.execute("UPDATE llm_budget_spend SET reserved_usd = reserved_usd + ?, updated = ? "
                            "WHERE budget = ? AND window_key = ? AND spent_usd + reserved_usd + ? <= ? "
                            "RETURNING spent_usd, reserved_usd", (usd, time.time(), budget, window, usd, cap))
                row = cur.fetchone()
                if row is None:
                    cur.execute("SELECT spent_usd, reserved_usd FROM llm_budget_spend WHERE budget = ? AND "
                                "window_key = ?", (budget, window))
                    spent, reserved = cur.fetchone()
                    raise Refused(budget, float(spent), float(reserved))
                levels[budget] = (float(row[0]) + float(row[1])) / cap if cap else 1.0
            return levels

        return self.store.transact(work)

    def settle(self, held: list[tuple[str, str]], reserved_usd: float, spent_usd: float) -> None:
        """Release a reservation taken on (budget, window) pairs and book what the request cost instead."""
        self.store.transact(lambda cur: [cur.execute(
            "INSERT INTO llm_budget_spend (budget, window_key, spent_usd, reserved_usd, updated) VALUES "
            "(?, ?, ?, ?, ?) ON CONFLICT (budget, window_key) DO UPDATE SET spent_usd = llm_budget_spend.spent_usd "
            "+ excluded.spent_usd, reserved_usd = llm_budget_spend.reserved_usd + excluded.reserved_usd, "
            "updated = excluded.updated", (budget, window, spent_usd, -reserved_usd, time.time()))
            for budget, window in held])

    def of(self, budget: str, window: str) -> tuple[float, float]:
        """(spent, reserved) USD of a budget in a window."""
        rows = self.store.execute("SELECT spent_usd, reserved_usd FROM llm_budget_spend WHERE budget = ? AND "
                                  "window_key = ?", (budget, window))
        return (float(rows[0][0]), float(rows[0][1])) if rows else (0.0, 0.0)
