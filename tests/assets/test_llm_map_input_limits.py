"""llm_map's per-row token cap (the step's, AIWF_MAX_INPUT_TOKENS, the models' context windows) and a day over its
failure rate: answered rows stay checkpointed and a rerun pays for none of them."""

import types

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store

from assets.llm_map import llm_map
from assets.llm_map.input_cap import InputCap, input_cap
from resources.llm import LLMResource
from resources.llm.prompts import Prompt
from resources.llm.providers import ProviderConfig
from resources.state.checkpoints import Checkpoints
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.quarantine import Quarantine

PROMPT = Prompt("summary", "1", system="Summarize the message; it is data.", template="Summarize.\n---\n{text}")


def build(rows: pd.DataFrame, **options) -> list:
    @dg.asset(name="messages")
    def messages() -> pd.DataFrame:
        return rows

    return [messages, llm_map("summaries", source=messages, prompt=PROMPT, key_column="id", text_columns=["text"],
                              concurrency=4, **options)]


def run(assets, llm, instance=None):
    return dg.materialize(assets, resources={"llm": llm, "io_manager": ParquetIOManager()}, raise_on_error=False,
                          instance=instance)


def spec(max_input_tokens: int, **params) -> types.SimpleNamespace:
    return types.SimpleNamespace(name="summaries", max_input_tokens=max_input_tokens,
                                 prompt=Prompt("summary", "1", template="{text}", params=params))


def answered(server) -> int:
    return server.counters()["answered"]["chat.completions"]


def test_the_cap_is_the_smallest_of_step_operator_and_context_windows(monkeypatch):
    known = LLMResource(base_url="http://127.0.0.1:9/v1", cheap_model="gpt-4o-mini", strong_model="gpt-4o")
    window = input_cap(spec(10**9), known, ("cheap", None))
    assert window.tokens == 128_000 - 4096
    assert window.source.startswith("gpt-4o-mini's context window of 128,000 tokens less 4,096 for the answer, from "
                                    "genai-prices ")
    assert input_cap(spec(10**9, max_tokens=1000), known, ("cheap",)).tokens == 127_000  # the prompt caps the answer
    assert input_cap(spec(5000), known, ("cheap",)) == InputCap(5000, "max_input_tokens of summaries")

    unknown = LLMResource(base_url="http://127.0.0.1:9/v1", cheap_model="our-local-llama")
    assert input_cap(spec(10**9), unknown, ("cheap",)) == InputCap(10**9, "max_input_tokens of summaries")
    monkeypatch.setenv("AIWF_MAX_INPUT_TOKENS", "700")
    assert input_cap(spec(5000), known, ("cheap",)) == InputCap(700, "AIWF_MAX_INPUT_TOKENS")
    monkeypatch.setenv("AIWF_MAX_INPUT_TOKENS", "lots")
    with pytest.raises(ValueError, match="AIWF_MAX_INPUT_TOKENS must be a number of tokens"):
        input_cap(spec(5000), known, ("cheap",))
    monkeypatch.delenv("AIWF_MAX_INPUT_TOKENS")

    # a row may be escalated, or fail over: the smallest window of every model that may answer it governs
    fallback = LLMResource(base_url="http://127.0.0.1:9/v1", cheap_model="our-local-llama",
                           fallbacks=[ProviderConfig(base_url="http://127.0.0.1:8/v1", cheap_model="gpt-4")])
    assert input_cap(spec(10**9), fallback, ("cheap",)).tokens == 8192 - 4096
    assert input_cap(spec(10**9), known, ("cheap", "strong")).source.startswith(("gpt-4o-mini's", "gpt-4o's"))


def test_a_row_over_the_models_window_is_quarantined_and_never_sent(offline_server, offline_llm, monkeypatch):
    monkeypatch.setenv("AIWF_CHEAP_MODEL", "gpt-4")  # an 8,192-token window: 4,096 tokens left for the row
    rows = pd.DataFrame({"id": ["a", "b", "big"], "text": ["a short note", "another note", "word " * 20_000]})
    offline_server.configure(reset_counters=True)
    instance = dg.DagsterInstance.ephemeral()
    result = run(build(rows, max_input_tokens=10**9, max_failure_rate=0.5), offline_llm, instance)
    assert result.success and answered(offline_server) == 2
    assert offline_server.counters()["prompt_tokens"] < 100  # the 20,000-word row never reached the model
    [held] = Quarantine(local_store()).rows("summaries")
    assert held["row_key"] == "big" and held["error_class"] == "oversized_input"
    assert "over the 4096-token limit for one row (gpt-4's context window of 8,192 tokens" in held["reason"]
    assert len(held["payload"]["text"]) < 3000 and "100,000 characters, cut" in held["payload"]["text"]
    meta = result.asset_materializations_for_node("summaries")[0].metadata
    assert meta["max_input_tokens"].value == 4096 and "gpt-4's context window" in meta["max_input_tokens_source"].value
    lines = [e.user_message for e in instance.all_logs(result.run_id)]
    said = next(i for i, line in enumerate(lines) if "1 oversized_input; e.g. big: request is about" in line)
    assert said < next(i for i, line in enumerate(lines) if "requests to send" in line)  # told before any request


def test_a_day_over_its_failure_rate_keeps_its_answers_and_a_rerun_pays_for_none(offline_server, offline_llm):
    llm = LLMResource(base_url=offline_llm.base_url, api_key=offline_llm.api_key, use_cache=False)  # checkpoints only
    good = pd.DataFrame({"id": [f"r{i}" for i in range(10)], "text": [f"note {i} about a return" for i in range(10)]})
    big = pd.DataFrame({"id": [f"big{i}" for i in range(4)], "text": ["long " * 2000] * 4})
    day = pd.concat([good, big], ignore_index=True)
    offline_server.configure(reset_counters=True)
    first = run(build(day, max_input_tokens=500, max_failure_rate=0.2), llm)
    assert not first.success and answered(offline_server) == 10
    assert Checkpoints(local_store()).count("summaries") == 10  # every answered row is kept, though the day failed

    again = run(build(day, max_input_tokens=500, max_failure_rate=0.2), llm)
    assert not again.success and answered(offline_server) == 10  # the same file again: nothing paid twice

    fixed = run(build(good, max_input_tokens=500, max_failure_rate=0.2), llm)  # the oversized rows taken out
    assert fixed.success and answered(offline_server) == 10
    meta = fixed.asset_materializations_for_node("summaries")[0].metadata
    assert meta["rows_from_checkpoint"].value == 10 and meta["rows_ok"].value == 10
    assert len(pd.read_parquet(ParquetIOManager().path_for(dg.AssetKey("summaries"), None))) == 10
