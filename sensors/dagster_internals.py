"""The few Dagster internals aiwf relies on, in one module: nothing public in Dagster 1.13 does their job.

Production code uses: the step's repository definition where a run may have none (workflow_health), failing a run with reason UNEXPECTED_TERMINATION (so Dagster's run retries take it),
reading the tag that says a retry was scheduled, and, in pipelines/executor.py, the multiprocess executor's
creation function, a copy of an executor's init context and the modules an instance is built from. tests/deploy also drive Dagster's own daemon loops, run
worker and workspaces for real; those are loaded only when asked for (module __getattr__), never at import.
tests/sensors/test_dagster_internals.py names whichever of them a Dagster upgrade moved.
"""

import importlib

import dagster as dg
from dagster._core.events import JobFailureData, RunFailureReason
from dagster._core.storage.tags import WILL_RETRY_TAG


def report_unexpected_termination(instance: dg.DagsterInstance, run: dg.DagsterRun, message: str) -> None:
    """Fail `run` the way Dagster fails a run whose worker died, so run_retries re-execute it."""
    instance.report_run_failed(
        run, message, JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION)
    )


def will_retry(run: dg.DagsterRun | None) -> bool:
    """Whether Dagster scheduled an automatic retry of this failed run."""
    return bool(run and run.tags.get(WILL_RETRY_TAG) == "true")


def repository_of(context) -> dg.RepositoryDefinition | None:
    """The step's repository definition, or None where the run has none (a bare `materialize()`): Dagster says so
    with its internal `dagster_shared.check.CheckError`, not a public exception."""
    from dagster_shared.check import CheckError

    try:
        return context.repository_def
    except CheckError:
        return None


def with_node_def(assets_def: dg.AssetsDefinition, node_def: dg.OpDefinition) -> dg.AssetsDefinition:
    """The same asset (or asset check) definition over another op: Dagster has no public setter for an asset's
    op retry policy or pool, so this is how its own `with_attributes` copies a definition."""
    attributes = {**assets_def.get_attributes_dict(), "node_def": node_def}
    return type(assets_def).dagster_internal_init(**attributes)


def executor_with_config(executor_def: dg.ExecutorDefinition, init_context: dg.InitExecutorContext,
                         config: dict):
    """The executor `executor_def` builds for this run with `config` in place of the run's executor config:
    Dagster has no public way to wrap an executor and change its config (a NamedTuple `_replace`)."""
    return executor_def.executor_creation_fn(init_context._replace(executor_config=config))


def submit_celery_step(app, plan_context, step, queue: str, priority: int, known_state):
    """dagster-celery's own submission of one step (its AsyncResult): pipelines/celery_steps.py wraps the result
    and may call it again for a step the broker lost; dagster-celery offers no public hook for either."""
    from dagster_celery.executor import _submit_task

    return _submit_task(app, plan_context, step, queue, priority, known_state)


def instance_modules(instance: dg.DagsterInstance) -> list[str]:
    """The modules the instance's storage, launcher, compute logs and coordinator are built from (its ref's
    ConfigurableClassData entries: InstanceRef is not public)."""
    parts = instance.get_ref()._asdict().values()
    return [part.module_name for part in parts if hasattr(part, "module_name")]


# For tests/deploy only: name -> the Dagster module that defines it.
TEST_SUPPORT = {
    "AUTO_RETRY_RUN_ID_TAG": "dagster._core.storage.tags",
    "RUN_FAILURE_REASON_TAG": "dagster._core.storage.tags",
    "QueuedRunCoordinatorDaemon": "dagster._daemon.run_coordinator.queued_run_coordinator_daemon",
    "consume_new_runs_for_automatic_reexecution": "dagster._daemon.auto_run_reexecution.auto_run_reexecution",
    "ExecuteRunArgs": "dagster._grpc.types",
    "DagsterGrpcClient": "dagster._grpc.client",
    "InProcessCodeLocationOrigin": "dagster._core.remote_origin",
    "LoadableTargetOrigin": "dagster._core.types.loadable_target_origin",
    "WorkspaceProcessContext": "dagster._core.workspace.context",
    "InProcessWorkspaceLoadTarget": "dagster._core.workspace.load_target",
    "GrpcServerTarget": "dagster._core.workspace.load_target",
    "ReconstructableRepository": "dagster._core.definitions.reconstruct",
    "ReexecutionStrategy": "dagster._core.execution.plan.resume_retry",  # a re-execution as the UI creates one
    "MonitoringDaemon": "dagster._daemon.daemon",  # run monitoring, and freeing the slots of ended runs
    "dagster_instance_config": "dagster._core.instance.config",  # a dagster.yaml validated as Dagster loads it
    "serializable_error_info_from_exc_info": "dagster._utils.error",  # a step failure's error, as events carry it
}


def __getattr__(name: str):
    if name not in TEST_SUPPORT:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(TEST_SUPPORT[name]), name)
