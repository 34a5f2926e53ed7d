"""Returns triage: a retailer's returns desk, from the day's returns feed to a checked routing table.

returns dropped in a folder (CSV or Parquet, sensor-triggered) → per-return classification by the cheap model
(reason, damage, fraud risk, route, confidence; structured output via `llm_map`, escalated to the strong
model when the answer is inconsistent) → routing table, validated by a great-expectations suite → high-risk,
low-confidence and injection-bearing returns sent to human review through the approval gate.
"""

from typing import Literal

import dagster as dg
import pandas as pd
from pydantic import BaseModel, Field

from assets.approval_gate import (
    ApprovalPolicy,
    Rule,
    amount_above,
    confidence_below,
    contains_injection,
    field_equals,
    send_for_approval,
)
from assets.checks.expectations import expectation_suite_check
from assets.checks.pii import pii_checks
from assets.checks.rejected_files import (
    quarantine_rejected,
    readable_files_result,
    readable_files_spec,
    rejected_metadata,
)
from assets.llm_map import llm_map
from assets.llm_map.canary_check import canary_check
from assets.llm_map.ranges import BATCH_BACKFILL, partition_keys, per_partition
from assets.prompt_evals import EvalSpec, eval_set_asset
from pipelines.partitions import daily
from pipelines.policy import workflow_job
from pipelines.prompt_catalog import prompt_file
from pipelines.returns_triage import queue as returns_queue
from pipelines.returns_triage.feed import COLUMNS, SUFFIXES, ReturnRow, feed_for_day, returns_dir
from resources.approvals.resource import ApprovalsResource
from resources.safety.injection import as_data, detect_injection
from resources.state.inbox import file_day
from resources.state.resource import StateResource
from sensors.file_drop import file_drop_sensor
from sensors.queue_sensor import queue_sensor

GROUP = "returns_triage"
ROUTES = ["restock", "refurbish", "refund", "repair", "manual_review"]

TRIAGE_FILE = prompt_file("return_triage")  # pipelines/returns_triage/prompts/return_triage.yaml
TRIAGE = TRIAGE_FILE.live_prompt


class ReturnTriage(BaseModel):
    """The model's classification of one return."""

    reason: Literal["damaged", "defective", "wrong_item", "not_as_described", "changed_mind", "late_delivery",
                    "other"]
    damage: Literal["none", "cosmetic", "functional", "severe"]
    fraud_risk: Literal["low", "medium", "high"]
    route: Literal["restock", "refurbish", "refund", "repair", "manual_review"]
    confidence: float = Field(ge=0, le=1)
    rationale: str = Field(max_length=400)


def triage_variables(row: dict) -> dict:
    return {**{c: row[c] for c in ("product", "category", "price_eur", "days_since_delivery",
                                   "customer_returns_90d")}, "note": as_data(row["customer_note"], "customer_note")}


def triage_is_consistent(row: dict, answer: ReturnTriage) -> str | None:
    """A damaged item cannot go back on the shelf: such an answer is asked again of the strong model."""
    if answer.route == "restock" and answer.damage in ("functional", "severe"):
        return f"route restock for an item with {answer.damage} damage"
    if answer.route == "repair" and answer.damage == "none" and answer.reason != "defective":
        return "route repair for an undamaged, non-defective item"
    return None


# The daily chain shares one backfill policy, so a backfill of up to 30 days of it is one run, not one per day
# (assets/llm_map/ranges.py); each asset loops over the days of its run.
@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas", "csv", "parquet"}, backfill_policy=BATCH_BACKFILL,
          check_specs=[readable_files_spec("return_files_are_all_readable", "return_requests", "file", daily)])
def return_requests(context: dg.AssetExecutionContext, state: StateResource):
    """The day's returns from every file dropped for it; an unusable file is quarantined whole (once, under its
    own day) and named by the return_files_are_all_readable warning."""
    folder, frames, files, rejected = returns_dir(state), {}, 0, {}
    for day in partition_keys(context):
        frames[day], day_files, day_rejected = feed_for_day(folder, day, context.log.info)
        quarantine_rejected(context, state, workflow=GROUP, folder=folder, rejected=day_rejected,
                            error_class="invalid_file", partition_key=day)
        files, rejected = files + len(day_files), {**rejected, **day_rejected}
    value = frames if len(frames) > 1 else next(iter(frames.values()))
    yield dg.Output(value, metadata={"returns": sum(len(f) for f in frames.values()), "files": files,
                                     "folder": str(folder), **rejected_metadata(rejected)})
    yield readable_files_result("return_files_are_all_readable", rejected)


