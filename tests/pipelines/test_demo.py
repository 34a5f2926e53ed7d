"""`aiwf demo` end to end: offline on an empty AIWF_HOME, then against a faulty OpenAI-compatible server."""

import json

from pipelines import cli
from resources.offline.llm_server import OfflineLLMServer


def demo_json(capsys) -> dict:
    code = cli.main(["demo", "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return {"exit": code, **json.loads(out[-1])}


def test_offline_demo_then_a_second_run_sends_nothing(demo_home, aiwf_home, capsys, monkeypatch):
    first = {"exit": demo_home.exit, **demo_home.summary}  # the session's demo, on an empty home
    assert first["exit"] == 0 and first["offline"] is True
    assert first["assets_materialized"] >= 5 and first["asset_checks_failed"] == 0
    assert first["llm_calls"] > 0 and first["tokens"] > 0 and first["cost_usd"] > 0
    demo_home.copy_to(aiwf_home)  # the same home, run again with the same shop
    monkeypatch.setenv("AIWF_SHOP_URL", demo_home.shop_url)
    second = demo_json(capsys)
    assert second["exit"] == 0 and second["llm_calls"] == 0 and second["cache_hits"] > 0
    assert set(second["run_ids"]).isdisjoint(first["run_ids"])


def test_demo_completes_against_a_server_failing_a_quarter_of_requests(capsys, monkeypatch):
    with OfflineLLMServer(fail_429_rate=0.2, fail_500_rate=0.05, retry_after_s=0.01, seed=3) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-not-a-real-key")
        summary = demo_json(capsys)
        counters = server.counters()
    assert summary["exit"] == 0 and summary["asset_checks_failed"] == 0
    answered = counters["answered"]["chat.completions"] + counters["answered"]["embeddings"]
    assert summary["llm_calls"] == answered > 0
    assert summary["llm_retries"] == counters["status_429"] + counters["status_500"] > 0


def test_the_demo_runs_its_own_sample_days_only_not_a_teams_real_days(tmp_path):
    """Days of real data beside the samples in the inbox are left to the team's own runs."""
    from contextlib import ExitStack

    from pipelines.cli.demo import DEMO_JOBS

    steps = {step.job: step for step in DEMO_JOBS}
    returns, briefs = steps["returns_triage_job"], steps["content_ops_job"]
    with ExitStack() as stack:
        for setup in (*returns.setups, *briefs.setups):
            setup(stack)
    from pipelines.content_ops.workflow import briefs_dir
    from pipelines.returns_triage.feed import returns_dir

    (returns_dir() / "returns_2026-05-01.csv").write_text("order_id,reason\n1,late\n")
    (briefs_dir() / "real-brief.md").write_text("---\ntitle: A real brief\naudience: x\ndate: 2026-05-01\n---\nText\n")
    assert returns.partitions() == ["2026-03-02"]
    assert "2026-05-01" not in briefs.partitions() and len(briefs.partitions()) == 1  # the day they were seeded


def test_recording_a_cassette_on_a_used_home_warns_that_answers_from_the_home_are_not_recorded(monkeypatch):
    from pipelines.cli.demo import cassette_gaps

    used = {"cache_hits": 3, "rows_from_checkpoint": 5}
    assert cassette_gaps(used) is None  # no cassette
    monkeypatch.setenv("AIWF_CASSETTE", "/tmp/tape.jsonl")
    monkeypatch.setenv("AIWF_CASSETTE_MODE", "record")
    warning = cassette_gaps(used)
    assert "3 answer(s) came from this home's response cache" in warning and "5 row(s)" in warning
    assert "AIWF_HOME=$(mktemp -d)" in warning
    assert cassette_gaps({"cache_hits": 0, "rows_from_checkpoint": 0}) is None  # a fresh home records everything
