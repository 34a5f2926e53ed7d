"""A replayed cassette answer (REPLAYED_HEADER) is recorded in the ledger, free, and never kept in the response cache:
the cassette is the one home of replayed answers, so a cache can never serve one as if it had been paid for."""

from aiwf_state import local_store
from test_llm_cassette import KEY, NOTE, PROMPT, Triage, closed_port_url

from resources.llm import LLMResource


def test_replayed_answers_are_recorded_but_never_cached(offline_server, tmp_path, monkeypatch):
    offline_server.configure(reset_counters=True, fail_429_rate=0, fail_500_rate=0, fail_400_on=None)
    tape = tmp_path / "run.jsonl"
    kw = dict(api_key=KEY, cassette=str(tape), backoff_base_s=0.01, backoff_max_s=0.02, max_attempts=2)
    recorder = LLMResource(base_url=offline_server.url, cassette_mode="record", use_cache=False, **kw).session()
    recorder.complete(PROMPT, {"who": "ops", "text": NOTE})
    recorder.complete(PROMPT, {"who": "triage", "text": NOTE}, response_model=Triage)
    recorder.embed(["cracked lid"])

    monkeypatch.setenv("AIWF_HOME", str(tmp_path / "fresh"))  # a fresh home, its cache on
    replay = LLMResource(base_url=closed_port_url(), cassette_mode="replay", use_cache=True, **kw)
    for _ in range(2):  # the second time still from the cassette: nothing was cached the first time
        ai = replay.session()
        plain = ai.complete(PROMPT, {"who": "ops", "text": NOTE})
        structured = ai.complete(PROMPT, {"who": "triage", "text": NOTE}, response_model=Triage)
        ai.embed(["cracked lid"])
        assert plain.replayed and structured.replayed and not plain.cached and plain.cost_usd == 0

    store = local_store()
    assert store.execute("SELECT COUNT(*) FROM llm_cache")[0][0] == 0
    rows = store.execute("SELECT kind, status, replayed, cache_hit, cost_usd FROM llm_calls ORDER BY ts")
    assert len(rows) == 6 and all(status == "ok" and replayed and not hit and cost == 0
                                  for _, status, replayed, hit, cost in rows)
