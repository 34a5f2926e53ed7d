"""The returns feed: CSV or Parquet files dropped in a folder, one day's returns per file.

A file's day is the YYYY-MM-DD in its name (returns_2026-03-02.csv), else the day it was dropped (the one
file-day rule, also for a file that cannot be read, so it is reported and quarantined under its own day). Values are
read as text, exactly as received: typing and validation happen per row in the triage step, where each bad
row is quarantined with its reason. An unreadable file, or one missing columns, is quarantined whole. A CSV is
read in chunks within the inbox limits (resources/state/inbox_limits.py), telling `progress` how far it got.
"""

from pathlib import Path
from typing import Callable

import pandas as pd
from pydantic import BaseModel, Field

from resources.state.inbox import file_day, inbox_dir, list_files
from resources.state.inbox_limits import check_size, read_csv

COLUMNS = ["return_id", "order_id", "sku", "product", "category", "price_eur", "days_since_delivery",
           "customer_returns_90d", "customer_note"]
SUFFIXES = (".csv", ".parquet")


class ReturnRow(BaseModel):
    """One return as the triage step needs it; strings from the feed are coerced, nonsense is refused."""

    return_id: str = Field(min_length=1)
    order_id: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    product: str = Field(min_length=1)
    category: str = Field(min_length=1)
    price_eur: float = Field(ge=0, le=100_000)
    days_since_delivery: int = Field(ge=0, le=3650)
    customer_returns_90d: int = Field(ge=0)
    customer_note: str = Field(min_length=3)


def returns_dir(state=None) -> Path:
    """Where return files are dropped: AIWF_RETURNS_DIR, else <home>/inbox/returns (the `state` resource's home)."""
    return inbox_dir("returns", "AIWF_RETURNS_DIR", state)


def feed_files(folder: Path | None = None) -> list[Path]:
    """The CSV and Parquet files in the returns inbox."""
    return list_files(folder or returns_dir(), SUFFIXES)


def feed_for_day(folder: Path, day: str, progress: Callable[[str], None] | None = None
                 ) -> tuple[pd.DataFrame, list[Path], dict[str, str]]:
    """The rows of every file of `day`, the files read, and the files of `day` that cannot be used: name -> reason.
    `progress` gets a line as each chunk of a CSV file is read."""
    files = [p for p in feed_files(folder) if file_day(p) == day]
    frames, rejected, encodings = [], {}, {}
    for path in files:
        try:
            frames.append(read_feed_file(path, progress))
        except ValueError as err:
            rejected[path.name] = str(err)
            continue
        if "encoding" in frames[-1].attrs:
            encodings[path.name] = frames[-1].attrs["encoding"]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*COLUMNS, "source_file"])
    frame.attrs["encodings"] = encodings  # file -> text encoding it was read in (CSV files)
    return frame, files, rejected


def read_feed_file(path: Path, progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """One file's rows as text (None where empty), a CSV's encoding in `attrs`; raises ValueError with the
    reason when unusable (over the inbox size cap, unreadable, columns missing)."""
    check_size(path)
    encoding = None
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        else:
            told = (lambda rows: progress(f"{path.name}: {rows:,} rows read")) if progress else None
            frame, encoding = read_csv(path, told, dtype=str)
    except Exception as exc:  # pandas/pyarrow raise many types for a broken file
        raise ValueError(f"unreadable {path.suffix[1:]} file: {type(exc).__name__}: {str(exc)[:200]}") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"missing column(s) {missing}")
    frame = frame[COLUMNS].astype(object)
    frame = frame.where(frame.notna(), None).map(lambda v: None if v is None else str(v))
    frame = frame.assign(source_file=path.name)
    if encoding:
        frame.attrs["encoding"] = encoding
    return frame
