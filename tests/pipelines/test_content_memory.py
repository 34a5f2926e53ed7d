"""Memory at work in content ops: past pieces seen only by later days, reviewers' corrections brought back."""

import dagster as dg
import pandas as pd
import pytest

from pipelines.content_ops import memory as cm
from pipelines.content_ops import workflow as content_ops
from pipelines.partitions import daily
from resources.approvals.resource import ApprovalsResource
from resources.memory import MemoryResource
from resources.state.home import home_path
from resources.state.parquet_io_manager import ParquetIOManager


@pytest.fixture
def ai(offline_llm):
    return offline_llm.session()


def test_brand_memory_is_ingested_once(ai):
    memory = MemoryResource()
    first = cm.remember_brand(ai, memory, "2026-03-02")
    again = cm.remember_brand(ai, memory, "2026-03-02")
    assert first["brand_chunks_written"] >= 5 and again["brand_chunks_written"] == 0
    examples = cm.voice_examples(ai, memory, "a thermometer for the kettle", "2026-03-02")
    assert "thermometer" in examples.splitlines()[0]


def test_a_day_sees_only_pieces_published_before_it(ai):
    folder = home_path("publish_queue", "2026-03-01")
    (folder / "iced-tea.md").write_text("# Iced tea\n\nSteep iced tea leaves for eight minutes.\n\nSources:\n- x\n")
    memory = MemoryResource()
    cm.remember_brand(ai, memory, "2026-03-02")

    assert "Steep iced tea" in cm.voice_examples(ai, memory, "iced tea leaves", "2026-03-02")
    assert "Steep iced tea" not in cm.voice_examples(ai, memory, "iced tea leaves", "2026-03-01")


def test_a_reviewers_correction_comes_back_for_the_same_and_similar_briefs(ai):
    memory = MemoryResource()
    cm.remember_brand(ai, memory, "2026-03-02")
    store = ApprovalsResource(memory=memory).store()  # reviewers' edits go to the bound memory
    approval = store.propose("content_ops", "cold-brew-basics", "Cold brew is the best ever!!")
    store.edit_and_approve(approval.id, "ana", "Cold brew steeps for 12 hours.", reason="no superlatives")

    assert store.corrections()[0]["in_memory"] == 1
    same = cm.corrections(ai, memory, "cold-brew-basics", cm.situation("Cold brew basics", "home brewers"))
    similar = cm.corrections(ai, memory, "cold-brew-at-home", cm.situation("Cold brew at home", "home brewers"))
    for text in (same, similar):
        assert "no superlatives" in text and "Cold brew steeps for 12 hours." in text


@dg.asset(name="drafts", partitions_def=daily)
def two_drafts() -> pd.DataFrame:
    return pd.DataFrame([
        {"slug": "cold-brew", "title": "Cold brew", "body": "Cold brew steeps for 12 hours in cold water."},
        {"slug": "hype", "title": "Hype", "body": "A revolutionary brew, the best ever!!"},
    ])


def test_each_tone_verdict_is_remembered_next_to_its_draft(offline_llm):
    memory = MemoryResource()
    dg.materialize([two_drafts, content_ops.draft_tone], partition_key="2026-03-02",
                   resources={"llm": offline_llm, "memory": memory, "io_manager": ParquetIOManager()})

    outcomes = {e["item_key"]: e for e in memory.episodes(workflow="content_ops", kinds=["check"])}
    assert sorted(outcomes) == ["cold-brew", "hype"]
    assert {e["checks"]["check"] for e in outcomes.values()} == {"drafts_match_brand_tone"}
    assert {e["partition_key"] for e in outcomes.values()} == {"2026-03-02"}
    hype = outcomes["hype"]["checks"]
    assert not hype["passed"] and hype["details"]["banned_phrases"] == ["revolutionary", "best ever", "!!"]
