"""An LLM session: the calls one step makes, as a typed request through a short stack of layers, outermost first:

    Caching (cache, claims across runs)  ->  Validating (scrub, schema, one repair)  ->  BudgetGate (the one budget)
    ->  Retrying (limiter, breaker, backoff, a ledger row per attempt)  ->  Transport (the official openai client)

Each layer is a generator written once; `drive`/`adrive` (resources/llm/transport.py) run it blocking or on the
event loop. The session shares clients, ledger, cache, limiter and budget between its calls and totals them.
"""

import os

from pydantic import BaseModel

from resources.llm.answer import Answer
from resources.llm.batch_api import BatchClient
from resources.llm.breaker import EndpointBreaker
from resources.llm.budget import Budget, BudgetGate
from resources.llm.cache import ResponseCache
from resources.llm.caching import Caching, InFlight
from resources.llm.claims import RequestClaims, finished_runs, new_owner
from resources.llm.embeddings import Embeddings
from resources.llm.failover import ByProvider, Failover
from resources.llm.instrumented import span_hooks
from resources.llm.ledger import CallLedger
from resources.llm.prompts import Prompt
from resources.llm.providers import providers_of
from resources.llm.rate_limit import model_limits, shared_limiter
from resources.llm.recording import Recorder, context_ids
from resources.llm.request import ChatRequest, chat_request
from resources.llm.retrying import Retrying
from resources.llm.session_stats import SessionStats
from resources.llm.shared_budget import shared_budgets
from resources.llm.transport import Transport, adrive, drive
from resources.llm.validating import Validating
from resources.state.resource import state_of
from resources.telemetry import step_of

RATE_LIMIT_URL = "AIWF_RATE_LIMIT_URL"


