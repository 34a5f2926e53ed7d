"""Which embedding model a memory table's vectors come from, and which model an embedder uses.

A table records its model on the vector column's metadata (its dimension is the column's type). A search or a
write embeds with the caller's embedder; vectors of two models never meet: a table of another model is
re-embedded first (reembed.py), or searched by full text while a one-line message names the job that does it.
Tables written before models were recorded carry none; the first embedder of their dimension adopts them.
"""

from dataclasses import dataclass

MODEL_KEY = "lancedb:tag:embedding_model"  # LanceDB's convention for a user tag on a column


@dataclass(frozen=True)
class Embedding:
    """A vector space: the model's name (None where unknown) and the dimension."""

    model: str | None
    dim: int

    def meets(self, other: "Embedding") -> bool:
        """Same dimension, and the same model where both are known."""
        return self.dim == other.dim and (self.model == other.model or None in (self.model, other.model))

    def __str__(self) -> str:
        return f"{self.model or 'an unrecorded model'} ({self.dim} dims)"


def embedder_model(ai) -> str | None:
    """The name of the model `ai` embeds with (an LLMSession, an LLMResource or a LocalEmbedder); None if it
    does not say. Requested dimensions are part of the name: the same model cut to 256 dims is another space."""
    if getattr(ai, "model_name", None) and not hasattr(ai, "session"):  # LocalEmbedder
        return f"local:{ai.model_name}"
    source = ai if hasattr(ai, "embedding_model") else getattr(ai, "resource", None)
    resolve = getattr(source, "embeddings_model", None)  # the configured name, else its environment default
    model = resolve() if callable(resolve) else getattr(source, "embedding_model", None)
    if not isinstance(model, str) or not model:
        return None
    dims = getattr(source, "embedding_dimensions", None)
    return f"{model}@{dims}" if isinstance(dims, int) else model


def table_embedding(table) -> Embedding:
    """The model and dimension a table's vectors have."""
    field = table.schema.field("vector")
    meta = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
            for k, v in (field.metadata or {}).items()}
    return Embedding(meta.get(MODEL_KEY) or None, field.type.list_size)


def stamp(table, model: str) -> None:
    """Record `model` on a table that has none (a table from before models were recorded)."""
    update = getattr(table, "update_field_metadata", None)
    if update is not None:
        update({"path": "vector", "metadata": {MODEL_KEY: model}})
    else:  # lancedb < 0.33
        table.replace_field_metadata("vector", {MODEL_KEY: model})
