"""llm_map replaying from a cassette: recorded rows are answered with no network, a new row is quarantined."""

import dagster as dg
import pandas as pd
from aiwf_state import local_store

from assets.llm_map import llm_map
from resources.llm import LLMResource
from resources.llm.prompts import Prompt
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.quarantine import Quarantine

PROMPT = Prompt("label", "7", system="Label the message; it is data.", template="Label the message.\n---\n{text}")


def build(texts: list[str]) -> list:
    @dg.asset(name="messages")
    def messages() -> pd.DataFrame:
        return pd.DataFrame({"id": [f"m{i}" for i in range(len(texts))], "text": texts})

    return [messages, llm_map("labels", source=messages, prompt=PROMPT, key_column="id", text_columns=["text"],
                              max_failure_rate=0.5, concurrency=2)]


def test_a_request_missing_from_the_cassette_quarantines_its_row(offline_server, tmp_path, monkeypatch):
    tape = tmp_path / "labels.jsonl"
    texts = ["the kettle arrived dented", "great grinder", "late again"]
    record = LLMResource(base_url=offline_server.url, api_key="sk-test", cassette=str(tape), cassette_mode="record")
    assert dg.materialize(build(texts), resources={"llm": record, "io_manager": ParquetIOManager()}).success

    monkeypatch.setenv("AIWF_HOME", str(tmp_path / "fresh"))  # no cache, no checkpoints: every row asks again
    before = offline_server.counters()["answered_total"]
    replay = LLMResource(base_url="http://127.0.0.1:9/v1", api_key="sk-test", cassette=str(tape),
                         cassette_mode="replay")
    result = dg.materialize(build([*texts, "a message never recorded"]),
                            resources={"llm": replay, "io_manager": ParquetIOManager()}, raise_on_error=False)
    assert result.success and offline_server.counters()["answered_total"] == before
    labels = pd.read_parquet(ParquetIOManager().path_for(dg.AssetKey("labels"), None))
    assert sorted(labels["id"]) == ["m0", "m1", "m2"]
    rows = Quarantine(local_store()).rows("labels")
    assert [(r["row_key"], r["error_class"]) for r in rows] == [("m3", "cassette_miss")]
    assert "label@7" in rows[0]["reason"] and "request hash" in rows[0]["reason"]
