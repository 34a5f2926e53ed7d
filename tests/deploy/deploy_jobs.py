"""Small jobs the deploy tests run on real services: loaded by the tests, by Celery workers and by run
workers (as a code location from this file), so they must not depend on the content workflows."""

import os
import socket
import time
from pathlib import Path

import dagster as dg
from dagster_celery import celery_executor

from resources.llm import LLMResource
from resources.llm.prompts import Prompt


@dg.op
def fan_start() -> int:
    return 0


@dg.op
def fan_work(start: int) -> dict:
    """Long enough that one worker cannot take every task before the other asks for one."""
    time.sleep(1.0)
    return {"pid": os.getpid(), "host": socket.gethostname(), "start": start}


@dg.op
def fan_collect(results: list) -> int:
    return len({r["pid"] for r in results})


@dg.job(executor_def=celery_executor)
def fanout_job():
    start = fan_start()
    fan_collect([fan_work.alias(f"fan_work_{i}")(start) for i in range(6)])


@dg.op
def ledger_step() -> int:
    return 1


@dg.job
def storage_job():
    ledger_step()


@dg.op(config_schema={"seconds": float, "release": dg.Field(str, is_required=False)})
def queued_work(context) -> None:
    """Sleeps `seconds`; with `release` (a file path), ends as soon as that file exists, at most after `seconds`."""
    release, deadline = context.op_config.get("release"), time.time() + context.op_config["seconds"]
    while time.time() < deadline and not (release and os.path.exists(release)):
        time.sleep(min(0.1, max(0.0, deadline - time.time())))


@dg.job(executor_def=dg.in_process_executor)
def queue_job():
    queued_work()


@dg.op
def crash_first() -> int:
    return 41


@dg.op(config_schema={"marker": str})
def crash_slow(context, value: int) -> int:
    """First attempt: leave a marker and hang (the test kills the worker); a retry finds the marker,
    as a batch step finds its checkpoint, and finishes at once."""
    marker = Path(context.op_config["marker"])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    return value + 1


@dg.job(executor_def=dg.in_process_executor)
def crash_job():
    crash_slow(crash_first())


@dg.op(config_schema={"marker": str}, pool="llm_provider")
def pooled_call(context) -> None:
    """Holds a slot of aiwf's model pool; hangs on its first attempt (the test kills the worker)."""
    marker = Path(context.op_config["marker"])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)


@dg.job(executor_def=dg.in_process_executor)
def pooled_job():
    pooled_call()


@dg.op(config_schema={"marker": str})
def redelivered_step(context) -> int:
    """First delivery: leave this pool process's pid and hang (the test kills the process); the redelivered
    task finds the marker and finishes."""
    marker = Path(context.op_config["marker"])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    return os.getpid()


@dg.job(executor_def=celery_executor)
def redelivery_job():
    redelivered_step()


TRACE_PROBE = Prompt("celery_trace_probe", "2", "Say something about {topic}.")


@dg.op(required_resource_keys={"llm"})
def traced_first(context) -> int:
    """A model call and its cache hit in a worker's pool process (tests/deploy/test_celery_traces.py)."""
    session = context.resources.llm.session(context)
    session.complete(TRACE_PROBE, {"topic": "celery"})
    session.complete(TRACE_PROBE, {"topic": "celery"})
    return os.getpid()


@dg.op(required_resource_keys={"llm"})
def traced_second(context, first_pid: int) -> list[int]:
    context.resources.llm.session(context).complete(TRACE_PROBE, {"topic": "workers"})
    return [first_pid, os.getpid()]


@dg.job(executor_def=celery_executor, resource_defs={"llm": LLMResource()})
def traced_job():
    traced_second(traced_first())


defs = dg.Definitions(jobs=[fanout_job, storage_job, queue_job, crash_job, pooled_job, redelivery_job, traced_job])
