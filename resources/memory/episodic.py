"""Episodic memory: what was decided for each run, asset, partition and item (input hash, output, model, prompt
version), how its checks came out and how a human corrected it; found by key or by similarity."""

import datetime as dt
import hashlib
import json

import pyarrow as pa

from resources.memory.embedding import embed_texts
from resources.memory.models import embedder_model
from resources.memory.reembed import ModelMismatch, log
from resources.memory.records import (
    UTC,
    MemoryInputError,
    MissingTable,
    check_vectors,
    clean_text,
    episodic_schema,
    quote,
    to_json,
)

TABLE = "episodes"
KINDS = ("decision", "check", "correction")
EMBEDDED = ("decision", "correction")  # check rows are found by key only


def episode_id(*parts) -> str:
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()[:24]


def row(kind: str, *, workflow: str, item_key: str, text: str, asset_key=None, partition_key=None, run_id=None,
        input_hash=None, output=None, model=None, prompt_version=None, checks=None, correction=None,
        reviewer=None, reason=None, id_parts=()) -> dict:
    """One episode row; its id is derived from its key so recording the same thing twice is idempotent."""
    if kind not in KINDS:
        raise MemoryInputError(f"episode kind must be one of {KINDS}, got {kind!r}")
    for name, value in (("workflow", workflow), ("item_key", item_key)):
        if not isinstance(value, str) or not value.strip():
            raise MemoryInputError(f"episode {name} must be a non-empty string, got {value!r}")
    text = clean_text(text, f"episode {workflow}/{item_key}")
    key = (kind, workflow, asset_key, partition_key, item_key, run_id, *id_parts)
    return {"id": episode_id(*key), "kind": kind, "workflow": workflow, "asset_key": asset_key,
            "partition_key": partition_key, "item_key": str(item_key), "run_id": run_id, "input_hash": input_hash,
            "text": text, "output": None if output is None else to_json(output), "model": model,
            "prompt_version": prompt_version, "checks": None if checks is None else to_json(checks),
            "correction": None if correction is None else to_json(correction), "reviewer": reviewer,
            "reason": reason, "ts": dt.datetime.now(UTC), "vector": None}


def write(table, rows: list[dict], vectors=None) -> None:
    """Upsert episode rows by id; rows without a vector get one on the next similarity search."""
    schema = table.schema
    if vectors is not None:
        rows = [{**r, "vector": [float(x) for x in v]} for r, v in zip(rows, vectors)]
    data = pa.Table.from_pylist(rows, schema=schema)
    # rows still without a vector are stored with a null one (their dimension was checked when given)
    (table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all()
     .execute(data, on_bad_vectors="null" if vectors is None else "error"))


def new_table(db, dim: int, name: str = TABLE, model: str | None = None):
    return db.create_table(name, schema=episodic_schema(dim, model), exist_ok=True)


def key_filter(*, workflow=None, asset_key=None, partition_key=None, item_key=None, run_id=None,
               kinds=None) -> str | None:
    parts = [f"{col} = {quote(val)}" for col, val in (("workflow", workflow), ("asset_key", asset_key),
                                                      ("partition_key", partition_key), ("item_key", item_key),
                                                      ("run_id", run_id)) if val is not None]
    if kinds:
        parts.append(f"kind IN ({', '.join(quote(k) for k in kinds)})")
    return " AND ".join(parts) or None


def decode(rec: dict) -> dict:
    """An episode as plain data: JSON columns parsed, the vector dropped."""
    out = {k: v for k, v in rec.items() if k != "vector" and not k.startswith("_")}
    for col in ("output", "checks", "correction"):
        if out.get(col) is not None:
            try:
                out[col] = json.loads(out[col])
            except ValueError:
                pass  # a plain-text output stored as is
    if "_distance" in rec:
        out["score"] = 1.0 - rec["_distance"]
    return out


def find(table, filt: str | None, limit: int | None = None) -> list[dict]:
    query = table.search()
    if filt:
        query = query.where(filt)
    rows = query.limit(limit).to_arrow().to_pylist()
    return sorted((decode(r) for r in rows), key=lambda r: r["ts"], reverse=True)


def unembedded(table) -> list[dict]:
    kinds = ", ".join(quote(k) for k in EMBEDDED)
    return table.search().where(f"vector IS NULL AND kind IN ({kinds})").limit(None).to_arrow().to_pylist()


def similar(table, vector, k: int, filt: str | None) -> list[dict]:
    kinds = ", ".join(quote(x) for x in EMBEDDED)
    where = f"vector IS NOT NULL AND kind IN ({kinds})" + (f" AND {filt}" if filt else "")
    rows = (table.search(vector, query_type="vector").distance_type("cosine").where(where, prefilter=True)
            .limit(k).to_arrow().to_pylist())
    return [decode(r) for r in rows]


