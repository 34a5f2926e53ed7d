"""MemoryResource: upserts without orphans, staleness, hybrid search, time travel, maintenance and bad input."""

import datetime as dt

import numpy as np
import pytest

from resources.memory import Document, MemoryInputError, MemoryResource, MissingTable

UTC = dt.timezone.utc


@pytest.fixture
def memory(tmp_path):
    return MemoryResource(uri=str(tmp_path / "lancedb"), chunk_words=8, chunk_overlap=2)


@pytest.fixture
def ai(offline_llm):
    return offline_llm.session()


def rows(memory, collection="documents", where=None):
    query = memory.table(collection).search()
    if where:
        query = query.where(where)
    return query.select(["source", "chunk", "text", "version"]).limit(None).to_arrow().to_pylist()


def words(n, prefix="word"):
    return " ".join(f"{prefix}{i}" for i in range(n))


def test_reingesting_a_changed_document_replaces_its_chunks_and_leaves_no_orphans(memory, ai):
    memory.ingest(ai, [Document("guide", words(30)), Document("other", "cold brew steeps for twelve hours")])
    assert sorted(r["chunk"] for r in rows(memory, where="source = 'guide'")) == [0, 1, 2, 3, 4]

    report = memory.ingest(ai, [Document("guide", "a much shorter guide about espresso grind size")])

    guide = rows(memory, where="source = 'guide'")
    assert [(r["chunk"], r["text"]) for r in guide] == [(0, "a much shorter guide about espresso grind size")]
    assert report["chunks_deleted"] == 4
    assert rows(memory, where="source = 'other'")[0]["text"] == "cold brew steeps for twelve hours"


def test_unchanged_reingest_writes_nothing(memory, ai):
    docs = [Document("guide", "steep coarse coffee for twelve hours", tags=["brew"])]
    memory.ingest(ai, docs)
    version = memory.table("documents").version
    assert memory.ingest(ai, docs)["unchanged"] == 1
    assert memory.table("documents").version == version


def test_expired_entries_are_left_out_unless_asked_for(memory, ai):
    now = dt.datetime.now(UTC)
    memory.ingest(ai, [
        Document("old-price", "the grinder costs 80 euros", valid_from=now - dt.timedelta(days=9),
                 valid_until=now - dt.timedelta(days=1)),
        Document("new-price", "the grinder costs 95 euros", valid_from=now - dt.timedelta(days=1)),
    ])
    live = memory.search(ai, "grinder costs euros", mode="vector", k=5)
    everything = memory.search(ai, "grinder costs euros", mode="vector", k=5, include_stale=True)
    assert [h.source for h in live] == ["new-price"]
    assert {h.source for h in everything} == {"old-price", "new-price"}
    past = memory.search(ai, "grinder costs euros", mode="vector", k=5, as_of=now - dt.timedelta(days=3))
    assert [h.source for h in past] == ["old-price"]


def test_entries_that_start_later_are_left_out_until_they_start(memory, ai):
    now = dt.datetime.now(UTC)
    memory.ingest(ai, [Document("price", "the grinder costs 95 euros"),
                       Document("next-price", "the grinder costs 99 euros", valid_from=now + dt.timedelta(days=1))])
    assert [h.source for h in memory.search(ai, "grinder costs", mode="vector", k=5)] == ["price"]
    later = memory.search(ai, "grinder costs", mode="vector", k=5, as_of=now + dt.timedelta(days=2))
    assert {h.source for h in later} == {"price", "next-price"}


def test_ttl_expires_entries(tmp_path, ai):
    memory = MemoryResource(uri=str(tmp_path / "ttl"), ttl_days=1)
    started = dt.datetime.now(UTC) - dt.timedelta(days=2)
    memory.ingest(ai, [Document("stale", "kettle temperature 94 degrees", valid_from=started),
                       Document("fresh", "kettle temperature 96 degrees")])
    assert [h.source for h in memory.search(ai, "kettle temperature", mode="fts", k=5)] == ["fresh"]


