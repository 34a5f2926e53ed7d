"""The planner on the row engine: a refused plan is asked again once with the rules' problems in the request (seen at
the server), then quarantined with them; an order the model cannot answer is quarantined too, and neither fails the
step; a re-run sends nothing."""

import json
import shutil

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store

from assets.llm_map.factory import spec_of
from pipelines.cli.demo import SAMPLES
from pipelines.order_recovery import workflow
from resources.connectors import ShopResource
from resources.llm import LLMResource
from resources.llm.ledger import CallLedger
from resources.memory import MemoryResource
from resources.offline.llm_server import OfflineLLMServer
from resources.offline.shop_server import ShopServer
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.quarantine import Quarantine
from resources.state.resource import StateResource

DAY = "2026-03-02"
POISON = "ZX-POISON-ROW"  # the offline server answers a request holding this with a final 400


class Bodies:
    """ASGI middleware: every chat completion request body the server received."""

    def __init__(self, app):
        self.app, self.seen = app, []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].endswith("/chat/completions"):
            return await self.app(scope, receive, send)
        chunks = []

        async def replay():
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        self.seen.append(json.loads(b"".join(chunks)))
        await self.app(scope, replay, send)


@pytest.fixture
def server():
    server = OfflineLLMServer(fail_400_on=POISON)
    bodies = server.app = Bodies(server.app)
    with server:
        yield server, bodies


@pytest.fixture
def resources(server, tmp_path, monkeypatch):
    folder = tmp_path / "orders"
    shutil.copytree(SAMPLES / "orders", folder, ignore=shutil.ignore_patterns("shop"))
    csv = folder / f"orders_{DAY}.csv"
    orders = pd.read_csv(csv, dtype=str)
    orders.loc[orders.order_id == "O-1004", "customer_note"] = f"Still waiting. {POISON}"
    orders.to_csv(csv, index=False)
    monkeypatch.setenv("AIWF_ORDERS_DIR", str(folder))
    shop_orders = json.loads((SAMPLES / "orders" / "shop" / "orders.json").read_text())
    with ShopServer(orders=shop_orders) as shop:
        state = StateResource()
        yield {"state": state, "memory": MemoryResource(state=state), "io_manager": ParquetIOManager(state=state),
               "llm": LLMResource(base_url=server[0].url, api_key="sk-test", backoff_base_s=0.01,
                                  backoff_max_s=0.05),
               "shop": ShopResource(base_url=shop.url, state=state, backoff_base_s=0.01, backoff_max_s=0.05)}


def plan(resources):
    assets = [workflow.problem_orders, workflow.order_states, workflow.recovery_plans]
    result = dg.materialize(assets, resources=resources, partition_key=DAY)
    assert result.success  # a refused plan and an unanswerable order fail no step
    return result


def user_text(body: dict) -> str:
    return body["messages"][-1]["content"]


def test_a_refused_plan_is_asked_again_once_with_the_problems_then_quarantined(server, resources):
    _, bodies = server
    result = plan(resources)

    plans = result.output_for_node("recovery_plans").set_index("order_id")
    assert plans.loc["O-1006", "status"] == "quarantined" and plans.loc["O-1006", "attempts"] == 2
    assert plans.loc["O-1004", "status"] == "quarantined"  # the model refused it: this order only
    assert (plans.status == "planned").sum() == 5 and plans.loc["O-1001", "attempts"] == 1
    asks = [b for b in bodies.seen if "Order O-1006:" in user_text(b)]
    assert len(asks) == 2  # asked, then asked again once
    assert "refused" not in user_text(asks[0])
    assert "Your previous answer was refused by the checks:\n- refund total 180.00 exceeds the refundable 120.00" \
        in user_text(asks[1])
    quarantined = {q["row_key"]: q for q in Quarantine(local_store()).rows("recovery_plans")}
    assert quarantined["O-1006"]["error_class"] == "invalid_after_reask"
    assert "exceeds the refundable" in quarantined["O-1006"]["reason"]
    assert quarantined["O-1004"]["error_class"] == "context_too_long"
    calls = [r for r in CallLedger(local_store()).rows() if r["asset_key"] == "recovery_plans"
             and r["kind"] == "chat"]
    assert len({r["request_hash"] for r in calls}) == 7 + 1  # one request per order, and the re-ask its own
    meta = result.asset_materializations_for_node("recovery_plans")[0].metadata
    assert meta["orders_planned"].value == 5 and meta["plans_rejected"].value == 2
    assert meta["rows_quarantined_model"].value == 2 and meta["requests_planned"].value == 7

    sent = len(bodies.seen)
    again = plan(resources)  # kept plans from checkpoints; the refused ones from the cache: nothing sent
    assert len(bodies.seen) == sent + 1  # only the poisoned order is asked again (an error is never cached)
    assert again.asset_materializations_for_node("recovery_plans")[0].metadata["plans_cached"].value == 6


def test_the_planner_is_a_row_engine_step_with_a_shadow_candidate():
    spec = spec_of("recovery_plans")
    assert spec is not None and spec.reask_on is not None and spec.max_reasks == 1
    assert spec.prompt_file is not None and "2" in spec.prompt_file.versions
    assert spec.prompt_file.compare == ("status", "plan_hash")


def test_a_shadow_run_of_the_planner_compares_plans_and_changes_no_table(server, resources, aiwf_home, monkeypatch,
                                                                         capsys):
    from pipelines import cli

    plan(resources)
    store = local_store()
    before = {t: store.query(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"]
              for t in ("quarantine", "llm_checkpoints", "planner_runs", "audit_events")}
    tables = {p: p.read_bytes() for p in (aiwf_home / "tables").rglob("*.parquet")}
    monkeypatch.setenv("OPENAI_BASE_URL", server[0].url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    code = cli.main(["shadow", "--asset", "recovery_plans", "--partition", DAY, "--prompt-version", "2", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["candidate"] == "order_recovery_plan@2" and set(summary["per_field"]) == {"status", "plan_hash"}
    assert summary["agreement"] == 1.0 and summary["rows"] == 7 and summary["side_effects_sent"] == 0
    assert summary["approvals_created"] == 0 and summary["cost_usd"] > 0
    assert {p: p.read_bytes() for p in (aiwf_home / "tables").rglob("*.parquet")} == tables
    assert {t: store.query(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"] for t in before} == before
