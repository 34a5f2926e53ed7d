"""Memory search speed and recall: `python -m benchmarks.memory --vectors 100000 --dim 384 --json`.

Builds a seeded, clustered synthetic corpus (unit vectors around N/1000 random centres), ingests it through
`MemoryResource.ingest_vectors`, builds the indexes the policy picks, and times `MemoryResource.search_vector`
one query at a time. Recall@10 is against an exact NumPy scan of the same vectors. The last line is JSON.
"""

import argparse
import json
import resource
import shutil
import tempfile
import time

import numpy as np

BATCH = 100_000


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


def run(n: int, dim: int, queries: int, k: int, seed: int, uri: str | None) -> dict:
    from resources.memory import Document, MemoryResource

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(8, n // 1000), dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    corpus = clustered(n, dim, seed + 1, centres)
    qs = clustered(queries, dim, seed + 2, centres)
    tmp = None if uri else tempfile.mkdtemp(prefix="aiwf-bench-memory-")
    memory = MemoryResource(uri=uri or tmp)
    try:
        started = time.perf_counter()
        for s in range(0, n, BATCH):
            docs = [Document(f"bench/{i}", f"synthetic vector {i}") for i in range(s, min(n, s + BATCH))]
            memory.ingest_vectors(docs, corpus[s:s + len(docs)], collection="bench", index=False)
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        built = memory.build_indexes("bench")
        index_build_s = time.perf_counter() - started

        search = lambda q: [int(h.source.split("/")[1])  # ids only, as a retriever feeding a reranker asks
                            for h in memory.search_vector(q, collection="bench", k=k, fields=("source", "chunk"))]
        timed(lambda q: memory.search_vector(q, collection="bench", k=k), qs[:10])
        _, full_lat = timed(lambda q: memory.search_vector(q, collection="bench", k=k), qs)
        timed(search, qs[:10])  # warm caches (index pages, table handle) before timing
        found, lat = timed(search, qs)
        truth = exact_top_k(corpus, qs, k)
        recall = float(np.mean([len(set(f) & t) / k for f, t in zip(found, truth)]))

        _, exact_lat = timed(lambda q: np.argpartition(-(corpus @ q), k)[:k], qs)
        table = memory.table("bench")
        ef, refine = memory.policy.search_params(n, k)  # what the size-aware policy chose for this table
        flat = lambda q: table.search(q).distance_type("cosine").bypass_vector_index().select(["source", "_distance"]).limit(k)\
            .to_arrow()
        _, flat_lat = timed(flat, qs[: min(queries, 20)])
        return {
            "vectors": n, "dim": dim, "queries": queries, "k": k, "policy": built or "exact (below index_min_rows)",
            "ingest_per_s": round(n / ingest_s, 1), "index_build_s": round(index_build_s, 2),
            "p50_ms": round(float(np.percentile(lat, 50)), 3), "p95_ms": round(float(np.percentile(lat, 95)), 3),
            "recall_at_10": round(recall, 4), "exact_p50_ms": round(float(np.percentile(exact_lat, 50)), 3),
            "lancedb_flat_p50_ms": round(float(np.percentile(flat_lat, 50)), 3),
            "full_hit_p50_ms": round(float(np.percentile(full_lat, 50)), 3), "hnsw_ef": ef, "refine_factor": refine,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
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
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    figures = run(args.vectors, args.dim, args.queries, args.k, args.seed, args.uri)
    if not args.json:
        for key, value in figures.items():
            print(f"{key:>22}: {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
