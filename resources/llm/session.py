"""An LLM session: the calls one step makes, sharing clients, ledger, cache and limiter, totalled for metadata.

A cache miss is claimed in the shared Store before it is sent (resources/llm/claims.py): another run, process
or worker sending the same request at that moment waits for this answer instead of paying for it again.
"""

import asyncio

import httpx
import openai
from pydantic import BaseModel, ValidationError

from resources.llm import retry
from resources.llm.attempts import Attempts
from resources.llm.batch_api import BatchCalls
from resources.llm.cache import ResponseCache
from resources.llm.claims import RequestClaims, new_owner
from resources.llm.embeddings import EmbeddingCalls
from resources.llm.ledger import CallLedger
from resources.llm.openai_calls import (
    CHAT_PATH,
    Completion,
    RawChat,
    as_cached,
    chat_body,
    context_ids,
    invalid_json,
    json_schema,
    make_client,
    repair_messages,
    request_hash,
)
from resources.llm.pricing import cost_usd
from resources.llm.prompts import Prompt
from resources.llm.rate_limit import estimate_tokens, model_limits, shared_limiter
from resources.llm.session_stats import SessionStats
from resources.state.resource import state_of
from resources.telemetry import step_of


class LLMSession(EmbeddingCalls, Attempts, BatchCalls):
    """Calls made on behalf of one step: shares clients, ledger and cache, and totals what it spent."""

    def __init__(self, resource, context=None, budget_usd: float | None = None):
        self.resource = resource
        self.ids = context_ids(context)
        self.trace_step = step_of(context)  # (run id, step key) its model-call spans go under; None: tracing off
        self.budget_usd = budget_usd
        store = self.store = state_of(resource).store()
        self.ledger, self.cache = CallLedger(store), ResponseCache(store)
        self._live: dict[str, Prompt] = {}  # prompt file name -> the version live in the Store (read once)
        self.stats = SessionStats()
        self._sync: openai.OpenAI | None = None
        self._async: openai.AsyncOpenAI | None = None
        self._inflight: dict[str, asyncio.Future] = {}
        self._sink = None  # see write_with
        self._unflushed: dict[str, dict] = {}  # request hash -> cache entry of an answer queued at the sink
        self.unflushed_usd = 0.0  # what the ledger rows queued at the sink cost (budget checks add it)
        per_model = model_limits(resource.model_requests_per_minute, resource.model_tokens_per_minute)
        self.limiter = shared_limiter(resource.base_url or "default", resource.requests_per_minute,
                                      resource.tokens_per_minute, per_model, resource.rate_limit_url)
        # A claim outlives one attempt with margin; waits are slept in slices that renew it (attempts.py).
        ttl_s = 2 * resource.request_timeout_s + 30
        self.claim_slice_s = ttl_s / 3
        self.claims = RequestClaims(store, new_owner(self.ids.get("run_id")), ttl_s, resource.claim_wait_s,
                                    _run_log(context), self.cache) if resource.use_cache else None

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

    def write_with(self, sink) -> None:
        """Commit each answer (cache entry, ledger rows, end of its claim) through `sink.also(work, done)`, in the
        sink's next group commit (llm_map: with the rows' checkpoints, resources/state/checkpoints.py), instead of
        a transaction per answer. Until it commits the answer serves this session from memory; a crash before it
        loses the answer with its checkpoint, as one still in flight would be lost."""
        self._sink = sink

    # --- chat ----------------------------------------------------------------------------------
    def complete(self, prompt: Prompt, variables: dict | None = None, *, tier: str = "cheap",
                 model: str | None = None, response_model: type[BaseModel] | None = None, **params) -> Completion:
        """Answer a prompt, from the cache when the same request was answered before (or is being sent now)."""
        call = self._chat_call(prompt, variables or {}, tier, model, response_model, params)
        if call["hash"] in self._unflushed:
            hit = self._from_cache(call)
        elif self.claims is not None:  # the cache is read and a miss claimed in one transaction
            hit = self.claims.wait(call["hash"], _what(call), lambda: self._from_cache(call),
                                   lambda entry: self._from_cache(call, entry))
        else:
            hit = self._from_cache(call)
        if hit is not None:
            return hit
        try:
            return self._fresh(call)
        finally:
            self._unclaim(call)

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
            if key in self._unflushed:  # answered a moment ago, committing with the next checkpoints
                result = self._from_cache(call)
            elif self.claims is not None:  # the cache is read and a miss claimed in one transaction
                result = await self.claims.await_(key, _what(call), lambda: self._from_cache(call),
                                                  lambda entry: self._from_cache(call, entry))
            else:
                result = self._from_cache(call)
            if result is None:
                try:
                    result = await self._afresh(call)
                finally:
                    self._unclaim(call)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            del self._inflight[key]

    def _fresh(self, call) -> Completion:
        call["ledger_rows"] = []  # answered attempts' rows: committed with the answer (_store) or at the end
        try:
            raw = self._with_retries(call, lambda: self._send_chat(call))
            try:
                return self._answer(call, raw)
            except ValidationError as err:  # one repair request on an invalid structured answer
                self._write_ledger(call)  # before the repair's budget check
                msgs = repair_messages(call, raw.text(), err)
                return self._repaired_answer(call, self._with_retries(call, lambda: self._send_chat(call, msgs)))
        finally:
            self._write_ledger(call)

    async def _afresh(self, call) -> Completion:
        call["ledger_rows"] = []
        try:
            raw = await self._awith_retries(call, lambda: self._asend_chat(call))
            try:
                return self._answer(call, raw)
            except ValidationError as err:  # one repair request on an invalid structured answer
                self._write_ledger(call)
                msgs = repair_messages(call, raw.text(), err)
                repaired = await self._awith_retries(call, lambda: self._asend_chat(call, msgs))
                return self._repaired_answer(call, repaired)
        finally:
            self._write_ledger(call)

    def _write_ledger(self, call) -> None:
        """Write the answered attempts' ledger rows still held back (the answer was not cached, or was invalid)."""
        rows = call.get("ledger_rows")
        if rows:
            self.ledger.record_many(rows)
            rows.clear()

    def _store(self, call, response: dict, tokens_in: int, tokens_out: int, cost: float) -> None:
        """The answer, its ledger rows and the end of its claim in one transaction (instead of three; with a sink,
        the sink's next one): a waiter finds the answer or the claim, and a crash leaves all of them or none."""
        key, rows, ended = call["hash"], list(call.get("ledger_rows") or []), []

        def work(cur):
            self.ledger.record_in(cur, rows)
            self.cache.put_in(cur, key, call["model"], response, tokens_in, tokens_out, cost)
            ended[:] = [self.claims is not None and self.claims.release_in(cur, key)]

        def done():
            if self._unflushed.pop(key, None) is not None:
                self.unflushed_usd -= paid
            if ended[0]:
                self.claims.forget(key)

        paid = sum(r.cost_usd for r in rows)
        if self._sink is not None:
            self.unflushed_usd += paid
            self._unflushed[key] = {"response": response, "tokens_in": tokens_in, "tokens_out": tokens_out,
                                    "cost_usd": cost}
            self._sink.also(work, done)
        else:
            self.store.transact(work)
            done()
        if call.get("ledger_rows"):
            call["ledger_rows"].clear()  # they went (or go) with the answer

    def _unclaim(self, call) -> None:
        """End this session's claim on the request, if it holds one: after storing the answer, or when sending
        failed (a waiting run then sends it itself)."""
        if self.claims is not None and call["hash"] not in self._unflushed:  # queued: ends as its answer commits
            self.claims.release(call["hash"])

    def prompt_in_force(self, prompt: Prompt) -> Prompt:
        """A prompt file's live handle answers with the version live in the Store (promote/rollback reach every
        caller), read once per session per prompt; any other prompt, an explicit version included, as given."""
        source = getattr(prompt, "live_of", None)
        if source is None:
            return prompt
        if source.name not in self._live:
            from resources.llm.prompt_registry import PromptRegistry

            self._live[source.name] = source.version(PromptRegistry(self.store).live(source))
        return self._live[source.name]

    def _chat_call(self, prompt, variables, tier, model, response_model, params) -> dict:
        prompt = self.prompt_in_force(prompt)
        messages = prompt.render(**variables)
        if self.resource.redacts_pii():
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
        text, (tokens_in, tokens_out) = raw.text(), raw.token_counts()
        parsed = call["response_model"].model_validate_json(text) if call["response_model"] else None
        cost, offline = cost_usd(call["model"], tokens_in, tokens_out), call.get("offline", False)
        if self.resource.use_cache:  # the answer is stored as the claim ends: a waiter finds one or the other
            self._store(call, {"text": text, "offline": offline}, tokens_in, tokens_out, cost)
        self.stats.used(call["hash"], cost, tokens_in + tokens_out)
        return Completion(text, parsed, call["model"], False, offline, tokens_in, tokens_out, cost, call["hash"],
                          cost, tokens_in + tokens_out)

    def _repaired_answer(self, call, raw) -> Completion:
        """The answer to the one repair request: still invalid is a clear error."""
        try:
            return self._answer(call, raw)
        except ValidationError as err:
            raise retry.LLMError(invalid_json(call, err), error_class="invalid_output") from err

    def _from_cache(self, call, hit: dict | None = None) -> Completion | None:
        """The cached answer (`hit`: the cache entry, when already read), recorded as a cache hit; None: a miss."""
        if not self.resource.use_cache:
            return None
        hit = hit or self._unflushed.get(call["hash"]) or self.cache.get(call["hash"])
        if hit is None:
            return None
        text, offline = hit["response"]["text"], hit["response"].get("offline", False)
        parsed = call["response_model"].model_validate_json(text) if call["response_model"] else None
        self._record(call, status="ok", cache_hit=True, offline=offline)
        tokens = hit["tokens_in"] + hit["tokens_out"]
        self.stats.used(call["hash"], hit["cost_usd"], tokens)
        return Completion(text, parsed, call["model"], True, offline, 0, 0, 0.0, call["hash"], hit["cost_usd"],
                          tokens)

    def metadata(self) -> dict:
        """Calls, cache hits, retries, tokens, cost and latency percentiles for MaterializeResult metadata."""
        if self.claims is not None:
            self.stats.shared_waits = self.claims.waited
        return self.stats.metadata()


def _what(call) -> str:
    return f"model {call['model']!r}" + (f", prompt {call['prompt'].ref}" if call.get("prompt") else "")


def _run_log(context):
    """The run's event log when the session belongs to a step (waits show on the run page), else None."""
    log = getattr(context, "log", None)
    return getattr(log, "info", None)
