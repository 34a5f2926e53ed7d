"""Jobs for tests/deploy/test_lost_celery_steps.py, on aiwf's watched Celery executor (pipelines/celery_steps.py):
loaded by the test, by its Celery workers and by nothing else."""

import os
import time
from pathlib import Path

import dagster as dg

from pipelines.celery_steps import watched_celery_executor


@dg.op(config_schema={"marker": str, "hang_s": float})
def marked_step(context) -> int:
    """First delivery: leave this process's pid in the marker and hang for `hang_s`; later ones finish."""
    marker = Path(context.op_config["marker"])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(context.op_config["hang_s"])
    return os.getpid()


@dg.job(executor_def=watched_celery_executor)
def watched_job():
    marked_step()


@dg.op(config_schema={"blip": bool, "once_marker": dg.Field(str, default_value="")})
def failing_step(context) -> None:
    """Fails as a Postgres restart fails Dagster's storage calls in a step (blip), or as a bug does; with
    `once_marker`, only the first delivery fails (it leaves the marker)."""
    marker = Path(context.op_config["once_marker"]) if context.op_config["once_marker"] else None
    if marker is not None and marker.exists():
        return None
    if marker is not None:
        marker.write_text("failed once")
    if context.op_config["blip"]:
        import psycopg2

        raise psycopg2.OperationalError("server closed the connection unexpectedly\n\tThis probably means the "
                                        "server terminated abnormally")
    raise ValueError("a bug")


@dg.job(executor_def=watched_celery_executor)
def failing_job():
    failing_step()