def test_hybrid_finds_an_exact_keyword_that_vector_search_misses(memory):
    # Embeddings blur rare identifiers: the part number's chunk is far from the query vector, its neighbours
    # are generic grinder notes. Full text matches the identifier exactly and RRF brings it into the top k.
    rng = np.random.default_rng(3)
    query_vec = rng.standard_normal(32).astype(np.float32)
    near = query_vec + 0.3 * rng.standard_normal((6, 32)).astype(np.float32)
    far = -query_vec + 0.3 * rng.standard_normal(32).astype(np.float32)
    docs = [Document(f"note-{i}", f"burr grinder cleaning routine number {i}") for i in range(6)]
    memory.ingest_vectors(docs + [Document("part", "replacement burr XR7731 ships in five days")],
                          np.vstack([near, far]))

    by_vector = [h.source for h in memory.search(None, "XR7731", vector=query_vec, mode="vector", k=3)]
    hybrid = [h.source for h in memory.search(None, "XR7731", vector=query_vec, mode="hybrid", k=3)]

    assert "part" not in by_vector and len(by_vector) == 3
    assert "part" in hybrid
    assert [h.source for h in memory.search(None, "XR7731", mode="fts", k=3)] == ["part"]


def test_metadata_filters(memory, ai):
    memory.ingest(ai, [Document("a", "pour over ratio", tags=["brew"]), Document("b", "pour over kettle", tags=["tools"])])
    assert [h.source for h in memory.search(ai, "pour over", tags=["tools"], mode="vector")] == ["b"]
    assert [h.source for h in memory.search(ai, "pour over", sources=["a"], mode="fts")] == ["a"]


def test_time_travel_returns_a_past_state(memory, ai):
    memory.ingest(ai, [Document("guide", "version one of the guide")])
    first = memory.table("documents").version
    memory.ingest(ai, [Document("guide", "version two of the guide")])

    past = memory.snapshot("documents", first).to_pylist()
    assert [r["text"] for r in past] == ["version one of the guide"]
    assert [r["text"] for r in rows(memory)] == ["version two of the guide"]
    with pytest.raises(MemoryInputError, match="no version 999"):
        memory.snapshot("documents", 999)


@pytest.mark.filterwarnings("ignore:optimize.cleanup_older_than=0")
def test_compaction_keeps_every_live_row_and_drops_old_versions(memory, ai):
    for i in range(6):  # many small writes: many fragments and versions
        memory.ingest(ai, [Document(f"doc-{i}", f"fact number {i} about coffee")])
    memory.ingest(ai, [Document("doc-0", "fact zero, revised")])
    memory.forget("doc-5")
    before = sorted((r["source"], r["text"]) for r in rows(memory))

    report = memory.maintain(["documents"], retention=dt.timedelta(0), delete_unverified=True)["documents"]

    assert sorted((r["source"], r["text"]) for r in rows(memory)) == before
    assert report["rows"] == 5 and report["versions_after"] < report["versions_before"]
    assert report["fragments_after"] < report["fragments_before"]
    assert [h.source for h in memory.search(ai, "fact zero revised", mode="fts", k=1)] == ["doc-0"]


def test_episodes_by_key_and_by_similarity(memory, ai):
    memory.record_decision(ai, workflow="content_ops", item_key="cold-brew", text="cold brew basics for busy mornings",
                           output="draft one", run_id="r1", model="gpt-4o", prompt_version="draft@2", input_hash="h1")
    memory.record_checks(workflow="content_ops", item_key="cold-brew", check="tone", passed=False,
                         details={"score": 0.2}, run_id="r1")
    memory.record_correction(workflow="content_ops", item_key="cold-brew", before="draft one", after="draft two",
                             reviewer="ana", reason="too many adjectives", approval_id="apr_1")

    history = memory.episodes(workflow="content_ops", item_key="cold-brew")
    assert [e["kind"] for e in history] == ["correction", "check", "decision"]
    assert history[0]["correction"] == "draft two" and history[1]["checks"]["passed"] is False
    similar = memory.similar_episodes(ai, "cold brew for mornings", workflow="content_ops", k=1)
    assert similar[0]["item_key"] == "cold-brew" and similar[0]["kind"] == "decision"
    assert len(memory.similar_episodes(ai, "too many adjectives", kinds=["correction"])) == 1