class LLMSession:
    """Calls made on behalf of one step: shares clients, ledger, cache and budget, and totals what it spent."""

    def __init__(self, resource, context=None, budget_usd: float | None = None):
        self.resource, self.ids = resource, context_ids(context)
        store = self.store = state_of(resource).store()
        self.ledger, self.cache, self.stats = CallLedger(store), ResponseCache(store), SessionStats()
        self._live: dict[str, Prompt] = {}  # prompt file name -> the version live in the Store (read once)
        self.providers = providers_of(resource)  # the primary, then its fallbacks (resources/llm/failover.py)
        self.recorder = Recorder(self.ledger, self.stats, self.ids, span_hooks(step_of(context), self.ids),
                                 replayed=(resource.cassette_config() or ("", ""))[1] == "replay",
                                 primary=self.providers[0])
        self.limiter = limiter_for(resource)
        ttl_s = 2 * resource.request_timeout_s + 30  # a claim outlives one attempt with margin
        self.claims = RequestClaims(store, new_owner(self.ids.get("run_id")), ttl_s, resource.claim_wait_s,
                                    _run_log(context), self.cache,
                                    finished_runs(context)) if resource.use_cache else None
        self.budget = Budget(run_usd=budget_usd, shared=shared_budgets(store, context))  # + AIWF_BUDGETS
        if budget_usd is not None and self.ids.get("run_id"):  # what the run spent before this step
            self.budget.spent_run = list(self.ledger.run_cost(self.ids["run_id"]))
        self.transport = Transport(resource)
        retrying = [self._retrying(p, ttl_s / 3) for p in self.providers]
        self.gate = BudgetGate(retrying[0] if len(retrying) == 1 else ByProvider(retrying), self.budget)
        self.validating = Validating(self.gate, self.ledger, [p.api_key for p in self.providers])
        failover = len(self.providers) > 1
        self.caching = Caching(Failover(self.validating, self.providers) if failover else self.validating, resource,
                               store, self.cache, self.claims, self.recorder)
        self.embeddings = Embeddings(Failover(self.gate, self.providers) if failover else self.gate, resource,
                                     self.cache, self.claims, self.recorder)
        self.inflight = InFlight(self.recorder)
        self.batches = BatchClient(self)

    def _retrying(self, provider, slice_s: float) -> Retrying:
        """A provider's retry loop: its own limiter, breaker and key; all but the last may hand a long wait on."""
        resource, last = self.resource, provider.index == len(self.providers) - 1
        limiter = self.limiter if provider.index == 0 else shared_limiter(
            provider.base_url, provider.requests_per_minute, provider.tokens_per_minute, None,
            resource.rate_limit_url or os.environ.get(RATE_LIMIT_URL) or None)
        breaker = EndpointBreaker(provider.base_url, resource.breaker_failures, resource.breaker_cooldown_s)
        return Retrying(self.transport, resource, limiter, breaker, self.recorder, self._keep, slice_s,
                        provider.api_key, None if last else resource.failover_retry_after_s)

    def use_budget(self, budget: Budget) -> None:
        """Make `budget` the one this session's requests reserve against (llm_map: the asset's caps); the
        budgets across runs that cover the session stay in force."""
        if budget.shared is None:
            budget.shared = self.budget.shared
        self.budget = self.gate.budget = budget

    def write_with(self, sink) -> None:
        """Commit each answer (cache entry, ledger rows, end of its claim) through `sink.also(work, done)`, in the
        sink's next group commit (llm_map: with the rows' checkpoints), instead of a transaction per answer. Until
        it commits the answer serves this session from memory; a crash before it loses the answer with its
        checkpoint, as one still in flight would be lost."""
        self.caching.sink = sink

    def prompt_in_force(self, prompt: Prompt) -> Prompt:
        """A prompt file's live handle answers with the version live in the Store (promote/rollback reach every
        caller), read once per session per prompt; any other prompt, an explicit version included, as given.
        The answer says which version answered (`Answer.prompt_ref`): callers need not ask here afterwards."""
        source = getattr(prompt, "live_of", None)
        if source is None:
            return prompt
        if source.name not in self._live:
            from resources.llm.prompt_registry import PromptRegistry

            self._live[source.name] = source.version(PromptRegistry(self.store).live(source))
        return self._live[source.name]

    def request_for(self, prompt: Prompt, variables: dict | None = None, *, tier: str = "cheap",
                    model: str | None = None, response_model: type[BaseModel] | None = None,
                    **params) -> ChatRequest:
        """The request `complete` would send: the prompt in force, rendered, redacted and hashed, once."""
        return chat_request(self.resource, self.prompt_in_force(prompt), variables or {}, tier=tier, model=model,
                            response_model=response_model, params=params)

    def complete(self, prompt: Prompt, variables: dict | None = None, **options) -> Answer:
        """Answer a prompt, from the cache when the same request was answered before (or is being sent now).
        Options: tier=, model=, response_model=, and request params (max_tokens, temperature, ...)."""
        return drive(self.caching.request(self.request_for(prompt, variables, **options)), self.transport)

    async def acomplete(self, prompt: Prompt, variables: dict | None = None, **options) -> Answer:
        """Async `complete`; identical requests in flight at once are sent once and share the answer."""
        request = self.request_for(prompt, variables, **options)
        return await self.inflight.share(request, lambda: adrive(self.caching.request(request), self.transport))

    def embed(self, texts: list[str], *, model: str | None = None) -> list[list[float]]:
        """Vectors for texts: cached per text, uncached ones sent in one batched request."""
        return drive(self.embeddings.request(texts, model), self.transport)

    async def aembed(self, texts: list[str], *, model: str | None = None) -> list[list[float]]:
        return await adrive(self.embeddings.request(texts, model), self.transport)

    def drive(self, steps):
        """Run a layer's generator with the blocking client (a batch answer's repair request)."""
        return drive(steps, self.transport)

    async def aclose(self) -> None:
        """Close the async client: its connections belong to the event loop that is about to end."""
        await self.transport.aclose()

    def metadata(self) -> dict:
        """Calls, cache hits, retries, tokens, cost and latency percentiles for MaterializeResult metadata."""
        if self.claims is not None:
            self.stats.shared_waits = self.claims.waited
        return self.stats.metadata()

    def _keep(self) -> None:
        """Renew this session's claims (called around every wait)."""
        if self.claims is not None and self.claims.taken:
            self.claims.keep()


def limiter_for(resource):
    """The process-wide limiter in force for the resource. Without `rate_limit_url` (run config that sets a rate
    replaces the env-bound URL with None) AIWF_RATE_LIMIT_URL still applies, read here, never at import."""
    url = resource.rate_limit_url or os.environ.get(RATE_LIMIT_URL) or None
    per_model = model_limits(resource.model_requests_per_minute, resource.model_tokens_per_minute)
    return shared_limiter(resource.base_url or "default", resource.requests_per_minute, resource.tokens_per_minute,
                          per_model, url)


def _run_log(context):
    """The run's event log when the session belongs to a step (waits show on the run page), else None."""
    log = getattr(context, "log", None)
    return getattr(log, "info", None)
