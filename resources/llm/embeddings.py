"""Embedding calls: cached and claimed per text; the texts nobody has answered go out in one request through the
budget and retry layers (a ledger row per attempt), written once for the sync and async drivers."""

from resources.llm.pricing import Usage
from resources.llm.request import ChatRequest, batch_of, embedding_requests


class Embeddings:
    """Vectors for texts: per-text cache and claims around `inner` (the budget gate over the retry loop)."""

    def __init__(self, inner, resource, cache, claims, recorder):
        self.inner, self.resource, self.cache, self.claims, self.recorder = inner, resource, cache, claims, recorder

    def request(self, texts: list[str], model: str | None = None):
        requests = embedding_requests(self.resource, texts, model)
        vectors = [self.cached(r) for r in requests]
        missing = [i for i, v in enumerate(vectors) if v is None]
        mine, theirs = self._claim(requests, vectors, missing)
        try:
            yield from self._send(requests, vectors, mine)
            for i in theirs:
                vectors[i] = yield from self.claims.plan(requests[i].hash, requests[i].what,
                                                         lambda r=requests[i]: self.cached(r))
                if vectors[i] is None:  # the other sender gave up: ours now
                    yield from self._send(requests, vectors, [i])
        finally:
            self._release(requests, missing)
        return vectors

    def cached(self, request: ChatRequest):
        """The cached vector (recorded as a cache hit), or None."""
        hit = self.cache.get(request.hash) if self.resource.use_cache else None
        if not hit:
            return None
        self.recorder.row(request, status="ok", cache_hit=True)
        self.recorder.stats.used(request.hash, hit["cost_usd"], hit["tokens_in"])
        return hit["response"]

    def _claim(self, requests, vectors, missing) -> tuple[list[int], list[int]]:
        """(slots this session sends, slots another run is sending now)."""
        if self.claims is None:
            return list(missing), []
        mine, theirs = [], []
        for i in missing:
            if self.claims.take(requests[i].hash) is not None:
                theirs.append(i)
                continue
            vectors[i] = self.cached(requests[i])
            if vectors[i] is not None:  # answered just before we claimed it
                self.claims.release(requests[i].hash)
            else:
                mine.append(i)
        return mine, theirs

    def _send(self, requests, vectors, slots):
        """One request for `slots`; each vector kept with its share of the tokens and cost, its claim ended."""
        if not slots:
            return
        reply = yield from self.inner.request(batch_of([requests[i] for i in slots]))
        result = reply.raw.parse()
        share = Usage(input=reply.usage.input // max(1, len(slots)))
        cost = reply.cost / max(1, len(slots))
        for slot, item in zip(slots, sorted(result.data, key=lambda d: d.index)):
            vectors[slot] = list(item.embedding)
            self.recorder.stats.used(requests[slot].hash, cost, share.input)
            if self.resource.use_cache and not reply.replayed:  # a cassette's vectors stay the cassette's
                self.cache.put(requests[slot].hash, requests[slot].model, vectors[slot], share.input, 0, cost)
        self.recorder.ledger.record_many(reply.rows)
        self._release(requests, slots)

    def _release(self, requests, slots) -> None:
        if self.claims is not None:
            for i in slots:
                self.claims.release(requests[i].hash)
