"""Semantic memory: documents as chunks with provenance and validity, upserted by (source, chunk), searched
by vector, full text or both (RRF-reranked), with stale entries left out unless asked for."""

import datetime as dt
import json

import pyarrow as pa

from resources.memory.index_policy import IndexPolicy
from resources.memory.records import (
    UTC,
    Document,
    Hit,
    MemoryInputError,
    as_utc,
    check_vectors,
    chunk_text,
    clean_text,
    quote,
    semantic_schema,
    sha,
    to_json,
    ts_literal,
)

MODES = ("vector", "fts", "hybrid")
IN_LIST_MAX = 500  # sources per filter before a key-column scan is cheaper than a long IN list
KEY = ["source", "chunk"]


def doc_rows(doc: Document, size: int, overlap: int, ttl: dt.timedelta | None, now: dt.datetime) -> list[dict]:
    """The chunk rows of one document (without vectors)."""
    if not isinstance(doc.source, str) or not doc.source.strip():
        raise MemoryInputError(f"document source must be a non-empty string, got {doc.source!r}")
    text = clean_text(doc.text, f"document {doc.source!r}")
    valid_from = as_utc(doc.valid_from) or now
    valid_until = as_utc(doc.valid_until) or (valid_from + ttl if ttl else None)
    if valid_until is not None and valid_until <= valid_from:
        raise MemoryInputError(f"document {doc.source!r}: valid_until {valid_until} is not after {valid_from}")
    version = doc.version or sha(text)[:16]
    meta = to_json(doc.metadata or {})
    explicit = {k for k in ("valid_from", "valid_until") if getattr(doc, k) is not None}
    return [{"_explicit": explicit, "source": doc.source, "chunk": i, "text": chunk, "version": version, "content_hash": sha(chunk),
             "valid_from": valid_from, "valid_until": valid_until, "tags": sorted(set(doc.tags or [])),
             "metadata": meta, "ingested_at": now} for i, chunk in enumerate(chunk_text(text, size, overlap))]


def existing_chunks(table, sources) -> dict[str, dict[int, tuple]]:
    """source -> chunk -> (content_hash, version, valid_from, valid_until, tags, metadata), in one query
    (an IN list for a few sources, a scan of the key columns for bulk loads)."""
    sources = list(sources)
    if not sources or table.count_rows() == 0:
        return {}
    cols = ["source", "chunk", "content_hash", "version", "valid_from", "valid_until", "tags", "metadata"]
    query = table.search().select(cols).limit(None)
    if len(sources) <= IN_LIST_MAX:
        query = query.where(f"source IN ({', '.join(quote(s) for s in sources)})")
    data = query.to_arrow()
    if len(sources) > IN_LIST_MAX:
        import pyarrow.compute as pc

        data = data.filter(pc.is_in(data["source"], value_set=pa.array(sources, pa.string())))
    out: dict[str, dict[int, tuple]] = {}
    for r in data.to_pylist():
        out.setdefault(r["source"], {})[r["chunk"]] = (r["content_hash"], r["version"], r["valid_from"],
                                                       r["valid_until"], sorted(r["tags"] or []), r["metadata"])
    return out


def unchanged(rows: list[dict], before: dict[int, tuple]) -> bool:
    """True when a re-ingest would store what is stored (then nothing is written: no new version). Validity is
    compared only where the document set it: re-ingesting unchanged text does not restart its TTL."""
    def same(r, old):
        return old is not None and (r["content_hash"], r["version"], r["tags"], r["metadata"]) == (
            old[0], old[1], old[4], old[5]) and r["_explicit"] <= {k for k in ("valid_from", "valid_until")
                                                                  if r[k] == old[2 if k == "valid_from" else 3]}
    return len(rows) == len(before) and all(same(r, before.get(r["chunk"])) for r in rows)


def upsert(table, rows: list[dict], vectors) -> None:
    """Insert or replace rows by (source, chunk) in one LanceDB transaction."""
    rows = [{k: v for k, v in r.items() if k != "_explicit"} for r in rows]
    data = pa.Table.from_pylist(rows, schema=table.schema.remove(table.schema.get_field_index("vector")))
    dim = table.schema.field("vector").type.list_size
    flat = pa.array(vectors.reshape(-1), pa.float32())
    data = data.append_column("vector", pa.FixedSizeListArray.from_arrays(flat, dim))
    if table.count_rows() == 0:
        table.add(data)
    else:
        table.merge_insert(KEY).when_matched_update_all().when_not_matched_insert_all().execute(data)


