"""Order recovery: orders that went wrong (late shipment, damaged item, supplier delay, chargeback notice) put
right by a plan, and every action of the plan taken exactly once.

problem orders dropped in a folder (CSV) → each order as the shop has it (the first look of the day kept) →
a plan per order by the strong model over the shop's tools, checked by rules before anything runs (an invalid
plan is re-planned once, then quarantined) → each plan run as a saga through the shop: refunds above
100 EUR wait for a person and continue once approved, a failed step undoes the completed ones newest first,
an order whose plan keeps failing goes to a person with the evidence.
"""

import json

import dagster as dg
import pandas as pd

from assets.checks.rejected_files import (
    quarantine_rejected,
    readable_files_result,
    readable_files_spec,
    rejected_metadata,
)
from assets.planner.executor_asset import executor_asset
from assets.planner.factory import planner_asset
from assets.planner.store import PlanStore
from pipelines.order_recovery.feed import COLUMNS, orders_dir, orders_for_day
from pipelines.order_recovery.playbook import EXECUTOR, PLANNER, WORKFLOW
from pipelines.order_recovery.resume import resume_recovery_job, returns_refund_job
from pipelines.partitions import daily
from pipelines.policy import workflow_job
from resources.connectors import ShopResource
from resources.state.inbox import file_day
from resources.state.quarantine import quarantine_row
from resources.state.resource import StateResource
from sensors.approvals import approved_items_sensor
from sensors.file_drop import file_drop_sensor

GROUP = WORKFLOW  # approvals are proposed under the workflow's name, which the approvals sensor follows
STATE_COLUMNS = [*COLUMNS, "status", "total", "currency", "refunded", "refundable", "items", "shipment"]


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas", "csv"},
          check_specs=[readable_files_spec("order_files_are_all_readable", "problem_orders")])
def problem_orders(context: dg.AssetExecutionContext, state: StateResource):
    """The day's reported problems; an unusable file or row is quarantined with the reason."""
    folder = orders_dir(state)
    frame, bad_files, bad_rows = orders_for_day(folder, context.partition_key)
    quarantine_rejected(context, state, workflow=GROUP, folder=folder, rejected=bad_files, error_class="invalid_file")
    for row_key, reason in bad_rows.items():
        quarantine_row(context, state, row_key=row_key, row={"folder": str(folder)}, error_class="invalid_row",
                       reason=reason)
    yield dg.Output(frame, metadata={"problem_orders": len(frame), "rejected_rows": len(bad_rows),
                                     **rejected_metadata(bad_files)})
    yield readable_files_result("order_files_are_all_readable", bad_files)


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas", "http"})
def order_states(context: dg.AssetExecutionContext, shop: ShopResource, state: StateResource,
                 problem_orders: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Each problem order with the shop's state of it (total, refunded, items, shipment), as first read this
    day: a re-run plans from the same state even after a refund. An order the shop does not know is quarantined."""
    snapshots, rows, unknown = PlanStore(state.store(), WORKFLOW), [], []
    with shop.connector(context) as connector:
        for report in problem_orders.to_dict(orient="records"):
            order_id = report["order_id"]
            seen = snapshots.snapshot(context.partition_key, order_id, lambda: connector.order(order_id))
            if seen is None:
                unknown.append(order_id)
                quarantine_row(context, state, row_key=order_id, row=report, error_class="unknown_order",
                               reason="the shop has no such order")
                continue
            rows.append({**{c: report[c] for c in COLUMNS}, "supplier": report["supplier"] or seen.get("supplier"),
                         "status": seen["status"], "total": float(seen["total"]), "currency": seen["currency"],
                         "refunded": float(seen["refunded"]),
                         "refundable": round(float(seen["total"]) - float(seen["refunded"]), 2),
                         "items": json.dumps(seen.get("items") or []), "shipment": json.dumps(seen.get("shipment"))})
    frame = pd.DataFrame(rows, columns=STATE_COLUMNS)
    return dg.Output(frame, metadata={"orders": len(frame), "unknown_orders": len(unknown)})


recovery_plans = planner_asset(
    "recovery_plans", source="order_states", spec=PLANNER, partitions_def=daily, group_name=GROUP, noun="orders",
    description="A recovery plan per order (strong model, the shop's tools, similar past orders from memory), "
                "checked by rules; a plan still invalid after one re-plan is quarantined with the reason.")

recovery_actions = executor_asset(
    "recovery_actions", plans="recovery_plans", items="order_states", spec=EXECUTOR, partitions_def=daily,
    group_name=GROUP, noun="orders",
    description="Each plan run as a saga through the shop, exactly once per order, step and payload version; "
                "refunds above the threshold wait for approval, a failed step compensates the completed ones.")

order_recovery_job = workflow_job("order_recovery_job", dg.AssetSelection.groups(GROUP),
                                  "Problem orders to recovery plans executed exactly once, for one day.",
                                  partitions_def=daily)
order_files_drop_sensor = file_drop_sensor("order_files_drop_sensor", folder=orders_dir, job=order_recovery_job,
                                           first_asset=problem_orders.key, suffixes=(".csv",), day_of=file_day)
approved_recovery_steps_sensor = approved_items_sensor(GROUP, resume_recovery_job,
                                                       name="approved_recovery_steps_sensor")
approved_return_refunds_sensor = approved_items_sensor("returns_triage", returns_refund_job,
                                                       name="approved_return_refunds_sensor")
daily_order_recovery_8am = dg.build_schedule_from_partitioned_job(order_recovery_job, hour_of_day=8,
                                                                  name="daily_order_recovery_8am")

assets = [problem_orders, order_states, recovery_plans, recovery_actions]
asset_checks: list = []
jobs = [order_recovery_job, resume_recovery_job, returns_refund_job]
schedules = [daily_order_recovery_8am]
sensors = [order_files_drop_sensor, approved_recovery_steps_sensor, approved_return_refunds_sensor]
