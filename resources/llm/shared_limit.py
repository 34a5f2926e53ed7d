"""Requests and tokens per minute shared by every process and worker, in Redis (or Postgres).

With the Celery executor N workers each running their own per-process limiter would together send N times a
provider's budget and spend it on 429s. Here the budget of an endpoint (and model) lives in one place: a GCRA
cell per budget (its theoretical arrival time, `tat`), updated atomically by a Lua script in Redis or by a
row lock in Postgres, on the server's clock, so workers on several machines agree.

Nothing is reserved ahead: a request is charged only when it may go *now*; otherwise the caller is told how
long to wait and asks again. A worker that dies while waiting holds no budget, and the tokens a request was
estimated at are corrected by `settle` once the real usage is known (an over-estimate is refunded).
"""

import random
import threading
import time

KEY_PREFIX = "aiwf:ratelimit"

# KEYS: one per budget; ARGV: per key (rate units/s, burst units, units). Returns "0" (charged: go now) or the
# seconds to wait, nothing charged. Times are the Redis server's clock.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local wait, tats = 0, {}
for i, key in ipairs(KEYS) do
  local rate, burst, units = tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i])
  local tat = math.max(tonumber(redis.call('GET', key) or '0'), now)
  tats[i] = tat + units / rate
  wait = math.max(wait, tats[i] - math.max(burst, units) / rate - now)
end
if wait > 0 then return string.format('%.6f', wait) end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%.6f', tats[i]), 'PX', math.ceil((tats[i] - now) * 1000) + 1000)
end
return '0'
"""

# KEYS[1]: the token budget; ARGV: rate units/s, units to charge (negative refunds).
_ADJUST = """
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local tat = tonumber(cur) + tonumber(ARGV[2]) / tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.6f', tat), 'KEEPTTL')
return 1
"""

_PG_TABLE = """CREATE TABLE IF NOT EXISTS aiwf_rate_limits (key TEXT PRIMARY KEY, tat DOUBLE PRECISION NOT NULL)"""


class _Budget:
    """One GCRA budget: `per_minute` units, at most `burst_s` seconds' worth (and never less than one unit) at once."""

    def __init__(self, key: str, per_minute: float, burst_s: float):
        if per_minute <= 0:
            raise ValueError(f"a rate limit must be positive, got {per_minute}")
        self.key, self.rate = key, per_minute / 60.0
        self.burst = max(1.0, self.rate * burst_s)


class SharedLimitUnavailable(RuntimeError):
    """The server holding the shared budget could not be reached or refused the update."""