def test_precomputed_vectors_and_wrong_dimension(memory):
    vecs = np.eye(4, dtype=np.float32)
    memory.ingest_vectors([Document(f"v{i}", f"vector {i}") for i in range(4)], vecs, collection="vecs")
    assert memory.search_vector(vecs[2], collection="vecs", k=1)[0].source == "v2"
    with pytest.raises(MemoryInputError, match="dimension 3, the table holds 4"):
        memory.search_vector([1.0, 0.0, 0.0], collection="vecs")
    with pytest.raises(MemoryInputError, match="dimension 5, the table holds 4"):
        memory.ingest_vectors([Document("w", "wrong")], np.ones((1, 5)), collection="vecs")
    with pytest.raises(MemoryInputError, match="2 chunks but 1 vectors"):
        memory.ingest_vectors([Document("a", "x"), Document("b", "y")], np.ones((1, 4)), collection="vecs")


@pytest.mark.parametrize("text, message", [
    ("   ", "text is empty"),
    (b"caf\xe9 au lait", "not valid UTF-8"),
    (None, "must be str or UTF-8 bytes"),
])
def test_bad_document_text_is_a_clear_error(memory, ai, text, message):
    with pytest.raises(MemoryInputError, match=message):
        memory.ingest(ai, [Document("bad", text)])


def test_valid_utf8_bytes_are_accepted(memory, ai):
    memory.ingest(ai, [Document("ok", "café au lait".encode())])
    assert rows(memory)[0]["text"] == "café au lait"


def test_missing_table_and_bad_names_are_clear_errors(memory, ai):
    with pytest.raises(MissingTable, match="'nowhere' does not exist"):
        memory.search(ai, "anything", collection="nowhere")
    with pytest.raises(MemoryInputError, match="collection name"):
        memory.search(ai, "anything", collection="../etc")
    with pytest.raises(MemoryInputError, match="search mode"):
        memory.ingest(ai, [Document("a", "some text")]) and memory.search(ai, "some", mode="semantic")
    assert memory.episodes(workflow="none") == []


def test_index_policy_builds_the_ann_index_past_the_threshold(tmp_path):
    memory = MemoryResource(uri=str(tmp_path / "big"), index_min_rows=300)
    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((400, 16)).astype(np.float32)
    report = memory.ingest_vectors([Document(f"v{i}", f"vector {i}") for i in range(400)], vecs, collection="big")
    assert report["indexes"] == {"text_idx": "created", "vector_idx": "trained", "tags_idx": "created",
                                 "source_idx": "created"}
    assert memory.search_vector(vecs[7], collection="big", k=1)[0].source == "v7"


@pytest.mark.parametrize("stale", [3, 60])  # a few are over-fetched and post-filtered, many are prefiltered
def test_indexed_search_leaves_out_stale_rows_written_after_the_last_search(tmp_path, stale):
    memory = MemoryResource(uri=str(tmp_path / "idx"), index_min_rows=300)
    rng = np.random.default_rng(2)
    vecs = rng.standard_normal((600, 16)).astype(np.float32)
    memory.ingest_vectors([Document(f"v{i}", f"vector {i}") for i in range(600)], vecs, collection="big")
    query = vecs[0] + 0.05 * rng.standard_normal(16).astype(np.float32)
    assert memory.search_vector(query, collection="big", k=5)[0].source == "v0"  # facts cached: all rows live

    now = dt.datetime.now(UTC)
    near = query + 0.01 * rng.standard_normal((stale, 16)).astype(np.float32)  # closer than any live row
    memory.ingest_vectors([Document(f"old{i}", f"expired {i}", valid_from=now - dt.timedelta(days=2),
                                    valid_until=now - dt.timedelta(days=1)) for i in range(stale)],
                          near, collection="big", index=False)

    unit = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    exact = [f"v{i}" for i in np.argsort(-(unit @ (query / np.linalg.norm(query))))[:5]]
    assert [h.source for h in memory.search_vector(query, collection="big", k=5)] == exact
    with_stale = [h.source for h in memory.search_vector(query, collection="big", k=5, include_stale=True)]
    assert all(s.startswith("old") for s in with_stale[:min(stale, 5)])


