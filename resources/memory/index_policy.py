"""How a memory table is searched, chosen from measurement on this 2-core machine (benchmarks/memory.py).

Measured (seeded clustered corpus, 384 dims, cosine, k=10, 100 queries, p50 of one query at a time):

  LanceDB flat scan     1k rows 4.5 ms, 5k 10 ms, 10k 18 ms, 30k 139 ms, 100k 160-480 ms  (recall 1.0)
  NumPy exact scan      100k rows 5.6-14 ms (memory-bandwidth bound, 150 MB per query; no filters)
  IVF_PQ (defaults)     100k: recall 0.12, with refine_factor 10: 0.49 at 8 ms          -> rejected
  IVF_SQ                100k: recall 0.965 at 6.2 ms; refine 5: 1.0 at 8.6 ms; build 12 s -> too slow
  IVF_HNSW_SQ default   100k: recall 0.73 at 2.3 ms (ef defaults to ~k: the graph search stops too early)
  IVF_HNSW_SQ ef=64     100k: recall 0.95-0.96 at 3.2 ms
  IVF_HNSW_SQ ef=100    100k: recall 0.96-0.97 at 2.4-3.6 ms; build 45 s (ef_construction 150; 66 s at 300)
  IVF_HNSW_SQ ef=100 + refine_factor 2: recall 0.99 at 4.3-5.9 ms (re-scores with the full vectors)

nprobes made no difference at 100k (LanceDB widens the probe itself until it has k results); beyond ef=100
recall is capped by the 8-bit scalar quantization, which only refine_factor lifts. So:

* tables under `index_min_rows` (5,000) are scanned exactly: under ~10 ms, recall 1, no index to keep up;
* larger tables get IVF_HNSW_SQ (cosine, m=20, ef_construction=150) searched with ef=max(100, 10k)
  and no refine; set `refine_factor=2` for recall 0.99 at about +2 ms;
* the index is retrained by maintenance when the table has doubled since it was built, and incrementally
  updated (`optimize`) otherwise; rows added since are searched exactly by LanceDB until then.

Through MemoryResource (`python -m benchmarks.memory`, 200 queries; the shared machine's speed varied 2x
during the day: the same raw LanceDB query took 2.4-3.5 ms at one time and 5-6.7 ms at another):
  100k x 384: recall@10 0.96, p50 8.2 ms (ids) / 9.2 ms (full hits), NumPy exact 9.4 ms, flat 208 ms,
              index build 27 s, ingest 23.8k rows/s
  1M x 384:   recall@10 0.93, p50 10.5 ms, NumPy exact 188 ms, flat 1.77 s, build 433 s, peak RSS 5.7 GB
At 1M, ef=100 no longer reaches 0.95: set `hnsw_ef` higher or `refine_factor=2` for such tables (not yet
measured at 1M).

An in-memory NumPy path was measured and left out: it is slower than the HNSW index from 30k rows on,
cannot apply metadata filters without a second store, and would make LanceDB no longer the one store.
"""

from dataclasses import dataclass
from datetime import timedelta

VECTOR_INDEX = "vector_idx"
TEXT_INDEX = "text_idx"


@dataclass(frozen=True)
class IndexPolicy:
    """When to index a table and how to query it."""

    index_min_rows: int = 5_000
    m: int = 20
    ef_construction: int = 150
    ef: int = 100
    refine_factor: int | None = None
    retrain_growth: float = 2.0

    def wants_vector_index(self, rows: int) -> bool:
        return rows >= self.index_min_rows

    def index_config(self):
        from lancedb.index import HnswSq

        return HnswSq(distance_type="cosine", m=self.m, ef_construction=self.ef_construction)

    def tune(self, query, k: int, indexed: bool):
        """Apply the measured query parameters to a LanceDB vector query."""
        query = query.distance_type("cosine")
        if indexed:
            query = query.ef(max(self.ef, 10 * k))
            if self.refine_factor:
                query = query.refine_factor(self.refine_factor)
        return query


def index_names(table) -> dict[str, object]:
    return {ix.name: ix for ix in table.list_indices()}


def ensure_indexes(table, policy: IndexPolicy, *, retrain: bool = True, wait: bool = True) -> dict:
    """Create the vector and full-text indexes a table of this size should have; retrain a grown vector index."""
    from lancedb.index import FTS

    done, rows, have = {}, table.count_rows(), index_names(table)
    if TEXT_INDEX not in have and rows:
        table.create_index("text", config=FTS(), name=TEXT_INDEX)
        done[TEXT_INDEX] = "created"
    if policy.wants_vector_index(rows):
        stats = table.index_stats(VECTOR_INDEX) if VECTOR_INDEX in have else None
        indexed = (stats.num_indexed_rows if stats else 0) or 0
        if stats is None or (retrain and rows >= policy.retrain_growth * max(indexed, 1)):
            table.create_index("vector", config=policy.index_config(), name=VECTOR_INDEX, replace=True)
            done[VECTOR_INDEX] = "trained" if stats is None else f"retrained ({indexed} -> {rows} rows)"
    if wait and done:
        table.wait_for_index(list(done), timeout=timedelta(minutes=30))
    return done


def has_vector_index(table) -> bool:
    return VECTOR_INDEX in index_names(table)
