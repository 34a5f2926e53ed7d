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
