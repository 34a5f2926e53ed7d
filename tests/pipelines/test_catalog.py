"""The catalog workflow: guardrails, the event-sourced inventory ledger, reconciliation, and every shop change
applied exactly once against a shop that loses 10% of its answers."""

import shutil

import pandas as pd
import pytest
from aiwf_state import local_store

from pipelines.catalog import feeds
from pipelines.catalog import workflow as catalog
from pipelines.catalog.inventory import InventoryLedger, replay, sync_events
from pipelines.catalog.prices import monitor_prices
from pipelines.catalog.reconciliation import reconcile
from pipelines.cli.demo import CATALOG_DAY, SAMPLES
from resources.approvals.resource import ApprovalsResource
from resources.connectors import ActionLedger
from resources.offline.shop_server import ShopServer
from resources.state.quarantine import Quarantine
from resources.state.resource import StateResource
from resources.state.store import Store

DAY = CATALOG_DAY
AUTH_COLUMNS = ["sku", "price", "inventory", "floor_price"]


def sample(name, check, columns):
    return feeds.validate(pd.read_csv(SAMPLES / "catalog" / f"{name}.csv", dtype=str), check, columns)[0]


def authoritative():
    return sample("authoritative", feeds.authoritative_row, AUTH_COLUMNS)


def test_price_monitor_applies_guardrails():
    competitors = sample("competitors", feeds.competitor_row, ["sku", "competitor", "price", "observed_at"])
    prices = monitor_prices(authoritative(), competitors).set_index("sku")
    assert prices.loc["KTL-GOOSE-1L", ["decision", "proposed_price"]].tolist() == ["auto", 62.0]  # cheapest of two
    assert prices.loc["GRD-BURR-C40", "decision"] == "needs_approval"  # -5.1% is above the 5% threshold
    scale = prices.loc["SCL-TIMER-01"]  # competitor -28.6%: clamped to -15% (35.70), then up to the floor
    assert (scale.decision, scale.proposed_price, bool(scale.clamped)) == ("needs_approval", 36.0, True)
    assert prices.loc["CBR-JAR-1L", "decision"] == "keep"  # -0.5% is noise
    assert prices.loc["BEAN-ETH-250", "decision"] == "keep"  # the competitor is dearer
    assert prices.loc["FLT-V60-100", "reason"] == "no competitor price"


def test_invalid_feed_rows_are_quarantined_with_the_reason(tmp_path, monkeypatch):
    import dagster as dg

    from resources.state.parquet_io_manager import ParquetIOManager

    (tmp_path / DAY).mkdir()
    pd.DataFrame([{"sku": "A-1", "price": "5", "inventory": "3", "floor_price": "4"},
                  {"sku": "A-2", "price": "-1", "inventory": "3", "floor_price": "1"},
                  {"sku": "A-1", "price": "6", "inventory": "3", "floor_price": "4"},
                  {"sku": "bad sku!", "price": "5", "inventory": "2", "floor_price": "4"},
                  {"sku": "A-3", "price": "5", "inventory": "two", "floor_price": "4"}],
                 ).to_csv(tmp_path / DAY / "authoritative.csv", index=False)
    monkeypatch.setenv("AIWF_CATALOG_FEEDS", str(tmp_path))
    result = dg.materialize([catalog.authoritative_feed], partition_key=DAY,
                            resources={"io_manager": ParquetIOManager(), "state": StateResource()})
    assert result.output_for_node("authoritative_feed").sku.tolist() == ["A-1"]
    assert [(q["row_key"], q["reason"]) for q in Quarantine(local_store()).rows("authoritative_feed")] == [
        ("A-2", "price must be a positive amount, got '-1'"), ("A-1", "duplicate sku A-1"),
        ("bad sku!", "invalid sku 'bad sku!'"), ("A-3", "inventory must be a whole number >= 0, got 'two'")]


