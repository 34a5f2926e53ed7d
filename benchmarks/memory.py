"""Memory search speed and recall: `python -m benchmarks.memory --vectors 100000 --dim 384 --json`.

Builds a seeded, clustered synthetic corpus (unit vectors around N/1000 random centres), ingests it through
`MemoryResource.ingest_vectors` (timed: the calls alone, documents built beforehand as a caller has them), builds
the indexes the policy picks, and times `MemoryResource.search_vector` one query at a time. Recall@10 is against
an exact NumPy scan of the same vectors. `--filter-share 0.1` tags that share of the rows and also times searches
filtered to the tag (`tags=[...]`, the metadata filter), with recall against an exact scan of the tagged rows.
Peak RSS is the process's (the corpus itself is N x dim x 4 bytes of it). The last line is JSON.
"""

import argparse
import json
import resource
import shutil
import tempfile
import time

import numpy as np

BATCH = 100_000
TAG = "filtered"


def clustered(n: int, dim: int, seed: int, centres: np.ndarray, spread: float = 1.05) -> np.ndarray:
    """n unit vectors, each a random centre plus Gaussian noise (clusters overlap, as real embeddings do)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, BATCH):
        m = min(BATCH, n - start)
        x = centres[rng.integers(0, len(centres), m)] + spread * rng.standard_normal((m, dim), np.float32) / np.sqrt(dim)
        out[start:start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def exact_top_k(corpus: np.ndarray, queries: np.ndarray, k: int) -> list[set]:
    truth = []
    for start in range(0, len(queries), 64):
        scores = queries[start:start + 64] @ corpus.T
        truth.extend(set(np.argpartition(-row, k)[:k].tolist()) for row in scores)
    return truth


def timed(fn, items) -> tuple[list, list[float]]:
    out, lat = [], []
    for item in items:
        started = time.perf_counter()
        out.append(fn(item))
        lat.append((time.perf_counter() - started) * 1000)
    return out, lat


def recall_at(found: list[list[int]], truth: list[set], k: int) -> float:
    return round(float(np.mean([len(set(f) & t) / k for f, t in zip(found, truth)])), 4)


def ms(lat: list[float], q: int) -> float:
    return round(float(np.percentile(lat, q)), 3)


def run(n: int, dim: int, queries: int, k: int, seed: int, uri: str | None, filter_share: float = 0.0) -> dict:
    from resources.memory import Document, MemoryResource

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(8, n // 1000), dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    corpus = clustered(n, dim, seed + 1, centres)
    qs = clustered(queries, dim, seed + 2, centres)
    tagged = np.random.default_rng(seed + 3).random(n) < filter_share  # rows the filtered search keeps
    tmp = None if uri else tempfile.mkdtemp(prefix="aiwf-bench-memory-")
    memory = MemoryResource(uri=uri or tmp)
    try:
        memory.db()  # importing lancedb and connecting is not ingest
        ingest_s = 0.0
        for s in range(0, n, BATCH):
            docs = [Document(f"bench/{i}", f"synthetic vector {i}", tags=[TAG] if tagged[i] else [])
                    for i in range(s, min(n, s + BATCH))]
            started = time.perf_counter()
            memory.ingest_vectors(docs, corpus[s:s + len(docs)], collection="bench", index=False)
            ingest_s += time.perf_counter() - started
        started = time.perf_counter()
        built = memory.build_indexes("bench")
        index_build_s = time.perf_counter() - started

        def search(q, **filters):  # ids only, as a retriever feeding a reranker asks
            hits = memory.search_vector(q, collection="bench", k=k, fields=("source", "chunk"), **filters)
            return [int(h.source.split("/")[1]) for h in hits]

        timed(lambda q: memory.search_vector(q, collection="bench", k=k), qs[:10])
        _, full_lat = timed(lambda q: memory.search_vector(q, collection="bench", k=k), qs)
        timed(search, qs[:10])  # warm caches (index pages, table handle) before timing
        found, lat = timed(search, qs)
        figures = {
            "vectors": n, "dim": dim, "queries": queries, "k": k, "policy": built or "exact (below index_min_rows)",
            "search_params": memory.policy.search_params(n, k),  # what the size-aware policy chose
            "ingest_per_s": round(n / ingest_s, 1), "index_build_s": round(index_build_s, 2),
            "p50_ms": ms(lat, 50), "p95_ms": ms(lat, 95),
            "recall_at_10": recall_at(found, exact_top_k(corpus, qs, k), k),
            "full_hit_p50_ms": ms(full_lat, 50),
        }
        if filter_share > 0:
            keep = np.flatnonzero(tagged)
            if len(keep) < k:
                raise SystemExit(f"--filter-share {filter_share} tags {len(keep)} of {n} rows, fewer than k={k}")
            timed(lambda q: search(q, tags=[TAG]), qs[:10])
            found, lat = timed(lambda q: search(q, tags=[TAG]), qs)
            truth = [set(keep[list(t)].tolist()) for t in exact_top_k(corpus[keep], qs, k)]
            figures.update({"filter_share": filter_share, "filtered_rows": int(len(keep)),
                            "filtered_search_params": memory.policy.search_params(n, k, filtered=True),
                            "filtered_p50_ms": ms(lat, 50), "filtered_p95_ms": ms(lat, 95),
                            "filtered_recall_at_10": recall_at(found, truth, k)})
        _, exact_lat = timed(lambda q: np.argpartition(-(corpus @ q), k)[:k], qs)
        table = memory.table("bench")
        flat = lambda q: table.search(q).distance_type("cosine").bypass_vector_index().select(["source", "_distance"]).limit(k)\
            .to_arrow()
        _, flat_lat = timed(flat, qs[: min(queries, 20)])
        return {**figures, "exact_p50_ms": ms(exact_lat, 50), "lancedb_flat_p50_ms": ms(flat_lat, 50),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--uri", default=None, help="LanceDB URI to build in (default: a temporary folder)")
    parser.add_argument("--filter-share", type=float, default=0.0,
                        help="tag this share of rows and also time searches filtered to it (e.g. 0.1)")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    if not 0 <= args.filter_share < 1:
        parser.error(f"--filter-share must be in [0, 1), got {args.filter_share}")
    figures = run(args.vectors, args.dim, args.queries, args.k, args.seed, args.uri, args.filter_share)
    if not args.json:
        for key, value in figures.items():
            print(f"{key:>22}: {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
