"""Catalog feeds (products, authoritative price and inventory, competitor prices): read and validate rows.

A row that fails validation is quarantined with the reason and left out; the rest go on.
"""

import math
import re
from pathlib import Path
from typing import Callable

import dagster as dg
import pandas as pd

from resources.state.inbox_limits import FileTooLarge, read_csv
from resources.state.quarantine import quarantine_row

SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def feed_path(folder: Path, name: str, partition: str) -> Path:
    """The partition's own feed file (<folder>/<day>/<name>.csv) if there is one, else <folder>/<name>.csv."""
    dated = folder / partition / f"{name}.csv"
    path = dated if dated.exists() else folder / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"catalog feed {name!r} not found: expected {dated} or {folder / f'{name}.csv'}")
    return path


def validate(
    frame: pd.DataFrame, check: Callable[[dict], dict], columns: list[str]
) -> tuple[pd.DataFrame, list[tuple[dict, str]]]:
    """(valid rows as `check` cleaned them, [(raw row, reason)] for rows it refused or duplicated skus)."""
    good, bad, seen = [], [], set()
    for raw in frame.fillna("").astype(str).to_dict("records"):
        try:
            row = check(raw)
            if row["sku"] in seen and "competitor" not in row:
                raise ValueError(f"duplicate sku {row['sku']}")
        except (ValueError, KeyError) as err:
            bad.append((raw, str(err)))
            continue
        seen.add(row["sku"])
        good.append(row)
    return pd.DataFrame(good, columns=columns), bad


def _sku(raw: dict) -> str:
    sku = raw["sku"].strip()
    if not SKU.match(sku):
        raise ValueError(f"invalid sku {sku!r}")
    return sku


def _money(raw: dict, field: str) -> float:
    try:
        value = float(raw[field])
    except ValueError:
        raise ValueError(f"{field} {raw[field]!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{field} must be a positive amount, got {raw[field]!r}")
    return round(value, 2)


def product_row(raw: dict) -> dict:
    title, facts = raw.get("title", "").strip(), raw.get("facts", "").strip()
    if not title or not facts:
        raise ValueError("a product needs a title and facts")
    return {"sku": _sku(raw), "title": title, "category": raw.get("category", "").strip() or "any", "facts": facts}


def authoritative_row(raw: dict) -> dict:
    price, floor = _money(raw, "price"), _money(raw, "floor_price")
    if not raw["inventory"].strip().isdigit():
        raise ValueError(f"inventory must be a whole number >= 0, got {raw['inventory']!r}")
    if floor > price:
        raise ValueError(f"floor_price {floor} is above price {price}")
    return {"sku": _sku(raw), "price": price, "inventory": int(raw["inventory"]), "floor_price": floor}


def competitor_row(raw: dict) -> dict:
    competitor = raw.get("competitor", "").strip()
    if not competitor:
        raise ValueError("a competitor price needs the competitor's name")
    return {"sku": _sku(raw), "competitor": competitor, "price": _money(raw, "price"),
            "observed_at": raw.get("observed_at", "")}


def load_feed(context, state, folder: Path, name: str, check: Callable[[dict], dict], columns: list[str], workflow: str):
    """Read one feed for the asset's partition; quarantine invalid rows with the reason; an Output with counts."""
    path = feed_path(folder, name, context.partition_key)
    try:
        raw, encoding = read_csv(path, dtype=str)
    except FileTooLarge as exc:  # the step fails with the reason; no row is read
        raise dg.Failure(f"{name} feed {path.name}: {exc}", allow_retries=False) from None
    frame, rejected = validate(raw, check, columns)
    for raw, reason in rejected:
        quarantine_row(context, state, row_key=raw.get("sku") or str(sorted(raw.items())), row=raw,
                       error_class="invalid_feed_row", reason=reason, workflow=workflow)
    return dg.Output(frame, metadata={"rows": len(frame), "quarantined": len(rejected),
                                      "path": dg.MetadataValue.path(str(path)), "encoding": encoding})
