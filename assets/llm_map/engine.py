"""The async engine of a batch asset: bounded concurrency, the asset's budget, tier escalation, re-asks.

Every finished row goes to the checkpoint writer at once; a row that still fails after the LLM resource's
retries is handed to `fail` (the asset quarantines it) and the batch carries on. The budget is the session's one
gate (resources/llm/budget.py, checked before each request the cache cannot answer): a request it refuses stops
new requests, lets those in flight finish and be checkpointed, then raises BudgetExceeded. An endpoint whose
circuit opened (resources/llm/breaker.py) stops the batch the same way, its cause first: the rows are not
quarantined for an outage.

Two second tries, in this order for every answer:
1. `validator` (llm_map's `escalate_on`) asks "is this tier good enough?": a rejected answer sends the same
   variables (with any feedback in force) to the next tier; rejected on the last tier -> `verification_failed`.
2. `reask_on(row, answer) -> problem(s) | None` asks "can the model fix this if told why?", only of an answer
   the validator accepted: the row is asked again on the same tier with the problems in the `feedback` variable
   (REASK_TEXT; the prompt renders `{feedback}`, "" on the first ask), at most `max_reasks` times per row over all
   tiers; still refused after the last -> `invalid_after_reask`, the problems as the reason.
A re-ask is a new request (its messages differ, so its hash does): it goes through the same session layers as
any request, so the cache and claims answer a repeat without paying twice, the budget gate checks it and it
gets its own ledger row. A refused answer is paid for and not kept (`spend`).
"""

import asyncio
import contextlib
from typing import Any, Awaitable, Callable

from assets.llm_map.rows import RowRequest
from resources.llm.answer import price_of
from resources.llm.budget import Budget
from resources.llm.pricing import Usage
from resources.llm.retry import BudgetExceeded, CircuitOpen, LLMError

__all__ = ["BatchEngine", "Budget", "Reask", "Validator", "feedback_text", "run_async"]  # Budget: resources/llm/budget.py, re-exported
STOPS = (BudgetExceeded, CircuitOpen)  # errors that stop the batch rather than fail one row

Validator = Callable[[dict, Any], "str | None"]
Reask = Callable[[dict, Any], "str | list[str] | None"]  # row, answer -> the problems (None or []: accepted)
REASK_TEXT = "Your previous answer was refused by the checks:\n{problems}\nReturn a corrected answer.\n"


def feedback_text(problems: list[str]) -> str:
    """What the `feedback` variable says on a re-ask: the refused answer's problems, one per line."""
    return REASK_TEXT.format(problems="\n".join(f"- {p}" for p in problems))


