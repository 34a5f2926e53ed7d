"""One tick of returns_queue_sensor in its own process, killed (SIGKILL) at a chosen point: `ack N` dies
before the N-th batch is acknowledged (landed, not acked); `log N` dies halfway through the N-th batch's id-log
line (rows in the CSV that no log line vouches for, and a torn line). Batches are 50 messages here."""

import os
import signal
import sys

import dagster as dg

import resources.queues.landing as landing
from resources.queues.rabbitmq import RabbitMQConsumer
from resources.queues.redis_streams import RedisStreamConsumer
from resources.state.resource import StateResource

BATCH = 50


def kill_on(n: int, original):
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    return wrapped


def torn_on(n: int, original):
    calls = []

    def wrapped(path, entry, sync=True):
        calls.append(1)
        if len(calls) == n:
            with open(path, "ab") as handle:
                handle.write(b'{"ids":["half')
                handle.flush()
                os.fsync(handle.fileno())
            os.kill(os.getpid(), signal.SIGKILL)
        return original(path, entry, sync)
    return wrapped


def main(mode: str, n: int) -> None:
    from pipelines.returns_triage.workflow import returns_queue_sensor

    for cls in (RabbitMQConsumer, RedisStreamConsumer):
        fetch = cls.fetch
        cls.fetch = lambda self, max_messages, _f=fetch: _f(self, min(max_messages, BATCH))
        if mode == "ack":
            cls.ack = kill_on(n, cls.ack)
    if mode == "log":
        landing._append_line = torn_on(n, landing._append_line)
    with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), resources={"state": StateResource()}) as ctx:
        returns_queue_sensor.evaluate_tick(ctx)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
