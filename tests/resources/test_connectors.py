"""Connectors: each action takes effect at most once across retries, reruns and duplicate runs; compensation
runs in reverse order; the circuit breaker opens, probes and closes."""

import json
import threading

import httpx
import pytest
from aiwf_state import local_store

from resources.connectors import (
    Action,
    ActionInDoubt,
    ActionInFlight,
    ActionLedger,
    CircuitBreaker,
    CircuitOpenError,
    CompensationFailed,
    FsspecPublisher,
    HttpConnector,
    IdempotencyConflict,
    PermanentError,
    Saga,
    ShopConnector,
    ShopResource,
    SlackWebhook,
    SqlTableWriter,
    TransientError,
    idempotency_key,
    payload_hash,
)
from resources.offline.shop_server import ShopServer
from resources.state.store import Store


@pytest.fixture
def shop():
    with ShopServer() as server:
        yield server


def connector(server, **kwargs) -> ShopConnector:
    kwargs.setdefault("breaker", CircuitBreaker(failure_threshold=50))
    kwargs.setdefault("ledger", ActionLedger(local_store()))
    return ShopConnector(server.url, backoff_base_s=0.001, backoff_max_s=0.01, **kwargs)


def product(conn, sku="SKU-1", price=10.0, version="2026-03-02", description="Plain steel."):
    return conn.product_update("catalog", sku, version, description=description, price=price)


def test_key_is_one_per_logical_change():
    key = idempotency_key("catalog", "product:A", "put_product", "2026-03-02")
    assert key == idempotency_key("catalog", "product:A", "put_product", "2026-03-02")
    for other in (("returns", "product:A", "put_product", "2026-03-02"), ("catalog", "product:B", "put_product",
                  "2026-03-02"), ("catalog", "product:A", "adjust", "2026-03-02"),
                  ("catalog", "product:A", "put_product", "2026-03-03")):
        assert idempotency_key(*other) != key
    assert payload_hash({"a": 1, "b": [1, 2]}) == payload_hash({"b": [1, 2], "a": 1})
    with pytest.raises(ValueError, match="payload_version"):
        idempotency_key("catalog", "product:A", "put_product", "")


def test_lost_response_is_retried_with_same_key_and_applied_once(shop):
    shop.script("after")  # the shop applies the change, then the answer is lost (500)
    conn = connector(shop)
    outcome = conn.execute(product(conn))
    assert outcome.status == "sent" and outcome.result["replayed"] is True
    log = shop.log()
    assert log["counters"]["applied"] == 1 and log["counters"]["mutating_requests"] == 2
    assert [m["key"] for m in log["mutations"]] == [outcome.key]
    assert conn.stats.retries == 1
    assert [h["status"] for h in conn.ledger.history(outcome.key)] == ["intent", "done"]


def test_rerun_and_duplicate_tick_send_nothing(shop):
    first = connector(shop, owner="run-a")
    action = product(first)
    assert first.execute(action).status == "sent"
    for owner in ("run-a", "run-b"):  # a step retry of the same run, then a second run from a duplicate tick
        again = connector(shop, owner=owner)
        assert again.execute(product(again)).status == "skipped"
        assert again.stats.requests == 0
    assert shop.log()["counters"]["mutating_requests"] == 1


def test_run_that_gave_up_is_completed_by_rerun_without_double_apply(shop):
    shop.script("after", "after")  # applied, then every answer of this run lost
    conn = connector(shop, max_attempts=2)
    action = product(conn)
    with pytest.raises(TransientError, match="gave up after 2 attempts"):
        conn.execute(action)
    assert conn.ledger.get(action.key)["status"] == "failed"
    rerun = connector(shop, owner="run-2")
    outcome = rerun.execute(action)
    assert outcome.status == "sent" and outcome.result["replayed"] and outcome.attempts == 2
    assert shop.log()["counters"]["applied"] == 1
    assert shop.state.products["SKU-1"]["version"] == 1