def test_replaying_inventory_events_rebuilds_the_same_state(tmp_path):
    ledger = InventoryLedger(local_store())
    day1 = sync_events(ledger, {"A": 10, "B": 4}, "2026-03-01", "run-1")
    assert sync_events(ledger, {"A": 10, "B": 4}, "2026-03-01", "run-2") == day1  # a rerun appends nothing
    day2 = sync_events(ledger, {"A": 7, "B": 4, "C": 2}, "2026-03-02", "run-3")
    assert [(r["sku"], r["before"], r["delta"], r["after"]) for r in day2] == [("A", 10, -3, 7), ("B", 4, 0, 4),
                                                                           ("C", 0, 2, 2)]
    assert len(ledger.events()) == 4
    assert sync_events(ledger, {"A": 10, "B": 4}, "2026-03-01", "run-4") == day1  # history is stable
    state = ledger.state()
    assert state == {"A": 7, "B": 4, "C": 2}
    copy = InventoryLedger(Store(str(tmp_path / "copy.db"), tmp_path))  # replay the event log somewhere else
    from pipelines.catalog.inventory import InventoryEvent
    copy.append([InventoryEvent(e["event_key"], e["sku"], e["delta"], e["reason"], e["source"])
                 for e in ledger.events()])
    assert copy.state() == state == replay(ledger.events())
    assert ledger.state(until_id=ledger.events()[1]["id"]) == {"A": 10, "B": 4}


def good_updates() -> pd.DataFrame:
    rows = [{"kind": "product", "sku": a.sku, "price": a.price, "price_source": "authoritative",
             "description": "Plain steel.", "on_hand_after": None} for a in authoritative().itertuples()]
    rows += [{"kind": "inventory", "sku": a.sku, "price": None, "price_source": None, "description": None,
              "on_hand_after": a.inventory} for a in authoritative().itertuples()]
    return pd.DataFrame(rows)


def test_reconciliation_finds_what_must_not_be_committed():
    auth = authoritative()
    replayed = dict(zip(auth.sku, auth.inventory))
    args = (auth, set(auth.sku), replayed, 15.0)
    assert reconcile(good_updates(), *args) == []
    bad = good_updates()
    bad.loc[0, "price"] = 60.0  # authoritative source but a different price
    bad.loc[1, ["price", "price_source"]] = [50.0, "approved"]  # below floor and beyond the guardrail
    bad.loc[len(auth), "on_hand_after"] = 1
    bad = pd.concat([bad.drop(index=2), pd.DataFrame([{"kind": "product", "sku": "NOT-SOLD", "price": 1.0,
                                                       "price_source": "authoritative", "description": "x"}])])
    problems = {(p["sku"], p["problem"].split(" ")[0]) for p in reconcile(bad, auth, set(auth.sku),
                                                                          {**replayed, "BRS-CLEAN-01": 0}, 15.0)}
    assert problems == {("KTL-GOOSE-1L", "price"), ("GRD-BURR-C40", "price"), ("KTL-GOOSE-1L", "on"),
                        ("DRP-V60-02", "no"), ("NOT-SOLD", "sku"), ("BRS-CLEAN-01", "replaying")}


