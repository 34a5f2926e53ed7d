"""A client-side limiter on requests and tokens per minute, so a provider's rate limit slows a batch, not breaks it.

It is a reservation scheduler (GCRA, the generic cell rate algorithm): each request reserves its share of
both budgets and is told how long to wait before sending. Over any window of `t` seconds at most
`burst + rate * t` units go out. It keeps no asyncio objects, so one limiter serves every event loop and
thread of a process (several steps of one in-process run share it); runs in other processes share a
provider through Dagster pools (pipelines/policy.py LLM_POOL), or share one budget when `rate_limit_url`
points at Redis or Postgres (resources/llm/shared_limit.py).
"""

import threading
import time


class _Cell:
    """One budget: `per_minute` units, at most `burst_s` seconds' worth sent at once."""

    def __init__(self, per_minute: float, burst_s: float):
        if per_minute <= 0:
            raise ValueError(f"a rate limit must be positive, got {per_minute}")
        self.rate = per_minute / 60.0
        self.burst = max(1.0, self.rate * burst_s)
        self.tat = 0.0  # theoretical arrival time: when the budget is fully spent up to

    def reserve(self, units: float, now: float) -> float:
        """Reserve `units`; return the moment they may be sent."""
        start = max(self.tat, now)
        self.tat = start + units / self.rate
        # A request larger than the burst still goes, once the budget has refilled enough for it.
        return max(now, self.tat - max(self.burst, units) / self.rate)

    def adjust(self, units: float) -> None:
        """Charge (or refund) units once the real size of a request is known."""
        self.tat += units / self.rate


class RateLimiter:
    """Requests-per-minute and tokens-per-minute limits; `None` disables either. A model named in `model_limits`
    (model -> (requests, tokens) per minute; a `None` half falls back to the default) has a budget of its own;
    every other model shares the default one."""

    reserves_ahead = True  # the wait `reserve` returns is a reservation: send after it without asking again

    def __init__(self, requests_per_minute: float | None = None, tokens_per_minute: float | None = None,
                 burst_s: float = 1.0, model_limits: dict | None = None):
        self.requests = _Cell(requests_per_minute, burst_s) if requests_per_minute else None
        self.tokens = _Cell(tokens_per_minute, burst_s) if tokens_per_minute else None
        self.models = {model: RateLimiter(rpm or requests_per_minute, tpm or tokens_per_minute, burst_s)
                       for model, (rpm, tpm) in (model_limits or {}).items()}
        self._lock = threading.Lock()
        self.waited_s = 0.0  # total time callers were held back, for metadata

    @property
    def enabled(self) -> bool:
        return self.requests is not None or self.tokens is not None or any(m.enabled for m in self.models.values())

    def reserve(self, tokens: int = 0, model: str | None = None) -> float:
        """Reserve one request of about `tokens` tokens; return the seconds to wait before sending it."""
        if model in self.models:
            delay = self.models[model].reserve(tokens)
            with self._lock:
                self.waited_s += delay
            return delay
        if self.requests is None and self.tokens is None:
            return 0.0
        with self._lock:
            now = time.monotonic()
            at = now
            if self.requests is not None:
                at = max(at, self.requests.reserve(1, now))
            if self.tokens is not None and tokens:
                at = max(at, self.tokens.reserve(tokens, now))
            self.waited_s += at - now
            return at - now

    def settle(self, estimated: int, actual: int, model: str | None = None) -> None:
        """Correct the token budget by what the request really used (the estimate was charged up front)."""
        if model in self.models:
            return self.models[model].settle(estimated, actual)
        if self.tokens is not None and actual != estimated:
            with self._lock:
                self.tokens.adjust(actual - estimated)

    def wait(self, tokens: int = 0, model: str | None = None) -> None:
        """Blocking twin of `await limiter.acquire(...)` for synchronous callers."""
        delay = self.reserve(tokens, model)
        if delay > 0:
            time.sleep(delay)

    async def acquire(self, tokens: int = 0, model: str | None = None) -> None:
        import asyncio

        delay = self.reserve(tokens, model)
        if delay > 0:
            await asyncio.sleep(delay)


_shared: dict[tuple, object] = {}
_shared_lock = threading.Lock()


def shared_limiter(endpoint: str, requests_per_minute: float | None, tokens_per_minute: float | None,
                   model_limits: dict | None = None, url: str | None = None):
    """The process-wide limiter for one endpoint and its limits, so every session of a process shares it. With
    `url` (redis:// or postgresql://) the budget is shared by every process and worker instead
    (resources/llm/shared_limit.py)."""
    from resources.safety.secrets import safe_url

    endpoint = safe_url(endpoint)  # never a credential that came inside a base URL (limiter keys are stored)
    model_limits = {m: tuple(v) for m, v in sorted((model_limits or {}).items())}
    key = (endpoint, requests_per_minute, tokens_per_minute, tuple(model_limits.items()), url)
    with _shared_lock:
        if key not in _shared:
            if url:
                from resources.llm.shared_limit import SharedRateLimiter

                _shared[key] = SharedRateLimiter(url, endpoint, requests_per_minute, tokens_per_minute, model_limits)
            else:
                _shared[key] = RateLimiter(requests_per_minute, tokens_per_minute, model_limits=model_limits)
        return _shared[key]


def model_limits(requests: dict[str, int] | None, tokens: dict[str, int] | None) -> dict[str, tuple]:
    """Per-model overrides from the resource's two maps: model -> (requests, tokens) per minute."""
    requests, tokens = requests or {}, tokens or {}
    return {m: (requests.get(m), tokens.get(m)) for m in sorted(set(requests) | set(tokens))}


def estimate_tokens(messages: list[dict], max_output: int | None) -> int:
    """Tokens a chat request will use, before sending: ~4 characters a token in, plus the output cap."""
    chars = sum(len(m.get("content") or "") for m in messages if isinstance(m, dict))
    return chars // 4 + 1 + (max_output if max_output is not None else 256)
