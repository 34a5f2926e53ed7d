"""Catalog: a small e-commerce team's daily sync of product copy, prices and stock to the shop.

product feed + authoritative price/inventory feed → SEO descriptions in the brand voice → price monitor with
guardrails (approval above a threshold) → event-sourced inventory ledger → proposed updates, reconciled with
the authoritative feed by a blocking check → shop updates, each applied exactly once through the connector.
"""

from pathlib import Path

import dagster as dg
import pandas as pd

from assets.checks.pii import pii_checks
from assets.llm_map import llm_map
from pipelines.catalog import feeds, product_copy
from pipelines.catalog.inventory import InventoryLedger, replay, sync_events
from pipelines.catalog.prices import PRICE_RULES, apply_approvals, monitor_prices
from pipelines.catalog.push import push_updates
from pipelines.catalog.reconciliation import reconcile
from pipelines.partitions import daily
from pipelines.policy import workflow_job
from pipelines.prompt_catalog import prompt_file
from resources.approvals.resource import ApprovalsResource
from resources.connectors import ShopResource
from resources.state.inbox import inbox_dir
from resources.state.quarantine import Quarantine, quarantine_row
from resources.state.resource import StateResource

GROUP = "catalog"
UPDATE_COLUMNS = ["kind", "sku", "title", "payload_version", "status", "description", "meta_description", "price",
                  "price_source", "delta", "on_hand_after", "approval_id", "reason"]


def feeds_dir() -> Path:
    """Where the feeds are dropped: AIWF_CATALOG_FEEDS, else $AIWF_HOME/inbox/catalog (read at run time)."""
    return inbox_dir("catalog", "AIWF_CATALOG_FEEDS")


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas", "csv"})
def product_feed(context: dg.AssetExecutionContext, state: StateResource) -> dg.Output[pd.DataFrame]:
    """Products to describe: sku, title, category, facts."""
    return feeds.load_feed(context, state, feeds_dir(), "products", feeds.product_row, ["sku", "title", "category", "facts"],
                           GROUP)


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas", "csv"})
def authoritative_feed(context: dg.AssetExecutionContext, state: StateResource) -> dg.Output[pd.DataFrame]:
    """The source of truth for price, stock and floor price, per sku."""
    return feeds.load_feed(context, state, feeds_dir(), "authoritative", feeds.authoritative_row,
                           ["sku", "price", "inventory", "floor_price"], GROUP)


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas", "csv"})
def competitor_feed(context: dg.AssetExecutionContext, state: StateResource) -> dg.Output[pd.DataFrame]:
    """Competitor prices observed for our skus."""
    return feeds.load_feed(context, state, feeds_dir(), "competitors", feeds.competitor_row,
                           ["sku", "competitor", "price", "observed_at"], GROUP)


