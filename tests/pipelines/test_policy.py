"""The step policy applied where Definitions are built: checks partitioned like their asset, deterministic errors
not retried (naming the partition asked for), transient ones retried."""

import dagster as dg
import pytest

from pipelines.policy import STEP_RETRY, apply_step_policy

daily = dg.DailyPartitionsDefinition(start_date="2026-01-01")


@dg.asset(partitions_def=daily)
def day_rows(context: dg.AssetExecutionContext) -> str:
    return context.partition_key


@dg.asset_check(asset=day_rows)  # no partitions_def: the trap of issue 24
def day_rows_are_for_their_day(day_rows: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=day_rows == "2026-03-02", metadata={"day": day_rows})


def _run(assets, checks, partition="2026-03-02"):
    defs = dg.Definitions(assets=apply_step_policy(assets), asset_checks=apply_step_policy(checks, assets=assets))
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(partition_key=partition, instance=dg.DagsterInstance.ephemeral(),
                                  raise_on_error=False)


def test_a_check_without_partitions_gets_its_assets_and_checks_the_day_asked_for():
    [check] = apply_step_policy([day_rows_are_for_their_day], assets=[day_rows])
    assert [spec.partitions_def for spec in check.check_specs] == [daily]
    result = _run([day_rows], [day_rows_are_for_their_day])
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed and evaluation.metadata["day"].value == "2026-03-02"


def test_a_check_partitioned_unlike_its_asset_is_refused_at_load_with_the_fix():
    @dg.asset_check(asset=day_rows, partitions_def=dg.StaticPartitionsDefinition(["a"]))
    def odd_check() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    with pytest.raises(dg.DagsterInvalidDefinitionError, match="day_rows:odd_check is partitioned unlike its asset"):
        apply_step_policy([odd_check], assets=[day_rows])


def test_a_deterministic_error_is_not_retried_and_names_the_partition():
    calls = []

    @dg.asset(partitions_def=daily)
    def reads_a_file(context: dg.AssetExecutionContext):
        calls.append(context.partition_key)
        open(f"/nonexistent/inbox/{context.partition_key}.csv")

    result = _run([reads_a_file], [], partition="2026-10-02")
    assert not result.success and calls == ["2026-10-02"], "retried a missing file"
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.step_failure_data.error.message
    assert "reads_a_file (partition 2026-10-02): FileNotFoundError" in message and "not retried" in message


def test_a_transient_error_is_still_retried():
    calls = []

    @dg.asset
    def flaky():
        calls.append(1)
        if len(calls) < 2:
            raise ConnectionError("provider went away")
        yield dg.Output(1)

    [with_policy] = apply_step_policy([flaky])
    assert with_policy.op.retry_policy == STEP_RETRY
    job = dg.Definitions(assets=[with_policy]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success and len(calls) == 2
