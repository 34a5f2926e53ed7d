"""A cached day's run still runs its checks: an expectation suite's verdict is taken again only for the very frame
and suite it judged (assets/checks/expectations.py), a changed frame is validated anew and fails when it should,
and a failing verdict taken again still fails."""

import sys

import dagster as dg
import pandas as pd
from test_returns_triage import DAY, endpoint, run_triage  # noqa: F401 (the offline server, the sample returns)

import assets.checks.expectations as expectations
from assets.checks.expectations import expectation_suite_check, suite_digest

daily = dg.DailyPartitionsDefinition(start_date="2026-03-01")
ROWS = {"good": ["a", "b", "c"], "duplicate": ["a", "a", "c"]}
ALLOWED = ["a", "b", "c"]


@dg.asset(partitions_def=daily, config_schema={"rows": str})
def orders(context) -> pd.DataFrame:
    return pd.DataFrame({"order_id": ROWS[context.op_execution_context.op_config["rows"]]})


def orders_suite() -> list:
    """Order ids are known and unique."""
    import great_expectations as gx

    return [gx.expectations.ExpectColumnValuesToBeUnique(column="order_id"),
            gx.expectations.ExpectColumnValuesToBeInSet(column="order_id", value_set=ALLOWED)]


orders_match_expectations = expectation_suite_check(name="orders_match_expectations", asset=orders,
                                                    suite=orders_suite, partitions_def=daily)


def check_of(instance, rows: str, day: str = DAY) -> tuple[bool, dict, str]:
    """(passed, metadata, run id) of the suite check in a run of `orders` for `day` with `rows`."""
    result = dg.materialize([orders, orders_match_expectations], instance=instance, partition_key=day,
                            run_config={"ops": {"orders": {"config": {"rows": rows}}}}, raise_on_error=False)
    evaluation = result.get_asset_check_evaluations()[0]
    return evaluation.passed, {k: v.value for k, v in evaluation.metadata.items()}, result.run_id


def test_a_cached_run_takes_the_verdict_of_its_frame_and_a_changed_frame_is_validated_anew():
    instance = dg.DagsterInstance.ephemeral()
    passed, first, run = check_of(instance, "good")
    assert passed and first["verdict_of_run"] == run and first["failed_expectations"] == 0

    passed, again, _ = check_of(instance, "good")  # the same frame and suite: the verdict of the first run
    assert passed and again["verdict_of_run"] == run and again["frame_digest"] == first["frame_digest"]

    passed, changed, bad_run = check_of(instance, "duplicate")  # a changed frame: validated, and it fails
    assert not passed and changed["verdict_of_run"] == bad_run and changed["frame_digest"] != first["frame_digest"]
    assert [f["expectation"] for f in changed["failures"]] == ["expect_column_values_to_be_unique"]

    passed, repeated, _ = check_of(instance, "duplicate")  # a failing verdict taken again still fails
    assert not passed and repeated["verdict_of_run"] == bad_run and repeated["failures"] == changed["failures"]

    passed, other_day, _ = check_of(instance, "good", day="2026-03-03")  # the same frame on another day
    assert passed and other_day["verdict_of_run"] == run


def test_a_changed_suite_is_validated_anew(monkeypatch):
    instance = dg.DagsterInstance.ephemeral()
    assert check_of(instance, "good")[0]
    before = suite_digest(orders_suite)
    monkeypatch.setattr(sys.modules[__name__], "ALLOWED", ["a", "b"])  # a value the suite names
    assert suite_digest(orders_suite) != before
    passed, meta, run = check_of(instance, "good")
    assert not passed and meta["verdict_of_run"] == run
    assert [f["expectation"] for f in meta["failures"]] == ["expect_column_values_to_be_in_set"]


def test_a_frame_that_cannot_be_hashed_is_always_validated():
    assert expectations.frame_digest(pd.DataFrame({"links": [["a"], ["b"]]})) is None
    assert expectations.reusable_verdict(None, None, "suite") is None  # nothing looked up, validated


def test_a_cached_day_of_returns_triage_runs_every_check_and_takes_the_suite_verdict_of_the_first_run(endpoint):
    instance = dg.DagsterInstance.ephemeral()
    runs = [run_triage(instance), run_triage(instance)]
    assert all(r.success for r in runs)
    checks = [{e.asset_check_key.name: e for e in r.get_asset_check_evaluations()} for r in runs]
    assert set(checks[1]) == set(checks[0]) and len(checks[1]) == 5 and all(c.passed for c in checks[1].values())
    suite = [c["return_routing_matches_expectations"].metadata for c in checks]
    assert suite[0]["verdict_of_run"].value == runs[0].run_id  # validated by great-expectations
    assert suite[1]["verdict_of_run"].value == runs[0].run_id  # the cached day: the same routing table