product_descriptions = llm_map(
    "product_descriptions", source=product_feed, inputs={"authoritative_feed": authoritative_feed},
    prompt=prompt_file(product_copy.PROMPT), key_column="sku", variables=product_copy.copy_variables,
    keep_columns=["title"], tier="cheap", concurrency=8, partitions_def=daily, group_name=GROUP,
    max_failure_rate=0.5, prepare=product_copy.copy_inputs, output=product_copy.description_table,
    description="SEO descriptions in the brand voice for products the shop sells; a product missing from the "
                "authoritative feed is quarantined (it has no price to publish).")


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas"})
def price_monitor(context: dg.AssetExecutionContext, approvals: ApprovalsResource, authoritative_feed: pd.DataFrame,
                  competitor_feed: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Proposed prices under the guardrails; changes above the threshold are queued for approval."""
    frame = apply_approvals(monitor_prices(authoritative_feed, competitor_feed), approvals.store(), GROUP,
                            context.run_id, context.partition_key)
    counts = frame.decision.value_counts().to_dict()
    return dg.Output(frame, metadata={**{f"decision_{k}": int(v) for k, v in counts.items()},
                                      "max_change_pct": PRICE_RULES.max_change_pct,
                                      "approval_threshold_pct": PRICE_RULES.approval_threshold_pct})


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas", "sql"})
def inventory_ledger(context: dg.AssetExecutionContext, state: StateResource,
                     authoritative_feed: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Append-only stock events bringing each sku to the authoritative count; on-hand = replay of the events."""
    targets = dict(zip(authoritative_feed.sku, authoritative_feed.inventory.astype(int)))
    rows = sync_events(InventoryLedger(state.store()), targets, context.partition_key, context.run_id)
    frame = pd.DataFrame(rows, columns=["sku", "before", "delta", "after", "target", "event_key"])
    return dg.Output(frame, metadata={"events_this_partition": int(frame.event_key.notna().sum()),
                                      "units_moved": int(frame.delta.abs().sum())})


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas"})
def proposed_updates(context: dg.AssetExecutionContext, product_descriptions: pd.DataFrame,
                     price_monitor: pd.DataFrame, inventory_ledger: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """One row per shop change: product copy + price, and stock adjustments; price changes awaiting a person
    are kept as `needs_approval` rows and never pushed."""
    day, rows = context.partition_key, []
    prices = price_monitor.set_index("sku")
    for d in product_descriptions.itertuples():
        p = prices.loc[d.sku]
        base = {"kind": "product", "sku": d.sku, "title": d.title, "payload_version": day, "status": "ready",
                "description": d.description, "meta_description": d.meta_description, "price": p.current_price,
                "price_source": "authoritative", "delta": None, "on_hand_after": None, "approval_id": None,
                "reason": p.reason}
        if p.decision == "auto":
            base.update(price=p.proposed_price, price_source="monitor_auto")
        elif p.decision == "approved":  # a new logical change: keyed by the approval, not only the day
            base.update(price=p.proposed_price, price_source="approved", approval_id=p.approval_id,
                        payload_version=f"{day}:{p.approval_id}")
        elif p.decision == "needs_approval":
            rows.append({**base, "status": "needs_approval", "price": p.proposed_price, "price_source": "monitor",
                         "approval_id": p.approval_id, "payload_version": f"{day}:{p.approval_id}"})
        rows.append(base)
    for inv in inventory_ledger[inventory_ledger.event_key.notna()].itertuples():
        rows.append({"kind": "inventory", "sku": inv.sku, "title": None, "payload_version": day, "status": "ready",
                     "description": None, "meta_description": None, "price": None, "price_source": None,
                     "delta": int(inv.delta), "on_hand_after": int(inv.after), "approval_id": None,
                     "reason": f"{inv.event_key}: sync to authoritative count"})
    frame = pd.DataFrame(rows, columns=UPDATE_COLUMNS)
    counts = frame.groupby(["kind", "status"]).size()
    return dg.Output(frame, metadata={f"{k}_{s}": int(n) for (k, s), n in counts.items()})


def _read_feed(name: str, check, columns: list[str], day: str) -> pd.DataFrame:
    return feeds.validate(pd.read_csv(feeds.feed_path(feeds_dir(), name, day), dtype=str), check, columns)[0]


@dg.asset_check(asset=proposed_updates, blocking=True, partitions_def=daily)
def proposed_updates_match_authoritative_feed(context: dg.AssetCheckExecutionContext, state: StateResource,
                                              proposed_updates: pd.DataFrame) -> dg.AssetCheckResult:
    """Before anything is committed: prices within the guardrails and from a known source, stock equal to the
    authoritative count (also when rebuilt by replaying the events), no product missing, no unknown sku.
    The feeds are read again from their source, so a bug upstream cannot vouch for itself."""
    day, ledger = context.op_execution_context.partition_key, InventoryLedger(state.store())
    authoritative = _read_feed("authoritative", feeds.authoritative_row, ["sku", "price", "inventory", "floor_price"], day)
    products = set(_read_feed("products", feeds.product_row, ["sku", "title", "category", "facts"], day).sku)
    replayed = {}
    for sku in authoritative.sku:
        event = ledger.event(f"sync:{day}:{sku}")
        replayed[sku] = replay(ledger.events(sku=sku, until_id=event["id"] if event else None)).get(sku, 0)
    ready = proposed_updates[proposed_updates.status == "ready"]
    problems = reconcile(ready, authoritative, products, replayed, PRICE_RULES.max_change_pct)
    return dg.AssetCheckResult(passed=not problems, metadata={
        "updates_checked": len(ready), "problems": len(problems), "details": dg.MetadataValue.json(problems[:50])})


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas", "http"})
def shop_updates(context: dg.AssetExecutionContext, shop: ShopResource, state: StateResource,
                 proposed_updates: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Reconciled updates sent to the shop, each under its own Idempotency-Key and at most once per the ledger;
    a failed update is quarantined and fails the step, so the retry sends only what is not done yet."""
    quarantine, day = Quarantine(state.store()), context.partition_key

    def quarantine_failure(result: dict, exc: Exception) -> None:
        quarantine_row(context, state, row_key=result["idempotency_key"] or f"{result['kind']}:{result['sku']}",
                       row=result, error_class=type(exc).__name__, reason=str(exc))

    with shop.connector(context) as connector:
        results = push_updates(connector, GROUP, proposed_updates, quarantine_failure)
        stats, breaker = connector.stats.as_metadata(), connector.breaker.state
    for key in results.loc[results.outcome.isin(["sent", "skipped"]), "idempotency_key"]:
        quarantine.resolve("shop_updates", day, key)
    counts = results.outcome.value_counts().to_dict()
    metadata = {"sent": counts.get("sent", 0), "skipped_already_done": counts.get("skipped", 0),
                "failed": counts.get("failed", 0), "held_for_approval": counts.get("held", 0),
                "replayed_by_shop": int(results.replayed.sum()), "http_requests": stats["requests"],
                "http_retries": stats["retries"], "circuit_breaker": breaker}
    if metadata["failed"] and breaker != "closed":  # the shop is down: wait out the cooldown, then resume
        raise dg.RetryRequested(max_retries=2, seconds_to_wait=shop.breaker_cooldown_s)
    if metadata["failed"]:
        raise dg.Failure(f"{metadata['failed']} shop update(s) failed and were quarantined; a retry sends only "
                         "those not done yet", metadata={**metadata, "failures": dg.MetadataValue.json(
                             results[results.outcome == "failed"].to_dict("records"))})
    return dg.Output(results, metadata=metadata)


catalog_job = workflow_job("catalog_job", dg.AssetSelection.groups(GROUP),
                           "Feeds to shop updates for one day, each change applied exactly once.",
                           partitions_def=daily)
daily_catalog_sync_7am = dg.build_schedule_from_partitioned_job(catalog_job, hour_of_day=7,
                                                                name="daily_catalog_sync_7am")

assets = [product_feed, authoritative_feed, competitor_feed, product_descriptions, price_monitor, inventory_ledger,
          proposed_updates, shop_updates]
asset_checks = [proposed_updates_match_authoritative_feed,
                *pii_checks("product_descriptions", ["description", "meta_description"], key="sku",
                            partitions_def=daily)]
jobs = [catalog_job]
schedules = [daily_catalog_sync_7am]
