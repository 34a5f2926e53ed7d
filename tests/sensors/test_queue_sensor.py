"""returns_queue_sensor against the real brokers: every message in exactly one day's returns file, one run per
day, nothing lost or counted twice when the consumer is SIGKILLed midway, and lag back to 0."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
from local_services import REDIS_URL, require_redis, require_service

from pipelines.returns_triage import workflow as returns
from pipelines.returns_triage.feed import COLUMNS, feed_for_day
from resources.state.quarantine import Quarantine
from resources.state.resource import StateResource

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]
TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent.parent


def require_rabbitmq(url: str = AMQP_URL) -> str:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu/amqp raise OSError subclasses and their own
        require_service("RabbitMQ", f"127.0.0.1:5672 guest/guest ({type(exc).__name__})")
    return url


def a_return(i: int, day: str) -> dict:
    return {"return_id": f"R{i:05d}", "order_id": f"O{i:05d}", "sku": f"SKU-{i % 7}", "product": "Burr grinder",
            "category": "grinders", "price_eur": 89.5, "days_since_delivery": i % 30, "customer_returns_90d": 0,
            "customer_note": f"Return {i}: the burrs squeak, \"loud\",\nand it stopped.", "date": day}


class Broker:
    """Publishing to a fresh queue (RabbitMQ) or stream (Redis), and cleaning it up."""

    def __init__(self, kind: str):
        self.kind, self.name = kind, f"aiwf_test_{uuid.uuid4().hex[:10]}"
        self.url = require_rabbitmq() if kind == "amqp" else require_redis(REDIS_URL)
        if kind == "amqp":
            from kombu import Connection

            self.conn = Connection(self.url)
            self.channel = self.conn.channel()
            self.channel.queue_declare(queue=self.name, durable=True, auto_delete=False)
        else:
            import redis

            self.redis = redis.Redis.from_url(self.url)

    def publish(self, bodies: list[tuple[str, bytes]]) -> None:
        if self.kind == "amqp":
            from kombu import Producer

            producer = Producer(self.channel)
            for msg_id, body in bodies:
                producer.publish(body, routing_key=self.name, message_id=msg_id, timestamp=int(time.time()),
                                 content_type="application/json", delivery_mode=2)
        else:
            pipe = self.redis.pipeline()
            for msg_id, body in bodies:
                pipe.xadd(self.name, {"message_id": msg_id, "body": body})
            pipe.execute()

    def close(self) -> None:
        if self.kind == "amqp":
            self.channel.queue_delete(self.name)
            self.conn.release()
        else:
            self.redis.delete(self.name)
            self.redis.close()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    path = tmp_path / "returns"
    monkeypatch.setenv("AIWF_RETURNS_DIR", str(path))
    return path


def tick(instance, cursor=None, sensor=returns.returns_queue_sensor):
    """One evaluation as the daemon does it; each requested run is recorded in the instance, as it would be."""
    from pipelines.definitions import defs

    with dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                 resources={"state": StateResource()}) as context:
        data = sensor.evaluate_tick(context)
    for request in data.run_requests:
        instance.add_run(dg.DagsterRun(job_name=returns.returns_triage_job.name, run_id=str(uuid.uuid4()),
                                    status=dg.DagsterRunStatus.SUCCESS,
                                    tags={**request.tags, "dagster/partition": request.partition_key,
                                          "dagster/run_key": request.run_key}))
    return data


def landed_ids(folder: Path) -> int:
    return sum(len(json.loads(line)["ids"]) for p in (folder / ".queue").glob("*.ids")
               for line in p.read_text().splitlines())


def waiting(broker: Broker) -> int:
    from resources.queues import open_consumer

    consumer = open_consumer(broker.url, broker.name, group=returns.returns_queue_sensor.name)
    try:
        return consumer.lag().waiting
    finally:
        consumer.close()


def killed_tick(mode: str, n: int) -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{TESTS}"}
    proc = subprocess.run([sys.executable, str(TESTS / "queue_tick.py"), mode, str(n)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]


@pytest.mark.parametrize("kind", ["amqp", "redis"])
def test_messages_land_once_per_day_through_two_kills(kind, folder, monkeypatch):
    broker = Broker(kind)
    monkeypatch.setenv("AIWF_RETURNS_QUEUE_URL", broker.url)
    monkeypatch.setenv("AIWF_RETURNS_QUEUE", broker.name)
    valid = [(f"m{i}", json.dumps(a_return(i, DAYS[i % 3])).encode()) for i in range(600)]
    invalid = [("bad-json", b"{not json"), ("no-date", json.dumps({**a_return(900, DAYS[0]), "date": None}).encode()),
               ("no-sku", json.dumps({k: v for k, v in a_return(901, DAYS[1]).items() if k != "sku"}).encode())]
    try:
        broker.publish(valid[:300] + invalid + [valid[7]] + valid[300:])  # m7 published twice
        killed_tick("ack", 3)  # dies with batch 3 landed, not acked: redelivered below
        assert landed_ids(folder) + 3 > 604 - waiting(broker)  # some messages are both landed and still queued
        killed_tick("log", 2)  # dies writing batch 2's id line: its rows are cut back and landed again
        logs = [p.read_bytes() for p in (folder / ".queue").glob("*.ids")]
        assert any(not log.endswith(b"\n") for log in logs)  # a torn line, rows no line vouches for
        landed = {p.name for p in folder.glob("returns_queue_*.csv")}
        assert landed and all(n.split("_")[-1][:10] in DAYS for n in landed)

        with dg.DagsterInstance.ephemeral() as instance:
            first = tick(instance)
            again = tick(instance, first.cursor)
            fresh_cursor = tick(instance)  # a sensor reset: the runs already launched are not asked again
            file_sensor = tick(instance, sensor=returns.returns_drop_sensors[0])  # the CSV file sensor
            runs = instance.get_runs()
    finally:
        broker.close()

    for day in DAYS:
        frame, files, rejected = feed_for_day(folder, day)
        expected = sorted(f"R{i:05d}" for i in range(600) if DAYS[i % 3] == day)
        assert sorted(frame["return_id"]) == expected and not rejected  # each once, in its own day only
        assert list(frame.columns) == [*COLUMNS, "source_file"]
    assert frame["customer_note"].iloc[0].startswith("Return ") and "\n" in frame["customer_note"].iloc[0]
    refused = [json.loads(line) for p in (folder / "rejected").glob("*.jsonl") for line in p.read_text().splitlines()]
    assert sorted(r["message_id"] for r in refused) == ["bad-json", "no-date", "no-sku"]
    assert {r["message_id"]: r["reason"] for r in refused}["no-sku"] == "missing column(s) ['sku']"
    quarantined = Quarantine(StateResource().store()).rows("return_requests")
    assert sorted((r["row_key"], r["partition_key"]) for r in quarantined) == [
        ("message:bad-json", ""), ("message:no-date", ""), ("message:no-sku", DAYS[1])]

    keys = [r.run_key for r in first.run_requests]
    assert sorted(r.partition_key for r in first.run_requests) == DAYS and len(set(keys)) == 3
    assert again.run_requests == [] and fresh_cursor.run_requests == [] and file_sensor.run_requests == []
    assert len(runs) == 3  # 0 duplicate runs
    lag = first.asset_events[0].metadata
    assert lag["queue_waiting"].value == 0 and lag["queue_landed"].value > 0
    assert json.loads(again.cursor)["waiting"] == 0


def test_off_while_the_url_is_unset(monkeypatch):
    import sensors.queue_sensor as queue_sensor

    monkeypatch.delenv("AIWF_RETURNS_QUEUE_URL", raising=False)
    monkeypatch.setattr(queue_sensor, "open_consumer", lambda *a, **k: pytest.fail("connected while unset"))
    with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(),
                                 resources={"state": StateResource()}) as context:
        data = returns.returns_queue_sensor.evaluate_tick(context)
    assert data.run_requests == [] and "AIWF_RETURNS_QUEUE_URL is unset" in data.skip_message
