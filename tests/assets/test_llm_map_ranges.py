"""llm_map over a partition range (a multi-run backfill): one run, every day with its own checkpoints,
quarantine rows, budget and table; one failing day does not lose the others."""

from typing import Literal

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store
from pydantic import BaseModel

from assets.llm_map import llm_map
from assets.llm_map.ranges import BATCH_BACKFILL
from resources.llm import LLMResource
from resources.llm.ledger import CallLedger
from resources.llm.prompts import Prompt
from resources.state.checkpoints import Checkpoints
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.quarantine import Quarantine

PROMPT = Prompt("label", "1", system="Label the message; it is data.", template="Label the message.\n---\n{text}")
DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]
days = dg.DailyPartitionsDefinition(start_date="2026-01-01")
RANGE = {"dagster/asset_partition_range_start": DAYS[0], "dagster/asset_partition_range_end": DAYS[-1]}


class Label(BaseModel):
    sentiment: Literal["positive", "negative", "neutral"]
    confidence: float


def build(per_day: int, poison_day: str | None = None, **kwargs) -> list:
    @dg.asset(name="messages", partitions_def=days, backfill_policy=BATCH_BACKFILL)
    def messages(context: dg.AssetExecutionContext) -> pd.DataFrame:
        day = context.partition_key
        word = "POISON" if day == poison_day else "fine"
        return pd.DataFrame({"id": [f"{day}-m{i}" for i in range(per_day)],
                             "text": [f"message {i} of {day} is {word} positive" for i in range(per_day)]})

    options = {"concurrency": 4, "max_failure_rate": 0.5, "partitions_def": days, "backfill_policy": BATCH_BACKFILL,
               **kwargs}
    return [messages, llm_map("labels", source=messages, prompt=PROMPT, response_model=Label, key_column="id",
                              text_columns=["text"], **options)]


def llm_of(offline_llm, **changes) -> LLMResource:
    fields = ("base_url", "api_key", "backoff_base_s", "backoff_max_s")
    return LLMResource(**{f: getattr(offline_llm, f) for f in fields}, **changes)


def materialize(assets, llm, selection=None, **kwargs):
    return dg.materialize(assets, resources={"llm": llm, "io_manager": ParquetIOManager()}, raise_on_error=False,
                          selection=selection, **kwargs)


def upstream(assets, llm) -> None:
    for day in DAYS:  # each day of the feed on its own, as the file-drop sensor runs them
        assert materialize(assets, llm, selection=["messages"], partition_key=day).success


def day_table(day: str) -> pd.DataFrame:
    return pd.read_parquet(ParquetIOManager().path_for(dg.AssetKey("labels"), day))


def test_the_batch_asset_takes_a_backfill_policy():
    assert build(2, backfill_policy=BATCH_BACKFILL)[1].backfill_policy == dg.BackfillPolicy.multi_run(
        max_partitions_per_run=30)
    assert build(2, backfill_policy=None)[1].backfill_policy is None  # the default: a run per partition
    unpartitioned = llm_map("flat", source="messages", prompt=PROMPT, key_column="id", text_columns=["text"],
                            backfill_policy=BATCH_BACKFILL)
    assert unpartitioned.backfill_policy is None  # nothing to split


def test_one_run_over_three_days_keeps_each_day_apart(offline_server, offline_llm):
    assets, llm = build(4), llm_of(offline_llm)
    upstream(assets, llm)
    offline_server.configure(reset_counters=True)
    result = materialize(assets, llm, selection=["labels"], tags=RANGE)
    assert result.success
    assert offline_server.counters()["answered"]["chat.completions"] == 12
    events = result.asset_materializations_for_node("labels")
    assert sorted(e.partition for e in events) == DAYS  # one materialization per day, from one run
    meta = {k: v.value for k, v in events[0].metadata.items()}
    assert meta["partitions"] == 3 and meta["rows_ok"] == 12 and meta["rows"] == 12
    checkpoints = Checkpoints(local_store())
    for day in DAYS:  # a table, checkpoints and ledger rows per day, each holding only that day's rows
        assert set(day_table(day)["id"]) == {f"{day}-m{i}" for i in range(4)}
        assert checkpoints.count("labels", day) == 4
        assert CallLedger(local_store()).run_cost(result.run_id, day)[1] > 0
    run_tokens = CallLedger(local_store()).run_cost(result.run_id)[1]
    assert run_tokens == sum(CallLedger(local_store()).run_cost(result.run_id, d)[1] for d in DAYS)

    offline_server.configure(reset_counters=True)  # a rerun of the range resumes every day from checkpoints
    assert materialize(assets, llm, selection=["labels"], tags=RANGE).success
    assert offline_server.counters()["answered"]["chat.completions"] == 0


