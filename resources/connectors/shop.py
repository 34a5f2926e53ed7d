"""The shop API (AIWF_SHOP_URL): product updates, inventory adjustments and the order desk (refunds, coupons,
customer messages, supplier tickets) as keyed, ledgered actions."""

import re
from typing import Any
from urllib.parse import quote

from resources.connectors.action import Action
from resources.connectors.http import HttpConnector

_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ShopConnector(HttpConnector):
    """`PUT /products/{sku}`, `POST /inventory/{sku}/adjustments` and the order desk, each change with its own
    Idempotency-Key.

    With `capture_previous`, a product update first reads the product so that compensation can restore it
    (or delete it if it did not exist); inventory adjustments are undone by the opposite adjustment, a refund
    by reversing it, a coupon by deleting it. Messages and supplier tickets cannot be undone.
    """

    name = "shop"

    def __init__(self, base_url: str, *, capture_previous: bool = False, **kwargs):
        super().__init__(base_url, **kwargs)
        self.capture_previous = capture_previous

    def product_update(self, workflow: str, sku: str, version: str, *, description: str, price: float, **extra) -> Action:
        """Set a product's description and price (plus any `extra` fields) for this payload version."""
        if not isinstance(price, (int, float)) or price <= 0:
            raise ValueError(f"product {sku}: price must be a positive number, got {price!r}")
        body = {"description": description, "price": round(float(price), 2), **extra}
        return Action(workflow, f"product:{sku}", "put_product", _call("PUT", f"/products/{_sku(sku)}", body), version)

    def inventory_adjustment(self, workflow: str, sku: str, version: str, *, delta: int, reason: str) -> Action:
        """Change on-hand stock by `delta` (one adjustment per sku and payload version)."""
        if int(delta) != delta or delta == 0:
            raise ValueError(f"inventory {sku}: delta must be a non-zero integer, got {delta!r}")
        body = {"delta": int(delta), "reason": reason}
        path = f"/inventory/{_sku(sku)}/adjustments"
        return Action(workflow, f"inventory:{sku}", "adjust_inventory", _call("POST", path, body), version)

    def refund(self, workflow: str, order_id: str, version: str, *, amount: float, currency: str, reason: str,
               step: int | None = None) -> Action:
        """Refund `amount` of an order (the shop refuses more than it has left to refund: 422)."""
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount <= 0:
            raise ValueError(f"order {order_id}: a refund amount must be positive, got {amount!r}")
        body = {"amount": round(float(amount), 2), "currency": currency, "reason": reason}
        return self._order_action(workflow, order_id, step, "refund", "refunds", body, version)

    def coupon(self, workflow: str, order_id: str, version: str, *, percent: float, reason: str,
               step: int | None = None) -> Action:
        """A goodwill coupon of `percent` for the order's customer."""
        body = {"percent": float(percent), "reason": reason}
        return self._order_action(workflow, order_id, step, "coupon", "coupons", body, version)

    def message(self, workflow: str, order_id: str, version: str, *, channel: str, body: str,
                step: int | None = None) -> Action:
        """A message to the order's customer (cannot be unsent: plan it last)."""
        return self._order_action(workflow, order_id, step, "message", "messages",
                                  {"channel": channel, "body": body}, version)

    def supplier_ticket(self, workflow: str, order_id: str, version: str, *, supplier: str, issue: str,
                        step: int | None = None) -> Action:
        """A ticket with the order's supplier."""
        call = _call("POST", f"/suppliers/{_sku(supplier)}/tickets", {"order_id": order_id, "issue": issue})
        return Action(workflow, _order_entity(order_id, step), "supplier_ticket", call, version)

    def _order_action(self, workflow, order_id, step, action, what, body, version) -> Action:
        call = _call("POST", f"/orders/{_sku(order_id)}/{what}", body)
        return Action(workflow, _order_entity(order_id, step), action, call, version)

    def order(self, order_id: str) -> dict | None:
        """The order as the shop has it now (status, items, total, currency, refunded, shipment); None if unknown."""
        return self.get(f"/orders/{_sku(order_id)}")

    def product(self, sku: str) -> dict | None:
        return self.get(f"/products/{_sku(sku)}")

    def inventory(self, sku: str) -> dict | None:
        return self.get(f"/inventory/{_sku(sku)}")

    def _perform(self, action: Action, key: str) -> dict[str, Any]:
        previous = None
        if action.action == "put_product" and self.capture_previous:
            previous = self.get(action.payload["path"])
        result = super()._perform(action, key)
        return {**result, "previous": previous} if action.action == "put_product" else result

    def inverse_of(self, action: Action, result: dict | None) -> Action | None:
        path, body = action.payload["path"], (result or {}).get("body") or {}
        if action.action == "refund" and body.get("refund_id"):
            call = _call("POST", f"/refunds/{_sku(body['refund_id'])}/reverse", {"reason": f"compensate {action.key}"})
            return action.inverse("reverse_refund", call)
        if action.action == "coupon" and body.get("coupon_id"):
            return action.inverse("delete_coupon", _call("DELETE", f"/coupons/{_sku(body['coupon_id'])}", None))
        if action.action == "adjust_inventory":
            body = {"delta": -action.payload["json"]["delta"], "reason": f"compensate {action.key}"}
            return action.inverse("reverse_adjustment", _call("POST", path, body))
        if action.action == "put_product" and result and "previous" in result and self.capture_previous:
            previous = result["previous"]
            if previous is None:
                return action.inverse("delete_product", _call("DELETE", path, None))
            body = {k: v for k, v in previous.items() if k not in ("sku", "updated_at", "version")}
            return action.inverse("restore_product", _call("PUT", path, body))
        return None


def _call(method: str, path: str, body: Any) -> dict:
    return {"method": method, "path": path, "json": body}


def _order_entity(order_id: str, step: int | None) -> str:
    """One entity per order and plan step, so each step of an order's plan has its own key."""
    return f"order:{order_id}" + (f"#{step}" if step is not None else "")


def _sku(sku: str) -> str:
    if not isinstance(sku, str) or not _SKU.match(sku):
        raise ValueError(f"invalid id {sku!r}: letters, digits, '.', '_' or '-', at most 64 characters")
    return quote(sku, safe="")
