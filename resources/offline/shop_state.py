"""TEST DOUBLE state for the local shop: products, stock, orders (resources/offline/shop_orders.py), stored
idempotent responses and a mutation log."""

import hashlib
import json
import threading
import time
from pathlib import Path

from resources.offline import shop_orders
from resources.offline.shop_orders import ShopError

SAVED = ("products", "stock", "adjustments", "orders", "refunds", "coupons", "messages", "tickets", "keys",
         "mutations", "counters")

COUNTERS = ("mutating_requests", "applied", "replays", "conflicts", "rejected", "failed_before_apply",
            "responses_lost", "reads")


class ShopState:
    """Thread-safe shop state; each key's first successful response is stored and replayed for that key."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self._lock = threading.Lock()
        self.products: dict[str, dict] = {}
        self.stock: dict[str, int] = {}
        self.adjustments: list[dict] = []
        self.orders: dict[str, dict] = {}
        self.refunds: list[dict] = []
        self.coupons: list[dict] = []
        self.messages: list[dict] = []
        self.tickets: list[dict] = []
        self.keys: dict[str, dict] = {}
        self.mutations: list[dict] = []
        self.counters = dict.fromkeys(COUNTERS, 0)
        if path and path.exists():
            self.__dict__.update(json.loads(path.read_text()))

    def seed_orders(self, orders: list[dict]) -> int:
        """Add orders not yet in the shop (existing ones keep their refunds); returns how many were added."""
        with self._lock:
            added = sum(shop_orders.seed(self.orders, dict(order)) for order in orders)
            self._save()
            return added

    def count(self, name: str) -> None:
        with self._lock:
            self.counters[name] += 1
            self._save()

    def mutate(self, method: str, path: str, params: dict, body, key: str | None) -> tuple[int, dict, bool]:
        """Apply one mutating request once per key; returns (status, response, replayed)."""
        fingerprint = hashlib.sha256(f"{method} {path} {json.dumps(body, sort_keys=True)}".encode()).hexdigest()
        with self._lock:
            stored = self.keys.get(key) if key else None
            if stored is not None:
                if stored["fingerprint"] != fingerprint:
                    self.counters["conflicts"] += 1
                    raise ShopError(422, "idempotency_error", (
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different request."))
                self.counters["replays"] += 1
                self._save()
                return stored["status"], stored["response"], True
            try:
                status, response = self._apply(method, path, params, body)
            except ShopError:
                self.counters["rejected"] += 1
                raise
            self.counters["applied"] += 1
            self.mutations.append({"seq": len(self.mutations) + 1, "key": key, "method": method, "path": path,
                                   "body": body, "ts": time.time()})
            if key:
                self.keys[key] = {"fingerprint": fingerprint, "status": status, "response": response}
            self._save()
            return status, response, False

    def _apply(self, method: str, path: str, params: dict, body) -> tuple[int, dict]:
        if "sku" not in params:
            return shop_orders.apply(self, method, path, body)
        sku = params["sku"]
        if method == "PUT":
            if not isinstance(body, dict) or not isinstance(body.get("description"), str) or not body["description"]:
                raise ShopError(400, "invalid_request_error", "a product needs a non-empty 'description'")
            price = body.get("price")
            if isinstance(price, bool) or not isinstance(price, (int, float)) or price <= 0:
                raise ShopError(400, "invalid_request_error", "a product needs a positive numeric 'price'")
            version = self.products.get(sku, {}).get("version", 0) + 1
            self.products[sku] = {**body, "sku": sku, "version": version, "updated_at": time.time()}
            return 200, self.products[sku]
        if method == "DELETE":
            if sku not in self.products:
                raise ShopError(404, "not_found", f"no product {sku}")
            del self.products[sku]
            return 200, {"sku": sku, "deleted": True}
        delta = body.get("delta") if isinstance(body, dict) else None
        if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
            raise ShopError(400, "invalid_request_error", "an adjustment needs a non-zero integer 'delta'")
        on_hand = self.stock.get(sku, 0) + delta
        if on_hand < 0:
            raise ShopError(422, "invalid_request_error", f"{sku}: only {self.stock.get(sku, 0)} on hand")
        self.stock[sku] = on_hand
        self.adjustments.append({"id": len(self.adjustments) + 1, "sku": sku, "delta": delta,
                                 "reason": body.get("reason", ""), "on_hand": on_hand})
        return 201, {"adjustment_id": len(self.adjustments), "sku": sku, "delta": delta, "on_hand": on_hand}

    def read(self, path: str) -> dict | None:
        _, kind, sku = path.split("/", 2)
        with self._lock:
            if kind == "orders":
                return shop_orders.view(self.orders[sku]) if sku in self.orders else None
            if kind == "products":
                return self.products.get(sku)
            if sku not in self.stock:
                return None
            count = sum(1 for a in self.adjustments if a["sku"] == sku)
            return {"sku": sku, "on_hand": self.stock[sku], "adjustments": count}

    def log(self) -> dict:
        with self._lock:
            return {"mutations": list(self.mutations), "counters": dict(self.counters),
                    "products": len(self.products), "stock": dict(self.stock),
                    "orders": {k: {"refunded": o["refunded"], "status": o["status"]} for k, o in self.orders.items()},
                    "refunds": list(self.refunds), "coupons": list(self.coupons), "messages": len(self.messages),
                    "tickets": len(self.tickets)}

    def _save(self) -> None:
        if self.path is None:
            return
        data = {k: getattr(self, k) for k in SAVED}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(self.path)