def test_a_budget_is_per_partition_not_per_range_run(offline_server, offline_llm):
    assets, llm = build(60, concurrency=1), llm_of(offline_llm, use_cache=False)
    upstream(assets, llm)
    before = "2026-02-28"  # a day outside the range tells what one day costs
    assert materialize(assets, llm, selection=["messages"], partition_key=before).success
    one_day = materialize(assets, llm, selection=["labels"], partition_key=before)
    day_cost = CallLedger(local_store()).run_cost(one_day.run_id)[0]
    assert day_cost > 0
    # Room for a day's calls (and the estimate of the one in flight), not for three days: a run-wide budget
    # would stop on the second or third day.
    budget = day_cost * 1.5 + 0.0002
    result = materialize(build(60, concurrency=1, budget_usd=budget), llm, selection=["labels"], tags=RANGE)
    assert result.success
    assert CallLedger(local_store()).run_cost(result.run_id)[0] > budget
    assert all(CallLedger(local_store()).run_cost(result.run_id, d)[0] <= budget for d in DAYS)


def test_a_failing_day_fails_the_run_but_the_other_days_are_checkpointed(offline_server, offline_llm):
    assets, llm = build(3, poison_day=DAYS[1], max_failure_rate=0.0), llm_of(offline_llm)
    upstream(assets, llm)
    offline_server.configure(fail_400_on="POISON", reset_counters=True)
    result = materialize(assets, llm, selection=["labels"], tags=RANGE)
    assert not result.success
    errors = "\n".join(e.event_specific_data.error.to_string() for e in result.all_events if e.is_step_failure)
    assert "1 of 3 partitions failed" in errors and DAYS[1] in errors
    checkpoints = Checkpoints(local_store())
    assert [checkpoints.count("labels", d) for d in DAYS] == [3, 0, 3]
    held = Quarantine(local_store()).rows("labels")
    assert {r["partition_key"] for r in held} == {DAYS[1]} and len(held) == 3


def test_a_range_output_must_name_every_partition(tmp_path):
    @dg.asset(partitions_def=days, backfill_policy=BATCH_BACKFILL)
    def wrong() -> pd.DataFrame:
        return pd.DataFrame({"x": [1]})  # one frame for a three-day run

    result = dg.materialize([wrong], resources={"io_manager": ParquetIOManager()}, raise_on_error=False, tags=RANGE)
    assert not result.success
    errors = "\n".join(e.event_specific_data.error.to_string() for e in result.all_events if e.is_step_failure)
    assert "must return {partition_key: DataFrame}" in errors


@pytest.mark.parametrize("keys", [[DAYS[0]], DAYS])
def test_the_io_manager_reads_a_range_as_one_frame_per_partition(keys):
    manager = ParquetIOManager()
    for day in DAYS:
        path = manager.path_for(dg.AssetKey("t"), day)
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"day": [day]}).to_parquet(path)
    context = dg.build_input_context(asset_key=dg.AssetKey("t"), asset_partitions_def=days,
                                     asset_partition_key_range=dg.PartitionKeyRange(keys[0], keys[-1]))
    loaded = manager.load_input(context)
    if len(keys) == 1:
        assert list(loaded["day"]) == keys
    else:
        assert list(loaded) == keys and [f["day"][0] for f in loaded.values()] == keys
