"""The shop API (AIWF_SHOP_URL): product updates and inventory adjustments as keyed, ledgered actions."""

import re
from typing import Any
from urllib.parse import quote

from resources.connectors.action import Action
from resources.connectors.http import HttpConnector

_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ShopConnector(HttpConnector):
    """`PUT /products/{sku}` and `POST /inventory/{sku}/adjustments`, each with its own Idempotency-Key.

    With `capture_previous`, a product update first reads the product so that compensation can restore it
    (or delete it if it did not exist); inventory adjustments are undone by the opposite adjustment.
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
        path = action.payload["path"]
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


def _sku(sku: str) -> str:
    if not isinstance(sku, str) or not _SKU.match(sku):
        raise ValueError(f"invalid sku {sku!r}: letters, digits, '.', '_' or '-', at most 64 characters")
    return quote(sku, safe="")
