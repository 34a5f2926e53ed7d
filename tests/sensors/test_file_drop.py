"""Inbox sensors: one run per day whose files changed, none for unchanged files, no replay when turned on."""

import json
import os
import uuid

import dagster as dg
import pandas as pd
import pytest

import sensors.file_drop as file_drop
from pipelines.content_ops import workflow as content_ops
from pipelines.returns_triage import workflow as returns
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.resource import StateResource

DAY, OTHER_DAY = "2026-03-02", "2026-03-03"


def brief(folder, name: str, day: str = DAY, notes: str = "Cold brew steeps for 12 hours.") -> None:
    (folder / f"{name}.md").write_text(f"---\ntitle: {name} explained\naudience: home brewers\ndate: {day}\n---\n"
                                       f"{notes}\n", encoding="utf-8")


@pytest.fixture
def inbox(tmp_path, monkeypatch):
    folder = tmp_path / "briefs"
    folder.mkdir()
    monkeypatch.setenv("AIWF_BRIEFS_DIR", str(folder))
    return folder


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def tick(sensor, instance, cursor=None):
    """One evaluation as the daemon does it: requests and the new cursor."""
    from pipelines.definitions import defs

    with dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                 resources={"state": StateResource()}) as context:
        data = sensor.evaluate_tick(context)
    return data.run_requests, data.cursor


def test_three_briefs_for_one_day_launch_one_run_and_only_changes_launch_more(inbox, instance, monkeypatch):
    hashed, digest = [], file_drop.files_digest
    monkeypatch.setattr(file_drop, "files_digest", lambda paths: hashed.append(len(paths)) or digest(paths))
    for name in ("cold-brew", "grinder", "water"):
        brief(inbox, name)
    requests, cursor = tick(content_ops.new_brief_sensor, instance)
    assert [r.partition_key for r in requests] == [DAY] and requests[0].run_key.startswith(f"{DAY}:")
    assert requests[0].tags["aiwf/files"] == "cold-brew.md, grinder.md, water.md"

    assert tick(content_ops.new_brief_sensor, instance, cursor)[0] == []  # unchanged: no run
    assert hashed == [3]  # and the unchanged day's files were not read again to hash them

    brief(inbox, "kettle")  # a fourth brief for the day
    fourth, cursor = tick(content_ops.new_brief_sensor, instance, cursor)
    assert [r.partition_key for r in fourth] == [DAY] and fourth[0].run_key != requests[0].run_key

    brief(inbox, "water", notes="Soft water tastes flat.")  # a changed file
    changed, cursor = tick(content_ops.new_brief_sensor, instance, cursor)
    assert [r.partition_key for r in changed] == [DAY] and changed[0].run_key not in {requests[0].run_key,
                                                                                      fourth[0].run_key}
    os.utime(inbox / "water.md")  # touched, same bytes: nothing to run
    assert tick(content_ops.new_brief_sensor, instance, cursor)[0] == []


def test_each_day_gets_its_own_run_and_an_unreadable_brief_runs_on_its_drop_day(inbox, instance):
    brief(inbox, "a")
    brief(inbox, "b", day=OTHER_DAY)
    brief(inbox, "later", day="2099-01-01")  # no such partition yet: it waits, the others go on
    for bad, text in (("broken", "no front matter"), ("undated", "---\ntitle: T\naudience: A\ndate: soon\n---\nx")):
        (inbox / f"{bad}.md").write_text(text)
        os.utime(inbox / f"{bad}.md", (1772668800, 1772668800))  # dropped on 2026-03-05 (UTC)
    requests, cursor = tick(content_ops.new_brief_sensor, instance)
    assert sorted(r.partition_key for r in requests) == [DAY, OTHER_DAY, "2026-03-05"]
    assert requests[-1].tags["aiwf/files"] == "broken.md, undated.md"
    assert sorted(json.loads(cursor)) == [DAY, OTHER_DAY, "2026-03-05"] and len(cursor) < 200  # per-day digest


def test_turning_the_sensor_on_does_not_replay_materialized_days(inbox, instance):
    brief(inbox, "a")
    brief(inbox, "b", day=OTHER_DAY)
    resources = {"state": StateResource(), "io_manager": ParquetIOManager()}
    assert dg.materialize([content_ops.topic_briefs], partition_key=DAY, instance=instance,
                          resources=resources).success
    requests, cursor = tick(content_ops.new_brief_sensor, instance)  # first tick: no cursor
    assert [r.partition_key for r in requests] == [OTHER_DAY]  # never materialized: it runs
    assert DAY in json.loads(cursor)
    brief(inbox, "c")  # a new brief for the materialized day
    assert [r.partition_key for r in tick(content_ops.new_brief_sensor, instance, cursor)[0]] == [DAY]


def test_a_day_with_a_run_in_flight_waits_for_it(inbox, instance):
    brief(inbox, "a")
    requests, cursor = tick(content_ops.new_brief_sensor, instance)
    run = dg.DagsterRun(job_name="content_ops_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED,
                        tags={**requests[0].tags, "dagster/partition": DAY})
    instance.add_run(run)
    brief(inbox, "b")
    held, held_cursor = tick(content_ops.new_brief_sensor, instance, cursor)
    assert held == [] and held_cursor == cursor  # the change is not forgotten
    instance.delete_run(run.run_id)  # the run finished
    assert [r.partition_key for r in tick(content_ops.new_brief_sensor, instance, held_cursor)[0]] == [DAY]


def test_both_returns_sensors_launch_a_mixed_day_once(tmp_path, monkeypatch, instance):
    monkeypatch.setenv("AIWF_RETURNS_DIR", str(tmp_path))
    csv_sensor, parquet_sensor = returns.returns_drop_sensors
    pd.DataFrame({"return_id": ["R-1"]}).to_csv(tmp_path / f"returns_{DAY}.csv", index=False)
    pd.DataFrame({"return_id": ["R-2"]}).to_parquet(tmp_path / f"returns_{DAY}.parquet")
    pd.DataFrame({"return_id": ["R-3"]}).to_parquet(tmp_path / f"returns_{OTHER_DAY}.parquet")

    by_csv, _ = tick(csv_sensor, instance)
    assert [r.partition_key for r in by_csv] == [DAY]  # the csv sensor watches days with a csv file
    instance.add_run(dg.DagsterRun(job_name="returns_triage_job", run_id=str(uuid.uuid4()),
                                   status=dg.DagsterRunStatus.SUCCESS, tags=by_csv[0].tags))  # the daemon launched it
    by_parquet, _ = tick(parquet_sensor, instance)
    assert [r.partition_key for r in by_parquet] == [OTHER_DAY]  # DAY's content already has its run


def test_inbox_sensors_are_on_by_default():
    sensors = [content_ops.new_brief_sensor, *returns.returns_drop_sensors]
    assert {s.default_status for s in sensors} == {dg.DefaultSensorStatus.RUNNING}