def drop_orphans(table, before: dict[str, dict[int, tuple]], new_counts: dict[str, int]) -> int:
    """Delete stored chunks numbered at or past a source's new chunk count (the document got shorter)."""
    conds = [f"(source = {quote(src)} AND chunk >= {int(new_counts[src])})" for src, chunks in before.items()
             if src in new_counts and chunks and max(chunks) >= new_counts[src]]
    orphans = sum(1 for src, chunks in before.items() if src in new_counts for c in chunks if c >= new_counts[src])
    for i in range(0, len(conds), IN_LIST_MAX):
        table.delete(" OR ".join(conds[i:i + IN_LIST_MAX]))
    return orphans


def new_table(db, dim: int, name: str):
    return db.create_table(name, schema=semantic_schema(dim), exist_ok=True)


def live_filter(now: dt.datetime, include_stale: bool) -> str | None:
    """Rows valid at `now`: started, and not past valid_until (TTL sets valid_until at ingest)."""
    if include_stale:
        return None
    at = ts_literal(now)
    return f"(valid_from <= {at}) AND (valid_until IS NULL OR valid_until > {at})"


def user_filter(*, tags=None, sources=None, where=None) -> str | None:
    """The caller's metadata filter (validity is added by the search, which knows whether it is needed)."""
    parts = []
    if tags:
        parts.append(f"array_has_any(tags, [{', '.join(quote(t) for t in tags)}])")
    if sources:
        parts.append(f"source IN ({', '.join(quote(s) for s in sources)})")
    if where:
        parts.append(f"({where})")
    return " AND ".join(parts) or None


HIT_FIELDS = ("source", "chunk", "text", "version", "tags", "valid_from", "valid_until", "metadata")


def columns(fields, mode: str) -> list[str]:
    """The columns a search asks for: each one fetched costs ~0.5 ms per query at 100k rows, so only those used."""
    if mode not in MODES:
        raise MemoryInputError(f"search mode must be one of {MODES}, got {mode!r}")
    unknown = set(fields) - set(HIT_FIELDS)
    if unknown or not {"source", "chunk"} <= set(fields):
        raise MemoryInputError(f"fields must include source and chunk, from {HIT_FIELDS}; got {list(fields)}")
    return list(fields) + {"vector": ["_distance"], "fts": ["_score"], "hybrid": []}[mode]  # named, or LanceDB warns


def text_search(table, *, vector, text: str, mode: str, k: int, filt: str | None, policy: IndexPolicy,
                indexed: bool, rows: int, cols: list[str]) -> pa.Table:
    """A full-text or hybrid (RRF-reranked) search through LanceDB's query builder."""
    from lancedb.rerankers import RRFReranker

    if mode == "fts":
        query = table.search(text, query_type="fts")
    else:
        query = policy.tune(table.search(query_type="hybrid").vector(vector).text(text), k, indexed, rows)
        query = query.rerank(RRFReranker())
    if filt:
        query = query.where(filt, prefilter=True)
    return query.select(cols).limit(k).to_arrow()


def hits(result: pa.Table) -> list[Hit]:
    """Hits from a result table, column by column (cheaper than a dict per row); scores are higher-is-better."""
    data = {name: result.column(name).to_pylist() for name in result.column_names}
    n, none = result.num_rows, [None] * result.num_rows
    if "_relevance_score" in data:
        scores = data["_relevance_score"]
    elif "_distance" in data:
        scores = [1.0 - d for d in data["_distance"]]  # cosine distance -> similarity
    else:
        scores = data.get("_score", [0.0] * n)
    get = lambda name: data.get(name, none)  # noqa: E731
    return [Hit(source=s, chunk=c, text=t, score=float(sc), version=v, tags=list(tg or []), valid_from=vf,
                valid_until=vu, metadata=json.loads(md) if md else {})
            for s, c, t, sc, v, tg, vf, vu, md in zip(data["source"], data["chunk"], get("text"), scores,
                                                      get("version"), get("tags"), get("valid_from"),
                                                      get("valid_until"), get("metadata"))]


def prepare(docs, size: int, overlap: int, ttl, now=None) -> dict[str, list[dict]]:
    """Rows per source; a source given twice in one call is an error (which one should win?)."""
    now = now or dt.datetime.now(UTC)
    by_source: dict[str, list[dict]] = {}
    for doc in docs:
        if not isinstance(doc, Document):
            raise MemoryInputError(f"ingest takes Document objects, got {type(doc).__name__}")
        if doc.source in by_source:
            raise MemoryInputError(f"document {doc.source!r} appears twice in one ingest")
        by_source[doc.source] = doc_rows(doc, size, overlap, ttl, now)
    return by_source


def vectors_for(rows: list[dict], vectors, dim):
    arr = check_vectors(vectors, dim, "ingest")
    if len(arr) != len(rows):
        raise MemoryInputError(f"ingest: {len(rows)} chunks but {len(arr)} vectors")
    return arr
