"""Where a run's steps execute: processes on the run worker's machine (default) or Celery workers.

One switch, AIWF_EXECUTOR=celery, moves every job's steps onto the workers started with `aiwf worker`;
the broker, result backend and queue are read from the same variables on both sides, so the run and
its workers always agree. Broker URLs may hold passwords: they are passed as Dagster env references,
resolved at run time, never baked into a job definition.
"""

import os

import dagster as dg

EXECUTOR_ENV = "AIWF_EXECUTOR"  # multiprocess (default) | celery | k8s
BROKER_ENV = "AIWF_CELERY_BROKER"  # redis://... or amqp://...
BACKEND_ENV = "AIWF_CELERY_BACKEND"  # default: the broker (Redis), or rpc:// for an AMQP broker
QUEUE_ENV = "AIWF_CELERY_QUEUE"  # default: dagster
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "dagster"

# Celery settings both the executor and the workers use. Tasks are acknowledged on receipt (Celery's
# default): a step whose worker dies is not silently run twice; the run watchdog fails the run and
# Dagster's run retry re-executes it from failure.
CELERY_SETTINGS = {"broker_connection_retry_on_startup": True, "worker_prefetch_multiplier": 1}


def celery_urls() -> tuple[str, str]:
    """(broker, result backend) for this process, from the environment."""
    broker = os.environ.get(BROKER_ENV) or DEFAULT_BROKER
    if not broker.startswith(("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://")):
        raise ValueError(f"{BROKER_ENV} must be a redis:// or amqp:// URL")  # never echo the value
    default_backend = "rpc://" if "amqp" in broker.split("://")[0] else broker
    return broker, os.environ.get(BACKEND_ENV) or default_backend


def celery_queue() -> str:
    """The Celery queue steps are sent to and workers listen on."""
    return os.environ.get(QUEUE_ENV) or DEFAULT_QUEUE


def celery_executor_config() -> dict:
    """The dagster-celery executor config: env references where a value was set, defaults otherwise."""
    broker, _ = celery_urls()
    broker_src = {"env": BROKER_ENV} if os.environ.get(BROKER_ENV) else broker
    if os.environ.get(BACKEND_ENV):
        backend_src = {"env": BACKEND_ENV}
    else:
        backend_src = "rpc://" if "amqp" in broker.split("://")[0] else broker_src
    return {
        "broker": broker_src,
        "backend": backend_src,
        "config_source": {**CELERY_SETTINGS, "task_default_queue": celery_queue()},
    }


def run_executor() -> dg.ExecutorDefinition:
    """The executor for Definitions(executor=...): multiprocess by default, Celery workers with
    AIWF_EXECUTOR=celery, one Kubernetes pod per step with AIWF_EXECUTOR=k8s (needs dagster-k8s)."""
    choice = (os.environ.get(EXECUTOR_ENV) or "multiprocess").lower()
    if choice == "multiprocess":
        return dg.multiprocess_executor
    if choice == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(celery_executor_config(), name="celery")
    if choice == "k8s":
        try:
            from dagster_k8s import k8s_job_executor
        except ImportError:
            hint = "pip install 'dagster-k8s>=0.29,<0.30'"
            raise ValueError(f"{EXECUTOR_ENV}=k8s needs dagster-k8s: {hint}") from None
        return k8s_job_executor
    raise ValueError(f"{EXECUTOR_ENV} must be multiprocess, celery or k8s, got {choice!r}")
