"""Every Dagster internal aiwf relies on still exists where sensors/dagster_internals.py looks for it, and
the project's own code imports Dagster internals (dagster._*, dagster_shared) nowhere else."""

import ast
import importlib
from pathlib import Path

import dagster as dg
import pytest

REPO = Path(__file__).resolve().parents[2]
UPGRADE_HINT = "a Dagster upgrade moved it: update sensors/dagster_internals.py (and only that module)"


def test_the_module_imports():
    try:
        importlib.import_module("sensors.dagster_internals")
    except ImportError as exc:
        pytest.fail(f"sensors/dagster_internals.py no longer imports: {exc}; {UPGRADE_HINT}")


@pytest.mark.parametrize("name", sorted(importlib.import_module("sensors.dagster_internals").TEST_SUPPORT))
def test_each_test_support_name_resolves(name):
    from sensors import dagster_internals

    try:
        getattr(dagster_internals, name)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"dagster internal {name!r} is gone from {dagster_internals.TEST_SUPPORT[name]}: {exc}; "
                    f"{UPGRADE_HINT}")


def test_failing_a_run_as_unexpectedly_terminated_marks_its_reason_and_retry():
    from sensors.dagster_internals import RUN_FAILURE_REASON_TAG, report_unexpected_termination, will_retry

    @dg.op
    def noop():
        pass

    @dg.job
    def probe_job():
        noop()

    with dg.instance_for_test(overrides={"run_retries": {"enabled": True, "max_retries": 1}}) as instance:
        run = instance.create_run_for_job(probe_job, status=dg.DagsterRunStatus.STARTED)
        report_unexpected_termination(instance, run, "worker lost (test)")
        failed = instance.get_run_by_id(run.run_id)

    assert failed.status == dg.DagsterRunStatus.FAILURE
    assert failed.tags.get(RUN_FAILURE_REASON_TAG) == "UNEXPECTED_TERMINATION", UPGRADE_HINT
    assert will_retry(failed), f"the will-retry tag is not set any more; {UPGRADE_HINT}"
    assert not will_retry(None)


def test_no_other_project_module_imports_dagster_internals():
    offenders = []
    for package in ("pipelines", "assets", "resources", "sensors"):
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(n.startswith(("dagster._", "dagster_shared")) for n in names):
                    offenders.append(str(path.relative_to(REPO)))
    assert sorted(set(offenders)) == ["sensors/dagster_internals.py"]


def test_a_run_without_a_repository_has_none():
    from sensors.dagster_internals import repository_of

    seen = {}

    @dg.asset
    def probe(context: dg.AssetExecutionContext) -> None:
        seen["repository"] = repository_of(context)

    assert dg.materialize([probe]).success
    assert seen == {"repository": None}, f"a bare materialize() now has a repository (or raises); {UPGRADE_HINT}"


def test_an_asset_can_be_rebuilt_over_another_op():
    from sensors.dagster_internals import with_node_def

    @dg.asset
    def thing() -> int:
        return 1

    op = thing.node_def
    rebuilt = with_node_def(thing, dg.OpDefinition(compute_fn=op.compute_fn, name=op.name, ins=op.ins, outs=op.outs,
                                                   retry_policy=dg.RetryPolicy(max_retries=3), pool="p"))
    assert rebuilt.key == thing.key and rebuilt.node_def.retry_policy.max_retries == 3, UPGRADE_HINT
    assert rebuilt.node_def.pool == "p"
