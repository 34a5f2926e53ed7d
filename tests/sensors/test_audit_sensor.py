"""finished_runs_audit_sensor: finished runs' check outcomes land in the audit trail once."""

import dagster as dg
from aiwf_state import local_store

from resources.audit.log import AuditLog
from resources.state.resource import StateResource
from sensors.audit import finished_runs_audit_sensor


def test_finished_runs_are_synced_once():
    @dg.asset
    def drafts() -> int:
        return 1

    @dg.asset_check(asset=drafts)
    def drafts_are_short() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    with dg.instance_for_test() as instance:
        run = dg.materialize([drafts, drafts_are_short], instance=instance)
        context = dg.build_sensor_context(instance=instance, resources={"state": StateResource()})
        finished_runs_audit_sensor(context)
        finished_runs_audit_sensor(dg.build_sensor_context(instance=instance, resources={"state": StateResource()}))  # cursor lost: still no duplicates
        [check] = [e for e in AuditLog(local_store()).for_run(run.run_id) if e["kind"] == "check"]
        assert check["payload"]["check"] == "drafts_are_short" and check["payload"]["passed"] is True
        assert context.cursor and AuditLog(local_store()).verify().ok
