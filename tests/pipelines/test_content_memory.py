"""Memory at work in content ops: past pieces seen only by later days, reviewers' corrections brought back."""

import pytest

from pipelines.content_ops import memory as cm
from resources.approvals.store import ApprovalStore
from resources.memory import MemoryResource
from resources.state.home import home_path


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
    memory = MemoryResource()  # the same default store the approvals seam writes to
    cm.remember_brand(ai, memory, "2026-03-02")
    store = ApprovalStore()
    approval = store.propose("content_ops", "cold-brew-basics", "Cold brew is the best ever!!")
    store.edit_and_approve(approval.id, "ana", "Cold brew steeps for 12 hours.", reason="no superlatives")

    assert store.corrections()[0]["in_memory"] == 1
    same = cm.corrections(ai, memory, "cold-brew-basics", cm.situation("Cold brew basics", "home brewers"))
    similar = cm.corrections(ai, memory, "cold-brew-at-home", cm.situation("Cold brew at home", "home brewers"))
    for text in (same, similar):
        assert "no superlatives" in text and "Cold brew steeps for 12 hours." in text