def test_same_key_with_different_payload_is_refused_before_sending(shop):
    conn = connector(shop)
    conn.execute(product(conn, price=10.0))
    with pytest.raises(IdempotencyConflict, match="Bump payload_version"):
        conn.execute(product(conn, price=12.0))
    assert shop.log()["counters"]["mutating_requests"] == 1
    assert conn.ledger.get(product(conn).key)["status"] == "done"


def test_shop_refuses_reused_key_like_stripe(shop, tmp_path):
    conn = connector(shop)
    conn.execute(product(conn, price=10.0))
    # A second system with its own ledger reuses the key for another payload: the shop says no.
    other = connector(shop, ledger=ActionLedger(Store(str(tmp_path / "other.db"), tmp_path)))
    with pytest.raises(IdempotencyConflict, match="used before with a different payload"):
        other.execute(product(other, price=12.0))
    assert shop.state.products["SKU-1"]["price"] == 10.0


def test_concurrent_duplicate_runs_apply_once(shop):
    outcomes, errors = [], []

    def run(owner):
        conn = connector(shop, owner=owner)
        try:
            outcomes.append(conn.execute(product(conn)).status)
        except ActionInFlight as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"run-{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("sent") == 1 and len(outcomes) + len(errors) == 6
    assert shop.log()["counters"]["applied"] == 1 and shop.log()["counters"]["mutating_requests"] == 1


def mock_http(responses: list, seen: list):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler)


def test_transient_failures_back_off_exponentially_with_the_same_key():
    seen, sleeps = [], []
    responses = [httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(502),
                 httpx.Response(200, json={"ok": True})]
    conn = HttpConnector("http://api.test", ledger=ActionLedger(local_store()), transport=mock_http(responses, seen), sleep=sleeps.append,
                         backoff_base_s=0.1, backoff_max_s=10, breaker=CircuitBreaker(10))
    action = Action("returns", "refund:R1", "refund", {"method": "POST", "path": "/refunds", "json": {"cents": 500}},
                    "v1")
    assert conn.execute(action).result["body"] == {"ok": True}
    assert {r.headers["Idempotency-Key"] for r in seen} == {action.key}
    assert len(seen) == 4
    for attempt, delay in enumerate(sleeps, start=1):  # equal jitter: between half and all of base * 2^(n-1)
        assert 0.05 * 2 ** (attempt - 1) <= delay <= 0.1 * 2 ** (attempt - 1)


def test_client_errors_are_not_retried():
    seen = []
    conn = HttpConnector("http://api.test", ledger=ActionLedger(local_store()), transport=mock_http([httpx.Response(400, json={
        "error": {"type": "invalid_request_error", "message": "cents must be positive"}})], seen),
        sleep=lambda s: None, breaker=CircuitBreaker(10))
    action = Action("returns", "refund:R1", "refund", {"method": "POST", "path": "/refunds", "json": {}}, "v1")
    with pytest.raises(PermanentError, match="cents must be positive"):
        conn.execute(action)
    assert len(seen) == 1 and conn.ledger.get(action.key)["status"] == "failed"


def test_circuit_breaker_opens_probes_half_open_and_closes():
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=30, clock=lambda: now[0])
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError, match="retry in"):
        breaker.before_call()
    now[0] = 31
    assert breaker.state == "half_open"
    breaker.before_call()  # the one probe
    with pytest.raises(CircuitOpenError, match="probe"):
        breaker.before_call()
    breaker.record_failure()  # probe failed: open again for a full cooldown
    assert breaker.state == "open"
    now[0] = 62
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.transitions == [("closed", "open"), ("open", "half_open"), ("half_open", "open"),
                                   ("open", "half_open"), ("half_open", "closed")]


