"""The outermost layer: never pay twice. The response cache, claims across runs, and one in-process send of
identical requests in flight at once.

A cache miss is claimed in the shared Store in the transaction that reads the cache (resources/llm/claims.py):
another run sending the same request waits for this answer instead of paying for it again. The answer, its
ledger rows and the end of its claim commit in one transaction, or in the sink's next group commit
(`write_with`: llm_map commits them with the rows' checkpoints).
"""

import asyncio

from resources.llm.answer import Answer, as_cached
from resources.llm.request import ChatRequest


class Caching:
    """Answers from the cache (or from another run's claim) when it can; otherwise asks `inner` and keeps it."""

    def __init__(self, inner, resource, store, cache, claims, recorder):
        self.inner, self.resource, self.store, self.cache, self.claims = inner, resource, store, cache, claims
        self.recorder, self.ledger, self.stats = recorder, recorder.ledger, recorder.stats
        self.sink = None
        self.unflushed: dict[str, dict] = {}  # request hash -> cache entry of an answer queued at the sink

    def request(self, request: ChatRequest):
        if request.hash in self.unflushed or self.claims is None:
            hit = self.cached(request)
        else:  # the cache is read and a miss claimed in one transaction
            hit = yield from self.claims.plan(request.hash, request.what, lambda: self.cached(request),
                                              lambda entry: self.cached(request, entry))
        if hit is not None:
            return hit
        try:
            reply = yield from self.inner.request(request)
            self._keep(request, reply)
            return reply.answer
        finally:
            self.unclaim(request.hash)

    def cached(self, request: ChatRequest, hit: dict | None = None) -> Answer | None:
        """The cached answer (`hit`: the cache entry, when already read), recorded as a cache hit; None: a miss."""
        if not self.resource.use_cache:
            return None
        hit = hit or self.unflushed.get(request.hash) or self.cache.get(request.hash)
        if hit is None:
            return None
        text, offline = hit["response"]["text"], hit["response"].get("offline", False)
        parsed = request.response_model.model_validate_json(text) if request.response_model else None
        self.recorder.row(request, status="ok", cache_hit=True, offline=offline)
        tokens = hit["tokens_in"] + hit["tokens_out"]
        self.stats.used(request.hash, hit["cost_usd"], tokens)
        return Answer(text, parsed, request.model, True, offline, 0, 0, 0.0, request.hash, hit["cost_usd"], tokens,
                      request.prompt)

    def _keep(self, request: ChatRequest, reply) -> None:
        """Store a validated answer with its ledger rows (or just write the rows, with the cache off)."""
        answer = reply.answer
        self.stats.used(request.hash, answer.cost_usd, answer.tokens_in + answer.tokens_out)
        if not self.resource.use_cache or answer.replayed:  # a cassette's answer is the cassette's to keep
            self.ledger.record_many(reply.rows)
            return
        response = {"text": answer.text, "offline": answer.offline}
        # keyed by the model that answered: a fallback's other model has its own hash (resources/llm/failover.py)
        self.store_answer(answer.request_hash, answer.model, response, reply.rows, answer.tokens_in,
                          answer.tokens_out, answer.cost_usd)

    def store_answer(self, key: str, model: str, response: dict, rows: list, tokens_in: int, tokens_out: int,
                     cost: float) -> None:
        """The answer, its ledger rows and the end of its claim in one transaction (with a sink, the sink's next
        one): a waiter finds the answer or the claim, and a crash leaves all of them or none."""
        rows, ended = list(rows), []

        def work(cur):
            self.ledger.record_in(cur, rows)
            self.cache.put_in(cur, key, model, response, tokens_in, tokens_out, cost)
            ended[:] = [self.claims is not None and self.claims.release_in(cur, key)]

        def done():
            self.unflushed.pop(key, None)
            if ended[0]:
                self.claims.forget(key)

        if self.sink is not None:
            self.unflushed[key] = {"response": response, "tokens_in": tokens_in, "tokens_out": tokens_out,
                                   "cost_usd": cost}
            self.sink.also(work, done)
        else:
            self.store.transact(work)
            done()

    def unclaim(self, key: str) -> None:
        """End this session's claim on a request, if it holds one: after storing the answer, or when sending
        failed (a waiting run then sends it itself)."""
        if self.claims is not None and key not in self.unflushed:  # queued: ends as its answer commits
            self.claims.release(key)


class InFlight:
    """Identical async requests in flight at once in one session are sent once and share the answer."""

    def __init__(self, recorder):
        self.recorder = recorder
        self.futures: dict[str, asyncio.Future] = {}

    async def share(self, request: ChatRequest, send):
        """`await send()` unless the same request is in flight; then its answer, as a free cache hit."""
        key = request.hash
        if key in self.futures:
            result = as_cached(await asyncio.shield(self.futures[key]))
            self.recorder.row(request, status="ok", cache_hit=True, offline=result.offline)
            return result
        future = self.futures[key] = asyncio.get_running_loop().create_future()
        try:
            result = await send()
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            del self.futures[key]
