"""The problem-orders feed: CSV files dropped in $AIWF_HOME/inbox/orders (or AIWF_ORDERS_DIR), one row per
order with a problem (late shipment, damaged item, supplier delay, chargeback notice).

A file's day is the YYYY-MM-DD in its name, else the day it was dropped (the one file-day rule). An unreadable
file, or one missing columns, is refused whole; a row that does not fit (unknown problem, bad id or amount) is
refused alone, with the reason.
"""

from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, ValidationError, field_validator

from resources.state.inbox import file_day, inbox_dir, list_files
from resources.state.inbox_limits import FileTooLarge, read_csv

COLUMNS = ["order_id", "problem", "detail", "sku", "supplier", "claimed_amount", "customer_note"]
PROBLEMS = ("late_shipment", "damaged_item", "supplier_delay", "chargeback_notice")


class ProblemOrder(BaseModel):
    """One reported problem, as the planner needs it; text from the feed is coerced, nonsense is refused."""

    order_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    problem: Literal["late_shipment", "damaged_item", "supplier_delay", "chargeback_notice"]
    detail: str = Field(min_length=3, max_length=500)
    sku: str | None = None
    supplier: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    claimed_amount: float | None = Field(default=None, ge=0, le=100_000)
    customer_note: str = Field(default="", max_length=2000)

    @field_validator("sku", "supplier", "claimed_amount", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if value is None or (isinstance(value, str) and not value.strip()) else value

    @field_validator("customer_note", mode="before")
    @classmethod
    def _no_note(cls, value):
        return value or ""


def orders_dir(state=None) -> Path:
    """Where problem-order files are dropped: AIWF_ORDERS_DIR, else <home>/inbox/orders."""
    return inbox_dir("orders", "AIWF_ORDERS_DIR", state)


def feed_files(folder: Path | None = None) -> list[Path]:
    return list_files(folder or orders_dir(), (".csv",))


def orders_for_day(folder: Path, day: str) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """The valid rows of every file of `day` (first report of an order wins), refused files (name -> reason)
    and refused rows ("file:line" -> reason). The frame's attrs["encodings"] names each file's text encoding."""
    rows, bad_files, bad_rows, seen, encodings = [], {}, {}, set(), {}
    for path in (p for p in feed_files(folder) if file_day(p) == day):
        try:
            frame, encodings[path.name] = read_csv(path, dtype=str, keep_default_na=False)
        except FileTooLarge as exc:
            bad_files[path.name] = str(exc)
            continue
        except Exception as exc:  # pandas raises many types for a broken file
            bad_files[path.name] = f"unreadable csv file: {type(exc).__name__}: {str(exc)[:200]}"
            continue
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            bad_files[path.name] = f"missing column(s) {missing}"
            continue
        for line, raw in enumerate(frame[COLUMNS].to_dict(orient="records"), start=2):
            try:
                order = ProblemOrder.model_validate(raw)
            except ValidationError as err:
                bad_rows[f"{path.name}:{line}"] = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in err.errors()[:3])
                continue
            if order.order_id in seen:
                bad_rows[f"{path.name}:{line}"] = f"order {order.order_id} reported twice this day"
                continue
            seen.add(order.order_id)
            rows.append({**order.model_dump(), "source_file": path.name})
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "source_file"])
    frame.attrs["encodings"] = encodings
    return frame, bad_files, bad_rows