@pytest.fixture
def lossy_shop(offline_llm, offline_server, monkeypatch):
    """The Definitions' own resources, pointed at the offline model and a shop losing 10% of its answers."""
    monkeypatch.setenv("OPENAI_BASE_URL", offline_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with ShopServer(fail_after_apply_rate=0.1, seed=11) as shop:
        monkeypatch.setenv("AIWF_SHOP_URL", shop.url)
        yield shop


@pytest.fixture(autouse=True)
def catalog_inbox(aiwf_home):
    """The sample feeds the demo seeds, dropped in this test's catalog inbox."""
    shutil.copytree(SAMPLES / "catalog", aiwf_home / "inbox" / "catalog")


def run_catalog():
    from pipelines.definitions import defs

    return defs.resolve_job_def("catalog_job").execute_in_process(partition_key=DAY, raise_on_error=False)


def shop_metadata(result) -> dict:
    meta = result.asset_materializations_for_node("shop_updates")[0].metadata
    return {k: v.value for k, v in meta.items() if k in ("sent", "skipped_already_done", "failed", "held_for_approval")}


def test_catalog_job_applies_each_change_exactly_once(lossy_shop):
    first = run_catalog()
    assert first.success
    log = lossy_shop.log()
    keys = [m["key"] for m in log["mutations"]]
    done = {r["idempotency_key"] for r in ActionLedger(local_store()).rows("catalog") if r["status"] == "done"}
    assert log["counters"]["responses_lost"] > 0  # the lost-response case really happened
    assert len(keys) == len(set(keys)) == 22 and set(keys) == done  # 11 products + 11 stock adjustments
    assert shop_metadata(first) == {"sent": 22, "skipped_already_done": 0, "failed": 0, "held_for_approval": 2}
    for a in authoritative().itertuples():
        assert lossy_shop.state.stock[a.sku] == a.inventory
    prices = {sku: p["price"] for sku, p in lossy_shop.state.products.items()}
    assert prices["KTL-GOOSE-1L"] == 62.0 and prices["BEAN-COL-1KG"] == 46.0  # small changes went through
    assert prices["GRD-BURR-C40"] == 89.0 and prices["SCL-TIMER-01"] == 42.0  # big ones wait for a person
    assert "MUG-STONE-350" not in prices
    assert [q["row_key"] for q in Quarantine(local_store()).rows("product_descriptions")] == ["MUG-STONE-350"]

    before = log["counters"]["mutating_requests"]
    second = run_catalog()  # a rerun, or a second tick for the same day
    assert second.success and lossy_shop.log()["counters"]["mutating_requests"] == before
    assert shop_metadata(second) == {"sent": 0, "skipped_already_done": 22, "failed": 0, "held_for_approval": 2}


def pending_approvals() -> dict:
    from resources.approvals.store import ApprovalStore

    return {a.item_key: a.id for a in ApprovalStore(local_store()).list(status="pending", workflow="catalog")}


def test_reviewer_typo_is_blocked_by_reconciliation(lossy_shop):
    from resources.approvals.store import ApprovalStore

    assert run_catalog().success
    pending = pending_approvals()
    assert set(pending) == {"price:GRD-BURR-C40", "price:SCL-TIMER-01"}
    ApprovalStore(local_store()).edit_and_approve(pending["price:GRD-BURR-C40"], "sam", {"sku": "GRD-BURR-C40", "price": 8.9})
    before = lossy_shop.log()["counters"]["mutating_requests"]
    blocked = run_catalog()
    [check] = [c for c in blocked.get_asset_check_evaluations()
               if c.check_name == "proposed_updates_match_authoritative_feed"]
    assert not blocked.success and not check.passed  # 8.90 is below the floor and beyond the guardrail
    assert {p["sku"] for p in check.metadata["details"].value} == {"GRD-BURR-C40"}
    assert lossy_shop.log()["counters"]["mutating_requests"] == before  # nothing was committed


def test_approved_price_changes_are_pushed_exactly_once(lossy_shop):
    from resources.approvals.store import ApprovalStore

    assert run_catalog().success
    for approval_id in pending_approvals().values():
        ApprovalStore(local_store()).approve(approval_id, "sam")
    approved = run_catalog()
    assert approved.success and shop_metadata(approved)["sent"] == 2  # one new change per approval
    assert lossy_shop.state.products["SCL-TIMER-01"]["price"] == 36.0
    assert lossy_shop.state.products["GRD-BURR-C40"]["price"] == 84.5
    before = lossy_shop.log()["counters"]["mutating_requests"]
    assert run_catalog().success and lossy_shop.log()["counters"]["mutating_requests"] == before


def test_shop_outage_opens_the_breaker_and_a_later_run_sends_only_what_is_missing(offline_llm):
    import socket

    import dagster as dg

    from resources.connectors import ShopResource
    from resources.state.parquet_io_manager import ParquetIOManager

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    shop = ShopResource(base_url=f"http://127.0.0.1:{port}", max_attempts=2, backoff_base_s=0.01,
                        breaker_threshold=3, breaker_cooldown_s=0.2)
    resources = {"llm": offline_llm, "io_manager": ParquetIOManager(), "shop": shop, "state": StateResource(),
                 "approvals": ApprovalsResource()}
    everything = catalog.assets + catalog.asset_checks

    down = dg.materialize(everything, resources=resources, partition_key=DAY, raise_on_error=False)
    assert not down.success  # nobody listening: the breaker opened, the step waited and retried, then gave up
    assert sum(e.event_type_value == "STEP_UP_FOR_RETRY" for e in down.all_events) == 2
    statuses = {r["status"] for r in ActionLedger(local_store()).rows("catalog")}
    assert statuses == {"failed"} and Quarantine(local_store()).rows("shop_updates")
    with ShopServer(port=port) as server:
        up = dg.materialize(everything, resources=resources, partition_key=DAY, raise_on_error=False)
        assert up.success and server.log()["counters"]["applied"] == 22
    assert ActionLedger(local_store()).counts("catalog")["done"] == 22 and not Quarantine(local_store()).rows("shop_updates")
