"""Embedding calls of an LLM session: cached per text, the uncached ones sent in one batched request."""

from resources.llm.openai_calls import request_hash


class EmbeddingCalls:
    """Mixed into LLMSession: uses its clients, cache, retry loop and ledger."""

    def embed(self, texts: list[str], *, model: str | None = None) -> list[list[float]]:
        """Vectors for texts: cached per text, uncached ones sent in one batched request."""
        calls, missing = self._embed_plan(texts, model)
        if missing:
            batch = calls[missing[0]]
            raw = self._with_retries(batch, lambda: self._client().embeddings.with_raw_response.create(
                **self._embed_kwargs(batch, [texts[i] for i in missing])))
            self._store_embeddings(calls, missing, raw)
        return [calls[i]["vector"] for i in range(len(texts))]

    async def aembed(self, texts: list[str], *, model: str | None = None) -> list[list[float]]:
        calls, missing = self._embed_plan(texts, model)
        if missing:
            batch = calls[missing[0]]
            raw = await self._awith_retries(batch, lambda: self._aclient().embeddings.with_raw_response.create(
                **self._embed_kwargs(batch, [texts[i] for i in missing])))
            self._store_embeddings(calls, missing, raw)
        return [calls[i]["vector"] for i in range(len(texts))]

    def _embed_plan(self, texts, model):
        if isinstance(texts, str) or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ValueError("embed() takes a list of non-empty strings")
        model = model or self.resource.embedding_model
        dims = self.resource.embedding_dimensions
        calls, missing = [], []
        for i, text in enumerate(texts):
            call = {"kind": "embedding", "model": model, "tier": None, "prompt": None, "dims": dims,
                    "hash": request_hash({"model": model, "input": text, "dims": dims})}
            hit = self.cache.get(call["hash"]) if self.resource.use_cache else None
            if hit:
                call["vector"] = hit["response"]
                self._record(call, status="ok", cache_hit=True)
            else:
                missing.append(i)
            calls.append(call)
        return calls, missing

    @staticmethod
    def _embed_kwargs(call, inputs):
        kwargs = {"model": call["model"], "input": inputs}
        if call["dims"]:
            kwargs["dimensions"] = call["dims"]
        return kwargs

    def _store_embeddings(self, calls, missing, raw):
        result = raw.parse()
        for slot, item in zip(missing, sorted(result.data, key=lambda d: d.index)):
            calls[slot]["vector"] = list(item.embedding)
            if self.resource.use_cache:
                self.cache.put(calls[slot]["hash"], calls[slot]["model"], calls[slot]["vector"], 0, 0)
