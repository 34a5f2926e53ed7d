"""`MemoryResource`: semantic and episodic memory in LanceDB, the one store of record for what agents remember.

    memory.ingest(ai, [Document("brand/guide", text, tags=["brand"])], collection="brand")
    hits = memory.search(ai, "cold brew ratio", collection="brand", k=3, mode="hybrid")
    memory.record_decision(ai, workflow="content_ops", item_key=slug, text=brief, output=draft, ...)
    memory.episodes(workflow="content_ops", item_key=slug)        # by key, newest first
    memory.similar_episodes(ai, "a brief like this", workflow="content_ops")

`ai` is an `LLMSession` (or an `LLMResource`, opened without a context): embeddings go through it, so they
are batched, cached and in the ledger. How tables are indexed and searched: see `index_policy`.
"""

import datetime as dt

import dagster as dg
from pydantic import Field, PrivateAttr

from resources.memory import query_path, semantic
from resources.memory.embedding import embed_texts
from resources.memory.episodic import EpisodicMixin
from resources.memory.index_policy import IndexPolicy, ensure_indexes
from resources.memory.maintenance import MaintenanceMixin
from resources.memory.models import embedder_model
from resources.memory.reembed import ModelMismatch, ReembedMixin, log
from resources.memory.records import (
    UTC,
    Document,
    Hit,
    MemoryInputError,
    MissingTable,
    as_utc,
    check_name,
    check_vectors,
    clean_text,
)
from resources.state.resource import StateResource, state_of


