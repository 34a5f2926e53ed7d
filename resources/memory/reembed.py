"""A change of embedding model meets the tables built by the old one: their rows are embedded again with the
caller's model (progress and a cost line in the step's log) before any vector of the new model meets them.

Writes always re-embed (they must store vectors of one space); a search re-embeds tables up to
`reembed_max_rows` and otherwise searches by full text, saying in one line which job re-embeds the table.
"""

import time

import pyarrow as pa
import pyarrow.compute as pc

from resources.memory.embedding import EMBED_BATCH, embed_texts
from resources.memory.index_policy import ensure_indexes
from resources.memory.models import Embedding, embedder_model, stamp, table_embedding
from resources.memory.records import MemoryInputError, MissingTable, check_vectors, vector_field

EPISODES, EMBEDDED_KINDS = "episodes", ("decision", "correction")  # as in episodic.py (rows found by similarity)
REEMBED_JOB = "memory_maintenance_job (nightly, or `dagster job execute -m pipelines.definitions -j " \
              "memory_maintenance_job`)"


class ModelMismatch(MemoryInputError):
    """A table of another embedding model, too big to re-embed in passing (the message names the job)."""


def log():
    import dagster as dg

    return dg.get_dagster_logger("aiwf.memory")


class ReembedMixin:
    """Model bookkeeping for MemoryResource: which model a table holds, and re-embedding it for another."""

    def _embedding(self, name: str, fresh: bool = False) -> Embedding | None:
        if fresh or ("embedding", name) not in self._state:
            try:
                self._state[("embedding", name)] = table_embedding(self.table(name))
            except MissingTable:
                return None
        return self._state[("embedding", name)]

    def _meet(self, name: str, ai, dim: int, *, write: bool) -> None:
        """Make table `name` hold vectors of `ai`'s model (`dim` wide) before vectors of that model meet it."""
        wanted, stored = Embedding(embedder_model(ai), dim), self._embedding(name)
        if stored is None or (stored.meets(wanted) and (stored.model or not wanted.model)):
            return
        stored = self._embedding(name, fresh=True)  # another process may have re-embedded it meanwhile
        if stored.meets(wanted):
            if stored.model is None and wanted.model:  # a table from before models were recorded: adopt it
                stamp(self.table(name), wanted.model)
                self._forget(name)
            return
        rows = self.table(name).count_rows()
        if not write and rows > self.reembed_max_rows:
            raise ModelMismatch(f"memory table {name} holds vectors of {stored}, this search embeds with {wanted}: "
                                f"searched by full text; {REEMBED_JOB} re-embeds its {rows:,} rows")
        self._reembed(name, ai, stored, wanted)

    def reembed(self, ai, names: list[str] | None = None) -> dict[str, str]:
        """Re-embed every table (or `names`) whose vectors are not of `ai`'s model; per table what was done."""
        names = names or self.table_names()
        if not names:
            return {}
        wanted = Embedding(embedder_model(ai), len(embed_texts(ai, ["dimension probe"])[0]))
        report = {}
        for name in names:
            before = self._embedding(name, fresh=True)
            self._meet(name, ai, wanted.dim, write=True)
            report[name] = "kept" if before is None or before.meets(wanted) else f"re-embedded from {before}"
        return report

    def _reembed(self, name: str, ai, stored: Embedding, wanted: Embedding) -> None:
        started, data = time.monotonic(), self.table(name).to_arrow().drop_columns(["vector"])
        embed = pc.is_in(data["kind"], pa.array(EMBEDDED_KINDS)) if name == EPISODES else None
        texts = data["text"].to_pylist() if embed is None else pc.filter(data["text"], embed).to_pylist()
        spent = _spent(ai)
        vectors = self._embed_with_progress(name, ai, texts, wanted.dim)
        column = _vector_column(vectors, wanted.dim, None if embed is None else embed.to_pylist())
        data = data.append_column(vector_field(wanted.dim, wanted.model), column)
        self.db().create_table(name, data=data, schema=data.schema, mode="overwrite")
        self._forget(name)
        if name != EPISODES:
            ensure_indexes(self.table(name), self.policy, retrain=False)
        cost = _spent(ai)
        cost_line = f"${cost - spent:.6f}" if cost is not None and spent is not None else "cost not metered"
        tokens = sum(len(t) for t in texts) // 4
        log().info(f"re-embedded memory table {name}: {len(texts):,} of {data.num_rows:,} rows from {stored} to "
                   f"{wanted} in {time.monotonic() - started:.1f} s; ~{tokens:,} tokens, {cost_line}")

    def _embed_with_progress(self, name: str, ai, texts: list[str], dim: int):
        out, step, last = [], EMBED_BATCH * 8, time.monotonic()
        for i in range(0, len(texts), step):
            out.extend(embed_texts(ai, texts[i:i + step]))
            if len(texts) > step and time.monotonic() - last > 5:
                log().info(f"re-embedding memory table {name}: {len(out):,}/{len(texts):,} rows")
                last = time.monotonic()
        return check_vectors(out, dim, f"re-embed {name}") if out else None

    def _forget(self, name: str) -> None:
        """Drop what this resource remembered about a table that was rewritten."""
        self._tables.pop(name, None)
        for kind in ("dim", "embedding", "facts", "keys"):
            self._state.pop((kind, name), None)


def _spent(ai) -> float | None:
    """What `ai` has spent so far, where it keeps count (an LLMSession's stats)."""
    cost = getattr(getattr(ai, "stats", None), "cost_usd", None)
    return float(cost) if isinstance(cost, (int, float)) else None


def _vector_column(vectors, dim: int, mask: list[bool] | None) -> pa.Array:
    """The vectors as a fixed-size list column; rows outside `mask` (not embedded) are null."""
    n = len(mask) if mask is not None else (0 if vectors is None else len(vectors))
    flat = pa.array(vectors.reshape(-1) if vectors is not None else [], pa.float32())
    dense = pa.FixedSizeListArray.from_arrays(flat, dim)
    if mask is None:
        return dense if n else pa.array([], pa.list_(pa.float32(), dim))
    rows, it = [], iter(dense.to_pylist())
    for keep in mask:
        rows.append(next(it) if keep else None)
    return pa.array(rows, pa.list_(pa.float32(), dim))
