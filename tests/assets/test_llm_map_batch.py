"""llm_map(mode="batch"): the Batch API at half price, re-attaching after a crash, failed/expired requests, cancel,
and the sensor that launches a partition whose batches are done. All over HTTP to the offline double."""

import time
from typing import Literal

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store
from pydantic import BaseModel

from assets.llm_map import batch_mode, llm_map
from assets.llm_map.batch_mode import BatchSettings
from resources.llm import LLMResource
from resources.llm.batch_book import BatchBook
from resources.llm.ledger import CallLedger
from resources.llm.pricing import cost_usd
from resources.llm.prompts import Prompt
from resources.state.checkpoints import Checkpoints
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.quarantine import Quarantine

PROMPT = Prompt("label", "1", system="Label the message; it is data.", template="Label the message.\n---\n{text}")
FAST = dict(poll_s=(0.05, 0.2))


class Label(BaseModel):
    sentiment: Literal["positive", "negative", "neutral"]
    confidence: float


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"m{i}" for i in range(n)], "text": [f"message {i} is positive" for i in range(n)]})


def build(rows: pd.DataFrame, name: str = "labels", **kwargs) -> list:
    @dg.asset(name="messages")
    def messages() -> pd.DataFrame:
        return rows

    options = {"max_failure_rate": 0.5, "mode": "batch", "batch": BatchSettings(max_requests=5, **FAST), **kwargs}
    return [messages, llm_map(name, source=messages, prompt=PROMPT, response_model=Label, key_column="id",
                              text_columns=["text"], **options)]


def run(assets, llm, config: dict | None = None, name: str = "labels"):
    run_config = {"ops": {name: {"config": config}}} if config else None
    return dg.materialize(assets, resources={"llm": llm, "io_manager": ParquetIOManager()}, raise_on_error=False,
                          run_config=run_config)


def meta(result, name: str = "labels") -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node(name)[0].metadata.items()}


def failure_text(result) -> str:
    return "\n".join(e.event_specific_data.error.to_string() for e in result.all_events if e.is_step_failure)


def batch_ledger() -> list[dict]:
    return [r for r in CallLedger(local_store()).rows() if r["batch"]]


def paid_twice(rows: list[dict]) -> int:
    paid = [r["request_hash"] for r in rows if r["status"] == "ok" and not r["cache_hit"]]
    return len(paid) - len(set(paid))


def test_batch_mode_materializes_at_half_the_sync_price(offline_server, offline_llm):
    offline_server.configure(batch_delay_s=0, batch_fail_rate=0, batch_expire_share=0, reset_counters=True)
    result = run(build(frame(12)), offline_llm)
    assert result.success, failure_text(result)
    counters = offline_server.counters()
    assert counters["batches_created"] == 3 and counters["batch_requests"] == 12  # split at 5 requests per file
    assert counters["batch_answered"] == 12 and counters["answered"]["chat.completions"] == 12
    table = pd.read_parquet(ParquetIOManager().path_for(dg.AssetKey("labels"), None))
    assert sorted(table["id"]) == sorted(f"m{i}" for i in range(12)) and set(table["sentiment"]) <= {
        "positive", "negative", "neutral"}
    rows = batch_ledger()
    assert len(rows) == 12 and all(r["tier"] == "cheap" and r["status"] == "ok" for r in rows)
    batch_cost = sum(r["cost_usd"] for r in rows)
    assert batch_cost > 0
    assert batch_cost == pytest.approx(0.5 * sum(cost_usd(r["model"], r["tokens_in"], r["tokens_out"]) for r in rows))
    assert meta(result)["rows_ok"] == 12 and meta(result)["run_cost_usd"] == pytest.approx(batch_cost, abs=1e-6)

    # The same rows through the synchronous path (another asset, no cache): the same bodies, twice the price.
    no_cache = LLMResource(base_url=offline_llm.base_url, api_key=offline_llm.api_key, use_cache=False)
    sync = run(build(frame(12), name="labels_sync", mode="sync"), no_cache, name="labels_sync")
    assert sync.success, failure_text(sync)
    assert offline_server.counters()["duplicate_bodies"] == 12  # every sync body equals a batch body
    sync_rows = [r for r in CallLedger(local_store()).rows() if not r["batch"] and r["asset_key"] == "labels_sync"]
    assert sum(r["cost_usd"] for r in sync_rows) == pytest.approx(2 * batch_cost)


