"""The one budget gate (as pydantic-ai's `UsageLimits.check_before_request`): every path asks it before sending.

A `Budget` holds caps per run and per workflow-day, in USD and tokens. Before a request goes out it is
estimated and reserved (`reserve`); its answer settles it (`settle`: the reservation is released and what it
really cost is spent). Plain session calls, llm_map rows, shadow runs and the planner pass it in the session's
`BudgetGate` layer (once per request, after the cache: a cached answer is free); Batch API mode reserves a
whole input file before submitting it and spends each answer as its batch is billed. A request the budget
cannot take raises BudgetExceeded before anything is sent; requests already in flight finish.

Budgets across runs (AIWF_BUDGETS: resources/llm/shared_budget.py) are asked at the same point: `reserve` also
holds the request's maximum on each of them in the state store, `settle` books what it cost.
"""

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from resources.llm.answer import price_of
from resources.llm.request import DEFAULT_OUTPUT_TOKENS, ChatRequest
from resources.llm.retry import BudgetExceeded

RECENT = 50  # answers whose output size estimates the next one


class Hold(NamedTuple):
    """What `reserve` holds for one request: its estimate here, and its maximum on the budgets across runs."""

    usd: float
    tokens: int
    shared: list | None = None  # (budget, window) pairs held in the store
    shared_usd: float = 0.0


@dataclass
class Budget:
    """Caps per run and per workflow-day (USD and tokens); `spent_*` start from what was already spent."""

    run_usd: float | None = None
    run_tokens: int | None = None
    workflow_usd: float | None = None
    workflow_tokens: int | None = None
    spent_run: list = field(default_factory=lambda: [0.0, 0])
    spent_workflow: list = field(default_factory=lambda: [0.0, 0])
    reserved: list = field(default_factory=lambda: [0.0, 0])
    outputs: list = field(default_factory=list)  # recent answers' output tokens
    shared: Any = None  # SharedBudgets: the budgets across runs that apply (resources/llm/shared_budget.py)
    downgrade: bool = False  # near a budget across runs, strong-tier requests go to the cheap tier

    @property
    def capped(self) -> bool:
        return self.shared is not None or any(
            c is not None for c in (self.run_usd, self.run_tokens, self.workflow_usd, self.workflow_tokens))

    def tier_for(self, tier: str) -> str:
        """The tier to ask: `cheap` instead of `strong` once a budget across runs is 90% used, where allowed."""
        from resources.llm.shared_budget import CHEAP_AT

        if self.downgrade and tier == "strong" and self.shared is not None and self.shared.level >= CHEAP_AT:
            return "cheap"
        return tier

    def maximum(self, request: ChatRequest, batch: bool = False) -> float:
        """USD a request can cost at most: its estimated input plus its output cap at the model's price."""
        from resources.llm.pricing import Usage, require_price

        require_price(request.model)  # a budget across runs is in USD: an unpriced model cannot be held to it
        out = request.max_tokens_out if request.max_tokens_out is not None else DEFAULT_OUTPUT_TOKENS
        return price_of(request.model, Usage(input=request.est_tokens_in, output=out if request.kind == "chat"
                                             else 0), batch)

    def estimate(self, request: ChatRequest, batch: bool = False) -> tuple[float, int]:
        """(USD, tokens) a request will likely cost: its input, and the largest recent answer (else its cap).
        Under a USD cap a model with no price raises UnpricedModelError (a BudgetExceeded) before anything is sent."""
        from resources.llm.pricing import Usage, require_price

        if self.run_usd is not None or self.workflow_usd is not None or self.shared is not None:
            require_price(request.model)

        out = 0
        if request.kind == "chat":
            cap = request.max_tokens_out if request.max_tokens_out is not None else DEFAULT_OUTPUT_TOKENS
            out = max(self.outputs[-RECENT:]) if self.outputs else cap
        usage = Usage(input=request.est_tokens_in, output=out)
        return price_of(request.model, usage, batch), usage.input + usage.output

    def refuse(self, usd: float, tokens: int) -> str | None:
        """Why a request of about this size may not go out now (None: it may)."""
        caps = (("run", "USD", self.run_usd, self.spent_run[0], self.reserved[0], usd),
                ("run", "tokens", self.run_tokens, self.spent_run[1], self.reserved[1], tokens),
                ("workflow (today)", "USD", self.workflow_usd, self.spent_workflow[0], self.reserved[0], usd),
                ("workflow (today)", "tokens", self.workflow_tokens, self.spent_workflow[1], self.reserved[1], tokens))
        for scope, unit, cap, spent, reserved, need in caps:
            if cap is not None and spent + reserved + need > cap:
                return (f"the {scope} budget of {cap:g} {unit} would be passed: {spent:.6g} spent, "
                        f"{reserved:.6g} in flight, next request ~{need:.6g}")
        return None

    def reserve(self, usd: float, tokens: int, what: str, maximum: float | None = None) -> Hold:
        """Check before sending, then hold the estimate while the request is out (and `maximum`, default the
        estimate, on the budgets across runs); `what` ends the refusal."""
        refusal = self.refuse(usd, tokens)
        if refusal:
            raise BudgetExceeded(f"{refusal}; {what}")
        shared, most = None, usd if maximum is None else maximum
        if self.shared is not None:
            shared = self.shared.reserve(most, what)
        self.hold(usd, tokens)
        return Hold(usd, tokens, shared, most if shared else 0.0)

    def release(self, held) -> None:
        """A reserved request that was not answered: give its holds back."""
        held = Hold(*held)
        self.hold(held.usd, held.tokens, sign=-1)
        if held.shared:
            self.shared.settle(held.shared, held.shared_usd, 0.0)

    def hold(self, usd: float, tokens: int, sign: int = 1) -> None:
        self.reserved[0] += sign * usd
        self.reserved[1] += sign * tokens

    def settle(self, held: tuple[float, int], usd: float, tokens: int, tokens_out: int | None = None) -> None:
        """A reserved request answered: release its hold, spend what it cost, learn a chat answer's size."""
        held = Hold(*held)
        self.hold(held.usd, held.tokens, sign=-1)
        self._spend(usd, tokens)
        if held.shared:
            self.shared.settle(held.shared, held.shared_usd, usd)
        if tokens_out is not None:
            self.outputs.append(tokens_out)
            del self.outputs[:-RECENT]

    def spend(self, usd: float, tokens: int) -> None:
        """Spend without a hold (a Batch API answer as it is billed), on the budgets across runs too."""
        self._spend(usd, tokens)
        if self.shared is not None and usd:
            self.shared.book(usd)

    def _spend(self, usd: float, tokens: int) -> None:
        for spent in (self.spent_run, self.spent_workflow):
            spent[0] += usd
            spent[1] += tokens


class BudgetGate:
    """The layer that asks the budget before each request goes to the retry loop (a repair request included)."""

    def __init__(self, inner, budget: Budget):
        self.inner, self.budget = inner, budget

    def request(self, request: ChatRequest):
        budget = self.budget
        if not budget.capped:
            return (yield from self.inner.request(request))
        usd, tokens = budget.estimate(request)
        maximum = budget.maximum(request) if budget.shared is not None else None
        held = budget.reserve(usd, tokens, f"{request.what} was not sent", maximum)
        try:
            reply = yield from self.inner.request(request)
        except BaseException:
            budget.release(held)
            raise
        usage = reply.usage
        budget.settle(held, reply.cost, usage.input + usage.output, usage.output if request.kind == "chat" else None)
        return reply
