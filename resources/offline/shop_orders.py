"""TEST DOUBLE order desk of the local shop: orders, refunds, coupons, customer messages and supplier tickets.

Pure functions over the dicts ShopState keeps (called under its lock); each applies one change or raises
ShopError with the status a real shop would answer. Not a real shop.
"""

import re

CHANNELS = ("email", "sms")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class ShopError(Exception):
    """A request the shop refuses, with its HTTP status and Stripe-style error type."""

    def __init__(self, status: int, kind: str, message: str):
        super().__init__(message)
        self.status, self.kind = status, kind


def seed(orders: dict, order: dict) -> bool:
    """Add one order (kept as is if already there, so a restarted demo keeps its refunds); True when added."""
    order_id = order.get("order_id")
    if not isinstance(order_id, str) or not order_id:
        raise ShopError(400, "invalid_request_error", "an order needs an 'order_id'")
    total = order.get("total")
    if isinstance(total, bool) or not isinstance(total, (int, float)) or total <= 0:
        raise ShopError(400, "invalid_request_error", f"order {order_id}: 'total' must be a positive number")
    if not _CURRENCY.match(str(order.get("currency", ""))):
        raise ShopError(400, "invalid_request_error", f"order {order_id}: 'currency' must be like EUR")
    if order_id in orders:
        return False
    orders[order_id] = {"status": "paid", "items": [], "shipment": None, "customer": {}, **order,
                        "total": round(float(total), 2), "refunded": round(float(order.get("refunded", 0)), 2)}
    return True


def view(order: dict) -> dict:
    """GET /orders/{order_id}: what the shop tells an API client (customer contact details stay inside)."""
    keys = ("order_id", "status", "items", "total", "currency", "refunded", "shipment", "supplier")
    return {k: order.get(k) for k in keys}


def apply(state, method: str, path: str, body) -> tuple[int, dict]:
    """Apply one order-desk request to `state` (a ShopState); returns (status, response)."""
    parts = path.strip("/").split("/")
    body = body if isinstance(body, dict) else {}
    if method == "POST" and len(parts) == 3 and parts[0] == "orders":
        order = _order(state.orders, parts[1])
        handler = {"refunds": _refund, "coupons": _coupon, "messages": _message}.get(parts[2])
        if handler:
            return handler(state, order, body)
    if method == "POST" and parts[0] == "refunds" and parts[2:] == ["reverse"]:
        return _reverse(state, parts[1])
    if method == "DELETE" and parts[0] == "coupons":
        return _delete_coupon(state, parts[1])
    if method == "POST" and parts[0] == "suppliers" and parts[2:] == ["tickets"]:
        return _ticket(state, parts[1], body)
    raise ShopError(404, "not_found", f"no route {method} {path}")


def _order(orders: dict, order_id: str) -> dict:
    if order_id not in orders:
        raise ShopError(404, "not_found", f"no order {order_id}")
    return orders[order_id]


def _text(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ShopError(400, "invalid_request_error", f"'{name}' must be non-empty text")
    return value


def _refund(state, order: dict, body: dict) -> tuple[int, dict]:
    amount = body.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount <= 0:
        raise ShopError(400, "invalid_request_error", "a refund needs a positive numeric 'amount'")
    if body.get("currency") != order["currency"]:
        raise ShopError(400, "invalid_request_error", f"order {order['order_id']} is in {order['currency']}")
    reason, amount = _text(body, "reason"), round(float(amount), 2)
    refundable = round(order["total"] - order["refunded"], 2)
    if amount > refundable:
        raise ShopError(422, "invalid_request_error",
                        f"refund of {amount:.2f} exceeds the refundable {refundable:.2f} of order {order['order_id']}")
    refund = {"refund_id": f"re_{len(state.refunds) + 1:04d}", "order_id": order["order_id"], "amount": amount,
              "currency": order["currency"], "reason": reason, "status": "succeeded"}
    state.refunds.append(refund)
    _set_refunded(order, order["refunded"] + amount)
    return 201, {"refund_id": refund["refund_id"], "amount": amount, "status": "succeeded"}


def _reverse(state, refund_id: str) -> tuple[int, dict]:
    refund = next((r for r in state.refunds if r["refund_id"] == refund_id), None)
    if refund is None:
        raise ShopError(404, "not_found", f"no refund {refund_id}")
    if refund["status"] == "reversed":
        raise ShopError(422, "invalid_request_error", f"refund {refund_id} is already reversed")
    refund["status"] = "reversed"
    order = state.orders[refund["order_id"]]
    _set_refunded(order, order["refunded"] - refund["amount"])
    return 200, {"refund_id": refund_id, "status": "reversed"}


def _set_refunded(order: dict, refunded: float) -> None:
    order["refunded"] = round(max(refunded, 0.0), 2)
    order["status"] = ("refunded" if order["refunded"] >= order["total"] else
                       "partially_refunded" if order["refunded"] else "paid")


def _coupon(state, order: dict, body: dict) -> tuple[int, dict]:
    percent = body.get("percent")
    if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0 < percent <= 100:
        raise ShopError(400, "invalid_request_error", "a coupon needs a 'percent' in (0, 100]")
    coupon = {"coupon_id": f"cp_{len(state.coupons) + 1:04d}", "order_id": order["order_id"],
              "percent": float(percent), "reason": _text(body, "reason"), "status": "active"}
    state.coupons.append(coupon)
    return 201, {"coupon_id": coupon["coupon_id"], "percent": coupon["percent"]}


def _delete_coupon(state, coupon_id: str) -> tuple[int, dict]:
    coupon = next((c for c in state.coupons if c["coupon_id"] == coupon_id), None)
    if coupon is None:
        raise ShopError(404, "not_found", f"no coupon {coupon_id}")
    coupon["status"] = "deleted"
    return 200, {"coupon_id": coupon_id, "deleted": True}


def _message(state, order: dict, body: dict) -> tuple[int, dict]:
    channel = body.get("channel")
    if channel not in CHANNELS:
        raise ShopError(400, "invalid_request_error", f"'channel' must be one of {list(CHANNELS)}")
    text = _text(body, "body")
    if not (order.get("customer") or {}).get(channel):  # the demo's order whose message always fails
        raise ShopError(422, "invalid_request_error", f"order {order['order_id']} has no {channel} on file")
    message = {"message_id": f"msg_{len(state.messages) + 1:04d}", "order_id": order["order_id"],
               "channel": channel, "body": text}
    state.messages.append(message)
    return 201, {"message_id": message["message_id"]}


def _ticket(state, supplier: str, body: dict) -> tuple[int, dict]:
    order_id, issue = _text(body, "order_id"), _text(body, "issue")
    _order(state.orders, order_id)
    ticket = {"ticket_id": f"tk_{len(state.tickets) + 1:04d}", "supplier": supplier, "order_id": order_id,
              "issue": issue}
    state.tickets.append(ticket)
    return 201, {"ticket_id": ticket["ticket_id"]}
