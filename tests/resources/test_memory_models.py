"""Memory built by one embedding model meets another: tables record their model, a search never compares
vectors of two models, and a change of model re-embeds (with a cost line) or searches by full text while one
line names the job that re-embeds, never a failed step."""

import logging

import pytest

from pipelines.content_ops import memory as content_memory
from resources.llm import LLMResource
from resources.memory import Document, MemoryResource
from resources.memory.models import table_embedding

DAY = "2026-03-02"
DOCS = [Document("guide", "Cold brew steeps twelve hours in cold water, then is filtered twice."),
        Document("grind", "A coarse grind keeps cold brew clear and sweet."),
        Document("kettle", "A gooseneck kettle pours slowly for pour-over coffee.")]


def embedder(offline_server, model: str, dims: int) -> LLMResource:
    return LLMResource(base_url=offline_server.url, api_key="sk-test-secret-key", embedding_model=model,
                       embedding_dimensions=dims, backoff_base_s=0.01, backoff_max_s=0.05)


@pytest.fixture
def small(offline_llm, offline_server):
    return embedder(offline_server, "text-embedding-3-small", 64)


@pytest.fixture
def large(offline_llm, offline_server):
    return embedder(offline_server, "text-embedding-3-large", 384)


def test_a_new_model_re_embeds_what_the_old_one_built(small, large, caplog):
    memory, old = MemoryResource(), small.session()
    memory.ingest(old, DOCS, collection="brand_voice")
    memory.record_decision(old, workflow="content_ops", item_key="cold-brew", text="A brief on cold brew",
                           output="draft")
    assert str(table_embedding(memory.table("brand_voice"))) == "text-embedding-3-small@64 (64 dims)"

    caplog.set_level(logging.INFO)
    memory, new = MemoryResource(), large.session()  # the same home, the provider now embeds in 384 dims
    hits = memory.search(new, "cold brew grind", collection="brand_voice", k=2, mode="vector")
    assert [h.source for h in hits][:1] in (["grind"], ["guide"]) and len(hits) == 2
    assert str(table_embedding(memory.table("brand_voice"))) == "text-embedding-3-large@384 (384 dims)"
    [line] = [r.getMessage() for r in caplog.records if "re-embedded memory table brand_voice" in r.getMessage()]
    assert "3 of 3 rows" in line and "tokens, $" in line
    assert [e["item_key"] for e in memory.similar_episodes(new, "cold brew brief", workflow="content_ops")] == [
        "cold-brew"]
    assert memory.ingest(new, [Document("filter", "Paper filters catch the fines.")],
                         collection="brand_voice")["chunks_written"] == 1
    assert memory.table("brand_voice").count_rows() == 4

    back = MemoryResource().search(old, "gooseneck kettle", collection="brand_voice", k=1, mode="hybrid")
    assert back[0].source == "kettle"  # and back again: 64 dims, nothing failed


def test_a_table_too_big_to_re_embed_is_searched_by_full_text_until_the_job_runs(small, large, caplog):
    from pipelines.memory_maintenance.workflow import memory_maintenance_job
    from resources.state.parquet_io_manager import ParquetIOManager

    MemoryResource().ingest(small.session(), DOCS, collection="brand_voice")
    caplog.set_level(logging.INFO)
    memory = MemoryResource(reembed_max_rows=2)
    hits = memory.search(large.session(), "gooseneck kettle", collection="brand_voice", k=1)
    assert hits[0].source == "kettle"
    [line] = [r.getMessage() for r in caplog.records if "searched by full text" in r.getMessage()]
    assert "memory_maintenance_job" in line and "text-embedding-3-small@64" in line and "\n" not in line
    assert table_embedding(memory.table("brand_voice")).dim == 64  # untouched by the search

    result = memory_maintenance_job.execute_in_process(
        resources={"memory": MemoryResource(), "llm": large, "io_manager": ParquetIOManager()})
    assert result.success
    assert table_embedding(MemoryResource().table("brand_voice")).dim == 384


def test_a_table_from_before_models_were_recorded_is_adopted_or_re_embedded(small, large):
    memory, ai = MemoryResource(), small.session()
    texts = [d.text for d in DOCS]
    memory.ingest_vectors(DOCS, ai.embed(texts), collection="notes")  # precomputed: no model recorded
    assert table_embedding(memory.table("notes")).model is None
    assert memory.search(ai, "cold brew", collection="notes", k=1)
    assert table_embedding(memory.table("notes")).model == "text-embedding-3-small@64"  # adopted, same space
    assert MemoryResource().search(large.session(), "kettle", collection="notes", k=1)[0].source == "kettle"


def test_the_drafts_memory_steps_survive_a_change_of_provider(small, large):
    """The failure of the issue: brand_voice built at 64 dims, drafting with a 384-dim provider."""
    content_memory.remember_brand(small.session(), MemoryResource(), DAY)
    memory, ai = MemoryResource(), large.session()
    assert content_memory.remember_brand(ai, memory, DAY)["brand_chunks_written"] == 0  # unchanged, not re-ingested
    examples = content_memory.voice_examples(ai, memory, "cold brew for beginners", DAY)
    assert examples.startswith("> ")