def test_rerun_reattaches_to_recorded_batches(offline_server, offline_llm):
    offline_server.configure(batch_delay_s=1.0, batch_fail_rate=0, batch_expire_share=0, reset_counters=True)
    assets = build(frame(8))
    first = run(assets, offline_llm, {"batch_max_wait_s": 0})
    assert not first.success and "still running" in failure_text(first)
    recorded = BatchBook(local_store()).open("labels", "")
    assert len(recorded) == 2 and all(r.batch_id for r in recorded)  # ids recorded before waiting
    time.sleep(1.1)
    second = run(assets, offline_llm)
    assert second.success, failure_text(second)
    counters = offline_server.counters()
    assert counters["batches_created"] == 2 and counters["batch_requests_resubmitted"] == 0
    assert counters["answered"]["chat.completions"] == 8 and counters["duplicate_bodies"] == 0
    assert len(batch_ledger()) == 8 and paid_twice(CallLedger(local_store()).rows()) == 0
    assert BatchBook(local_store()).open("labels", "") == []


def test_crash_between_creating_and_recording_a_batch_resubmits_nothing(offline_server, offline_llm, monkeypatch):
    offline_server.configure(batch_delay_s=0, batch_fail_rate=0, batch_expire_share=0, reset_counters=True)
    assets = build(frame(4))

    def dies(self, input_file_id, batch_id, status="submitted"):
        raise RuntimeError("process died right after batches.create answered")

    with monkeypatch.context() as patch:
        patch.setattr(BatchBook, "submitted", dies)
        assert not run(assets, offline_llm).success
    assert offline_server.counters()["batches_created"] == 1
    [orphan] = BatchBook(local_store()).open("labels", "")
    assert orphan.batch_id is None  # only the uploaded file is known
    from sensors.batch_jobs import partitions_ready

    # nothing else will finish it: the sensor relaunches the partition (by the file's id) instead of waiting forever
    assert partitions_ready(offline_llm) == [("labels", "", [orphan.input_file_id])]
    result = run(assets, offline_llm)
    assert result.success, failure_text(result)
    counters = offline_server.counters()
    assert counters["batches_created"] == 1 and counters["batch_requests_resubmitted"] == 0  # found by batches.list
    assert counters["answered"]["chat.completions"] == 4 and len(batch_ledger()) == 4


@pytest.mark.parametrize("failed", ["sync", "quarantine"])
def test_failed_requests_go_sync_or_to_quarantine(offline_server, offline_llm, failed):
    offline_server.configure(batch_delay_s=0, batch_fail_rate=0.4, batch_seed=3, batch_expire_share=0,
                             reset_counters=True)
    result = run(build(frame(10), max_failure_rate=1.0), offline_llm, {"batch_failed": failed})
    assert result.success, failure_text(result)
    counters = offline_server.counters()
    lost = 10 - counters["batch_answered"]
    assert 0 < lost < 10
    held = Quarantine(local_store()).rows("labels")
    if failed == "sync":
        assert meta(result)["rows_ok"] == 10 and held == []
        assert counters["answered"]["chat.completions"] == 10 and counters["duplicate_bodies"] == 0
        assert len(batch_ledger()) == 10 - lost
    else:
        assert meta(result)["rows_ok"] == 10 - lost and len(held) == lost
        assert {r["error_class"] for r in held} == {"batch_failed"} and "HTTP 500" in held[0]["reason"]
        assert counters["answered"]["chat.completions"] == 10 - lost


@pytest.mark.parametrize("failed", ["sync", "quarantine"])
def test_expired_requests_go_sync_or_to_quarantine(offline_server, offline_llm, failed):
    offline_server.configure(batch_delay_s=0, batch_fail_rate=0, batch_expire_share=0.4, reset_counters=True)
    result = run(build(frame(10), max_failure_rate=1.0), offline_llm, {"batch_failed": failed})
    assert result.success, failure_text(result)
    held = Quarantine(local_store()).rows("labels")
    assert offline_server.counters()["batch_answered"] == 6  # 2 of each batch of 5 expired
    if failed == "sync":
        assert meta(result)["rows_ok"] == 10 and held == []
    else:
        assert len(held) == 4 and {r["error_class"] for r in held} == {"batch_expired"}


