"""Embedding calls of an LLM session: cached per text, the uncached ones sent in one batched request.

Each uncached text is claimed like a chat request (resources/llm/claims.py): texts another run is embedding
right now are waited for, not sent again; the rest go out in one batch.
"""

from resources.llm.openai_calls import request_hash
from resources.llm.pricing import cost_usd


class EmbeddingCalls:
    """Mixed into LLMSession: uses its clients, cache, claims, retry loop and ledger."""

    def embed(self, texts: list[str], *, model: str | None = None) -> list[list[float]]:
        """Vectors for texts: cached per text, uncached ones sent in one batched request."""
        calls, missing = self._embed_plan(texts, model)
        mine, theirs = self._embed_claims(calls, missing)
        try:
            self._embed_send(calls, texts, mine)
            for i in theirs:
                if self.claims.wait(calls[i]["hash"], f"embedding model {calls[i]['model']!r}",
                                    lambda c=calls[i]: self._embed_cached(c)) is None:
                    self._embed_send(calls, texts, [i])  # the other sender gave up: ours now
        finally:
            self._embed_release(calls, missing)
        return [calls[i]["vector"] for i in range(len(texts))]

    async def aembed(self, texts: list[str], *, model: str | None = None) -> list[list[float]]:
        calls, missing = self._embed_plan(texts, model)
        mine, theirs = self._embed_claims(calls, missing)
        try:
            await self._aembed_send(calls, texts, mine)
            for i in theirs:
                if await self.claims.await_(calls[i]["hash"], f"embedding model {calls[i]['model']!r}",
                                            lambda c=calls[i]: self._embed_cached(c)) is None:
                    await self._aembed_send(calls, texts, [i])
        finally:
            self._embed_release(calls, missing)
        return [calls[i]["vector"] for i in range(len(texts))]

    def _embed_send(self, calls, texts, slots) -> None:
        if slots:
            batch = calls[slots[0]]
            raw = self._with_retries(batch, lambda: self._client().embeddings.with_raw_response.create(
                **self._embed_kwargs(batch, [texts[i] for i in slots])))
            self._store_embeddings(calls, slots, raw)

    async def _aembed_send(self, calls, texts, slots) -> None:
        if slots:
            batch = calls[slots[0]]
            raw = await self._awith_retries(batch, lambda: self._aclient().embeddings.with_raw_response.create(
                **self._embed_kwargs(batch, [texts[i] for i in slots])))
            self._store_embeddings(calls, slots, raw)

    def _embed_plan(self, texts, model):
        if isinstance(texts, str) or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ValueError("embed() takes a list of non-empty strings")
        model = model or self.resource.embeddings_model()
        dims = self.resource.embedding_dimensions
        calls, missing = [], []
        for i, text in enumerate(texts):
            call = {"kind": "embedding", "model": model, "tier": None, "prompt": None, "dims": dims,
                    "hash": request_hash({"model": model, "input": text, "dims": dims})}
            if self._embed_cached(call) is None:
                missing.append(i)
            calls.append(call)
        return calls, missing

    def _embed_cached(self, call):
        """The cached vector (recorded as a cache hit and kept in `call`), or None."""
        hit = self.cache.get(call["hash"]) if self.resource.use_cache else None
        if not hit:
            return None
        call["vector"] = hit["response"]
        self._record(call, status="ok", cache_hit=True)
        self.stats.used(call["hash"], hit["cost_usd"], hit["tokens_in"])
        return call["vector"]

    def _embed_claims(self, calls, missing) -> tuple[list[int], list[int]]:
        """(slots this session sends, slots another run is sending now)."""
        if self.claims is None:
            return list(missing), []
        mine, theirs = [], []
        for i in missing:
            if self.claims.take(calls[i]["hash"]) is not None:
                theirs.append(i)
            elif self._embed_cached(calls[i]) is not None:  # answered just before we claimed it
                self.claims.release(calls[i]["hash"])
            else:
                mine.append(i)
        return mine, theirs

    def _embed_release(self, calls, slots) -> None:
        if self.claims is not None:
            for i in slots:
                self.claims.release(calls[i]["hash"])

    @staticmethod
    def _embed_kwargs(call, inputs):
        kwargs = {"model": call["model"], "input": inputs}
        if call["dims"]:
            kwargs["dimensions"] = call["dims"]
        return kwargs

    def _store_embeddings(self, calls, slots, raw):
        """Keep each vector with its share of the batch's tokens and cost, then end its claim."""
        result = raw.parse()
        usage = getattr(result, "usage", None)
        share = (getattr(usage, "prompt_tokens", 0) or 0) // max(1, len(slots))
        cost = cost_usd(calls[slots[0]]["model"], share, 0)
        for slot, item in zip(slots, sorted(result.data, key=lambda d: d.index)):
            calls[slot]["vector"] = list(item.embedding)
            self.stats.used(calls[slot]["hash"], cost, share)
            if self.resource.use_cache:
                self.cache.put(calls[slot]["hash"], calls[slot]["model"], calls[slot]["vector"], share, 0, cost)
        self._embed_release(calls, slots)
