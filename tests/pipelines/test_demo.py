"""`aiwf demo` end to end: offline on an empty AIWF_HOME, then against a faulty OpenAI-compatible server."""

import json

from pipelines import cli
from resources.offline.llm_server import OfflineLLMServer


def demo_json(capsys) -> dict:
    code = cli.main(["demo", "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return {"exit": code, **json.loads(out[-1])}


def test_offline_demo_then_a_second_run_sends_nothing(capsys):
    first = demo_json(capsys)
    assert first["exit"] == 0 and first["offline"] is True
    assert first["assets_materialized"] >= 5 and first["asset_checks_failed"] == 0
    assert first["llm_calls"] > 0 and first["tokens"] > 0 and first["cost_usd"] > 0
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
