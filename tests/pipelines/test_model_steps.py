"""The shipped workflows' model steps on the row engine: one bad row is quarantined with its reason while the
others are answered, and drafts keep several requests in flight against a slow server."""

import asyncio
import shutil

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store

from benchmarks.kill_resume import InFlight, write_briefs
from pipelines.catalog import workflow as catalog
from pipelines.cli.demo import SAMPLES
from pipelines.content_ops import workflow as content_ops
from pipelines.partitions import daily
from resources.approvals.resource import ApprovalsResource
from resources.llm import LLMResource
from resources.memory import MemoryResource
from resources.offline.llm_server import OfflineLLMServer
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.quarantine import Quarantine
from resources.state.resource import StateResource

DAY = "2026-03-02"
POISON = "ZX-POISON-ROW"  # a request whose last message holds this gets a final 400 from the offline server


def bind(llm) -> dict:
    return {"llm": llm, "io_manager": ParquetIOManager(), "approvals": ApprovalsResource(), "memory": MemoryResource(),
            "state": StateResource()}


def quarantined(asset: str) -> dict[str, str]:
    return {r["row_key"]: r["error_class"] for r in Quarantine(local_store()).rows(asset)}


@dg.asset(name="topic_briefs", partitions_def=daily, group_name="content_ops")
def three_briefs() -> pd.DataFrame:
    return pd.DataFrame([{"slug": s, "title": f"{s.replace('-', ' ').capitalize()} today", "audience": "home brewers",
                          "sources": f"{s} is steeped for 12 hours. {POISON if s == 'bad' else ''}",
                          "links": ["https://example.org/a"], "content_hash": s, "injection": ""}
                         for s in ("cold-brew", "bad", "water")])


@dg.asset(name="research_notes", partitions_def=daily, group_name="content_ops")
def three_notes() -> pd.DataFrame:
    return pd.DataFrame([{"slug": s, "title": f"{s.capitalize()} brewing today", "audience": "home brewers",
                          "notes": f"{s.capitalize()} coffee steeps for 12 hours. " + (POISON if s == "bad" else ""),
                          "links": ["https://example.org/a"], "injection": ""} for s in ("cold", "bad", "water")])


@dg.asset(name="drafts", partitions_def=daily, group_name="content_ops")
def three_drafts() -> pd.DataFrame:
    return pd.DataFrame([{"slug": s, "title": f"{s.capitalize()} brewing", "body": f"{s} steeps slowly. "
                          + (POISON if s == "bad" else ""), "word_count": 40, "model": "m", "prompt": "draft@2",
                          "offline": True, "brief_injection": ""} for s in ("cold", "bad", "water")])


@pytest.fixture
def poisoned(offline_llm, offline_server):
    offline_server.configure(fail_400_on=POISON)
    return offline_llm


@pytest.mark.parametrize("assets, step, keys", [
    ([three_briefs, content_ops.research_notes], "research_notes", ["cold-brew", "water"]),
    ([three_notes, content_ops.brand_memory, content_ops.drafts], "drafts", ["cold", "water"]),
    ([three_drafts, content_ops.draft_tone], "draft_tone", ["cold", "water"]),
])
def test_a_content_step_quarantines_the_bad_row_and_answers_the_others(poisoned, assets, step, keys):
    result = dg.materialize(assets, resources=bind(poisoned), partition_key=DAY)
    assert result.success
    assert sorted(result.output_for_node(step).slug) == keys
    assert quarantined(step) == {"bad": "context_too_long"}
    meta = result.asset_materializations_for_node(step)[0].metadata
    assert meta["rows_quarantined_model"].value == 1 and meta["rows_ok"].value == 2


def test_product_copy_quarantines_the_bad_row_and_the_unsold_product(poisoned, aiwf_home, monkeypatch):
    folder = aiwf_home / "inbox" / "catalog"
    shutil.copytree(SAMPLES / "catalog", folder)
    products = pd.read_csv(folder / "products.csv", dtype=str)
    products.loc[0, "facts"] += f" {POISON}"
    products.to_csv(folder / "products.csv", index=False)
    result = dg.materialize([catalog.product_feed, catalog.authoritative_feed, catalog.product_descriptions],
                            resources=bind(poisoned), partition_key=DAY)
    assert result.success
    table = result.output_for_node("product_descriptions")
    assert list(table.columns) == ["sku", "title", "description", "meta_description", "model", "prompt", "offline"]
    assert quarantined("product_descriptions") == {products.sku[0]: "context_too_long",
                                                   "MUG-STONE-350": "not_in_authoritative_feed"}
    assert len(table) == len(products) - 2 and set(table.prompt) == {"seo_product_description@1"}


@pytest.fixture
def slow_server():
    server = OfflineLLMServer(latency_ms=300)
    counter = server.app = InFlight(server.app)
    with server:
        yield server, counter


def test_drafts_of_a_40_brief_day_keep_several_requests_in_flight(slow_server, tmp_path, monkeypatch):
    server, counter = slow_server
    folder = tmp_path / "briefs"
    write_briefs(folder, 40)
    monkeypatch.setenv("AIWF_BRIEFS_DIR", str(folder))
    resources = bind(LLMResource(base_url=server.url, api_key="sk-test"))
    upstream = [content_ops.topic_briefs, content_ops.research_notes, content_ops.brand_memory]
    assert dg.materialize(upstream, resources=resources, partition_key=DAY).success

    counter.most = 0
    result = dg.materialize([*upstream, content_ops.drafts], selection=[content_ops.drafts], resources=resources,
                            partition_key=DAY)  # the drafts step alone: its upstream tables come from Parquet
    assert result.success and len(result.output_for_node("drafts")) == 40
    print(f"drafts: at most {counter.most} requests in flight")
    assert counter.most >= 4, f"at most {counter.most} draft request(s) in flight"


def test_inflight_counter_counts_overlapping_requests():
    """The counter itself: two overlapping calls are seen as two."""
    async def app(scope, receive, send):
        await asyncio.sleep(0.05)

    counter = InFlight(app)

    async def both():
        scope = {"type": "http", "path": "/v1/chat/completions"}
        await asyncio.gather(counter(scope, None, None), counter(scope, None, None))

    asyncio.run(both())
    assert counter.most == 2 and counter.now == 0


def test_drafts_go_through_the_batch_api_when_a_run_asks(offline_llm, offline_server):
    """Run config `mode: batch` sends a converted step's rows through the provider's Batch API; its `output` and
    `after` hooks shape and remember the answers as in sync mode."""
    offline_server.configure(batch_delay_s=0, batch_fail_rate=0, batch_expire_share=0, reset_counters=True)
    result = dg.materialize([three_notes, content_ops.brand_memory, content_ops.drafts], resources=bind(offline_llm),
                            partition_key=DAY, run_config={"ops": {"drafts": {"config": {"mode": "batch"}}}})
    assert result.success and offline_server.counters()["batches_created"] == 1
    drafts = result.output_for_node("drafts")
    assert sorted(drafts.slug) == ["bad", "cold", "water"] and drafts.body.str.contains("Sources:").all()
    remembered = MemoryResource().episodes(workflow="content_ops", kinds=["decision"])
    assert sorted(e["item_key"] for e in remembered) == ["bad", "cold", "water"]
