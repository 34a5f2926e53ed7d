"""The budgets across runs (AIWF_BUDGETS) that cover one session's calls, as the one budget gate asks them.

Before each request the gate reserves the request's maximum (estimated input plus its output cap, at the
model's price) on every budget that applies, in one statement per budget that refuses past the cap
(resources/state/spend.py); the answer settles it. At 80% of a budget the run gets the `aiwf/budget_warning` tag
and a log line (once per session); at 90% steps that allow it ask strong-tier rows on the cheap tier
(`Budget.tier_for`); at 100% a request is refused with `BudgetWindowExceeded`, which llm_map turns into rows
quarantined as `budget_exceeded` (re-driven by `aiwf quarantine retry` once the window resets or the budget is
raised).
"""

import logging
from typing import Callable

from resources.llm.budgets_file import BudgetLine, applicable, load_budgets
from resources.llm.retry import BudgetExceeded
from resources.state.spend import BudgetSpend, Refused

WARN_AT, CHEAP_AT = 0.8, 0.9
WARNING_TAG = "aiwf/budget_warning"
FORCE_TAG = "aiwf/force"  # "true": a run whose estimate exceeds what its budgets have left starts anyway
ERROR_CLASS = "budget_exceeded"
log = logging.getLogger("aiwf.budget")


class BudgetWindowExceeded(BudgetExceeded):
    """A budget across runs is spent for its window: the request was not sent."""


class SharedBudgets:
    """The budgets that apply to one session, with the share of each one's cap last seen spent or held."""

    def __init__(self, spend: BudgetSpend, lines: list[BudgetLine], warn: Callable[[str], None] | None = None):
        self.spend, self.lines, self.warn = spend, lines, warn
        self.levels: dict[str, float] = {}
        self.warned: set[str] = set()

    @property
    def level(self) -> float:
        """The largest share of a cap spent or held, as last seen (read from the store the first time)."""
        if not self.levels:
            self.left()
        return max(self.levels.values(), default=0.0)

    def reserve(self, usd: float, what: str) -> list[tuple[str, str]]:
        """Hold `usd` on every budget or raise BudgetWindowExceeded; the (budget, window) pairs held."""
        caps = [(line.key, line.window_key(), line.usd) for line in self.lines]
        try:
            levels = self.spend.reserve(caps, usd)
        except Refused as refused:
            line = next(line for line in self.lines if line.key == refused.budget)
            self.levels[line.key] = 1.0
            raise BudgetWindowExceeded(
                f"the {line.describe()} budget is spent for {line.window_key()}: ${refused.spent:.4f} spent, "
                f"${refused.reserved:.4f} in flight, next request up to ${usd:.4f}; {what}") from None
        self._seen(levels)
        return [(budget, window) for budget, window, _ in caps]

    def settle(self, held: list[tuple[str, str]], reserved_usd: float, spent_usd: float) -> None:
        self.spend.settle(held, reserved_usd, spent_usd)

    def book(self, usd: float) -> None:
        """Spend booked without a reservation of this session (a Batch API answer, billed later)."""
        self.spend.settle([(line.key, line.window_key()) for line in self.lines], 0.0, usd)

    def left(self) -> float:
        """USD the tightest budget has left in its window (read from the store)."""
        lefts = []
        for line in self.lines:
            spent, reserved = self.spend.of(line.key, line.window_key())
            self.levels[line.key] = (spent + reserved) / line.usd if line.usd else 1.0
            lefts.append(line.usd - spent - reserved)
        return max(0.0, min(lefts)) if lefts else float("inf")

    def _seen(self, levels: dict[str, float]) -> None:
        self.levels.update(levels)
        for line in self.lines:
            share = levels.get(line.key, 0.0)
            if share >= WARN_AT and line.key not in self.warned:
                self.warned.add(line.key)
                message = f"{line.describe()} at {share:.0%} for {line.window_key()}"
                log.warning("budget warning: %s", message)
                if self.warn is not None:
                    self.warn(message)


def shared_budgets(store, context, workflow: str | None = None) -> SharedBudgets | None:
    """The budgets across runs covering calls made under `context` (its asset's group and its run's tags), or
    None when AIWF_BUDGETS names none that apply. Reads the file here, when a session opens."""
    if not load_budgets():
        return None
    lines = applicable(workflow or group_of(context), run_tags(context))
    if not lines:
        return None
    return SharedBudgets(BudgetSpend(store), lines, _warner(context))


def group_of(context) -> str | None:
    """The asset group (workflow) of a step's context, else None."""
    try:
        return context.assets_def.group_names_by_key[context.asset_key]
    except Exception:  # no context, an op or a check: no workflow to charge
        return None


def run_tags(context) -> dict:
    """The tags of the run a context belongs to ({} without one)."""
    for attr in ("run", "dagster_run"):
        try:
            run = getattr(context, attr, None)
        except Exception:
            run = None
        if run is not None and getattr(run, "tags", None) is not None:
            return dict(run.tags)
    return {}


def _warner(context) -> Callable[[str], None] | None:
    """Warn on the run: a log line on its event log and the `aiwf/budget_warning` tag."""
    if context is None:
        return None

    def warn(message: str) -> None:
        try:
            context.log.warning(f"budget warning: {message}")
            context.instance.add_run_tags(context.run_id, {WARNING_TAG: message})
        except Exception as exc:  # a warning must never stop the step
            log.warning("could not tag the run with its budget warning: %s", exc)

    return warn
