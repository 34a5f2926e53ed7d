"""The LLM resource: the official `openai` client with a call ledger, a response cache, retries and budgets.

Any OpenAI-compatible server works (OpenAI, Azure, vLLM, Ollama, llama.cpp): the client reads
OPENAI_BASE_URL and OPENAI_API_KEY itself unless `base_url`/`api_key` are configured. Assets open a
session bound to their context so every ledger row carries run, asset and partition:

    ai = llm.session(context)
    draft = ai.complete(DRAFT_PROMPT, {"topic": t}, tier="strong").text
    return dg.MaterializeResult(metadata=ai.metadata())
"""

import os
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from resources.llm.answer import OFFLINE_HEADER, Completion
from resources.llm.providers import FALLBACK_KEYS, FALLBACK_URLS, ProviderConfig
from resources.offline.keys import OFFLINE_KEY
from resources.state.resource import StateResource

if TYPE_CHECKING:  # the session (and `openai` with it) is imported when a step opens one, not with definitions
    from resources.llm.session import LLMSession

__all__ = ["LLMResource", "ProviderConfig", "Completion", "OFFLINE_HEADER"]


DEFAULT_MODELS = {"cheap": "gpt-4o-mini", "strong": "gpt-4o", "embedding": "text-embedding-3-small"}


def _model(configured: str | None, role: str) -> str:
    """A configured model name wins over AIWF_<ROLE>_MODEL, which wins over the default; read at each use, so a
    deployment's environment decides, not the process that imported the definitions."""
    return configured or os.environ.get(f"AIWF_{role.upper()}_MODEL") or DEFAULT_MODELS[role]


class LLMResource(dg.ConfigurableResource):
    """Chat and embedding calls through `openai`, metered in the ledger and cached by request."""

    base_url: str | None = Field(default=None, description="Defaults to OPENAI_BASE_URL, then OpenAI.")
    api_key: str | None = Field(default=None, description="Defaults to OPENAI_API_KEY. Never logged.")
    cheap_model: str | None = Field(default=None, description="Defaults to AIWF_CHEAP_MODEL, then gpt-4o-mini.")
    strong_model: str | None = Field(default=None, description="Defaults to AIWF_STRONG_MODEL, then gpt-4o.")
    embedding_model: str | None = Field(default=None, description="Defaults to AIWF_EMBEDDING_MODEL, then "
                                        "text-embedding-3-small.")
    embedding_dimensions: int | None = None
    request_timeout_s: float = 60.0
    max_attempts: int = 6
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    breaker_failures: int = Field(default=5, description="Consecutive attempts failing the same way (connection, "
                                  "timeout, 5xx, auth) after which a session stops sending to the endpoint.")
    breaker_cooldown_s: float = Field(default=30.0, description="How long an open circuit waits before one probe.")
    use_cache: bool = True
    claim_wait_s: float = Field(default=600.0, description="With the cache on, how long a request waits for another "
                                "run sending the same request before sending it itself.")
    requests_per_minute: int | None = Field(default=None, description="Client-side cap on requests per minute.")
    tokens_per_minute: int | None = Field(default=None, description="Client-side cap on tokens per minute.")
    model_requests_per_minute: dict[str, int] = Field(default={}, description="Per-model requests per minute: a "
                                                      "model named here (or below) has a budget of its own.")
    model_tokens_per_minute: dict[str, int] = Field(default={}, description="Per-model tokens per minute.")
    rate_limit_url: str | None = Field(default=None, description="redis:// or postgresql:// URL: the limits are "
                                       "shared by every process and worker. Unset: AIWF_RATE_LIMIT_URL when set "
                                       "(read when a session opens), else per process.")
    run_budget_usd: float | None = Field(default=None, description="Stop a run before it spends more.")
    redact_pii: bool | None = Field(default=None, description="Redact PII (resources/safety/pii.py) before text "
                                    "leaves for the model. Default: on, except against aiwf's offline test double.")
    cassette: str | None = Field(default=None, description="A replay cassette (resources/llm/cassette.py) to record "
                                 "into or replay from. Defaults to AIWF_CASSETTE.")
    cassette_mode: str | None = Field(default=None, description="`record` or `replay` (default). Defaults to "
                                      "AIWF_CASSETTE_MODE.")
    state: StateResource | None = Field(default=None, description="Where the call ledger and cache live.")
    fallbacks: list[ProviderConfig] = Field(default=[], description="Providers to fail over to, in order, after "
                                            "the primary (then AIWF_FALLBACK_BASE_URLS): resources/llm/failover.py.")
    failover_retry_after_s: float = Field(default=30.0, description="With a fallback, a 429 asking to wait longer "
                                          "than this moves the request to the next provider instead of waiting.")

    def session(self, context=None, budget_usd: float | None = None) -> "LLMSession":
        """A session bound to an asset, op or check context (or none), collecting metadata for the UI."""
        from resources.llm.session import LLMSession

        return LLMSession(self, context, budget_usd if budget_usd is not None else self.run_budget_usd)

    def redacts_pii(self) -> bool:
        """Whether prompts are redacted: as configured, else always unless every endpoint (fallbacks included) is
        the offline test double (which the `aiwf` commands start with its own well-known key; nothing leaves the
        machine)."""
        if self.redact_pii is not None:
            return self.redact_pii
        if (self.api_key or os.environ.get("OPENAI_API_KEY")) != OFFLINE_KEY:
            return True
        urls = [u for u in os.environ.get(FALLBACK_URLS, "").split(",") if u.strip()]
        keys = [k.strip() for k in os.environ.get(FALLBACK_KEYS, "").split(",")]
        return any(f.api_key != OFFLINE_KEY for f in self.fallbacks) or \
            any((keys[i] if i < len(keys) else "") != OFFLINE_KEY for i in range(len(urls)))

    def cassette_config(self) -> tuple[str, str] | None:
        """(path, mode) of the cassette model calls go through, or None: real requests."""
        from resources.llm.cassette import configured

        return configured(self.cassette, self.cassette_mode)

    def model_for(self, tier: str) -> str:
        """The model a tier (`cheap`, `strong`) calls: as configured, else its AIWF_*_MODEL, else the default."""
        if tier not in ("cheap", "strong"):
            raise ValueError(f"unknown model tier {tier!r}; expected one of ['cheap', 'strong']")
        return _model(self.cheap_model if tier == "cheap" else self.strong_model, tier)

    def embeddings_model(self) -> str:
        """The embedding model: as configured, else AIWF_EMBEDDING_MODEL, else text-embedding-3-small."""
        return _model(self.embedding_model, "embedding")

    def client_kwargs(self) -> dict:
        kwargs = {"max_retries": 0, "timeout": self.request_timeout_s}  # our loop retries and records each attempt
        if self.base_url:
            kwargs["base_url"] = self.base_url
        if self.api_key:
            kwargs["api_key"] = self.api_key
        return kwargs
