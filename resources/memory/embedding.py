"""How memory gets vectors: through the LLM resource's /embeddings (batched, cached, in the ledger), or a
local model from the optional extra `pip install '.[local-embeddings]'`.

Pass a `LocalEmbedder` wherever memory takes `ai` (it has the same `embed(texts)` method as an LLMSession):

    memory.ingest(LocalEmbedder("all-MiniLM-L6-v2"), docs)

Nothing is downloaded unless this class is used: the model is loaded on the first `embed` call.
Local embeddings cost nothing and are not written to the call ledger.
"""

from functools import cached_property

from resources.memory.records import MemoryInputError

EMBED_BATCH = 256


def embed_texts(ai, texts: list[str]) -> list[list[float]]:
    """Embed through an LLMSession, an LLMResource (opened without a context) or a LocalEmbedder, in batches."""
    if ai is None:
        raise MemoryInputError("this memory call embeds text: pass an LLMSession or LLMResource as `ai`")
    session = ai.session() if hasattr(ai, "session") and not hasattr(ai, "embed") else ai
    out = []
    for i in range(0, len(texts), EMBED_BATCH):
        out.extend(session.embed(texts[i:i + EMBED_BATCH]))
    return out


class LocalEmbedder:
    """sentence-transformers embeddings, L2-normalised so cosine search sees the same geometry as OpenAI's."""

    def __init__(self, model_name: str = "all-MiniLM-L6-v2", device: str | None = None, batch_size: int = 64):
        self.model_name, self.device, self.batch_size = model_name, device, batch_size

    @cached_property
    def model(self):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise RuntimeError("local embeddings need the optional extra: pip install '.[local-embeddings]' "
                               "(or use the LLM resource's /embeddings, e.g. the offline server)") from err
        return SentenceTransformer(self.model_name, device=self.device)

    def embed(self, texts: list[str]) -> list[list[float]]:
        if isinstance(texts, str) or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ValueError("embed() takes a list of non-empty strings")
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
        return [list(map(float, v)) for v in vectors]