return_classifications = llm_map(
    "return_classifications", source=return_requests, prompt=TRIAGE_FILE, response_model=ReturnTriage,
    key_column="return_id", row_model=ReturnRow, variables=triage_variables, tier="cheap",
    escalate_to="strong", escalate_on=triage_is_consistent, concurrency=8, partitions_def=daily,
    group_name=GROUP, max_failure_rate=0.2, max_input_tokens=1200, budget_usd=2.0, backfill_policy=BATCH_BACKFILL,
    description="Reason, damage, fraud risk, route and confidence per return (cheap model, escalated when "
                "inconsistent); bad rows are quarantined with the reason.")


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas"}, backfill_policy=BATCH_BACKFILL,
          ins={"return_requests": dg.AssetIn(dagster_type=dg.Any), "return_classifications": dg.AssetIn(
              dagster_type=dg.Any)})  # a DataFrame each, or {day: DataFrame} in a run over several days
def return_routing(context: dg.AssetExecutionContext, return_requests, return_classifications) -> dg.Output:
    """Where each classified return goes, with why a human must look first (fraud, injection, doubt, value)."""
    return per_partition(context, {"return_requests": return_requests,
                                   "return_classifications": return_classifications}, lambda day, **f: route(**f))


def route(return_requests: pd.DataFrame, return_classifications: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """One day's routing table."""
    requests = return_requests.drop_duplicates("return_id").set_index("return_id")
    routing = return_classifications.join(
        requests[["order_id", "sku", "price_eur", "customer_note"]], on="return_id")
    routing["price_eur"] = pd.to_numeric(routing["price_eur"])
    routing["injection"] = [", ".join(detect_injection(n or "")) for n in routing["customer_note"]]
    verdicts = [REVIEW_POLICY.evaluate(r) for r in routing.to_dict("records")]
    routing["needs_review"] = [v.needs_approval for v in verdicts]
    routing["review_reasons"] = ["; ".join(v.reasons) for v in verdicts]
    routing["review_risk"] = [v.risk for v in verdicts]
    counts = routing["route"].value_counts().to_dict()
    return dg.Output(routing, metadata={"returns": len(routing), "needs_review": int(routing["needs_review"].sum()),
                                        **{f"route_{k}": int(v) for k, v in counts.items()}})


def on_approve(row: dict) -> str:
    """What approving a return does: approved_return_refunds_sensor refunds route `refund` only."""
    if row["route"] == "refund":
        return (f"Approving refunds {float(row['price_eur']):.2f} EUR on order {row['order_id']} through the shop "
                "(returns_refund_job, launched by approved_return_refunds_sensor).")
    return f"Approving confirms route {row['route']} for return {row['return_id']}: nothing is paid or sent."


REVIEW_POLICY = ApprovalPolicy(GROUP, on_approve=on_approve, rules=[
    field_equals("fraud_risk", "high", risk="high"),
    contains_injection("customer_note"),
    field_equals("route", "manual_review"),
    confidence_below("confidence", 0.7),
    amount_above("price_eur", 500),
    Rule("refund or restock of a damaged item", lambda r: r["route"] in ("refund", "restock")
         and r["damage"] == "severe" and r["price_eur"] > 200, "high"),
])


def routing_suite() -> list:
    """Routing table: one row per return, known routes and classes, confidences in [0, 1], risky rows reviewed."""
    import great_expectations as gx

    ex = gx.expectations
    risky = 'fraud_risk == "high" or injection != ""'
    return [
        ex.ExpectColumnValuesToNotBeNull(column="return_id"),
        ex.ExpectColumnValuesToBeUnique(column="return_id"),
        ex.ExpectColumnValuesToBeInSet(column="route", value_set=ROUTES),
        ex.ExpectColumnValuesToBeInSet(column="fraud_risk", value_set=["low", "medium", "high"]),
        ex.ExpectColumnValuesToBeBetween(column="confidence", min_value=0, max_value=1),
        ex.ExpectColumnValuesToBeBetween(column="price_eur", min_value=0),
        ex.ExpectColumnValuesToBeInSet(column="needs_review", value_set=[True], row_condition=risky,
                                       condition_parser="pandas"),
    ]


return_routing_matches_expectations = expectation_suite_check(
    name="return_routing_matches_expectations", asset=return_routing, suite=routing_suite, partitions_def=daily)


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas"}, backfill_policy=BATCH_BACKFILL,
          ins={"return_routing": dg.AssetIn(dagster_type=dg.Any)})