class MemoryResource(EpisodicMixin, MaintenanceMixin, ReembedMixin, dg.ConfigurableResource):
    """Semantic and episodic memory over LanceDB (resource key `memory`); each table holds vectors of one
    embedding model, re-embedded when the model changes (reembed.py)."""

    uri: str | None = Field(default=None, description="Any LanceDB URI (s3://, gs://, az://, a path); "
                                                          "default <state home>/lancedb.")
    storage_options: dict[str, str] = Field(default_factory=dict, description="Object-store options for LanceDB.")
    chunk_words: int = Field(default=200, description="Words per chunk.")
    chunk_overlap: int = Field(default=40, description="Words shared by consecutive chunks.")
    ttl_days: float | None = Field(default=None, description="Default lifetime of an entry without valid_until.")
    index_min_rows: int = Field(default=5_000, description="Below this a table is searched exactly.")
    nprobes: int | None = Field(default=None, description="IVF partitions searched per 10 results; default 20 "
                                                          "(index_policy).")
    refine_factor: int | None = Field(default=None, description="Re-score limit x this many candidates with full "
                                                                "vectors; default 2, 0 turns it off.")
    version_retention_days: float = Field(default=7.0, description="Maintenance drops table versions older.")
    reembed_max_rows: int = Field(default=50_000, description="A search re-embeds a table of another embedding "
                                  "model up to this size; a larger one is searched by full text until "
                                  "memory_maintenance_job re-embeds it.")
    state: StateResource | None = Field(default=None, description="Home of the default LanceDB folder.")
    _db: object = PrivateAttr(default=None)
    _tables: dict = PrivateAttr(default_factory=dict)
    _state: dict = PrivateAttr(default_factory=dict)

    # --- connection ------------------------------------------------------------------------------
    @property
    def policy(self) -> IndexPolicy:
        return IndexPolicy(index_min_rows=self.index_min_rows, nprobes=self.nprobes, refine_factor=self.refine_factor)

    def db(self):
        if self._db is None:
            import lancedb

            uri = self.uri or str(state_of(self).path("lancedb"))
            self._db = lancedb.connect(uri, storage_options=self.storage_options or None,
                                       read_consistency_interval=dt.timedelta(seconds=5))
        return self._db

    def table_names(self) -> list[str]:
        return sorted(self.db().list_tables().tables)

    def table(self, name: str):
        """An open table; MissingTable (a clear error) when nothing was ever written to it."""
        check_name(name)
        if name not in self._tables:
            try:
                self._tables[name] = self.db().open_table(name)
            except ValueError as err:
                raise MissingTable(f"memory table {name!r} does not exist in {self.uri or '$AIWF_HOME/lancedb'}; "
                                   f"ingest into it first (tables: {self.table_names()})") from err
        return self._tables[name]

    def _open_or_create(self, name: str, dim: int, create, model: str | None = None):
        try:
            return self.table(name)
        except MissingTable:
            self._tables[name] = create(self.db(), dim, name, model)
            return self._tables[name]

    def _dim(self, name: str) -> int | None:
        """The table's vector dimension (fixed when the table is created, so remembered)."""
        if ("dim", name) not in self._state:
            try:
                self._state[("dim", name)] = self.table(name).schema.field("vector").type.list_size
            except MissingTable:
                return None
        return self._state[("dim", name)]

    # --- semantic memory -------------------------------------------------------------------------
    def ingest(self, ai, docs: list[Document], *, collection: str = "documents") -> dict:
        """Chunk, embed and upsert documents; a changed document's chunks are replaced, none are orphaned."""
        by_source = semantic.prepare(docs, self.chunk_words, self.chunk_overlap, self._ttl())
        return self._ingest(collection, by_source, ai)

    def ingest_vectors(self, docs: list[Document], vectors, *, collection: str = "documents",
                       index: bool = True) -> dict:
        """Upsert one-chunk documents with precomputed vectors (bulk loads, benchmarks, external embedders)."""
        with semantic.gc_paused():
            dim, now = self._dim(check_name(collection)), dt.datetime.now(UTC)
            bulk = semantic.one_chunk_table(docs, self._ttl(), now)
            if bulk is None:
                by_source = semantic.prepare(docs, 10**9, 0, self._ttl(), now)
                counts = {s: len(rs) for s, rs in by_source.items()}
                data = semantic.rows_table([r for rs in by_source.values() for r in rs])
            else:
                counts, data = dict.fromkeys(bulk[0], 1), bulk[1]
            arr = semantic.vectors_for(data.num_rows, vectors, dim)
            return self._write(collection, counts, data, arr, self._existing(collection, counts), index=index)

    def _ingest(self, collection, by_source, ai) -> dict:
        check_name(collection)
        before = self._existing(collection, by_source)
        changed = {s: rows for s, rows in by_source.items() if not semantic.unchanged(rows, before.get(s, {}))}
        rows = [r for rs in changed.values() for r in rs]
        skipped = len(by_source) - len(changed)
        if not rows:
            return {"collection": collection, "sources": len(by_source), "unchanged": skipped, "chunks_written": 0,
                    "chunks_deleted": 0}
        vectors = check_vectors(embed_texts(ai, [r["text"] for r in rows]), None, f"ingest {collection}")
        self._meet(collection, ai, vectors.shape[1], write=True)  # a table of another model is re-embedded first
        check_vectors(vectors, self._dim(collection), f"ingest {collection}")
        counts = {s: len(rs) for s, rs in changed.items()}
        return {**self._write(collection, counts, semantic.rows_table(rows), vectors, before, model=embedder_model(ai)),
                "unchanged": skipped}

    def _existing(self, collection, sources) -> dict:
        try:
            return semantic.existing_chunks(self.table(collection), sources)
        except MissingTable:
            return {}

    def _write(self, collection, counts: dict[str, int], data, vectors, before, index=True, model=None) -> dict:
        """Upsert `data` (chunk rows without vectors; `counts`: chunks per source) and drop chunks past them."""
        table = self._open_or_create(collection, vectors.shape[1], semantic.new_table, model)
        bulk_new = len(counts) > semantic.IN_LIST_MAX and not any(s in before for s in counts)
        semantic.upsert(table, data, vectors, all_new=bulk_new)
        deleted = semantic.drop_orphans(table, before, counts) if before else 0
        built = ensure_indexes(table, self.policy, retrain=False) if index else {}
        return {"collection": collection, "sources": len(counts), "chunks_written": data.num_rows,
                "chunks_deleted": deleted, "indexes": built, "version": table.version}

    def build_indexes(self, collection: str = "documents", *, retrain: bool = True) -> dict:
        """Create, update or retrain the indexes the table's size calls for (see index_policy)."""
        return ensure_indexes(self.table(collection), self.policy, retrain=retrain)

    def search(self, ai, query: str, *, collection: str = "documents", k: int = 5, mode: str = "hybrid",
               tags: list[str] | None = None, sources: list[str] | None = None, where: str | None = None,
               include_stale: bool = False, as_of: dt.datetime | None = None, vector=None) -> list[Hit]:
        """Chunks relevant to `query`: by vector, full text or both; stale entries only if include_stale.
        `vector` (optional) is the query's embedding when the caller already has it."""
        query = clean_text(query, "search query")
        self.table(collection)  # a missing table is reported before anything is embedded
        if vector is None and mode != "fts":
            vector = embed_texts(ai, [query])[0]
        if vector is not None and ai is not None:
            try:  # vectors of two models never meet: a table of another model is re-embedded first
                self._meet(collection, ai, len(vector), write=False)
            except ModelMismatch as err:
                log().warning(str(err))
                vector, mode = None, "fts"
        return self._search(collection, vector, query, mode, k, tags, sources, where, include_stale, as_of)

    def search_vector(self, vector, *, collection: str = "documents", k: int = 5, tags=None, sources=None,
                      where=None, include_stale: bool = False, as_of: dt.datetime | None = None,
                      fields=semantic.HIT_FIELDS) -> list[Hit]:
        """Nearest chunks to a precomputed vector; `fields` narrows what each hit carries (faster)."""
        return self._search(collection, vector, None, "vector", k, tags, sources, where, include_stale, as_of,
                            fields)

    def _search(self, collection, vector, text, mode, k, tags, sources, where, include_stale, as_of,
                fields=semantic.HIT_FIELDS):
        table, cols = self.table(collection), semantic.columns(fields, mode)
        if k <= 0:
            raise MemoryInputError(f"k must be positive, got {k}")
        if vector is not None:
            vector = check_vectors([vector], self._dim(collection), f"search {collection}")[0]
        now = as_utc(as_of) or dt.datetime.now(UTC)
        live, user = semantic.live_filter(now, False), semantic.user_filter(tags=tags, sources=sources, where=where)
        if mode == "vector":  # the hot path: one trip to LanceDB's loop (see query_path)
            return semantic.hits(query_path.run(query_path.vector_search(
                query_path.async_table(table), self._state, collection, vector, k, policy=self.policy, cols=cols,
                live=live, user_filter=user, now=now, as_of=as_of, include_stale=include_stale)))
        facts = query_path.run(query_path.current_facts(query_path.async_table(table), self._state, collection, now))
        filt = query_path.combined_filter(query_path.stale_rows(facts, now, as_of, include_stale), live, user)
        return semantic.hits(semantic.text_search(table, vector=vector, text=text, mode=mode, k=k, filt=filt,
                                                  policy=self.policy, indexed=facts.indexed, rows=facts.rows,
                                                  cols=cols))

    def forget(self, source: str, *, collection: str = "documents") -> int:
        """Delete every chunk of a source; returns how many."""
        table = self.table(collection)
        return semantic.drop_orphans(table, semantic.existing_chunks(table, [source]), {source: 0})

    def _ttl(self) -> dt.timedelta | None:
        return dt.timedelta(days=self.ttl_days) if self.ttl_days else None
