"""Semantic memory: documents as chunks with provenance and validity, upserted by (source, chunk), searched
by vector, full text or both (RRF-reranked), with stale entries left out unless asked for."""

import datetime as dt
import gc
import json
from contextlib import contextmanager
from hashlib import sha256

import pyarrow as pa

from resources.memory import query_path
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
NO_VALIDITY = frozenset()  # the document set neither valid_from nor valid_until


def doc_rows(doc: Document, size: int, overlap: int, ttl: dt.timedelta | None, now: dt.datetime) -> list[dict]:
    """The chunk rows of one document (without vectors). Bulk loads run this per document, so the common case
    (str text, one chunk, no validity or metadata) takes the fewest steps."""
    source, text, starts, ends = doc.source, doc.text, doc.valid_from, doc.valid_until
    if type(source) is not str or not source.strip():
        raise MemoryInputError(f"document source must be a non-empty string, got {source!r}")
    if type(text) is not str or "\x00" in text or text.isspace() or not text:
        text = clean_text(text, f"document {source!r}")
    valid_from = now if starts is None else as_utc(starts)
    valid_until = as_utc(ends) if ends is not None else valid_from + ttl if ttl else None
    if valid_until is not None and valid_until <= valid_from:
        raise MemoryInputError(f"document {source!r}: valid_until {valid_until} is not after {valid_from}")
    chunks = chunk_text(text, size, overlap)
    hashes = [sha256(chunk.encode()).hexdigest() for chunk in chunks]
    version = doc.version or (hashes[0] if chunks[0] == text else sha(text))[:16]  # one chunk: hashed once
    meta = to_json(doc.metadata) if doc.metadata else "{}"
    explicit = NO_VALIDITY if starts is None and ends is None else {
        k for k, v in (("valid_from", starts), ("valid_until", ends)) if v is not None}
    tags = sorted(set(doc.tags)) if doc.tags else []
    return [{"_explicit": explicit, "source": source, "chunk": i, "text": chunk, "version": version,
             "content_hash": digest, "valid_from": valid_from, "valid_until": valid_until, "tags": tags,
             "metadata": meta, "ingested_at": now} for i, (chunk, digest) in enumerate(zip(chunks, hashes))]


def existing_chunks(table, sources) -> dict[str, dict[int, tuple]]:
    """source -> chunk -> (content_hash, version, valid_from, valid_until, tags, metadata), in one query
    (an IN list for a few sources, a scan of the key columns for bulk loads), each one trip to LanceDB's loop
    (the sync reader crosses once a batch: 0.3 s against 0.08 s for the source column of 1M rows)."""
    sources = list(sources)
    if not sources or table.count_rows() == 0:
        return {}
    cols = ["source", "chunk", "content_hash", "version", "valid_from", "valid_until", "tags", "metadata"]

    def scan(columns, where=None):
        query = query_path.async_table(table).query().select(columns)
        return query_path.run((query.where(where) if where else query).to_arrow())

    if len(sources) <= IN_LIST_MAX:
        data = scan(cols, f"source IN ({', '.join(quote(s) for s in sources)})")
    else:  # a bulk load: look at the source column alone first; new sources (the usual case) need no more
        import pyarrow.compute as pc

        wanted = pa.array(sources, pa.string())
        if not pc.any(pc.is_in(scan(["source"])["source"], value_set=wanted)).as_py():
            return {}
        data = scan(cols)
        data = data.filter(pc.is_in(data["source"], value_set=wanted))
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


def upsert(table, data: pa.Table, vectors, *, all_new: bool = False) -> None:
    """Insert or replace rows by (source, chunk) in one LanceDB transaction. `all_new` (a bulk load of sources
    none of which is stored, as read just before) appends instead: a merge joins against every stored key (2 s of
    a 6 s ingest of 100k rows into 200k, growing with the table). Small writes keep the merge (0.15 s at 1M rows)."""
    vector = table.schema.field("vector")
    flat = pa.array(vectors.reshape(-1), pa.float32())
    data = data.append_column(vector, pa.FixedSizeListArray.from_arrays(flat, vector.type.list_size))
    if all_new or table.count_rows() == 0:
        table.add(data)
    else:
        table.merge_insert(KEY).when_matched_update_all().when_not_matched_insert_all().execute(data)


