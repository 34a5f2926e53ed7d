"""Reconciliation: compare proposed shop updates with the authoritative feed before anything is committed.

Pure functions over DataFrames, so a blocking asset check can call them and tests can feed them bad data.
"""

import pandas as pd

PRICE_SOURCES = ("authoritative", "monitor_auto", "approved")


def reconcile(
    proposed: pd.DataFrame,
    authoritative: pd.DataFrame,
    products: set[str],
    replayed: dict[str, int],
    max_change_pct: float,
) -> list[dict]:
    """Every problem that must stop the push, as {sku, kind, problem}; an empty list means commit.

    `products` are the skus that should get a product update; `replayed` is on-hand stock per sku rebuilt by
    replaying the inventory events up to this partition's event.
    """
    auth = authoritative.set_index("sku")
    problems: list[dict] = []

    def bad(sku, kind, problem):
        problems.append({"sku": sku, "kind": kind, "problem": problem})

    for (kind, sku), group in proposed.groupby(["kind", "sku"]):
        if len(group) > 1:
            bad(sku, kind, f"{len(group)} updates for one sku in one partition")
    for row in proposed.itertuples():
        if row.sku not in auth.index:
            bad(row.sku, row.kind, "sku is not in the authoritative feed")
        elif row.kind == "product":
            problems += [{"sku": row.sku, "kind": "product", "problem": p}
                         for p in _price_problems(row, auth.loc[row.sku], max_change_pct)]
        elif row.kind == "inventory":
            target = int(auth.loc[row.sku, "inventory"])
            if int(row.on_hand_after) != target:
                bad(row.sku, "inventory", f"on hand after update {row.on_hand_after} != authoritative {target}")
        else:
            bad(row.sku, row.kind, "unknown update kind")
    for sku, target in auth["inventory"].astype(int).items():
        if replayed.get(sku, 0) != target:
            bad(sku, "inventory", f"replaying the inventory events gives {replayed.get(sku, 0)}, authoritative {target}")
    missing = products & set(auth.index) - set(proposed.loc[proposed.kind == "product", "sku"])
    for sku in sorted(missing):
        bad(sku, "product", "no update proposed for a product in both feeds")
    return problems


def _price_problems(row, auth: pd.Series, max_change_pct: float) -> list[str]:
    price, reference = float(row.price), float(auth["price"])
    out = []
    if row.price_source not in PRICE_SOURCES:
        out.append(f"unknown price source {row.price_source!r}")
    if row.price_source == "authoritative" and round(price, 2) != round(reference, 2):
        out.append(f"price {price:.2f} differs from authoritative {reference:.2f} without a monitor decision")
    change = abs(price - reference) / reference * 100
    if change > max_change_pct + 1e-9:
        out.append(f"price change {change:.1f}% exceeds the {max_change_pct:.0f}% guardrail")
    if price + 1e-9 < float(auth["floor_price"]):
        out.append(f"price {price:.2f} below floor {float(auth['floor_price']):.2f}")
    if not isinstance(row.description, str) or not row.description.strip():
        out.append("empty description")
    return out
