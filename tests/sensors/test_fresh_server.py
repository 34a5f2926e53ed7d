"""A fresh team server with 30 days already in the inbox: the inbox and queue sensors launch at most
AIWF_SENSOR_MAX_RUNS runs of the job at a time, the rest on later ticks as runs finish, each day exactly once."""

import json
import uuid
from datetime import date, timedelta

import dagster as dg
import pandas as pd
import pytest

import sensors.queue_sensor as queue_sensor
from pipelines.returns_triage import workflow as returns
from resources.queues.consumer import Lag, Message
from sensors.run_lookup import launch_room
from test_file_drop import instance, tick  # noqa: F401  (a fixture and one evaluation as the daemon does it)

DAYS = [(date(2026, 2, 1) + timedelta(days=i)).isoformat() for i in range(30)]


@pytest.fixture
def inbox(tmp_path, monkeypatch):
    monkeypatch.setenv("AIWF_RETURNS_DIR", str(tmp_path))
    monkeypatch.delenv("AIWF_SENSOR_MAX_RUNS", raising=False)
    return tmp_path


def launch(instance, requests, status=dg.DagsterRunStatus.STARTED) -> list[str]:
    """What the daemon does with a tick's requests: a run each, with the request's tags."""
    ids = []
    for request in requests:
        run_id = str(uuid.uuid4())
        instance.add_run(dg.DagsterRun(job_name="returns_triage_job", run_id=run_id, status=status,
                                       tags={**request.tags, "dagster/partition": request.partition_key}))
        ids.append(run_id)
    return ids


def finish(instance, run_ids) -> None:
    for run_id in run_ids:
        run = instance.get_run_by_id(run_id)
        instance.delete_run(run_id)
        instance.add_run(run.with_status(dg.DagsterRunStatus.SUCCESS))


def test_thirty_days_in_the_inbox_are_asked_for_three_at_a_time_each_once(inbox, instance):
    for day in DAYS:
        pd.DataFrame({"return_id": [f"R-{day}"]}).to_csv(inbox / f"returns_{day}.csv", index=False)
    sensor, cursor, asked = returns.returns_drop_sensors[0], None, []
    for _ in range(15):
        requests, cursor = tick(sensor, instance, cursor)
        assert len(requests) <= 3
        asked += [r.partition_key for r in requests]
    assert asked == DAYS  # every day once, oldest first
    assert sorted(json.loads(cursor)) == DAYS


def test_runs_in_flight_hold_the_rest_until_they_finish(inbox, instance, monkeypatch):
    monkeypatch.setenv("AIWF_SENSOR_MAX_RUNS", "2")
    for day in DAYS[:5]:
        pd.DataFrame({"return_id": [f"R-{day}"]}).to_parquet(inbox / f"returns_{day}.parquet")
    sensor = returns.returns_drop_sensors[1]
    first, cursor = tick(sensor, instance)
    assert [r.partition_key for r in first] == DAYS[:2]
    running = launch(instance, first)
    assert tick(sensor, instance, cursor)[0] == []  # two runs of the job in flight: the other days wait
    finish(instance, running[:1])
    second, cursor = tick(sensor, instance, cursor)
    assert [r.partition_key for r in second] == DAYS[2:3]  # one finished: room for one
    finish(instance, running[1:] + launch(instance, second))
    third, cursor = tick(sensor, instance, cursor)
    assert [r.partition_key for r in third] == DAYS[3:5]
    finish(instance, launch(instance, third))
    assert tick(sensor, instance, cursor)[0] == []  # nothing left, nothing twice


def test_the_cap_is_read_at_each_tick_and_refuses_nonsense(instance, monkeypatch):
    monkeypatch.setenv("AIWF_SENSOR_MAX_RUNS", "5")
    assert launch_room(instance, "returns_triage_job") == 5
    monkeypatch.setenv("AIWF_SENSOR_MAX_RUNS", "0")
    with pytest.raises(ValueError, match="AIWF_SENSOR_MAX_RUNS"):
        launch_room(instance, "returns_triage_job")


class ListConsumer:
    """A queue held in a list: what the sensor needs of a consumer, without a broker."""

    def __init__(self, messages):
        self.messages = messages

    def fetch(self, max_messages):
        taken, self.messages = self.messages[:max_messages], self.messages[max_messages:]
        return taken

    def ack(self, messages):
        pass

    def lag(self):
        return Lag(waiting=len(self.messages))

    def close(self):
        pass


def test_the_queue_sensor_asks_for_thirty_days_of_messages_a_few_at_a_time(inbox, instance, monkeypatch):
    monkeypatch.setenv("AIWF_RETURNS_QUEUE_URL", "redis://127.0.0.1:1/0")
    row = {"order_id": "O-1", "sku": "S", "product": "Grinder", "category": "grinders", "price_eur": 10.0,
           "days_since_delivery": 3, "customer_returns_90d": 0, "customer_note": "squeaks"}
    consumer = ListConsumer([Message(f"m{i}", json.dumps({**row, "return_id": f"R{i}", "date": day}).encode())
                             for i, day in enumerate(DAYS)])
    monkeypatch.setattr(queue_sensor, "open_consumer", lambda url, queue, group: consumer)
    cursor, asked = None, []
    for _ in range(12):
        requests, cursor = tick(returns.returns_queue_sensor, instance, cursor)
        assert len(requests) <= 3
        asked += [r.partition_key for r in requests]
    assert asked == DAYS