def test_open_breaker_stops_retries_and_later_calls():
    seen = []
    conn = HttpConnector("http://down.test", ledger=ActionLedger(local_store()), transport=mock_http([httpx.Response(503)] * 10, seen),
                         sleep=lambda s: None, max_attempts=5, breaker=CircuitBreaker(3, cooldown_s=60))
    action = Action("catalog", "product:A", "put", {"method": "PUT", "path": "/products/A", "json": {}}, "v1")
    with pytest.raises(CircuitOpenError):
        conn.execute(action)
    assert len(seen) == 3
    with pytest.raises(CircuitOpenError):
        conn.execute(action)  # the rerun is refused without touching the service
    assert len(seen) == 3 and conn.ledger.get(action.key)["status"] == "failed"


def test_saga_compensates_completed_steps_in_reverse_order(shop, tmp_path):
    shop_conn = connector(shop, capture_previous=True)
    shop_conn.execute(product(shop_conn, price=10.0, version="day-1"))
    publisher = FsspecPublisher(f"file://{tmp_path}/site", ledger=ActionLedger(local_store()))
    table = SqlTableWriter("price_history", {"sku": "TEXT", "price": "REAL"}, ["sku"], store=local_store(), ledger=ActionLedger(local_store()))
    steps = [product(shop_conn, price=9.0, version="day-2"),
             shop_conn.inventory_adjustment("catalog", "SKU-1", "day-2", delta=5, reason="received"),
             publisher.publish("catalog", "products/sku-1.html", "<p>9.00</p>", "day-2"),
             table.upsert("catalog", [{"sku": "SKU-1", "price": 9.0}], "day-2")]
    conns = [shop_conn, shop_conn, publisher, table]
    with pytest.raises(RuntimeError, match="payment provider down"):
        with Saga("catalog") as saga:
            for conn, action in zip(conns, steps):
                saga.execute(conn, action)
            raise RuntimeError("payment provider down")
    assert [o.action.compensates for o in saga.compensated] == [a.key for a in reversed(steps)]
    assert [o.action.action for o in saga.compensated] == ["restore", "unpublish", "reverse_adjustment",
                                                           "restore_product"]
    ledger = ActionLedger(local_store())
    assert {ledger.get(a.key)["status"] for a in steps} == {"compensated"}
    assert shop.state.products["SKU-1"]["price"] == 10.0 and shop.state.stock["SKU-1"] == 0
    assert not (tmp_path / "site" / "products" / "sku-1.html").exists()
    assert table.target.query("SELECT * FROM price_history") == []
    # A compensated action is not silently re-applied under the same key.
    with pytest.raises(Exception, match="compensated"):
        shop_conn.execute(steps[1])


def test_failed_compensation_is_reported_with_the_step_left_in_place(shop):
    conn = connector(shop, max_attempts=1)
    step = conn.inventory_adjustment("catalog", "SKU-9", "d1", delta=2, reason="received")
    shop.script(None, "before")  # the step lands, its undo fails
    with pytest.raises(CompensationFailed, match="adjust_inventory inventory:SKU-9"):
        with Saga("catalog") as saga:
            saga.execute(conn, step)
            raise RuntimeError("later step failed")
    assert ActionLedger(local_store()).get(step.key)["status"] == "done"


def test_fsspec_publisher_is_idempotent_and_stays_in_its_root(tmp_path):
    pub = FsspecPublisher("memory://aiwf-test-site", ledger=ActionLedger(local_store()))
    action = pub.publish("content_ops", "posts/a.md", "# A", "2026-03-02")
    assert pub.execute(action).status == "sent" and pub.execute(action).status == "skipped"
    assert pub.fs.cat_file("/aiwf-test-site/posts/a.md") == b"# A"
    overwrite = pub.publish("content_ops", "posts/a.md", "# A2", "2026-03-03")
    pub.execute(overwrite)
    undo = pub.inverse_of(overwrite, json.loads(pub.ledger.get(overwrite.key)["result"]))
    assert undo.action == "restore" and undo.payload["content"] == "# A"
    with pytest.raises(ValueError, match="must stay inside"):
        pub.publish("content_ops", "../../etc/passwd", "x", "v1")


