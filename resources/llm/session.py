"""An LLM session: the calls one step makes, sharing clients, ledger, cache and limiter, totalled for metadata."""

import asyncio
import time

import httpx
import openai
from pydantic import BaseModel, ValidationError

from resources.llm import retry
from resources.llm.cache import ResponseCache
from resources.llm.embeddings import EmbeddingCalls
from resources.llm.ledger import CallLedger, CallRecord
from resources.llm.openai_calls import (
    CHAT_PATH,
    OFFLINE_HEADER,
    Completion,
    RawChat,
    as_cached,
    chat_body,
    context_ids,
    invalid_json,
    json_schema,
    make_client,
    message,
    repair_messages,
    request_hash,
)
from resources.llm.pricing import cost_usd
from resources.llm.prompts import Prompt
from resources.llm.rate_limit import estimate_tokens, shared_limiter
from resources.llm.session_stats import SessionStats
from resources.state.resource import state_of


class LLMSession(EmbeddingCalls):
    """Calls made on behalf of one step: shares clients, ledger and cache, and totals what it spent."""

    def __init__(self, resource, context=None, budget_usd: float | None = None):
        self.resource = resource
        self.ids = context_ids(context)
        self.budget_usd = budget_usd
        store = state_of(resource).store()
        self.ledger, self.cache = CallLedger(store), ResponseCache(store)
        self.stats = SessionStats()
        self._sync: openai.OpenAI | None = None
        self._async: openai.AsyncOpenAI | None = None
        self._inflight: dict[str, asyncio.Future] = {}
        self.limiter = shared_limiter(resource.base_url or "default", resource.requests_per_minute,
                                      resource.tokens_per_minute)

    # --- clients -------------------------------------------------------------------------------
    def _client(self) -> openai.OpenAI:
        if self._sync is None:
            self._sync = make_client(openai.OpenAI, self.resource)
        return self._sync

    def _aclient(self) -> openai.AsyncOpenAI:
        if self._async is None:
            self._async = make_client(openai.AsyncOpenAI, self.resource)
        return self._async

    async def aclose(self) -> None:
        """Close the async client: its connections belong to the event loop that is about to end."""
        if self._async is not None:
            await self._async.close()
            self._async = None

    # --- chat ----------------------------------------------------------------------------------
    def complete(self, prompt: Prompt, variables: dict | None = None, *, tier: str = "cheap",
                 model: str | None = None, response_model: type[BaseModel] | None = None, **params) -> Completion:
        """Answer a prompt, from the cache when the same request was answered before."""
        call = self._chat_call(prompt, variables or {}, tier, model, response_model, params)
        hit = self._from_cache(call)
        if hit:
            return hit
        raw = self._with_retries(call, lambda: self._send_chat(call))
        try:
            return self._answer(call, raw)
        except ValidationError as err:  # one repair request on an invalid structured answer
            msgs = repair_messages(call, raw.parse().choices[0].message.content or "", err)
            return self._repaired_answer(call, self._with_retries(call, lambda: self._send_chat(call, msgs)))

    async def acomplete(self, prompt: Prompt, variables: dict | None = None, *, tier: str = "cheap",
                        model: str | None = None, response_model: type[BaseModel] | None = None,
                        **params) -> Completion:
        """Async `complete`; identical requests in flight at once are sent once and share the answer."""
        call = self._chat_call(prompt, variables or {}, tier, model, response_model, params)
        key = call["hash"]
        if key in self._inflight:
            result = as_cached(await asyncio.shield(self._inflight[key]))
            self._record(call, status="ok", cache_hit=True, offline=result.offline)
            return result
        future = self._inflight[key] = asyncio.get_running_loop().create_future()
        try:
            result = self._from_cache(call)
            if result is None:
                raw = await self._awith_retries(call, lambda: self._asend_chat(call))
                try:
                    result = self._answer(call, raw)
                except ValidationError as err:  # one repair request on an invalid structured answer
                    msgs = repair_messages(call, raw.parse().choices[0].message.content or "", err)
                    result = self._repaired_answer(
                        call, await self._awith_retries(call, lambda: self._asend_chat(call, msgs)))
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            del self._inflight[key]

    def _chat_call(self, prompt, variables, tier, model, response_model, params) -> dict:
        messages = prompt.render(**variables)
        if self.resource.redact_pii:
            from resources.safety.pii import redact_messages

            messages = redact_messages(messages)
        model = model or self.resource.model_for(tier)
        params = {"temperature": 0, **prompt.params, **params}
        schema = json_schema(response_model) if response_model else None
        payload = {"model": model, "messages": messages, "params": params, "schema": schema,
                   "prompt": [prompt.name, prompt.version, prompt.hash]}
        est = estimate_tokens(messages, params.get("max_completion_tokens") or params.get("max_tokens"))
        return {"kind": "chat", "model": model, "tier": tier, "messages": messages, "params": params,
                "response_model": response_model, "prompt": prompt, "hash": request_hash(payload), "est_tokens": est}

    def _send_chat(self, call, messages=None):
        return RawChat(self._client().post(CHAT_PATH, body=chat_body(call, messages), cast_to=httpx.Response))

    async def _asend_chat(self, call, messages=None):
        return RawChat(await self._aclient().post(CHAT_PATH, body=chat_body(call, messages), cast_to=httpx.Response))

    def _answer(self, call, raw) -> Completion:
        """Validate, cache and return an answer; an invalid structured answer raises ValidationError."""
        completion = raw.parse()
        text = completion.choices[0].message.content or ""
        parsed = call["response_model"].model_validate_json(text) if call["response_model"] else None
        usage = completion.usage
        tokens_in, tokens_out = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
        if self.resource.use_cache:
            self.cache.put(call["hash"], call["model"], {"text": text, "offline": call.get("offline", False)},
                           tokens_in, tokens_out)
        return Completion(text, parsed, call["model"], False, call.get("offline", False), tokens_in,
                          tokens_out, cost_usd(call["model"], tokens_in, tokens_out), call["hash"])

    def _repaired_answer(self, call, raw) -> Completion:
        """The answer to the one repair request: still invalid is a clear error."""
        try:
            return self._answer(call, raw)
        except ValidationError as err:
            raise retry.LLMError(invalid_json(call, err), error_class="invalid_output") from err

    def _from_cache(self, call) -> Completion | None:
        if not self.resource.use_cache:
            return None
        hit = self.cache.get(call["hash"])
        if hit is None:
            return None
        text, offline = hit["response"]["text"], hit["response"].get("offline", False)
        parsed = call["response_model"].model_validate_json(text) if call["response_model"] else None
        self._record(call, status="ok", cache_hit=True, offline=offline)
        return Completion(text, parsed, call["model"], True, offline, 0, 0, 0.0, call["hash"])

    # --- retries, budget and the ledger ----------------------------------------------------------
    def _with_retries(self, call, send):
        for attempt in range(1, self.resource.max_attempts + 1):
            self._check_budget(call)
            self.limiter.wait(call.get("est_tokens", 0))
            started = time.perf_counter()
            try:
                raw = send()
            except openai.APIError as exc:
                time.sleep(self._on_failure(call, exc, attempt, started))
                continue
            return self._on_success(call, raw, attempt, started)
        raise AssertionError("unreachable")  # _on_failure raises on the last attempt

    async def _awith_retries(self, call, send):
        for attempt in range(1, self.resource.max_attempts + 1):
            self._check_budget(call)
            await self.limiter.acquire(call.get("est_tokens", 0))
            started = time.perf_counter()
            try:
                raw = await send()
            except openai.APIError as exc:
                await asyncio.sleep(self._on_failure(call, exc, attempt, started))
                continue
            return self._on_success(call, raw, attempt, started)
        raise AssertionError("unreachable")

    def _on_failure(self, call, exc, attempt, started) -> float:
        """Record the failed attempt; return how long to wait, or raise when retrying cannot help."""
        latency = (time.perf_counter() - started) * 1000
        kind = retry.error_class(exc)
        self._record(call, status="error", attempt=attempt, latency_ms=latency, error_class=kind)
        what = f"model {call['model']!r}" + (f", prompt {call['prompt'].ref}" if call["prompt"] else "")
        if not retry.is_retryable(exc):
            raise retry.LLMRequestRejected(f"{what} rejected the request: {message(exc)}", error_class=kind,
                                           attempts=attempt) from exc
        if attempt >= self.resource.max_attempts:
            raise retry.LLMUnavailable(f"{what} failed {attempt} attempts; last: {message(exc)}", error_class=kind,
                                       attempts=attempt) from exc
        return retry.backoff_s(attempt, exc, self.resource.backoff_base_s, self.resource.backoff_max_s)

    def _on_success(self, call, raw, attempt, started):
        latency = (time.perf_counter() - started) * 1000
        call["offline"] = raw.headers.get(OFFLINE_HEADER) == "1"
        parsed = raw.parse()
        usage = getattr(parsed, "usage", None)
        tokens_in = getattr(usage, "prompt_tokens", 0) or 0
        tokens_out = getattr(usage, "completion_tokens", 0) or 0
        self._record(call, status="ok", attempt=attempt, latency_ms=latency, tokens_in=tokens_in,
                     tokens_out=tokens_out, offline=call["offline"])
        self.limiter.settle(call.get("est_tokens", 0), tokens_in + tokens_out)
        return raw

    def _check_budget(self, call) -> None:
        """Refuse to send when the run (or, outside a run, this session) has used its budget."""
        if self.budget_usd is None:
            return
        run_id = self.ids.get("run_id")
        spent = self.ledger.run_cost(run_id)[0] if run_id else self.stats.cost_usd
        if spent >= self.budget_usd:
            raise retry.BudgetExceeded(
                f"{'run ' + run_id if run_id else 'this session'} has spent ${spent:.4f} of its "
                f"${self.budget_usd:.4f} budget; {call['model']!r} was not called")

    def _record(self, call, *, status, cache_hit=False, attempt=1, latency_ms=0.0, tokens_in=0, tokens_out=0,
                error_class=None, offline=False) -> None:
        prompt: Prompt | None = call["prompt"]
        cost = cost_usd(call["model"], tokens_in, tokens_out)
        self.ledger.record(CallRecord(
            kind=call["kind"], model=call["model"], request_hash=call["hash"], status=status,
            prompt_name=prompt.name if prompt else None, prompt_version=prompt.version if prompt else None,
            prompt_hash=prompt.hash if prompt else None, tokens_in=tokens_in, tokens_out=tokens_out,
            cost_usd=cost, latency_ms=latency_ms, cache_hit=cache_hit, attempt=attempt,
            error_class=error_class, offline=offline, tier=call["tier"], **self.ids))
        self.stats.add(status=status, cache_hit=cache_hit, latency_ms=latency_ms, tokens_in=tokens_in,
                       tokens_out=tokens_out, cost=cost, model=call["model"], offline=offline)

    def metadata(self) -> dict:
        """Calls, cache hits, retries, tokens, cost and latency percentiles for MaterializeResult metadata."""
        return self.stats.metadata()
