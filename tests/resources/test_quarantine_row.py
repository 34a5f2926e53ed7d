"""quarantine_row: a step names the row and why; run id, asset, partition and workflow come from its context."""

import dagster as dg
from aiwf_state import local_store

from resources.state.quarantine import Quarantine, quarantine_row
from resources.state.resource import StateResource

daily = dg.DailyPartitionsDefinition(start_date="2026-03-01")


@dg.asset(partitions_def=daily, group_name="intake")
def parsed_rows(context: dg.AssetExecutionContext, state: StateResource) -> None:
    quarantine_row(context, state, row_key="r1", row={"raw": "x"}, error_class="invalid_row", reason="no sku")
    quarantine_row(context, state.store(), row_key="r2", row={}, error_class="e", reason="why", attempts=3,
                   workflow="other", partition_key="2026-03-01")


def test_a_row_is_quarantined_with_what_the_context_knows():
    result = dg.materialize([parsed_rows], partition_key="2026-03-02", resources={"state": StateResource()})
    rows = {r["row_key"]: r for r in Quarantine(local_store()).rows()}
    assert {k: rows["r1"][k] for k in ("workflow", "asset_key", "partition_key", "run_id", "payload", "reason",
                                       "error_class", "attempts")} == {
        "workflow": "intake", "asset_key": "parsed_rows", "partition_key": "2026-03-02", "run_id": result.run_id,
        "payload": {"raw": "x"}, "reason": "no sku", "error_class": "invalid_row", "attempts": 1}
    assert (rows["r2"]["workflow"], rows["r2"]["partition_key"], rows["r2"]["attempts"]) == ("other", "2026-03-01", 3)
    assert [r["row_key"] for r in Quarantine(local_store()).rows(run_id=result.run_id, partition_key="2026-03-01")] \
        == ["r2"]
