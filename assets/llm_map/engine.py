"""The async engine of a batch asset: bounded concurrency, the asset's budget, tier escalation.

Every finished row goes to the checkpoint writer at once; a row that still fails after the LLM resource's
retries is handed to `fail` (the asset quarantines it) and the batch carries on. The budget is the session's one
gate (resources/llm/budget.py, checked before each request the cache cannot answer): a request it refuses stops
new requests, lets those in flight finish and be checkpointed, then raises BudgetExceeded. An endpoint whose
circuit opened (resources/llm/breaker.py) stops the batch the same way, its cause first: the rows are not
quarantined for an outage.
"""

import asyncio
import contextlib
from typing import Any, Awaitable, Callable

from assets.llm_map.rows import RowRequest
from resources.llm.answer import price_of
from resources.llm.budget import Budget
from resources.llm.pricing import Usage
from resources.llm.retry import BudgetExceeded, CircuitOpen, LLMError

__all__ = ["BatchEngine", "Budget", "Validator", "run_async"]  # Budget: resources/llm/budget.py, re-exported
STOPS = (BudgetExceeded, CircuitOpen)  # errors that stop the batch rather than fail one row

Validator = Callable[[dict, Any], "str | None"]


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
                 succeed: Callable, fail: Callable, spend: Callable):
        self.ai, self.prompt, self.response_model = session, prompt, response_model
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
        try:
            return await self.ai.acomplete(request.prompt or self.prompt, request.variables,
                                           tier=self.budget.tier_for(tier),  # cheap near a budget across runs
                                           response_model=self.response_model)
        except BudgetExceeded as exc:  # its kind kept: a budget across runs quarantines the rows not sent
            raise type(exc)(f"{exc}; stopped before sending row {request.keys[0]!r}") from None

    async def _row(self, request: RowRequest) -> None:
        problem, attempts = None, 0
        for step, tier in enumerate(self.tiers):
            last = step == len(self.tiers) - 1
            try:
                result = await self._call(request, tier)
            except STOPS:
                raise
            except LLMError as err:
                attempts += err.attempts
                if err.error_class == "invalid_output" and not last:
                    problem = str(err)
                    continue  # a stronger model may manage the schema
                return self.fail(request, err.error_class, str(err), attempts)
            attempts += 1
            problem = self.verify(request, result)
            if problem is None:
                self.escalated += step > 0
                return self.succeed(request, result, tier, step > 0)
            self.spend(result.cost_usd, result.tokens_in + result.tokens_out)  # paid for, not kept
            if isinstance(problem, _ValidatorError) or last:
                break
        kind = "validator_error" if isinstance(problem, _ValidatorError) else "verification_failed"
        self.fail(request, kind, f"{problem} (tiers tried: {', '.join(self.tiers)})", attempts)

    def verify(self, request: RowRequest, result) -> str | None:
        """Why the validator rejects an answer (None: accepted); a validator that raised is a _ValidatorError."""
        if self.validator is None:
            return None
        answer = result.parsed if self.response_model is not None else result.text
        try:
            problem = self.validator(request.row, answer)
        except Exception as exc:  # a bug in the validator is the row's failure, with the reason kept
            return _ValidatorError(f"validator raised {type(exc).__name__}: {exc}")
        return problem or None


class _ValidatorError(str):
    """A validator that raised: escalating cannot help."""