def test_sql_writer_upserts_by_key_and_rejects_bad_identifiers():
    table = SqlTableWriter("shop_prices", {"sku": "TEXT", "price": "REAL"}, ["sku"], store=local_store(), ledger=ActionLedger(local_store()))
    table.execute(table.upsert("catalog", [{"sku": "A", "price": 1.0}, {"sku": "B", "price": 2.0}], "v1"))
    table.execute(table.upsert("catalog", [{"sku": "A", "price": 1.5}], "v2"))
    rows = table.target.query("SELECT sku, price FROM shop_prices ORDER BY sku")
    assert rows == [{"sku": "A", "price": 1.5}, {"sku": "B", "price": 2.0}]
    with pytest.raises(ValueError, match="not a valid SQL identifier"):
        SqlTableWriter("prices; DROP TABLE x", {"sku": "TEXT"}, ["sku"], store=local_store(), ledger=ActionLedger(local_store()))
    with pytest.raises(ValueError, match="needs"):
        table.upsert("catalog", [{"sku": "A"}], "v3")


def _hook(seen, responses, **kwargs) -> SlackWebhook:
    return SlackWebhook("https://hooks.slack.test/services/T000/B000/SECRETTOKEN", ledger=ActionLedger(local_store()),
                        transport=mock_http(responses, seen), sleep=lambda s: None, breaker=CircuitBreaker(10), **kwargs)


def test_slack_webhook_never_resends_an_ambiguous_message_and_hides_its_url():
    seen = []
    hook = _hook(seen, [httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(500)])
    action = hook.message("catalog", "digest:2026-03-02", "2026-03-02", "11 products updated")
    with pytest.raises(ActionInDoubt, match="not re-sent") as err:
        hook.execute(action)
    assert len(seen) == 2  # the 429 was retried (Slack did not take it); the 500 was not
    with pytest.raises(ActionInDoubt):  # a rerun holds it too: nothing is posted until a person settles it
        _hook(seen, [httpx.Response(200)]).execute(action)
    assert len(seen) == 2 and ActionLedger(local_store()).get(action.key)["status"] == "in_doubt"
    assert "SECRETTOKEN" not in str(err.value)
    assert "SECRETTOKEN" not in json.dumps(ActionLedger(local_store()).rows(), default=str)
    assert seen[0].url.path == "/services/T000/B000/SECRETTOKEN"


def test_shop_resource_keeps_its_token_out_of_the_ledger(shop):
    conn = ShopResource(base_url=shop.url, api_token="sk-shop-secret").connector()
    conn.execute(product(conn))
    assert "sk-shop-secret" not in json.dumps(ActionLedger(local_store()).rows(), default=str)
    assert conn._client.headers["Authorization"] == "Bearer sk-shop-secret"


class _Crash(BaseException):
    """The process dying mid-action: not an Exception, so no handler records an outcome."""


def test_a_webhook_interrupted_after_posting_is_held_for_a_person_not_posted_twice():
    seen, ledger = [], ActionLedger(local_store(), lease_s=0)
    hook = _hook(seen, [httpx.Response(200)], owner="run-a")
    hook.ledger = ledger
    action = hook.message("content_ops", "digest:2026-03-02", "2026-03-02", "3 drafts published")
    ledger.mark = lambda *a, **k: (_ for _ in ()).throw(_Crash())  # dies after the POST, before "done"
    with pytest.raises(_Crash):
        hook.execute(action)
    assert len(seen) == 1
    rerun = _hook(seen, [httpx.Response(200)], owner="run-b")
    rerun.ledger = ActionLedger(local_store(), lease_s=0)
    with pytest.raises(ActionInDoubt, match="interrupted"):
        rerun.execute(action)
    assert len(seen) == 1  # not posted again
    rerun.ledger.settle(action.key, applied=True, by="dana", note="seen in the channel")
    assert rerun.execute(action).status == "skipped" and len(seen) == 1


