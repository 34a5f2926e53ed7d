"""Running totals of one LLM session, turned into Dagster metadata the UI can plot over time."""

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
    latencies_ms: list[float] = field(default_factory=list)
    models: set[str] = field(default_factory=set)

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
        }
