"""Sending one request of an LLM session: budget check, limiter, retries with backoff, one ledger row per attempt.

Mixed into LLMSession. Waits (limiter, backoff) are slept in slices so that a request claimed in the shared
Store (resources/llm/claims.py) keeps its claim alive however long it waits, and another run never takes over
a request that is still being sent.
"""

import asyncio
import time

import openai

from resources import telemetry
from resources.llm import retry
from resources.llm.ledger import CallRecord
from resources.llm.openai_calls import OFFLINE_HEADER, RawChat, message
from resources.llm.pricing import cost_usd
from resources.llm.prompts import Prompt
from resources.safety.secrets import scrub


class Attempts:
    """The retry loop, budget and ledger of LLMSession (uses its resource, limiter, ledger, stats and claims)."""

    def _with_retries(self, call, send):
        for attempt in range(1, self.resource.max_attempts + 1):
            self._check_budget(call)
            self._throttle(call)
            started = time.perf_counter()
            try:
                raw = send()
            except openai.APIError as exc:
                self._pause(call, self._on_failure(call, exc, attempt, started))
                continue
            return self._on_success(call, raw, attempt, started)
        raise AssertionError("unreachable")  # _on_failure raises on the last attempt

    async def _awith_retries(self, call, send):
        for attempt in range(1, self.resource.max_attempts + 1):
            self._check_budget(call)
            await self._athrottle(call)
            started = time.perf_counter()
            try:
                raw = await send()
            except openai.APIError as exc:
                await self._apause(call, self._on_failure(call, exc, attempt, started))
                continue
            return self._on_success(call, raw, attempt, started)
        raise AssertionError("unreachable")

    def _throttle(self, call) -> None:
        """Wait for the limiter: once for a reservation (per process), or until the shared budget lets it go."""
        while (wait := self.limiter.reserve(call.get("est_tokens", 0), call["model"])) > 0:
            self._pause(call, wait)
            if self.limiter.reserves_ahead:
                return

    async def _athrottle(self, call) -> None:
        while (wait := self.limiter.reserve(call.get("est_tokens", 0), call["model"])) > 0:
            await self._apause(call, wait)
            if self.limiter.reserves_ahead:
                return

    def _keep(self, call) -> None:
        if self.claims is not None and self.claims.taken:
            self.claims.keep()

    def _pause(self, call, seconds: float) -> None:
        """Sleep, renewing this request's claim on the way; returns ready to send."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(left, self.claim_slice_s))
            self._keep(call)
        self._keep(call)

    async def _apause(self, call, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(left, self.claim_slice_s))
            self._keep(call)
        self._keep(call)

    def _on_failure(self, call, exc, attempt, started) -> float:
        """Record the failed attempt; return how long to wait, or raise when retrying cannot help."""
        latency = (time.perf_counter() - started) * 1000
        kind = retry.error_class(exc)
        self._record(call, status="error", attempt=attempt, latency_ms=latency, error_class=kind)
        what = f"model {call['model']!r}" + (f", prompt {call['prompt'].ref}" if call["prompt"] else "")
        # The provider's text may echo the key ("Incorrect API key provided: sk-..."): scrubbed, and the
        # openai exception (whose str and response carry it too) is not chained into logs or run storage.
        said = scrub(message(exc), [self.resource.api_key])
        if not retry.is_retryable(exc):
            raise retry.LLMRequestRejected(f"{what} rejected the request: {said}", error_class=kind,
                                           attempts=attempt) from None
        if attempt >= self.resource.max_attempts:
            raise retry.LLMUnavailable(f"{what} failed {attempt} attempts; last: {said}", error_class=kind,
                                       attempts=attempt) from None
        return retry.backoff_s(attempt, exc, self.resource.backoff_base_s, self.resource.backoff_max_s)

    def _on_success(self, call, raw, attempt, started):
        latency = (time.perf_counter() - started) * 1000
        call["offline"] = raw.headers.get(OFFLINE_HEADER) == "1"
        if isinstance(raw, RawChat):  # counts from the body; the ChatCompletion only for a span
            (tokens_in, tokens_out), parsed = raw.token_counts(), raw.parse() if telemetry.enabled() else None
        else:
            parsed = raw.parse()
            usage = getattr(parsed, "usage", None)
            tokens_in = getattr(usage, "prompt_tokens", 0) or 0
            tokens_out = getattr(usage, "completion_tokens", 0) or 0
        self._record(call, status="ok", attempt=attempt, latency_ms=latency, tokens_in=tokens_in,
                     tokens_out=tokens_out, offline=call["offline"], response=parsed, hold=True)
        self.limiter.settle(call.get("est_tokens", 0), tokens_in + tokens_out, call["model"])
        return raw

    def _check_budget(self, call) -> None:
        """Refuse to send when the run (or, outside a run, this session) has used its budget."""
        if self.budget_usd is None:
            return
        run_id = self.ids.get("run_id")
        spent = self.ledger.run_cost(run_id)[0] + self.unflushed_usd if run_id else self.stats.cost_usd
        if spent >= self.budget_usd:
            raise retry.BudgetExceeded(
                f"{'run ' + run_id if run_id else 'this session'} has spent ${spent:.4f} of its "
                f"${self.budget_usd:.4f} budget; {call['model']!r} was not called")

    def _record(self, call, *, status, cache_hit=False, attempt=1, latency_ms=0.0, tokens_in=0, tokens_out=0,
                error_class=None, offline=False, response=None, hold=False) -> None:
        """One ledger row (and span). `hold`: an answered attempt of a chat call that keeps its rows back
        (call["ledger_rows"]) is written with its answer, in the transaction that caches it."""
        prompt: Prompt | None = call["prompt"]
        cost = cost_usd(call["model"], tokens_in, tokens_out)
        record = CallRecord(
            kind=call["kind"], model=call["model"], request_hash=call["hash"], status=status,
            prompt_name=prompt.name if prompt else None, prompt_version=prompt.version if prompt else None,
            prompt_hash=prompt.hash if prompt else None, tokens_in=tokens_in, tokens_out=tokens_out,
            cost_usd=cost, latency_ms=latency_ms, cache_hit=cache_hit, attempt=attempt,
            error_class=error_class, offline=offline, tier=call["tier"], **self.ids)
        held = call.get("ledger_rows") if hold else None
        if held is not None:
            held.append(record)
        else:
            self.ledger.record(record)
        self.stats.add(status=status, cache_hit=cache_hit, latency_ms=latency_ms, tokens_in=tokens_in,
                       tokens_out=tokens_out, cost=cost, model=call["model"], offline=offline)
        if telemetry.enabled():  # every ledger row is a span too; off, opentelemetry is never imported
            from resources.telemetry.genai import record_call

            record_call(self, call, status=status, cache_hit=cache_hit, attempt=attempt, latency_ms=latency_ms,
                        tokens_in=tokens_in, tokens_out=tokens_out, cost=cost, error_class=error_class,
                        response=response)