class EpisodicMixin:
    """Episodic memory for MemoryResource: record decisions, check outcomes and corrections; find them again."""

    def record_decision(self, ai, *, workflow: str, item_key: str, text: str, output, asset_key=None,
                        partition_key=None, run_id=None, input_hash=None, model=None, prompt_version=None) -> str:
        """Remember what was decided for an item (text = the situation, embedded for similarity)."""
        rec = row("decision", workflow=workflow, item_key=item_key, text=text, output=output,
                  asset_key=asset_key, partition_key=partition_key, run_id=run_id, input_hash=input_hash,
                  model=model, prompt_version=prompt_version)
        vectors = embed_texts(ai, [rec["text"]]) if ai is not None else None
        self._episodes_write([rec], vectors, ai)
        return rec["id"]

    def record_checks(self, *, workflow: str, item_key: str, check: str, passed: bool, details=None,
                      asset_key=None, partition_key=None, run_id=None, ai=None) -> str:
        """Remember how one check came out for an item (found by key with the decision it judged)."""
        rec = row("check", workflow=workflow, item_key=item_key, text=f"{check}: {passed}",
                  checks={"check": check, "passed": bool(passed), "details": details},
                  asset_key=asset_key, partition_key=partition_key, run_id=run_id, id_parts=(check,))
        self._episodes_write([rec], None, ai)
        return rec["id"]

    def record_correction(self, *, workflow: str, item_key: str, before, after, reviewer: str, reason=None,
                          approval_id=None, run_id=None, partition_key=None, ai=None, **_ignored) -> str:
        """A reviewer's edit, kept so the next draft for a similar item can learn from it (approvals' seam)."""
        from resources.approvals.record import to_text

        text = f"{item_key}: {reason or 'edited'}\n{to_text(after)}"
        rec = row("correction", workflow=workflow, item_key=item_key, text=text, output=before,
                  correction=after, reviewer=reviewer, reason=reason, run_id=run_id,
                  partition_key=partition_key, id_parts=(approval_id,))
        self._episodes_write([rec], embed_texts(ai, [text]) if ai is not None else None, ai)
        return rec["id"]

    def episodes(self, *, workflow=None, asset_key=None, partition_key=None, item_key=None, run_id=None,
                 kinds=None, limit: int | None = None) -> list[dict]:
        """Episodes matching a key, newest first (empty when nothing was ever recorded)."""
        filt = key_filter(workflow=workflow, asset_key=asset_key, partition_key=partition_key,
                          item_key=item_key, run_id=run_id, kinds=kinds)
        try:
            return find(self.table(TABLE), filt, limit)
        except MissingTable:
            return []

    def similar_episodes(self, ai, text: str, *, k: int = 5, workflow=None, kinds=None) -> list[dict]:
        """"How did we handle cases like this before": decisions and corrections nearest to `text`."""
        vector = embed_texts(ai, [clean_text(text, "similar_episodes query")])[0]
        try:
            self._meet(TABLE, ai, len(vector), write=False)  # episodes of another model are re-embedded first
            table = self.table(TABLE)
        except MissingTable:
            return []
        except ModelMismatch as err:
            log().warning(str(err))
            return []
        pending = unembedded(table)  # corrections recorded without an embedder get vectors now
        if pending:
            for r in pending:
                r.pop("vector", None)
            self._episodes_write(pending, embed_texts(ai, [r["text"] for r in pending]))
        return similar(table, vector, k, key_filter(workflow=workflow, kinds=kinds))

    def _episodes_write(self, rows, vectors, ai=None) -> None:
        model = embedder_model(ai) if ai is not None else None
        if vectors is not None:
            vectors = check_vectors(vectors, None, "episodes")
            if ai is not None:
                self._meet(TABLE, ai, vectors.shape[1], write=True)
            dim = check_vectors(vectors, self._dim(TABLE), "episodes").shape[1]
        else:
            dim = self._dim(TABLE)
        if dim is None:
            dim, model = self._default_embedding(ai)
        write(self._open_or_create(TABLE, dim, new_table, model), rows, vectors)

    def _default_embedding(self, ai) -> tuple[int, str | None]:
        """Dimension and model for an episodes table first written without vectors: the semantic tables', else
        the embedder's (one probe embedding, cached)."""
        for name in self.table_names():
            if name != TABLE:
                found = self._embedding(name)
                return found.dim, found.model
        if ai is None:
            raise MemoryInputError("the first episode without a vector needs an embedder (ai) or an existing "
                                   "memory table to fix the vector dimension")
        return len(embed_texts(ai, ["dimension probe"])[0]), embedder_model(ai)
