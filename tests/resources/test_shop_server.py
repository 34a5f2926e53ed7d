"""The test-double shop: honours Idempotency-Key like Stripe and fails on purpose, before or after applying."""

import httpx
import pytest

from pipelines.cli import build_parser
from pipelines.cli.test_doubles import start_local_shop_if_needed
from resources.offline.shop_server import ShopServer


@pytest.fixture
def shop():
    with ShopServer() as server:
        yield server, httpx.Client(base_url=server.url)


def put(client, key, price=5.0, sku="A-1"):
    return client.put(f"/products/{sku}", json={"description": "Steel.", "price": price},
                      headers={"Idempotency-Key": key})


def test_same_key_and_payload_replays_the_stored_response(shop):
    server, client = shop
    first, second = put(client, "k1"), put(client, "k1")
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    counters = server.log()["counters"]
    assert counters["applied"] == 1 and counters["replays"] == 1 and counters["mutating_requests"] == 2
    assert client.get("/products/A-1").json()["version"] == 1


def test_same_key_with_another_payload_is_a_422_idempotency_error(shop):
    server, client = shop
    put(client, "k1", price=5.0)
    answer = put(client, "k1", price=6.0)
    assert answer.status_code == 422 and answer.json()["error"]["type"] == "idempotency_error"
    assert client.get("/products/A-1").json()["price"] == 5.0 and server.log()["counters"]["conflicts"] == 1


def test_failure_after_apply_loses_the_response_but_keeps_the_change(shop):
    server, client = shop
    server.script("after")
    lost = client.post("/inventory/A-1/adjustments", json={"delta": 3, "reason": "received"},
                       headers={"Idempotency-Key": "adj-1"})
    assert lost.status_code == 500 and client.get("/inventory/A-1").json()["on_hand"] == 3
    retry = client.post("/inventory/A-1/adjustments", json={"delta": 3, "reason": "received"},
                        headers={"Idempotency-Key": "adj-1"})
    assert retry.status_code == 201 and retry.json()["on_hand"] == 3 and retry.headers["Idempotent-Replayed"]
    assert client.get("/inventory/A-1").json() == {"sku": "A-1", "on_hand": 3, "adjustments": 1}


def test_failure_before_apply_changes_nothing(shop):
    server, client = shop
    server.script("before")
    assert put(client, "k1").status_code == 500 and client.get("/products/A-1").status_code == 404
    assert put(client, "k1").status_code == 200 and server.log()["counters"]["applied"] == 1


def test_fault_rates_are_drawn_per_request():
    with ShopServer(fail_after_apply_rate=0.5, seed=7) as server:
        client = httpx.Client(base_url=server.url)
        codes = [put(client, f"k{i}", sku=f"S-{i}").status_code for i in range(40)]
        assert 5 <= codes.count(500) <= 35 and server.log()["counters"]["applied"] == 40


def test_bad_requests_are_refused_and_not_stored(shop):
    server, client = shop
    assert client.put("/products/A-1", json={"description": "x", "price": 1}).status_code == 400  # no key
    assert put(client, "k1", price=0).status_code == 400
    assert put(client, "k1", price=4.0).status_code == 200  # a refused request did not burn the key
    short = client.post("/inventory/A-1/adjustments", json={"delta": -1, "reason": "sold"},
                        headers={"Idempotency-Key": "k2"})
    assert short.status_code == 422 and "on hand" in short.json()["error"]["message"]
    assert server.log()["counters"]["rejected"] == 2


def test_state_file_keeps_the_shop_and_its_keys_across_restarts(tmp_path):
    state = tmp_path / "shop.json"
    with ShopServer(state_path=state) as server:
        put(httpx.Client(base_url=server.url), "k1")
    with ShopServer(state_path=state) as server:
        client = httpx.Client(base_url=server.url)
        assert put(client, "k1").headers["Idempotent-Replayed"] == "true"
        assert server.log()["counters"]["applied"] == 1 and len(server.log()["mutations"]) == 1


def test_local_shop_starts_only_without_aiwf_shop_url(monkeypatch):
    monkeypatch.setenv("AIWF_SHOP_URL", "http://shop.example")
    assert start_local_shop_if_needed() == ("http://shop.example", None)
    monkeypatch.delenv("AIWF_SHOP_URL")
    url, server = start_local_shop_if_needed()
    try:
        assert server is not None and url == server.url and server.faults["after"] == 0.1
        assert httpx.get(f"{url}/_log").json()["counters"]["applied"] == 0
    finally:
        server.stop()


def test_cli_registers_shop_server():
    args = build_parser().parse_args(["shop-server", "--port", "0", "--fail-after-apply-rate", "0.1"])
    assert args.fail_after_apply_rate == 0.1 and callable(args.func)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ShopServer(fail_after_apply_rate=1.5)
