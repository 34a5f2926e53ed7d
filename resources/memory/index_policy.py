"""How a memory table is searched, chosen from measurement on this 2-core machine (benchmarks/memory.py).

Measured (seeded clustered corpus, 384 dims, cosine, k=10, 100 queries, p50 of one query at a time):

  LanceDB flat scan     1k rows 4.5 ms, 5k 10 ms, 10k 18 ms, 30k 139 ms, 100k 160-480 ms  (recall 1.0)
  NumPy exact scan      100k rows 5.6-14 ms (memory-bandwidth bound, 150 MB per query; no filters)
  IVF_PQ (defaults)     100k: recall 0.12, with refine_factor 10: 0.49 at 8 ms          -> rejected
  IVF_SQ                100k: recall 0.965 at 6.2 ms; refine 5: 1.0 at 8.6 ms; build 12 s -> too slow
                      (default partitions of 8,192 rows: 20 probes read the whole table; see below)
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

The earlier HNSW policy through MemoryResource (`python -m benchmarks.memory --json`, 200 queries, hits with source
and chunk from a per-version row-id map, see query_path; hits with every field cost 2-4 ms more):
  100k x 384 (ef 80, refine 2, nine runs): recall@10 0.99, p50 3.3-5.7 ms, build 21-28 s, ingest 21-30k rows/s
  1M x 384 (ef 150, refine 2): recall@10 0.9925, p50 8.1 ms, p95 11.2 ms, NumPy exact 97 ms, flat 1.56 s,
              index build 372 s, ingest 15k rows/s, peak RSS 5.6 GB
An in-memory NumPy path was measured and left out: slower than an index from 30k rows on, no metadata filters
without a second store, and LanceDB would no longer be the one store.

Why IVF_SQ replaced it: at 1M rows that single HNSW graph (IVF_HNSW_SQ keeps one partition up to
~1M rows) needed ef 150 for recall, 8.1 ms p50, and 372 s to build; and a graph walk under a selective filter
must still cross the rows the filter drops (not measured here). IVF_SQ with ~sqrt(rows) partitions
(1,000 rows each at 1M) probes a fixed number of small partitions whatever the table size, applies a prefilter
exactly within them, and its 8-bit codes are re-scored with the full vectors (refine_factor 2):

  1M x 384, 1000 partitions, LanceDB query alone (load 8 on 2 cores)   nprobes  refine  recall@10  p50     p95
                                                                          10      -      0.9685   2.6 ms  2.8
                                                                          10      2      1.000    3.7     6.9
                                                                          20      2      1.000    3.2     4.9
     + prefilter tags (LABEL_LIST index) keeping 10% of rows              10      2      1.000    4.1     4.4
                                                                          20      2      1.000    4.2     4.6
  index build 108 s (kmeans on 256 x 1000 samples; HNSW was 372 s); LABEL_LIST on tags 0.3 s
  100k x 384, 100 partitions: nprobes 5/10/20 + refine 2: recall 1.0 at 3.0/3.3/3.6 ms; 10% filter 3.1-3.7 ms.
Through MemoryResource (`python -m benchmarks.memory --vectors 1000000 --dim 384 --json`, this policy, load 1.5-5):
  1M x 384: recall@10 0.9995, p50 3.60 ms, p95 4.75 ms, index build 49.5 s, ingest 110k rows/s, peak RSS 4.7 GB
  with `--filter-share 0.1` (two runs): recall 1.0, p50 3.81 / 3.88 ms; filtered (tags, 10% of rows) recall 1.0,
  p50 4.90 / 4.66 ms, p95 7.40 / 8.54 ms; build 67.7 / 58.4 s, ingest 91k / 105k rows/s, peak RSS 4.6 GB

So:
* tables under `index_min_rows` (5,000) are scanned exactly: under ~10 ms, recall 1, no index to keep up;
* larger tables get IVF_SQ (cosine, sqrt(rows) partitions), searched with nprobes 20 per 10 results and
  refine_factor 2; a filtered search may probe up to 4x further while it has fewer than k rows (maximum_nprobes:
  80 cost what 20 did at 1M, as LanceDB stops once it has k; 0, no limit, cost 64-82 ms);
* scalar indexes on the filter columns: LABEL_LIST on `tags` (array_has_any), BTREE on `source` (IN lists,
  upserts' key lookups, deletes), so a filter reads an index instead of scanning the column;
* the index is retrained by maintenance when the table has doubled since it was built (more partitions), and
  incrementally updated (`optimize`) otherwise; rows added since are searched exactly by LanceDB until then.
"""