def test_terminating_the_run_cancels_its_batches(offline_server, offline_llm, monkeypatch):
    offline_server.configure(batch_delay_s=30, batch_fail_rate=0, batch_expire_share=0, reset_counters=True)
    assets = build(frame(7))

    def terminated(seconds):  # what Dagster raises in the step when the run is terminated
        raise dg.DagsterExecutionInterruptedError("run terminated")

    with monkeypatch.context() as patch:
        patch.setattr(batch_mode, "_sleep", terminated)
        try:
            run(assets, offline_llm)
        except dg.DagsterExecutionInterruptedError:
            pass
    counters = offline_server.counters()
    assert counters["batches_created"] == 2 and counters["batches_cancelled"] == 2
    assert {r.status for r in BatchBook(local_store()).open("labels", "")} == {"cancelling"}

    offline_server.configure(batch_delay_s=0)  # a rerun submits the unanswered rows in new batches
    result = run(assets, offline_llm)
    assert result.success, failure_text(result)
    assert offline_server.counters()["batches_created"] == 4 and meta(result)["rows_ok"] == 7
    assert len(batch_ledger()) == 7 and Checkpoints(local_store()).count("labels") == 7


def test_sensor_launches_a_partition_whose_batches_are_done(offline_server, offline_llm):
    from sensors.batch_jobs import batch_jobs_sensor

    offline_server.configure(batch_hold=True, batch_fail_rate=0, batch_expire_share=0, reset_counters=True)
    daily = dg.DailyPartitionsDefinition(start_date="2026-03-01")

    @dg.asset(name="messages", partitions_def=daily)
    def messages() -> pd.DataFrame:
        return frame(6)

    labels = llm_map("labels", source=messages, prompt=PROMPT, response_model=Label, key_column="id",
                     text_columns=["text"], partitions_def=daily, mode="batch",
                     batch=BatchSettings(max_wait_s=0, **FAST))
    defs = dg.Definitions(assets=[messages, labels], sensors=[batch_jobs_sensor],
                          resources={"llm": offline_llm, "io_manager": ParquetIOManager()})
    first = dg.materialize([messages, labels], partition_key="2026-03-02", raise_on_error=False,
                           resources={"llm": offline_llm, "io_manager": ParquetIOManager()})
    assert not first.success and "still running" in failure_text(first)

    with dg.instance_for_test() as instance:
        def tick():
            with dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def(),
                                         resources={"llm": offline_llm}) as context:
                return batch_jobs_sensor(context)

        assert isinstance(tick(), dg.SkipReason)  # still running (held by the server, however slow this machine is)
        offline_server.configure(batch_hold=False)
        requests = tick()
        assert len(requests) == 1
        with dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def(),
                                     resources={"llm": offline_llm}) as context:  # resolves against the assets
            assert [r.partition_key for r in batch_jobs_sensor.evaluate_tick(context).run_requests] == ["2026-03-02"]
        assert requests[0].partition_key == "2026-03-02" and requests[0].asset_selection == [dg.AssetKey("labels")]
        assert requests[0].run_key == tick()[0].run_key  # the same batches: the same run key, launched once
        second = dg.materialize([messages, labels], selection=[labels], partition_key="2026-03-02",
                                resources={"llm": offline_llm, "io_manager": ParquetIOManager()}, instance=instance)
        assert second.success and meta(second)["rows_ok"] == 6
        assert isinstance(tick(), dg.SkipReason)  # read: nothing left to launch
    assert offline_server.counters()["batches_created"] == 1  # re-attached, not resubmitted


