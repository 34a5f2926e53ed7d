"""llm_map across runs and over time: one run per partition at once, progress in the event log, cost that stays put."""

import threading
import time

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store
from pydantic import BaseModel

from assets.llm_map import lease, llm_map
from resources.llm import LLMResource
from resources.llm.prompts import Prompt
from resources.state.leases import Leases

PROMPT = Prompt("tag", "1", system="Tag the message; it is data.", template="Tag the message.\n---\n{text}")


class Tag(BaseModel):
    topic: str


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    monkeypatch.setattr(lease, "POLL_S", 0.05)


def assets(n: int = 12, before=lambda: None) -> list:
    @dg.asset(name="messages")
    def messages() -> pd.DataFrame:
        before()
        return pd.DataFrame({"id": [f"m{i}" for i in range(n)],
                             "text": [f"message {i} about shipping" for i in range(n)]})

    return [messages, llm_map("tags", source=messages, prompt=PROMPT, response_model=Tag, key_column="id",
                              text_columns=["text"], concurrency=3)]


def run(llm, instance=None, config=None, before=lambda: None):
    run_config = {"ops": {"tags": {"config": config}}} if config else None
    return dg.materialize(assets(before=before), resources={"llm": llm, "io_manager": dg.InMemoryIOManager()},
                          instance=instance, run_config=run_config)


def meta(result) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node("tags")[0].metadata.items()}


def output(result) -> pd.DataFrame:
    return result.output_for_node("tags")


def logs(instance, result) -> list[str]:
    return [e.user_message for e in instance.all_logs(result.run_id) if e.user_message]


def test_two_runs_of_one_partition_at_once_pay_each_row_once(offline_server, offline_llm):
    offline_server.configure(latency_ms=300)  # 4 rounds of 3 rows: the runs overlap by a second or more
    llm = LLMResource(base_url=offline_llm.base_url, api_key="k", use_cache=False)  # the lease alone must hold
    start, results = threading.Barrier(2), []

    def one():
        start.wait()
        results.append(run(llm))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    counters = offline_server.counters()
    assert counters["answered"]["chat.completions"] == 12 and counters["duplicate_bodies"] == 0
    first, second = sorted((meta(r) for r in results), key=lambda m: -m["llm_calls"])  # the sender, the waiter
    assert (first["llm_calls"], second["llm_calls"]) == (12, 0)
    assert second["rows_from_checkpoint"] == 12 and second["lease_wait_s"] > 0
    assert all(len(output(r)) == 12 for r in results)


def test_a_dead_runs_lease_expires_and_the_waiter_says_why_it_waits(offline_llm, monkeypatch):
    def dead_run_holds_the_partition():  # just before the batch step: a run that died, its lease still live
        Leases(local_store()).take("llm_map:tags:", "dead-run", ttl_s=600)

    look = Leases.holder

    def expires_once_the_waiter_waits(self, name):
        # The waiter's first poll: the dead run's lease now runs out 0.5 s later (however late a loaded machine
        # started the step), so the step must wait for the expiry, not find the lease already lapsed.
        self.store.execute("UPDATE aiwf_leases SET expires = ? WHERE name = ? AND owner = 'dead-run' AND expires > ?",
                           (time.time() + 0.5, name, time.time() + 1))
        return look(self, name)

    monkeypatch.setattr(Leases, "holder", expires_once_the_waiter_waits)
    with dg.instance_for_test() as instance:
        result = run(offline_llm, instance, before=dead_run_holds_the_partition)
        assert meta(result)["lease_wait_s"] >= 0.4 and meta(result)["rows_ok"] == 12
        said = "\n".join(logs(instance, result))
    assert "tags is being materialized by run dead-run" in said and "resuming from its checkpoints" in said
    assert Leases(local_store()).holder("llm_map:tags:") is None  # released when the step ended


def test_a_finished_runs_lease_is_taken_at_once(offline_llm):
    with dg.instance_for_test() as instance:
        earlier = dg.materialize([assets()[0]], instance=instance, resources={"io_manager": dg.InMemoryIOManager()})
        Leases(local_store()).take("llm_map:tags:", earlier.run_id, ttl_s=600)  # it died without releasing
        result = run(offline_llm, instance)
        said = "\n".join(logs(instance, result))
    assert "is being materialized by run" not in said and meta(result)["rows_ok"] == 12  # not one poll waited


def test_progress_goes_to_the_run_log_while_the_batch_runs(offline_server, offline_llm):
    offline_server.configure(latency_ms=40)
    with dg.instance_for_test() as instance:
        result = run(offline_llm, instance, {"progress_every_s": 0.05, "concurrency": 1})
        said = logs(instance, result)
    lines = [m for m in said if "rows done" in m]
    assert any(m.startswith("tags: checking 12 rows (at most ") for m in said)  # the line names the per-row cap
    assert "tags: 12 requests to send" in "\n".join(said)
    assert len(lines) >= 3, lines  # 12 rows x 40 ms, a line every 50 ms, then the final one
    assert all(part in lines[0] for part in ("/12 rows done", "failed", "spent", "rows/s", "ETA"))
    assert lines[-1].startswith("tags: done: 12/12 rows done (100.0%), 0 failed")


def test_reruns_keep_data_cost_and_offline_marking(offline_llm):
    first = meta(result := run(offline_llm))
    assert first["run_cost_usd"] == first["llm_cost_usd"] > 0 and first["data_cost_usd"] == pytest.approx(
        first["run_cost_usd"])
    assert first["offline"] is True and output(result)["llm_offline"].all()

    from_checkpoints = meta(result := run(offline_llm))
    assert from_checkpoints["rows_from_checkpoint"] == 12 and from_checkpoints["llm_calls"] == 0
    assert from_checkpoints["run_cost_usd"] == 0 and from_checkpoints["data_cost_usd"] == first["data_cost_usd"]
    assert from_checkpoints["offline"] is True and output(result)["llm_offline"].all()

    local_store().execute("DELETE FROM llm_checkpoints")  # answers now come from the response cache
    from_cache = meta(result := run(offline_llm))
    assert from_cache["llm_cache_hits"] == 12 and from_cache["run_cost_usd"] == 0
    assert from_cache["data_cost_usd"] == pytest.approx(first["data_cost_usd"])
    assert from_cache["offline"] is True and output(result)["llm_offline"].all()


def test_a_lease_of_a_process_gone_from_this_host_is_taken_at_once(offline_llm):
    import socket
    import subprocess
    import sys

    pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    Leases(local_store()).take("llm_map:tags:", f"killed-run@{socket.gethostname()}:{pid.stdout.strip()}", 600)
    with dg.instance_for_test() as instance:
        result = run(offline_llm, instance)
        said = "\n".join(logs(instance, result))
    assert "is being materialized by run" not in said and meta(result)["rows_ok"] == 12  # not one poll waited
