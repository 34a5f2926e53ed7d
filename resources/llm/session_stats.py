"""Running totals of one LLM session, turned into Dagster metadata the UI can plot over time.

Two kinds of cost: what this run spent (`run_cost_usd`, also `llm_cost_usd`; zero for a cached rerun) and what
the answers the step used cost when they were paid for (`data_cost_usd`, each distinct answer once), so a
partition's cost plot stays meaningful after a rerun served from the cache.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SessionStats:
    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    offline: bool = False
    shared_waits: int = 0  # requests another run was sending, waited for instead of sent
    latencies_ms: list[float] = field(default_factory=list)
    models: set[str] = field(default_factory=set)
    answers: dict[str, tuple[float, int]] = field(default_factory=dict)  # request hash -> (cost, tokens) when paid

    def add(self, *, status, cache_hit, latency_ms, tokens_in, tokens_out, cost, model, offline) -> None:
        self.offline = self.offline or offline
        if status != "ok":
            self.retries += 1
        elif cache_hit:
            self.cache_hits += 1
        else:
            self.calls += 1
            self.latencies_ms.append(latency_ms)
            self.tokens_in += tokens_in
            self.tokens_out += tokens_out
            self.cost_usd += cost
            self.models.add(model)

    def used(self, request_hash: str, cost_usd: float, tokens: int) -> None:
        """An answer the step used, with what it cost when paid for (counted once per distinct request)."""
        self.answers.setdefault(request_hash, (cost_usd, tokens))

    def metadata(self) -> dict:
        lat = np.array(self.latencies_ms or [0.0])
        return {
            "llm_calls": self.calls,
            "llm_cache_hits": self.cache_hits,
            "llm_retries": self.retries,
            "llm_tokens_in": self.tokens_in,
            "llm_tokens_out": self.tokens_out,
            "llm_cost_usd": round(self.cost_usd, 6),
            "llm_latency_p50_ms": round(float(np.percentile(lat, 50)), 1),
            "llm_latency_p95_ms": round(float(np.percentile(lat, 95)), 1),
            "llm_models": ", ".join(sorted(self.models)) or "none",
            "offline": self.offline,
            "llm_shared_waits": self.shared_waits,
            "run_cost_usd": round(self.cost_usd, 6),
            "run_tokens": self.tokens_in + self.tokens_out,
            "run_llm_calls": self.calls,
            "run_cache_hits": self.cache_hits,
            "data_cost_usd": round(sum(cost for cost, _ in self.answers.values()), 6),
            "data_tokens": sum(tokens for _, tokens in self.answers.values()),
        }