def run_async(main: Awaitable):
    """Run a batch's coroutine on a fresh event loop: uvloop's where installed (its C loop and socket I/O take
    about a fifth less CPU per row than asyncio's own), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


class BatchEngine:
    """Runs RowRequests through an LLM session with at most `concurrency` in flight."""

    def __init__(self, session, *, prompt, response_model, tier: str, escalate_to: str | None,
                 validator: Validator | None, concurrency: int, budget: Budget,
                 succeed: Callable, fail: Callable, spend: Callable, reask_on: Reask | None = None,
                 max_reasks: int = 1):
        self.ai, self.prompt, self.response_model = session, prompt, response_model
        self.reask_on, self.max_reasks = reask_on, max(0, max_reasks) if reask_on is not None else 0
        session.use_budget(budget)  # the session's one gate checks the asset's caps
        self.tiers = [tier] + ([escalate_to] if validator is not None and escalate_to not in (None, tier) else [])
        self.validator, self.concurrency, self.budget = validator, max(1, concurrency), budget
        self.succeed, self.fail, self.spend = succeed, fail, spend
        self.stopped: LLMError | None = None
        self.escalated = 0

    async def run(self, requests: list[RowRequest], ticker: Callable[[], Awaitable] | None = None) -> None:
        """Answer every request; `ticker()` (progress lines) runs beside the workers until they are done."""
        if requests:  # prices load now, not inside the first answer while the other workers' requests wait
            price_of(self.ai.resource.model_for(self.tiers[0]), Usage())
        pending = iter(requests)
        workers = [self._worker(pending) for _ in range(min(self.concurrency, len(requests)))]
        tick = asyncio.ensure_future(ticker()) if ticker is not None else None
        try:
            await asyncio.gather(*workers)
        finally:
            if tick is not None:
                tick.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await tick
            await self.ai.aclose()
        if self.stopped is not None:
            raise self.stopped

    async def _worker(self, pending) -> None:
        for request in pending:  # one shared iterator: each worker pulls the next row when it is free
            if self.stopped is not None:
                return
            try:
                await self._row(request)
            except STOPS as exc:
                self.stopped = self.stopped or exc

    async def _call(self, request: RowRequest, tier: str):
        variables = request.variables
        if request.feedback:  # a re-ask: the refused answer's problems ride in the `feedback` variable
            variables = {**variables, "feedback": feedback_text(request.feedback)}
        try:
            return await self.ai.acomplete(request.prompt or self.prompt, variables,
                                           tier=self.budget.tier_for(tier),  # cheap near a budget across runs
                                           response_model=self.response_model)
        except BudgetExceeded as exc:  # its kind kept: a budget across runs quarantines the rows not sent
            raise type(exc)(f"{exc}; stopped before sending row {request.keys[0]!r}") from None

    async def _row(self, request: RowRequest) -> None:
        problem, attempts, step = None, 0, 0
        while True:  # tiers in order; a re-ask stays on its tier (see the module doc for the order)
            tier, last = self.tiers[step], step == len(self.tiers) - 1
            try:
                result = await self._call(request, tier)
            except STOPS:
                raise
            except LLMError as err:
                attempts, request.sent = attempts + err.attempts, request.sent + 1
                if err.error_class == "invalid_output" and not last:
                    problem, step = str(err), step + 1
                    continue  # a stronger model may manage the schema
                return self.fail(request, err.error_class, str(err), attempts)
            attempts, request.sent = attempts + 1, request.sent + (not result.cached)
            problem = self.verify(request, result)
            if problem is None:
                problem = self.refusal(request, result)
                if problem is None:
                    self.escalated += step > 0
                    return self.succeed(request, result, tier, step > 0)
            self.spend(result.cost_usd, result.tokens_in + result.tokens_out)  # paid for, not kept
            if isinstance(problem, _Refused) and self.reask(request, problem):
                continue
            if isinstance(problem, (_ValidatorError, _Refused)) or last:
                break
            step += 1
        if isinstance(problem, _Refused):
            return self.fail(request, "invalid_after_reask", str(problem), attempts)
        kind = "validator_error" if isinstance(problem, _ValidatorError) else "verification_failed"
        self.fail(request, kind, f"{problem} (tiers tried: {', '.join(self.tiers)})", attempts)

    def refusal(self, request: RowRequest, result) -> "str | None":
        """Why `reask_on` refuses an answer (None: accepted): a _Refused with the problems, or a _ValidatorError."""
        if self.reask_on is None:
            return None
        found = self._check(self.reask_on, "reask_on", request, result)
        if isinstance(found, _ValidatorError):
            return found
        problems = [found] if isinstance(found, str) else list(found or [])
        return _Refused(problems) if problems else None

    def reask(self, request: RowRequest, refused: "_Refused") -> bool:
        """Ready the row to be asked again with the problems (False: its re-asks are spent)."""
        if request.reasks >= self.max_reasks:
            return False
        request.reasks, request.feedback = request.reasks + 1, list(refused.problems)
        return True

    def verify(self, request: RowRequest, result) -> str | None:
        """Why the validator rejects an answer (None: accepted); a validator that raised is a _ValidatorError."""
        if self.validator is None:
            return None
        return self._check(self.validator, "validator", request, result) or None

    def _check(self, check: Callable, name: str, request: RowRequest, result):
        """`check(row, answer)`; a check that raised is the row's failure with the reason kept (_ValidatorError)."""
        try:
            return check(request.row, result.parsed if self.response_model is not None else result.text)
        except Exception as exc:
            return _ValidatorError(f"{name} raised {type(exc).__name__}: {exc}")


class _ValidatorError(str):
    """A validator that raised: escalating cannot help."""


class _Refused(str):
    """An answer `reask_on` refused: its problems, joined as the reason."""

    def __new__(cls, problems: list[str]):
        refused = super().__new__(cls, "; ".join(problems))
        refused.problems = problems
        return refused