ROW_SCHEMA = pa.schema([f for f in semantic_schema(1) if f.name != "vector"])


def rows_table(rows: list[dict]) -> pa.Table:
    """Chunk rows (doc_rows) as Arrow columns, without vectors."""
    return pa.table([column([r[f.name] for r in rows], f.type) for f in ROW_SCHEMA], schema=ROW_SCHEMA)


def one_chunk_table(docs, ttl: dt.timedelta | None, now: dt.datetime) -> tuple[list[str], pa.Table] | None:
    """The rows of one-chunk documents (ingest_vectors) built a column at a time, the rows doc_rows would build
    (~3x less Python than a dict a row: bulk loads). None when any document needs doc_rows: bytes or padded text,
    validity or metadata set, a repeated source, or a problem to report (doc_rows says what is wrong)."""
    n = len(docs)
    if not all(type(d) is Document for d in docs):
        return None
    sources, texts = [d.source for d in docs], [d.text for d in docs]
    if (not all(type(src) is str and src.strip() for src in sources) or len(set(sources)) != n
            or not all(type(t) is str and t and len(t.strip()) == len(t) and "\x00" not in t for t in texts)
            or [d.valid_from for d in docs].count(None) != n or [d.valid_until for d in docs].count(None) != n
            or any(d.metadata for d in docs)):
        return None
    hashes = [sha256(t.encode()).hexdigest() for t in texts]
    until = now + ttl if ttl else None
    columns = {"source": sources, "chunk": [0] * n, "text": texts,
               "version": [d.version or h[:16] for d, h in zip(docs, hashes)], "content_hash": hashes,
               "valid_from": [now] * n, "valid_until": [until] * n,
               "tags": [sorted(set(d.tags)) if d.tags else [] for d in docs], "metadata": ["{}"] * n,
               "ingested_at": [now] * n}
    return sources, pa.table([column(columns[f.name], f.type) for f in ROW_SCHEMA], schema=ROW_SCHEMA)


def column(values: list, type_: pa.DataType) -> pa.Array:
    """An Arrow column; one value throughout (ingest time, validity, metadata of a bulk load) is repeated, not
    converted row by row."""
    if values and values.count(values[0]) == len(values):
        return pa.repeat(pa.scalar(values[0], type_), len(values))
    return pa.array(values, type_)


def drop_orphans(table, before: dict[str, dict[int, tuple]], new_counts: dict[str, int]) -> int:
    """Delete stored chunks numbered at or past a source's new chunk count (the document got shorter)."""
    conds = [f"(source = {quote(src)} AND chunk >= {int(new_counts[src])})" for src, chunks in before.items()
             if src in new_counts and chunks and max(chunks) >= new_counts[src]]
    orphans = sum(1 for src, chunks in before.items() if src in new_counts for c in chunks if c >= new_counts[src])
    for i in range(0, len(conds), IN_LIST_MAX):
        table.delete(" OR ".join(conds[i:i + IN_LIST_MAX]))
    return orphans


def new_table(db, dim: int, name: str, model: str | None = None):
    return db.create_table(name, schema=semantic_schema(dim, model), exist_ok=True)


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
        query = policy.tune(table.search(query_type="hybrid").vector(vector).text(text), k, indexed, rows,
                            filtered=filt is not None)
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


@contextmanager
def gc_paused():
    """A bulk load keeps ~10 new objects a row (dicts, lists, strings, none in a cycle): Python's cyclic collector
    would scan them again and again, half the Python time of a 100k-row load; it runs again on the way out."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


def vectors_for(rows: int, vectors, dim):
    arr = check_vectors(vectors, dim, "ingest")
    if len(arr) != rows:
        raise MemoryInputError(f"ingest: {rows} chunks but {len(arr)} vectors")
    return arr