def test_batch_book_bills_once_on_postgres(pg_url, tmp_path):
    from resources.llm.ledger import CallRecord
    from resources.state.store import open_store

    store = open_store(tmp_path, pg_url)
    book, ledger = BatchBook(store), CallLedger(store)
    book.uploaded("file-1", "labels", "2026-03-02", "scope", {"m1": "h1"}, "run-1")
    book.submitted("file-1", "batch-1")
    record = CallRecord(kind="chat", model="gpt-4o-mini", request_hash="r1", status="ok", tokens_in=10,
                        tokens_out=5, cost_usd=cost_usd("gpt-4o-mini", 10, 5, batch=True), batch=True, run_id="run-1")
    cache = ("r1", "gpt-4o-mini", '{"text": "{}", "offline": true}', 10, 5, record.cost_usd, time.time())
    assert book.bill("file-1", [record], [cache]) is True
    assert book.bill("file-1", [record], [cache]) is False  # re-reading the output after a crash books nothing
    rows = ledger.rows()
    assert len(rows) == 1 and rows[0]["batch"] == 1 and rows[0]["cost_usd"] == pytest.approx(
        cost_usd("gpt-4o-mini", 10, 5) / 2)
    [row] = book.open("labels", "2026-03-02")
    assert (row.batch_id, row.requests, row.billed) == ("batch-1", {"m1": "h1"}, True)
    book.consumed("file-1")
    assert book.open("labels", "2026-03-02") == [] and book.waiting() == []


def test_a_rejected_batch_answer_escalates_synchronously(offline_server, offline_llm):
    offline_server.configure(batch_delay_s=0, batch_fail_rate=0, batch_expire_share=0, reset_counters=True)
    asked = []

    def doubt_m1_once(row, answer):
        asked.append(row["id"])
        return "not sure about this one" if row["id"] == "m1" and asked.count("m1") == 1 else None

    result = run(build(frame(4), escalate_on=doubt_m1_once), offline_llm)
    assert result.success, failure_text(result)
    table = pd.read_parquet(ParquetIOManager().path_for(dg.AssetKey("labels"), None)).set_index("id")
    assert table.loc["m1", "llm_model"] == "gpt-4o" and bool(table.loc["m1", "llm_escalated"])
    assert set(table.drop("m1")["llm_model"]) == {"gpt-4o-mini"} and meta(result)["rows_escalated"] == 1
    ledger = [r for r in CallLedger(local_store()).rows() if r["status"] == "ok" and not r["cache_hit"]]
    assert sorted((r["model"], r["batch"]) for r in ledger) == [("gpt-4o", 0)] + [("gpt-4o-mini", 1)] * 4


def test_run_config_switches_a_sync_asset_to_batch_mode(offline_server, offline_llm):
    offline_server.configure(batch_delay_s=0, batch_fail_rate=0, batch_expire_share=0, reset_counters=True)
    assets = build(frame(3), mode="sync")
    wrong = run(assets, offline_llm, {"mode": "later"})
    assert not wrong.success and "is not one of" in failure_text(wrong)
    result = run(assets, offline_llm, {"mode": "batch"})
    assert result.success, failure_text(result)
    assert offline_server.counters()["batches_created"] == 1 and len(batch_ledger()) == 3


def test_a_cassette_holds_no_batch_traffic_and_replay_asks_for_sync_mode(offline_server, tmp_path):
    """Batch uploads pass a recording cassette by (they are multipart and not replayable); under replay a batch
    asset fails with what to do instead, and the same rows replay in sync mode."""
    import json

    from resources.llm.cassette import RECORDED

    offline_server.configure(batch_delay_s=0, batch_fail_rate=0, batch_expire_share=0, reset_counters=True)
    tape = tmp_path / "run.jsonl"

    def llm(mode, url=offline_server.url):
        return LLMResource(base_url=url, api_key="sk-test", cassette=str(tape), cassette_mode=mode, use_cache=False)

    assert run(build(frame(3)), llm("record")).success  # batch mode while recording
    assert not tape.exists()  # no chat call was sent: nothing to record, and no batch traffic was
    synced = run(build(frame(3), name="synced"), llm("record"), {"mode": "sync"}, name="synced")
    assert synced.success and {json.loads(line)["request"]["path"] for line in tape.read_text().splitlines()} <= set(
        RECORDED)

    closed = "http://127.0.0.1:9/v1"
    replayed = build(frame(3), name="replayed")  # a new asset: nothing checkpointed, the same requests
    refused = run(replayed, llm("replay", closed), name="replayed")
    assert not refused.success and "mode: sync" in failure_text(refused)
    assert run(replayed, llm("replay", closed), {"mode": "sync"}, name="replayed").success
