"""The async engine of a batch asset: bounded concurrency, budgets checked before sending, tier escalation.

Every finished row goes to the checkpoint writer at once; a row that still fails after the LLM resource's
retries is handed to `fail` (the asset quarantines it) and the batch carries on. A budget that a request
would pass stops new requests, lets those in flight finish and be checkpointed, then raises BudgetExceeded.
"""

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from assets.llm_map.rows import RowRequest
from resources.llm.pricing import cost_usd
from resources.llm.retry import BudgetExceeded, LLMError

Validator = Callable[[dict, Any], "str | None"]


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

    def hold(self, usd: float, tokens: int, sign: int = 1) -> None:
        self.reserved[0] += sign * usd
        self.reserved[1] += sign * tokens

    def spend(self, usd: float, tokens: int) -> None:
        for spent in (self.spent_run, self.spent_workflow):
            spent[0] += usd
            spent[1] += tokens


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
        self.tiers = [tier] + ([escalate_to] if validator is not None and escalate_to not in (None, tier) else [])
        self.validator, self.concurrency, self.budget = validator, max(1, concurrency), budget
        self.succeed, self.fail, self.spend = succeed, fail, spend
        self.stopped: BudgetExceeded | None = None
        self.escalated = 0
        self._out_tokens: list[int] = []  # running view of answer sizes, for pre-send estimates

    async def run(self, requests: list[RowRequest], ticker: Callable[[], Awaitable] | None = None) -> None:
        """Answer every request; `ticker()` (progress lines) runs beside the workers until they are done."""
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
            except BudgetExceeded as exc:
                self.stopped = self.stopped or exc

    def _estimate(self, request: RowRequest, tier: str) -> tuple[float, int]:
        out = max(self._out_tokens[-50:]) if self._out_tokens else int(self.prompt.params.get("max_tokens", 256))
        tokens = request.est_tokens_in + out
        return cost_usd(self.ai.resource.model_for(tier), request.est_tokens_in, out), tokens

    async def _call(self, request: RowRequest, tier: str):
        usd, tokens = self._estimate(request, tier)
        refusal = self.budget.refuse(usd, tokens)
        if refusal:
            raise BudgetExceeded(f"{refusal}; stopped before sending row {request.keys[0]!r}")
        self.budget.hold(usd, tokens)
        try:
            result = await self.ai.acomplete(request.prompt or self.prompt, request.variables, tier=tier,
                                             response_model=self.response_model)
        finally:
            self.budget.hold(usd, tokens, sign=-1)
        if not result.cached:
            self._out_tokens.append(result.tokens_out)
        self.budget.spend(result.cost_usd, result.tokens_in + result.tokens_out)
        return result

    async def _row(self, request: RowRequest) -> None:
        problem, attempts = None, 0
        for step, tier in enumerate(self.tiers):
            last = step == len(self.tiers) - 1
            try:
                result = await self._call(request, tier)
            except BudgetExceeded:
                raise
            except LLMError as err:
                attempts += err.attempts
                if err.error_class == "invalid_output" and not last:
                    problem = str(err)
                    continue  # a stronger model may manage the schema
                return self.fail(request, err.error_class, str(err), attempts)
            attempts += 1
            problem = self._verify(request, result)
            if problem is None:
                self.escalated += step > 0
                return self.succeed(request, result, tier, step > 0)
            self.spend(result.cost_usd, result.tokens_in + result.tokens_out)  # paid for, not kept
            if isinstance(problem, _ValidatorError) or last:
                break
        kind = "validator_error" if isinstance(problem, _ValidatorError) else "verification_failed"
        self.fail(request, kind, f"{problem} (tiers tried: {', '.join(self.tiers)})", attempts)

    def _verify(self, request: RowRequest, result) -> str | None:
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
