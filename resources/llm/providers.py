"""The model endpoints a session may send to, in order: the primary, then its fallbacks (resources/llm/failover.py).

The primary is the resource's own `base_url`/`api_key`, else OPENAI_BASE_URL/OPENAI_API_KEY (as before). Fallbacks
are the resource's `fallbacks` list, then AIWF_FALLBACK_BASE_URLS with AIWF_FALLBACK_API_KEYS (comma-separated,
same order), read when a session opens, never at import. A fallback's models default to the primary's per tier.
A fallback never gets the primary's key: one with no key of its own sends a placeholder (a keyless vLLM accepts it).
"""

import os
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit

import dagster as dg
from pydantic import Field

FALLBACK_URLS, FALLBACK_KEYS = "AIWF_FALLBACK_BASE_URLS", "AIWF_FALLBACK_API_KEYS"
OPENAI_URL = "https://api.openai.com/v1"
NO_KEY = "no-key"  # what a keyless fallback sends instead of the primary's key
TIERS = ("cheap", "strong", "embedding")


class ProviderConfig(dg.Config):
    """One more OpenAI-compatible endpoint (Azure OpenAI, a gateway, a self-hosted vLLM) to fail over to."""

    base_url: str = Field(description="The endpoint, e.g. https://my-gateway.example/v1.")
    api_key: str | None = Field(default=None, description="Its key (a dg.EnvVar). Never logged; never the primary's.")
    cheap_model: str | None = Field(default=None, description="Its model for the cheap tier (default: the primary's).")
    strong_model: str | None = Field(default=None, description="Its model for the strong tier (default: the primary's).")
    embedding_model: str | None = Field(default=None, description="Its embedding model (default: the primary's).")
    requests_per_minute: int | None = Field(default=None, description="Client-side cap on its requests per minute.")
    tokens_per_minute: int | None = Field(default=None, description="Client-side cap on its tokens per minute.")
    batch_api: bool = Field(default=False, description="Whether it serves the Batch API (batch mode stays on the "
                            "primary; recorded for when it does not).")


def host_of(base_url: str) -> str:
    """What the ledger and reports call a provider: the base URL's host[:port], never credentials or path."""
    from resources.safety.secrets import safe_url

    safe = safe_url(base_url)  # a URL without a scheme (`user:key@host`) is still read as one, never kept raw
    parts = urlsplit(safe if "://" in safe else "//" + safe)
    host = parts.hostname or safe
    return f"{host}:{parts.port}" if parts.port else host


@dataclass(frozen=True, eq=False)
class Provider:
    """One endpoint as a session uses it: where, with which key, which model per tier, at what rate."""

    index: int  # 0: the primary
    base_url: str = field(repr=False)  # may carry credentials (`user:key@`, `?api-key=`): `host` is what to show
    api_key: str | None = field(repr=False)
    models: dict = field(default_factory=dict)  # tier -> model name (fallbacks only; the primary asks its resource)
    primary_models: dict = field(default_factory=dict)  # tier -> the primary's model, which `models` stand in for
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    batch_api: bool = True

    @cached_property
    def host(self) -> str:
        return host_of(self.base_url)


def providers_of(resource) -> list[Provider]:
    """The primary, then the configured fallbacks, then those named by AIWF_FALLBACK_BASE_URLS (read now)."""
    primary = Provider(0, resource.base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL,
                       resource.api_key or os.environ.get("OPENAI_API_KEY"), {}, {}, resource.requests_per_minute,
                       resource.tokens_per_minute, True)
    configs = list(resource.fallbacks or []) + _from_env()
    if not configs:
        return [primary]
    defaults = {"cheap": resource.model_for("cheap"), "strong": resource.model_for("strong"),
                "embedding": resource.embeddings_model()}
    out = [primary]
    for n, cfg in enumerate(configs, start=1):
        models = {tier: getattr(cfg, f"{tier}_model") or defaults[tier] for tier in TIERS}
        out.append(Provider(n, cfg.base_url.strip(), cfg.api_key or NO_KEY, models, defaults,
                            cfg.requests_per_minute, cfg.tokens_per_minute, cfg.batch_api))
    return out


def _from_env() -> list[ProviderConfig]:
    urls = [u.strip() for u in os.environ.get(FALLBACK_URLS, "").split(",") if u.strip()]
    keys = [k.strip() for k in os.environ.get(FALLBACK_KEYS, "").split(",")]
    return [ProviderConfig(base_url=url, api_key=(keys[i] if i < len(keys) else "") or None)
            for i, url in enumerate(urls)]