class SharedRateLimiter:
    """The cross-process twin of `rate_limit.RateLimiter`: `reserve` returns 0 (go now, charged) or the seconds to
    wait before asking again (nothing charged), so `reserves_ahead` is False."""

    reserves_ahead = False

    def __init__(self, url: str, endpoint: str, requests_per_minute: float | None = None,
                 tokens_per_minute: float | None = None, model_limits: dict | None = None, burst_s: float = 0.0):
        if not url.startswith(("redis://", "rediss://", "unix://", "postgresql://", "postgres://",
                               "postgresql+psycopg2://")):
            raise ValueError("the shared rate-limit URL must be redis://, rediss://, unix:// or postgresql://; "
                             f"got {url.split('://', 1)[0]}://…")
        from resources.safety.secrets import safe_url

        # keys name the endpoint without credentials: a base URL may carry `user:key@` or `?api-key=`
        self.url, self.endpoint, self.burst_s = url, safe_url(endpoint), burst_s
        self.default = (requests_per_minute, tokens_per_minute)
        self.model_limits = dict(model_limits or {})
        self.waited_s = 0.0
        self._lock = threading.Lock()
        self._client = None
        self._not_before: dict[str, float] = {}  # per scope: when this process asks the server again

    @property
    def enabled(self) -> bool:
        return any(self.default) or any(any(v) for v in self.model_limits.values())

    # --- budgets ---------------------------------------------------------------------------------------
    def _scope(self, model: str | None) -> tuple[str, float | None, float | None]:
        """The budget a model draws on: its own when it has limits of its own, else the endpoint's."""
        if model in self.model_limits:
            rpm, tpm = self.model_limits[model]
            return model, rpm or self.default[0], tpm or self.default[1]
        return "*", *self.default

    def _budgets(self, model: str | None, tokens: int) -> tuple[str, list[tuple[_Budget, float]]]:
        scope, rpm, tpm = self._scope(model)
        base = f"{KEY_PREFIX}:{self.endpoint}:{scope}"
        budgets = [(_Budget(f"{base}:requests", rpm, self.burst_s), 1.0)] if rpm else []
        if tpm and tokens:
            budgets.append((_Budget(f"{base}:tokens", tpm, self.burst_s), float(tokens)))
        return scope, budgets

    # --- the limiter interface ---------------------------------------------------------------------------
    def reserve(self, tokens: int = 0, model: str | None = None) -> float:
        """Charge one request of about `tokens` tokens if it may go now and return 0; else the seconds to wait
        before asking again."""
        scope, budgets = self._budgets(model, tokens)
        if not budgets:
            return 0.0
        now = time.monotonic()
        held = self._not_before.get(scope, 0.0) - now
        if held > 0:  # another caller of this process was just told to wait: no need to ask the server too
            wait = held + random.uniform(0, 0.002)
        else:
            wait = self._guarded(lambda: self._take(budgets))
            if wait > 0:
                self._not_before[scope] = now + wait
                # Spread this process's waiters over the next slot so they do not all ask at the same instant.
                wait += random.uniform(0, min(wait, 1.0 / budgets[0][0].rate) * 0.1)
        with self._lock:
            self.waited_s += wait
        return wait

    def settle(self, estimated: int, actual: int, model: str | None = None) -> None:
        """Correct the token budget by what the request really used (the estimate was charged up front)."""
        scope, budgets = self._budgets(model, max(1, estimated))
        token_budgets = [b for b, _ in budgets if b.key.endswith(":tokens")]
        if token_budgets and actual != estimated:
            self._guarded(lambda: self._adjust(token_budgets[0], actual - estimated))
            self._not_before.pop(scope, None)  # the budget moved: the next caller asks the server

    def wait(self, tokens: int = 0, model: str | None = None) -> None:
        while (delay := self.reserve(tokens, model)) > 0:
            time.sleep(delay)

    async def acquire(self, tokens: int = 0, model: str | None = None) -> None:
        import asyncio

        while (delay := self.reserve(tokens, model)) > 0:
            await asyncio.sleep(delay)

    # --- the servers ---------------------------------------------------------------------------------------
    def _guarded(self, work):
        """Run work against the server; an unreachable server is a clear error that names it without its URL's
        credentials (a request is not sent unmetered)."""
        try:
            return work()
        except Exception as exc:
            from urllib.parse import urlsplit

            from resources.safety.secrets import scrub

            parts = urlsplit(self.url)
            where = f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}"
            detail = scrub(str(exc), [urlsplit(self.url).password])[:200]
            raise SharedLimitUnavailable(f"the shared rate limit at {where} failed: {type(exc).__name__}: "
                                         f"{detail}") from None

    def _redis(self):
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=5)
            self._take_script = self._client.register_script(_TAKE)
            self._adjust_script = self._client.register_script(_ADJUST)
        return self._client

    def _is_redis(self) -> bool:
        return self.url.startswith(("redis://", "rediss://", "unix://"))

    def _take(self, budgets: list[tuple["_Budget", float]]) -> float:
        if self._is_redis():
            self._redis()
            args = [x for b, units in budgets for x in (repr(b.rate), repr(b.burst), repr(units))]
            return float(self._take_script(keys=[b.key for b, _ in budgets], args=args))
        return self._pg_take(budgets)

    def _adjust(self, budget: "_Budget", units: float) -> None:
        if self._is_redis():
            self._redis()
            self._adjust_script(keys=[budget.key], args=[repr(budget.rate), repr(float(units))])
            return
        with self._lock, self._pg() as conn, conn.cursor() as cur:
            cur.execute("UPDATE aiwf_rate_limits SET tat = tat + %s WHERE key = %s", (units / budget.rate, budget.key))

    def _pg(self):
        """This limiter's Postgres connection (used under `self._lock`, one transaction at a time)."""
        if self._client is None or self._client.closed:
            import psycopg2

            from resources.state.database_url import normalize_pg_url

            self._client = psycopg2.connect(normalize_pg_url(self.url, "AIWF_RATE_LIMIT_URL"), connect_timeout=5)
            with self._client, self._client.cursor() as cur:
                cur.execute(_PG_TABLE)
        return self._client

    def _pg_take(self, budgets: list[tuple["_Budget", float]]) -> float:
        """The same GCRA step as the Lua script, in one Postgres transaction holding the budgets' rows."""
        keys = [b.key for b, _ in budgets]
        with self._lock, self._pg() as conn, conn.cursor() as cur:  # `with conn`: commit, or roll back on error
            cur.execute("INSERT INTO aiwf_rate_limits (key, tat) SELECT unnest(%s::text[]), 0 "
                        "ON CONFLICT (key) DO NOTHING", (keys,))
            cur.execute("SELECT key, tat FROM aiwf_rate_limits WHERE key = ANY(%s) ORDER BY key FOR UPDATE", (keys,))
            stored = dict(cur.fetchall())
            cur.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
            now = cur.fetchone()[0]
            wait, tats = 0.0, {}
            for b, units in budgets:
                tats[b.key] = max(stored.get(b.key, 0.0), now) + units / b.rate
                wait = max(wait, tats[b.key] - max(b.burst, units) / b.rate - now)
            if wait <= 0:
                for key, tat in tats.items():
                    cur.execute("UPDATE aiwf_rate_limits SET tat = %s WHERE key = %s", (tat, key))
        return max(wait, 0.0)