from dataclasses import dataclass
from datetime import timedelta
from math import isqrt

VECTOR_INDEX = "vector_idx"
TEXT_INDEX = "text_idx"
SCALAR_INDEXES = {"tags_idx": ("tags", "LabelList"), "source_idx": ("source", "BTree")}  # name: (column, config)

NPROBES, REFINE = 20, 2  # measured: see the module docstring
FILTERED_PROBES = 4  # a filtered search probes up to 4 x nprobes partitions while it has fewer than k rows


@dataclass(frozen=True)
class IndexPolicy:
    """When to index a table and how to query it; nprobes follows the limit and refine_factor is 2 unless set."""

    index_min_rows: int = 5_000
    nprobes: int | None = None
    refine_factor: int | None = None
    retrain_growth: float = 2.0

    def wants_vector_index(self, rows: int) -> bool:
        return rows >= self.index_min_rows

    def partitions(self, rows: int) -> int:
        return max(1, isqrt(rows))

    def index_config(self, rows: int):
        from lancedb.index import IvfSq

        return IvfSq(distance_type="cosine", num_partitions=self.partitions(rows))

    def search_params(self, rows: int, limit: int, filtered: bool = False) -> dict:
        """nprobes (per 10 results, so it grows with the limit), the most partitions a filtered search may probe
        to find `limit` rows, and refine_factor, for a table of `rows`."""
        per_10, partitions = self.nprobes or NPROBES, self.partitions(rows)
        nprobes = min(max(per_10, -(-per_10 * limit // 10)), partitions)
        return {"nprobes": nprobes, "max_nprobes": min(nprobes * (FILTERED_PROBES if filtered else 1), partitions),
                "refine_factor": REFINE if self.refine_factor is None else self.refine_factor}

    def tune(self, query, limit: int, indexed: bool, rows: int, filtered: bool = False):
        """Apply the measured query parameters to a LanceDB vector query (sync builder or async query); a filtered
        query may probe past nprobes until it has `limit` rows (a narrow filter leaves few in each partition)."""
        query = query.distance_type("cosine")
        if indexed:
            params = self.search_params(rows, limit, filtered)
            query = query.minimum_nprobes(params["nprobes"]).maximum_nprobes(params["max_nprobes"])
            if params["refine_factor"]:
                query = query.refine_factor(params["refine_factor"])
        return query


def index_names(table) -> dict[str, object]:
    return {ix.name: ix for ix in table.list_indices()}


def ensure_indexes(table, policy: IndexPolicy, *, retrain: bool = True, wait: bool = True) -> dict:
    """Create the vector, full-text and filter-column indexes a table of this size should have; retrain a grown
    vector index."""
    from lancedb import index

    done, rows, have = {}, table.count_rows(), index_names(table)
    if TEXT_INDEX not in have and rows:
        table.create_index("text", config=index.FTS(), name=TEXT_INDEX)
        done[TEXT_INDEX] = "created"
    if policy.wants_vector_index(rows):
        for name, (column, kind) in SCALAR_INDEXES.items():
            if name not in have and column in table.schema.names:  # episodic tables have neither column
                table.create_index(column, config=getattr(index, kind)(), name=name)
                done[name] = "created"
        stats = table.index_stats(VECTOR_INDEX) if VECTOR_INDEX in have else None
        indexed = (stats.num_indexed_rows if stats else 0) or 0
        if stats is None or (retrain and rows >= policy.retrain_growth * max(indexed, 1)):
            table.create_index("vector", config=policy.index_config(rows), name=VECTOR_INDEX, replace=True)
            done[VECTOR_INDEX] = "trained" if stats is None else f"retrained ({indexed} -> {rows} rows)"
    if wait and done:
        table.wait_for_index(list(done), timeout=timedelta(minutes=30))
    return done