def test_search_breadth_follows_the_limit_and_the_partitions():
    from resources.memory.index_policy import IndexPolicy

    policy = IndexPolicy()
    at_1m = policy.search_params(1_000_000, 10)
    assert policy.partitions(1_000_000) == 1_000 and at_1m["refine_factor"] >= 1
    assert policy.search_params(1_000_000, 30)["nprobes"] == 3 * at_1m["nprobes"]
    assert policy.search_params(5_000, 100)["nprobes"] == policy.partitions(5_000)  # never more than there are
    assert policy.search_params(1_000_000, 10, filtered=True)["max_nprobes"] > at_1m["nprobes"] == at_1m["max_nprobes"]
    assert IndexPolicy(nprobes=8, refine_factor=0).search_params(1_000_000, 10) == {
        "nprobes": 8, "max_nprobes": 8, "refine_factor": 0}


def test_chunks_overlap_and_cover_every_word():
    from resources.memory.records import chunk_text

    chunks = [c.split() for c in chunk_text(words(30), 8, 2)]
    assert all(a[-2:] == b[:2] for a, b in zip(chunks, chunks[1:]))
    assert sorted({w for c in chunks for w in c}) == sorted(words(30).split())
    with pytest.raises(MemoryInputError, match="overlap"):
        chunk_text("a b c", 4, 4)


def test_hits_with_only_source_and_chunk_match_full_hits_across_versions(tmp_path):
    memory = MemoryResource(uri=str(tmp_path / "keys"), index_min_rows=300)
    vecs = np.random.default_rng(3).standard_normal((400, 16)).astype(np.float32)
    memory.ingest_vectors([Document(f"v{i}", f"vector {i}") for i in range(400)], vecs, collection="big")
    keys = lambda hits: [(h.source, h.chunk, round(h.score, 5)) for h in hits]  # noqa: E731
    search = lambda q, **kw: memory.search_vector(q, collection="big", k=5, **kw)  # noqa: E731
    for q in vecs[:3]:
        assert keys(search(q, fields=("source", "chunk"))) == keys(search(q))
    memory.forget("v1", collection="big")  # new versions: rows deleted and added after the keys were read
    memory.ingest_vectors([Document("moved", "vector 1 again")], vecs[1:2], collection="big", index=False)
    hits = search(vecs[1], fields=("source", "chunk"))
    assert hits[0].source == "moved" and hits[0].text is None and keys(hits) == keys(search(vecs[1]))


def test_filtered_search_on_an_indexed_table_reads_the_tag_index_and_finds_rare_rows(tmp_path):
    memory = MemoryResource(uri=str(tmp_path / "filtered"), index_min_rows=300)
    rng = np.random.default_rng(4)
    vecs = rng.standard_normal((1000, 16)).astype(np.float32)
    tags = [["keep"] if i % 10 == 0 else ["rare"] if i in (3, 507, 911) else [] for i in range(1000)]
    report = memory.ingest_vectors([Document(f"v{i}", f"vector {i}", tags=t) for i, t in enumerate(tags)], vecs,
                                   collection="big")
    assert {"tags_idx", "source_idx", "vector_idx"} <= set(report["indexes"])
    plan = memory.table("big").search(vecs[0]).where("array_has_any(tags, ['keep'])").limit(5).explain_plan()
    assert "ScalarIndexQuery" in plan and "tags_idx" in plan  # the filter reads the index, not the column

    query = vecs[40] + 0.01 * rng.standard_normal(16).astype(np.float32)
    hits = memory.search_vector(query, collection="big", k=5, tags=["keep"])
    kept = np.arange(0, 1000, 10)
    unit = vecs[kept] / np.linalg.norm(vecs[kept], axis=1, keepdims=True)
    exact = [f"v{kept[i]}" for i in np.argsort(-(unit @ (query / np.linalg.norm(query))))[:5]]
    assert hits[0].source == "v40" and all(h.tags == ["keep"] for h in hits)
    assert len({h.source for h in hits} & set(exact)) >= 4
    # three rows in three of 31 partitions: a filtered search probes past nprobes (8 here) while it has fewer than k
    narrow = MemoryResource(uri=str(tmp_path / "filtered"), index_min_rows=300, nprobes=8)
    rare = narrow.search_vector(vecs[500], collection="big", k=5, tags=["rare"])
    assert sorted(h.source for h in rare) == ["v3", "v507", "v911"]


