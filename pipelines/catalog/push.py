"""Push reconciled catalog updates to the shop, one ledgered action per update, and report what happened."""

from typing import Callable

import pandas as pd

from resources.connectors import Action, ConnectorError, ShopConnector

RESULT_COLUMNS = ["idempotency_key", "kind", "sku", "payload_version", "outcome", "replayed", "attempts", "error"]


def update_action(shop: ShopConnector, workflow: str, row) -> Action:
    """The shop action for one proposed update row (kind product or inventory)."""
    if row.kind == "product":
        return shop.product_update(workflow, row.sku, row.payload_version, description=row.description,
                                   price=float(row.price), title=row.title, meta_description=row.meta_description)
    if row.kind == "inventory":
        return shop.inventory_adjustment(workflow, row.sku, row.payload_version, delta=int(row.delta),
                                         reason=row.reason)
    raise ValueError(f"no shop action for update kind {row.kind!r}")


def push_updates(shop: ShopConnector, workflow: str, updates: pd.DataFrame,
                 on_failure: Callable[[dict, Exception], None]) -> pd.DataFrame:
    """Send every `ready` update (skipping those the ledger has done); held rows are reported, never sent."""
    results = []
    for row in updates.itertuples():
        base = {"idempotency_key": None, "kind": row.kind, "sku": row.sku, "payload_version": row.payload_version,
                "outcome": "held", "replayed": False, "attempts": 0, "error": None}
        if row.status != "ready":
            results.append({**base, "error": row.reason})
            continue
        try:
            action = update_action(shop, workflow, row)
            base["idempotency_key"] = action.key
            outcome = shop.execute(action)
        except (ConnectorError, ValueError) as exc:  # keep going: one bad update must not strand the others
            failed = {**base, "outcome": "failed", "error": f"{type(exc).__name__}: {exc}"}
            on_failure(failed, exc)
            results.append(failed)
            continue
        results.append({**base, "outcome": outcome.status, "attempts": outcome.attempts,
                        "replayed": outcome.status == "sent" and bool((outcome.result or {}).get("replayed"))})
    return pd.DataFrame(results, columns=RESULT_COLUMNS)