def return_review_queue(context: dg.AssetExecutionContext, approvals: ApprovalsResource,
                        return_routing) -> dg.Output:
    """Risky returns wait for a person (`aiwf review`); the rest are routed straight through."""
    return per_partition(context, {"return_routing": return_routing},
                         lambda day, return_routing: review_queue(context, approvals, day, return_routing))


def review_queue(context, approvals: ApprovalsResource, day: str,
                 return_routing: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """One day's queue; its approvals are filed under that day."""
    result = send_for_approval(
        context, approvals, REVIEW_POLICY, return_routing, key="return_id", partition_key=day or None,
        output=lambda r: {**{k: r[k] for k in ("route", "reason", "damage", "fraud_risk", "order_id")},
                          "price_eur": float(r["price_eur"])},  # what a refund needs (order_recovery executor)
        evidence=lambda r: {"customer_note": r["customer_note"], "model": r["llm_model"],
                            "confidence": r["confidence"], "injection": r["injection"],
                            "prompt": f"{TRIAGE.name}@{r.get('prompt_version') or TRIAGE.version}"})
    ids = {a.item_key: (a.id, a.status) for a in result.pending + result.decided}
    queue = return_routing[["return_id", "route", "fraud_risk", "review_reasons"]].assign(
        approval_id=[ids.get(k, (None, None))[0] for k in return_routing["return_id"]],
        status=[ids.get(k, (None, "routed"))[1] for k in return_routing["return_id"]])
    return dg.Output(queue, metadata=result.metadata())


returns_triage_job = workflow_job("returns_triage_job", dg.AssetSelection.groups(GROUP),
                                  "The day's returns to a checked routing table and a review queue.",
                                  partitions_def=daily)
returns_redrive_job = workflow_job(
    "returns_redrive_job", dg.AssetSelection.assets(return_classifications).downstream(),
    "Re-drive quarantined returns: only rows without a checkpointed answer are sent again.", partitions_def=daily)
returns_drop_sensors = [  # one per file type; a day's run reads all its files, whichever sensor saw them first
    file_drop_sensor(f"returns_{suffix[1:]}_drop_sensor", folder=returns_dir, job=returns_triage_job,
                     first_asset=return_requests.key, suffixes=SUFFIXES, watch=(suffix,), day_of=file_day)
    for suffix in SUFFIXES]
returns_queue_sensor = queue_sensor(  # off (connects to nothing) while AIWF_RETURNS_QUEUE_URL is unset
    "returns_queue_sensor", job=returns_triage_job, first_asset=return_requests.key,
    url_env=returns_queue.QUEUE_URL_ENV, queue_env=returns_queue.QUEUE_ENV, default_queue=returns_queue.DEFAULT_QUEUE,
    folder=returns_dir, prefix=returns_queue.PREFIX, columns=COLUMNS, parse=returns_queue.parse_return,
    tags_for=returns_queue.inbox_tags, workflow=GROUP)

# The prompt's labelled golden set (`aiwf eval --prompt return_triage@V`); promote refuses a worse version.
prompt_evals = [EvalSpec(TRIAGE_FILE, TRIAGE_FILE.path.with_suffix(".eval.csv"), ReturnTriage, triage_variables,
                         "return_id")]

assets = [return_requests, return_classifications, return_routing, return_review_queue,
          *[eval_set_asset(spec) for spec in prompt_evals]]
asset_checks = [return_routing_matches_expectations,
                canary_check(return_classifications, partitions_def=daily),  # the prompt canary, when one runs
                *pii_checks("return_classifications", ["rationale"], key="return_id", partitions_def=daily)]
jobs = [returns_triage_job, returns_redrive_job]
sensors = [*returns_drop_sensors, returns_queue_sensor]
