"""Small jobs the deploy tests run on real services: loaded by the tests, by Celery workers and by run
workers (as a code location from this file), so they must not depend on the content workflows."""

import os
import socket
import threading
import time
from pathlib import Path

import dagster as dg
from dagster._core.execution.api import execute_run
from dagster._core.launcher import LaunchRunContext, RunLauncher
from dagster._serdes import ConfigurableClass
from dagster._utils.hosted_user_process import recon_job_from_origin
from dagster_celery import celery_executor


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


@dg.op(config_schema={"seconds": float})
def queued_work(context) -> None:
    time.sleep(context.op_config["seconds"])


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


class ThreadRunLauncher(RunLauncher, ConfigurableClass):
    """Executes each launched run in a thread of this process: it stands in for the DefaultRunLauncher so
    the queue test measures the daemon's dequeue decisions without starting a code server per run."""

    def __init__(self, inst_data=None):
        self._inst_data = inst_data
        self.threads: list[threading.Thread] = []
        super().__init__()

    @property
    def inst_data(self):
        return self._inst_data

    @classmethod
    def config_type(cls):
        return {}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data)

    def launch_run(self, context: LaunchRunContext) -> None:
        recon = recon_job_from_origin(context.job_code_origin)
        run, instance = context.dagster_run, self._instance
        thread = threading.Thread(target=lambda: execute_run(recon, run, instance), daemon=True)
        self.threads.append(thread)
        thread.start()

    def terminate(self, run_id):
        return False


defs = dg.Definitions(jobs=[fanout_job, storage_job, queue_job, crash_job])
