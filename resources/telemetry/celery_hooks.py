"""Flush a Celery worker's spans and metrics when each task (a run's step) ends.

A worker's pool process runs step after step and lives as long as the worker, and billiard ends it with
os._exit, so neither the batch processor's timer nor the process-exit flush of provider.py delivers a step's
spans in time (or at all when the worker is stopped). Celery imports this module in the worker before it
forks its pool (the `include` setting, pipelines/executor.py), so every pool process inherits the handlers.
"""

from celery import signals

from resources import telemetry


@signals.task_postrun.connect(weak=False)
def flush_after_task(**_kwargs) -> None:
    """Export what the step just recorded, while its run is still going."""
    if telemetry.enabled():  # off, opentelemetry is never imported
        from resources.telemetry.provider import flush_started

        flush_started()


@signals.worker_process_shutdown.connect(weak=False)
def shutdown_with_pool_process(**_kwargs) -> None:
    """Flush and stop before billiard's os._exit, which skips atexit and multiprocessing's finalizers."""
    if telemetry.enabled():
        from resources.telemetry.provider import shutdown

        shutdown()
