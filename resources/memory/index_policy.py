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

nprobes made no difference at 100k (one IVF partition; LanceDB widens the probe itself until it has k results).
The 8-bit scalar quantization caps recall near 0.96 whatever ef; refine_factor (re-scoring limit x refine
candidates with the full vectors) lifts that cap. The query alone (one coroutine, 200 queries, shared machine):

  rows   ef  refine  recall@10  p50        rows   ef  refine  recall@10  p50
  100k   64     -     0.954    2.1-2.5 ms  300k  100     -     0.953    4.8-5.9 ms
  100k   80     -     0.960    2.4-2.5     300k  200     -     0.959    5.1-5.7
  100k  100     -     0.965    2.5-3.1     300k   80     2     0.991    6.7-7.8 (load 2.6)
  100k   64     2     0.984    2.8-3.3     300k  150     2     1.000    6.0-7.3 (load 2.6)
  100k   80     2     0.991    3.0-3.1
  100k  100     2     0.998    3.5-4.1

Validity filter (100k, all rows live): LanceDB's prefilter scans the validity columns of every row, +4-6 ms a
query (BTREE indexes on valid_from/valid_until did not help); post-filtering an over-fetch of k + n costs
+1 ms at n=3, +2-3 ms at n=20, +4 ms at n=40. Hence `query_path`: no filter when no row is stale (counted
from facts read once per table version), over-fetch + post-filter (exact) up to 40 stale rows, else prefilter.

So:
* tables under `index_min_rows` (5,000) are scanned exactly: under ~10 ms, recall 1, no index to keep up;
* larger tables get IVF_HNSW_SQ (cosine, m=20, ef_construction=150), searched with refine_factor 2 and
  ef 80 per 10 results, or ef 150 from `large_rows` (500k) on, where the graph search needs more breadth
  (1M at ef=100 without refine: recall 0.929);
* the index is retrained by maintenance when the table has doubled since it was built, and incrementally
  updated (`optimize`) otherwise; rows added since are searched exactly by LanceDB until then.

Through MemoryResource (`python -m benchmarks.memory --json`, 200 queries, hits with source and chunk, which
come from a per-version row-id map, see query_path; hits with every field cost 2-4 ms more, one take per column).
Nine 100k runs on the shared machine, same code (ef 80, refine 2):
  100k x 384: recall@10 0.9915-0.9935, p50 5.27 / 3.72 / 4.83 / 3.55 / 5.67 / 3.34 / 4.49 / 3.28 / 4.59 ms,
              p95 4.0-8.0 ms, NumPy exact 7.7-9.7 ms (the slow runs are the slow-machine runs), flat 167-209 ms,
              index build 21-28 s, ingest 21-30k rows/s, peak RSS 1.5 GB (before the row-id map and the concurrent version check:
              p50 4.6-8.0 ms; before this policy: recall 0.9595, p50 6.55 ms)
  ef 64, refine 2 (3 runs): p50 5.00 / 4.49 / 4.54 ms, recall 0.984-0.99: no faster here, so ef stays 80.
  ef 100, no refine (3 runs): p50 2.97 / 3.00 / 3.43 ms, but recall 0.959-0.965, too near the 0.95 floor.
  1M x 384 (ef 150, refine 2): recall@10 0.9925, p50 8.1 ms, p95 11.2 ms, NumPy exact 97 ms, flat 1.56 s,
              index build 372 s, ingest 15k rows/s, peak RSS 5.6 GB (before: recall 0.929, p50 10.5 ms)
On a prebuilt 100k table, interleaved in one process: search_vector 3.2-5.1 ms vs the bare query returning only
distances 2.8-4.0 ms (Python around it ~0.3 ms); refine 2 costs ~1 ms (a take of the candidates' full vectors).
p50 <= 5 ms at 100k is met in most runs, not all, on this shared machine; recall >= 0.95 with margin.

An in-memory NumPy path was measured and left out: it is slower than the HNSW index from 30k rows on,
cannot apply metadata filters without a second store, and would make LanceDB no longer the one store.
"""

from dataclasses import dataclass
from datetime import timedelta

VECTOR_INDEX = "vector_idx"
TEXT_INDEX = "text_idx"


EF, EF_LARGE, REFINE = 80, 150, 2  # measured: see the module docstring


@dataclass(frozen=True)
class IndexPolicy:
    """When to index a table and how to query it; ef and refine_factor follow the table's size unless set."""

    index_min_rows: int = 5_000
    large_rows: int = 500_000
    m: int = 20
    ef_construction: int = 150
    ef: int | None = None
    refine_factor: int | None = None
    retrain_growth: float = 2.0

    def wants_vector_index(self, rows: int) -> bool:
        return rows >= self.index_min_rows

    def index_config(self):
        from lancedb.index import HnswSq

        return HnswSq(distance_type="cosine", m=self.m, ef_construction=self.ef_construction)

    def search_params(self, rows: int, limit: int) -> tuple[int, int]:
        """(ef, refine_factor) for a table of `rows`; ef is per 10 results, so it grows with the limit."""
        ef = self.ef or (EF_LARGE if rows >= self.large_rows else EF)
        refine = REFINE if self.refine_factor is None else self.refine_factor
        return max(ef, -(-ef * limit // 10)), refine

    def tune(self, query, limit: int, indexed: bool, rows: int):
        """Apply the measured query parameters to a LanceDB vector query (sync builder or async query)."""
        query = query.distance_type("cosine")
        if indexed:
            ef, refine = self.search_params(rows, limit)
            query = query.ef(ef)
            if refine:
                query = query.refine_factor(refine)
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
