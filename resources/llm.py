"""The LLM resource: the official `openai` client with a call ledger, a response cache, retries and budgets.

Any OpenAI-compatible server works (OpenAI, Azure, vLLM, Ollama, llama.cpp): the client reads
OPENAI_BASE_URL and OPENAI_API_KEY itself unless `base_url`/`api_key` are configured. Assets open a
session bound to their context so every ledger row carries run, asset and partition:

    ai = llm.session(context)
    draft = ai.complete(DRAFT_PROMPT, {"topic": t}, tier="strong").text
    return dg.MaterializeResult(metadata=ai.metadata())
"""

import asyncio
import functools
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import dagster as dg
import httpx
import openai
from openai.lib._parsing._completions import type_to_response_format_param
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, Field, ValidationError

from resources import llm_retry as retry
from resources.cache import ResponseCache
from resources.ledger import CallLedger, CallRecord
from resources.pricing import cost_usd
from resources.prompts import Prompt
from resources.rate_limit import estimate_tokens, shared_limiter
from resources.session_stats import SessionStats

OFFLINE_HEADER = "x-aiwf-offline"


@dataclass
class Completion:
    """One answer: text, the validated pydantic object for structured calls, and what it cost."""

    text: str
    parsed: Any
    model: str
    cached: bool
    offline: bool
    tokens_in: int
    tokens_out: int
    cost_usd: float
    request_hash: str


class LLMResource(dg.ConfigurableResource):
    """Chat and embedding calls through `openai`, metered in the ledger and cached by request."""

    base_url: str | None = Field(default=None, description="Defaults to OPENAI_BASE_URL, then OpenAI.")
    api_key: str | None = Field(default=None, description="Defaults to OPENAI_API_KEY. Never logged.")
    cheap_model: str = "gpt-4o-mini"
    strong_model: str = "gpt-4o"
    embedding_model: str = "text-embedding-3-small"
    embedding_dimensions: int | None = None
    request_timeout_s: float = 60.0
    max_attempts: int = 6
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    use_cache: bool = True
    requests_per_minute: int | None = Field(default=None, description="Client-side cap on requests per minute.")
    tokens_per_minute: int | None = Field(default=None, description="Client-side cap on tokens per minute.")
    run_budget_usd: float | None = Field(default=None, description="Stop a run before it spends more.")
    redact_pii: bool = False

    def session(self, context=None, budget_usd: float | None = None) -> "LLMSession":
        """A session bound to an asset, op or check context (or none), collecting metadata for the UI."""
        return LLMSession(self, context, budget_usd if budget_usd is not None else self.run_budget_usd)

    def model_for(self, tier: str) -> str:
        tiers = {"cheap": self.cheap_model, "strong": self.strong_model}
        if tier not in tiers:
            raise ValueError(f"unknown model tier {tier!r}; expected one of {sorted(tiers)}")
        return tiers[tier]

    def client_kwargs(self) -> dict:
        kwargs = {"max_retries": 0, "timeout": self.request_timeout_s}  # our loop retries and records each attempt
        if self.base_url:
            kwargs["base_url"] = self.base_url
        if self.api_key:
            kwargs["api_key"] = self.api_key
        return kwargs


def _context_ids(context) -> dict:
    """run id, asset key and partition of whatever context an asset, op or check was given."""
    if context is None:
        return {}
    op_context = getattr(context, "op_execution_context", context)
    ids: dict = {"run_id": op_context.run_id, "asset_key": None, "partition_key": None}
    try:
        ids["asset_key"] = context.asset_key.to_user_string()
    except Exception:  # a check's context, or a multi-asset: name the first key it serves
        keys = [s.asset_key for s in getattr(context, "check_specs", [])] or list(
            getattr(op_context, "selected_asset_keys", []))
        ids["asset_key"] = keys[0].to_user_string() if keys else None
    if op_context.has_partition_key:
        ids["partition_key"] = op_context.partition_key
    return ids


