"""The tool registry over idempotent connectors, and the test-double shop's order desk it drives."""

import httpx
import pytest
from aiwf_state import local_store
from pydantic import ValidationError

from resources.connectors import (
    ActionLedger,
    CircuitBreaker,
    FsspecPublisher,
    PermanentError,
    Saga,
    ShopConnector,
    SlackWebhook,
    SqlTableWriter,
)
from resources.connectors.tools import NOTE, ToolRegistry, builtin_tools, shop_tools
from resources.offline.shop_server import ShopServer, seed_orders

ORDER = {"order_id": "O-1", "total": 80.0, "currency": "EUR", "items": [{"sku": "A", "qty": 1, "price": 80.0}],
         "shipment": {"status": "delivered"}, "customer": {"email": "a@example.com"}}


@pytest.fixture
def shop():
    with ShopServer(orders=[ORDER]) as server:
        yield server


def connector(server) -> ShopConnector:
    return ShopConnector(server.url, ledger=ActionLedger(local_store()), backoff_base_s=0.001, backoff_max_s=0.01,
                         breaker=CircuitBreaker(failure_threshold=50))


def run(conn, tool: str, step: int, **arguments):
    action = shop_registry().get(tool).action(conn, workflow="orders", item_key="O-1", step=step, version="v1",
                                              arguments=arguments)
    return action, conn.execute(action)


def shop_registry() -> ToolRegistry:
    return ToolRegistry(tuple(shop_tools(refund_approval_above=50)))


def test_registry_describes_its_tools_and_checks_their_arguments():
    registry = shop_registry()
    assert registry.names() == ["refund", "coupon", "supplier_ticket", "message", "note"]
    lines = registry.describe().splitlines()
    assert lines[0] == ("- refund(amount: float, currency: str, reason: str): refund part or all of the order "
                        "[changes the outside world; undone by reverse_refund; moves money (amount); a person "
                        "approves above 50]")
    assert "cannot be undone" in lines[3] and "no side effect" in lines[4]
    refund = registry.get("refund")
    assert refund.needs_approval({"amount": 50.01}) and not refund.needs_approval({"amount": 50})
    assert not registry.with_approval("refund", None).get("refund").needs_approval({"amount": 10_000})
    with pytest.raises(ValidationError):
        refund.validate({"amount": 5, "currency": "EUR", "reason": "ok", "percent": 5})  # unknown argument
    with pytest.raises(KeyError, match="no tool 'wire'"):
        registry.get("wire")
    with pytest.raises(ValueError, match="unique"):
        ToolRegistry((NOTE, NOTE))
    assert NOTE.action(None, workflow="w", item_key="i", step=1, version="v", arguments={"note": "x"}) is None


def test_order_desk_refunds_once_and_compensations_undo(shop):
    conn = connector(shop)
    assert conn.order("O-1") == {"order_id": "O-1", "status": "paid", "items": ORDER["items"], "total": 80.0,
                                 "currency": "EUR", "refunded": 0.0, "shipment": {"status": "delivered"},
                                 "supplier": None}
    assert conn.order("O-404") is None
    shop.script("after")  # the refund is applied, its answer lost: the retry with the same key is replayed
    refund, done = run(conn, "refund", 1, amount=30, currency="EUR", reason="damaged")
    assert done.result["status_code"] == 201 and done.result["body"]["status"] == "succeeded"
    assert done.result["replayed"] and shop.log()["counters"]["applied"] == 1
    with pytest.raises(PermanentError, match="exceeds the refundable 50.00"):
        run(conn, "refund", 2, amount=60, currency="EUR", reason="more")
    with Saga("orders") as saga:  # coupon then refund undone newest first
        saga.execute(conn, refund)
        saga.execute(conn, run(conn, "coupon", 3, percent=10, reason="sorry")[0])
        saga.compensate()
    assert [o.action.action for o in saga.compensated] == ["delete_coupon", "reverse_refund"]
    assert shop.log()["orders"]["O-1"] == {"refunded": 0.0, "status": "paid"}
    assert run(conn, "message", 4, channel="email", body="Sorry!")[1].result["status_code"] == 201
    ticket = run(conn, "supplier_ticket", 5, supplier="SUP-1", issue="late beans")[1]
    assert ticket.result["body"]["ticket_id"] == "tk_0001"
    applied = {r["idempotency_key"] for r in conn.ledger.rows() if r["status"] != "failed"}  # the 422 applied nothing
    assert sorted(m["key"] for m in shop.log()["mutations"]) == sorted(applied)  # each key applied once


def test_order_desk_refuses_what_a_shop_would(shop):
    client = httpx.Client(base_url=shop.url, headers={"Idempotency-Key": "k"})
    assert seed_orders(shop.url, [{**ORDER, "order_id": "O-2", "customer": {}}, ORDER]) == 1  # O-1 kept as is
    assert client.post("/orders/O-2/messages", json={"channel": "email", "body": "hi"}).status_code == 422
    assert client.post("/orders/O-1/refunds", json={"amount": 5, "currency": "USD", "reason": "x"}).status_code == 400
    assert client.post("/orders/O-9/coupons", json={"percent": 5, "reason": "x"}).status_code == 404
    assert client.delete("/coupons/cp_0042").status_code == 404
    assert shop.log()["counters"]["applied"] == 0


def test_builtin_tools_cover_the_other_connectors(tmp_path):
    registry, ledger = builtin_tools(), ActionLedger(local_store())
    publisher = FsspecPublisher(f"file://{tmp_path}/site", ledger=ledger)
    page = registry.get("publish_file").action(publisher, workflow="w", item_key="i", step=1, version="v",
                                               arguments={"path": "a.md", "content": "# A"})
    assert publisher.execute(page).status == "sent" and (tmp_path / "site" / "a.md").read_text() == "# A"
    writer = SqlTableWriter("notes", {"id": "TEXT", "body": "TEXT"}, ["id"], store=local_store(), ledger=ledger)
    upsert = registry.get("sql_upsert").action(writer, workflow="w", item_key="i", step=2, version="v",
                                               arguments={"rows": [{"id": "1", "body": "x"}]})
    assert writer.execute(upsert).status == "sent" and upsert.entity == "i#2"
    hook = SlackWebhook("https://hooks.example.com/services/T/B/secret", ledger=ledger)
    post = registry.get("post_webhook").action(hook, workflow="w", item_key="i", step=3, version="v",
                                               arguments={"text": "done"})
    assert post.payload == {"text": "done"} and "secret" not in str(post.payload)