def test_bulk_ingest_appends_new_sources_and_merges_known_ones(tmp_path):
    memory = MemoryResource(uri=str(tmp_path / "bulk"), index_min_rows=10**6)
    vecs = np.random.default_rng(5).standard_normal((1500, 8)).astype(np.float32)
    docs = lambda ids, text="text": [Document(f"d{i}", f"{text} {i}") for i in ids]  # noqa: E731
    memory.ingest_vectors(docs(range(600)), vecs[:600])
    # a bulk load of 300 known sources with new text and 300 new ones: merged, not appended twice
    assert memory.ingest_vectors(docs(range(300, 900), "new text"), vecs[300:900])["chunks_written"] == 600
    memory.ingest_vectors(docs(range(900, 1500)), vecs[900:])  # all new: appended
    stored = rows(memory)
    assert sorted((r["source"], r["chunk"]) for r in stored) == sorted((f"d{i}", 0) for i in range(1500))
    assert {r["text"] for r in stored if r["source"] in ("d299", "d300")} == {"text 299", "new text 300"}


def test_bulk_and_general_ingest_paths_store_the_same_rows(tmp_path):
    memory = MemoryResource(uri=str(tmp_path / "paths"), ttl_days=2)
    vecs = np.eye(3, dtype=np.float32)
    docs = [Document("a", "alpha text", tags=["y", "x", "y"], version="v7"), Document("b", "beta text")]
    memory.ingest_vectors(docs, vecs[:2], collection="bulk")  # every document simple: built column by column
    padded = Document("c", "  gamma text  ", metadata={"k": 1})  # needs the per-document path for the batch
    memory.ingest_vectors(docs + [padded], vecs, collection="general")
    cols = ["source", "chunk", "text", "version", "content_hash", "tags", "metadata", "valid_from", "valid_until"]

    def stored(name):
        data = memory.table(name).search().select(cols).limit(None).to_arrow().to_pylist()
        return {r["source"]: {k: v for k, v in r.items() if not k.startswith("valid_")}
                | {"ttl": r["valid_until"] - r["valid_from"]} for r in data}

    bulk, general = stored("bulk"), stored("general")
    assert bulk == {s: general[s] for s in ("a", "b")}
    assert bulk["a"]["tags"] == ["x", "y"] and bulk["a"]["version"] == "v7"
    assert bulk["b"]["ttl"] == dt.timedelta(days=2) and general["c"]["text"] == "gamma text"


def test_ingest_leaves_the_garbage_collector_as_it_found_it(memory):
    import gc

    memory.ingest_vectors([Document("a", "x")], np.ones((1, 4)), collection="vecs")
    assert gc.isenabled()
    with pytest.raises(MemoryInputError):
        memory.ingest_vectors([Document("b", "y")], np.ones((1, 5)), collection="vecs")
    assert gc.isenabled()


@pytest.mark.parametrize("value, ok", [(1e30, True), (1e-30, True), (float("nan"), False), (float("inf"), False),
                                       (0.0, False)])
def test_vector_checks_are_exact_at_the_edges_of_float32(memory, value, ok):
    vecs = np.full((2, 4), value, dtype=np.float32)
    vecs[0] = 1.0
    if ok:
        memory.ingest_vectors([Document("a", "x"), Document("b", "y")], vecs, collection="edges")
    else:
        with pytest.raises(MemoryInputError, match="finite and non-zero"):
            memory.ingest_vectors([Document("a", "x"), Document("b", "y")], vecs, collection="edges")


def test_memory_benchmark_reports_filtered_search_as_its_last_json_line(capsys):
    import json

    from benchmarks import memory as bench

    assert bench.main(["--vectors", "6000", "--dim", "16", "--queries", "20", "--filter-share", "0.1", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["policy"]["vector_idx"] == "trained" and figures["filtered_rows"] > 400
    for key in ("ingest_per_s", "index_build_s", "p50_ms", "p95_ms", "filtered_p50_ms", "filtered_p95_ms",
                "peak_rss_mb"):
        assert figures[key] > 0
    assert figures["recall_at_10"] >= 0.9 and figures["filtered_recall_at_10"] >= 0.9
    with pytest.raises(SystemExit):
        bench.main(["--filter-share", "1.5"])