def test_a_person_who_says_the_webhook_did_not_arrive_gets_it_sent_once():
    seen = []
    hook = _hook(seen, [httpx.Response(502)])
    action = hook.message("content_ops", "digest:2026-03-03", "2026-03-03", "2 drafts published")
    with pytest.raises(ActionInDoubt):
        hook.execute(action)
    hook.ledger.settle(action.key, applied=False, by="dana")
    assert _hook(seen, [httpx.Response(200)]).execute(action).status == "sent" and len(seen) == 2


def test_sql_undo_after_a_crash_between_write_and_ledger_restores_the_true_earlier_rows():
    store = local_store()
    table = SqlTableWriter("prices_undo", {"sku": "TEXT", "price": "REAL"}, ["sku"], store=store,
                           ledger=ActionLedger(store, lease_s=0), owner="run-a")
    table.execute(table.upsert("catalog", [{"sku": "A", "price": 1.0}], "v1"))
    change = table.upsert("catalog", [{"sku": "A", "price": 2.0}, {"sku": "B", "price": 5.0}], "v2")
    real_mark = table.ledger.mark
    table.ledger.mark = lambda *a, **k: (_ for _ in ()).throw(_Crash())  # the write commits, "done" is lost
    with pytest.raises(_Crash):
        table.execute(change)
    table.ledger.mark = real_mark
    rerun = SqlTableWriter("prices_undo", {"sku": "TEXT", "price": "REAL"}, ["sku"], store=store,
                           ledger=ActionLedger(store, lease_s=0), owner="run-b")
    outcome = rerun.execute(change)
    rerun.execute(rerun.inverse_of(change, outcome.result))
    assert store.query("SELECT sku, price FROM prices_undo ORDER BY sku") == [{"sku": "A", "price": 1.0}]


# --- only 2xx is success: a redirect is an answer whose outcome nobody verified ----------------------------------
@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_shop_that_redirects_a_refund_holds_it_in_doubt_never_done(code):
    seen = []
    conn = HttpConnector("http://shop.test", ledger=ActionLedger(local_store()), sleep=lambda s: None,
                         transport=mock_http([httpx.Response(code, headers={"Location": "http://elsewhere.test/"})],
                                             seen), breaker=CircuitBreaker(10))
    action = Action("order_recovery", "order:O-1#1", "refund",
                    {"method": "POST", "path": "/orders/O-1/refunds", "json": {"amount": 20}}, "v1")
    with pytest.raises(ActionInDoubt, match=f"HTTP {code}"):
        conn.execute(action)
    assert len(seen) == 1 and conn.ledger.get(action.key)["status"] == "in_doubt"  # not re-sent, not done
    with pytest.raises(ActionInDoubt):
        conn.execute(action)
    assert len(seen) == 1


def test_a_redirected_webhook_is_not_counted_as_sent():
    seen = []
    hook = _hook(seen, [httpx.Response(302, headers={"Location": "https://login.slack.test/"})])
    action = hook.message("content_ops", "digest:2026-03-04", "2026-03-04", "1 draft published")
    with pytest.raises(ActionInDoubt, match="HTTP 302"):
        hook.execute(action)
    assert hook.ledger.get(action.key)["status"] == "in_doubt" and hook.stats.sent == 0


def test_a_read_answered_with_a_redirect_is_an_error_not_an_order():
    conn = HttpConnector("http://shop.test", ledger=ActionLedger(local_store()), sleep=lambda s: None,
                         transport=mock_http([httpx.Response(301, json={"order_id": "O-1"})], []),
                         breaker=CircuitBreaker(10))
    with pytest.raises(PermanentError, match="HTTP 301"):
        conn.get("/orders/O-1")