def request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class LLMSession:
    """Calls made on behalf of one step: shares clients, ledger and cache, and totals what it spent."""

    def __init__(self, resource: LLMResource, context=None, budget_usd: float | None = None):
        self.resource = resource
        self.ids = _context_ids(context)
        self.budget_usd = budget_usd
        self.ledger = CallLedger()
        self.cache = ResponseCache()
        self.stats = SessionStats()
        self._sync: openai.OpenAI | None = None
        self._async: openai.AsyncOpenAI | None = None
        self._inflight: dict[str, asyncio.Future] = {}
        self.limiter = shared_limiter(resource.base_url or "default", resource.requests_per_minute,
                                      resource.tokens_per_minute)

    # --- clients -------------------------------------------------------------------------------
    def _client(self) -> openai.OpenAI:
        if self._sync is None:
            self._sync = _make_client(openai.OpenAI, self.resource)
        return self._sync

    def _aclient(self) -> openai.AsyncOpenAI:
        if self._async is None:
            self._async = _make_client(openai.AsyncOpenAI, self.resource)
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
        return self._finish_chat(call, raw, lambda msgs: self._with_retries(call, lambda: self._send_chat(call, msgs)))

    async def acomplete(self, prompt: Prompt, variables: dict | None = None, *, tier: str = "cheap",
                        model: str | None = None, response_model: type[BaseModel] | None = None,
                        **params) -> Completion:
        """Async `complete`; identical requests in flight at once are sent once and share the answer."""
        call = self._chat_call(prompt, variables or {}, tier, model, response_model, params)
        key = call["hash"]
        if key in self._inflight:
            result = _as_cached(await asyncio.shield(self._inflight[key]))
            self._record(call, status="ok", cache_hit=True, offline=result.offline)
            return result
        future = self._inflight[key] = asyncio.get_running_loop().create_future()
        try:
            result = self._from_cache(call)
            if result is None:
                raw = await self._awith_retries(call, lambda: self._asend_chat(call))
                repaired = await self._arepair(call, raw)
                result = self._finish_chat(call, repaired or raw, None)
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
            from resources.pii import redact_messages

            messages = redact_messages(messages)
        model = model or self.resource.model_for(tier)
        params = {"temperature": 0, **prompt.params, **params}
        schema = _json_schema(response_model) if response_model else None
        payload = {"model": model, "messages": messages, "params": params, "schema": schema,
                   "prompt": [prompt.name, prompt.version, prompt.hash]}
        est = estimate_tokens(messages, params.get("max_completion_tokens") or params.get("max_tokens"))
        return {"kind": "chat", "model": model, "tier": tier, "messages": messages, "params": params,
                "response_model": response_model, "prompt": prompt, "hash": request_hash(payload), "est_tokens": est}

    def _send_chat(self, call, messages=None):
        return _RawChat(self._client().post(CHAT_PATH, body=_chat_body(call, messages), cast_to=httpx.Response))

    async def _asend_chat(self, call, messages=None):
        return _RawChat(await self._aclient().post(CHAT_PATH, body=_chat_body(call, messages), cast_to=httpx.Response))

    def _finish_chat(self, call, raw, repair) -> Completion:
        """Validate a structured answer (one repair request on invalid JSON), then cache and return it."""
        completion = raw.parse()
        text = completion.choices[0].message.content or ""
        parsed = None
        if call["response_model"] is not None:
            try:
                parsed = call["response_model"].model_validate_json(text)
            except ValidationError as err:
                if repair is None:
                    raise retry.LLMError(_invalid_json(call, err), error_class="invalid_output") from err
                return self._finish_chat(call, repair(_repair_messages(call, text, err)), None)
        usage = completion.usage
        tokens_in, tokens_out = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
        if self.resource.use_cache:
            self.cache.put(call["hash"], call["model"], {"text": text, "offline": call.get("offline", False)},
                           tokens_in, tokens_out)
        return Completion(text, parsed, call["model"], False, call.get("offline", False), tokens_in,
                          tokens_out, cost_usd(call["model"], tokens_in, tokens_out), call["hash"])

    async def _arepair(self, call, raw):
        """Async twin of the repair step: one more request when a structured answer is invalid JSON."""
        if call["response_model"] is None:
            return None
        text = raw.parse().choices[0].message.content or ""
        try:
            call["response_model"].model_validate_json(text)
            return None
        except ValidationError as err:
            msgs = _repair_messages(call, text, err)
            return await self._awith_retries(call, lambda: self._asend_chat(call, msgs))

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

    # --- embeddings ----------------------------------------------------------------------------
    def embed(self, texts: list[str], *, model: str | None = None) -> list[list[float]]:
        """Vectors for texts: cached per text, uncached ones sent in one batched request."""
        calls, missing = self._embed_plan(texts, model)
        if missing:
            batch = calls[missing[0]]
            raw = self._with_retries(batch, lambda: self._client().embeddings.with_raw_response.create(
                **self._embed_kwargs(batch, [texts[i] for i in missing])))
            self._store_embeddings(calls, missing, raw)
        return [calls[i]["vector"] for i in range(len(texts))]

    async def aembed(self, texts: list[str], *, model: str | None = None) -> list[list[float]]:
        calls, missing = self._embed_plan(texts, model)
        if missing:
            batch = calls[missing[0]]
            raw = await self._awith_retries(batch, lambda: self._aclient().embeddings.with_raw_response.create(
                **self._embed_kwargs(batch, [texts[i] for i in missing])))
            self._store_embeddings(calls, missing, raw)
        return [calls[i]["vector"] for i in range(len(texts))]

    def _embed_plan(self, texts, model):
        if isinstance(texts, str) or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ValueError("embed() takes a list of non-empty strings")
        model = model or self.resource.embedding_model
        dims = self.resource.embedding_dimensions
        calls, missing = [], []
        for i, text in enumerate(texts):
            call = {"kind": "embedding", "model": model, "tier": None, "prompt": None, "dims": dims,
                    "hash": request_hash({"model": model, "input": text, "dims": dims})}
            hit = self.cache.get(call["hash"]) if self.resource.use_cache else None
            if hit:
                call["vector"] = hit["response"]
                self._record(call, status="ok", cache_hit=True)
            else:
                missing.append(i)
            calls.append(call)
        return calls, missing

    @staticmethod
    def _embed_kwargs(call, inputs):
        kwargs = {"model": call["model"], "input": inputs}
        if call["dims"]:
            kwargs["dimensions"] = call["dims"]
        return kwargs

    def _store_embeddings(self, calls, missing, raw):
        result = raw.parse()
        for slot, item in zip(missing, sorted(result.data, key=lambda d: d.index)):
            calls[slot]["vector"] = list(item.embedding)
            if self.resource.use_cache:
                self.cache.put(calls[slot]["hash"], calls[slot]["model"], calls[slot]["vector"], 0, 0)

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
            raise retry.LLMRequestRejected(f"{what} rejected the request: {_message(exc)}", error_class=kind,
                                           attempts=attempt) from exc
        if attempt >= self.resource.max_attempts:
            raise retry.LLMUnavailable(f"{what} failed {attempt} attempts; last: {_message(exc)}", error_class=kind,
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


CHAT_PATH = "/chat/completions"


def _chat_body(call, messages=None) -> dict:
    """The chat request as JSON. It goes through the client's documented `post` (auth, timeouts, openai's error
    classes) instead of `chat.completions.create`, whose per-request type transform of an already-plain body costs
    about 1 ms of CPU: a third of a batch row's overhead."""
    body = {"model": call["model"], "messages": messages or call["messages"], **call["params"]}
    if call["response_model"] is not None:  # openai's own strict schema; we validate the answer ourselves
        body["response_format"] = _response_format(call["response_model"])
    return body


class _RawChat:
    """An answered chat request: its headers, and the ChatCompletion built leniently, as openai itself builds it."""

    def __init__(self, response: httpx.Response):
        self.headers, self._response, self._parsed = response.headers, response, None

    def parse(self) -> ChatCompletion:
        if self._parsed is None:
            self._parsed = ChatCompletion.construct(**self._response.json())
        return self._parsed


@functools.lru_cache(maxsize=512)
def _json_schema(model: type[BaseModel]) -> dict:
    """A model's JSON schema, built once per class (it costs about as much as the rest of a request)."""
    return model.model_json_schema()


@functools.lru_cache(maxsize=512)
def _response_format(model: type[BaseModel]):
    return type_to_response_format_param(model)


def _make_client(cls, resource: LLMResource):
    try:
        return cls(**resource.client_kwargs())
    except openai.OpenAIError as exc:
        raise retry.LLMError(
            "no model endpoint configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for a non-OpenAI server), "
            "or run `aiwf demo`, which starts the offline test double") from exc


def _message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return getattr(exc, "message", None) or str(exc)


def _invalid_json(call, err) -> str:
    return f"model {call['model']!r}, prompt {call['prompt'].ref}: answer is not valid " \
           f"{call['response_model'].__name__} after one repair: {err.errors()[:3]}"


def _repair_messages(call, text: str, err: ValidationError) -> list[dict]:
    fix = (f"Your previous answer was not valid JSON for the schema: {err.errors()[:3]}. "
           "Answer again with only the corrected JSON object.")
    return call["messages"] + [{"role": "assistant", "content": text}, {"role": "user", "content": fix}]


def _as_cached(result: Completion) -> Completion:
    """A waiter on an identical in-flight request got the answer without paying for it."""
    return Completion(result.text, result.parsed, result.model, True, result.offline, 0, 0, 0.0,
                      result.request_hash)
