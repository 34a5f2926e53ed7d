"""Upstream rows to model requests: each bad row (missing key, wrong types, oversized text) gets its reason.

Nothing is dropped: a row either becomes a request or a `BadRow` that the batch asset quarantines.
"""

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import pandas as pd
from pydantic import BaseModel, ValidationError

from assets.llm_map.input_cap import InputCap
from resources.llm.prompts import Prompt

KEPT_CHARS = 2000  # an oversized row's text values are kept this long in the quarantine (the reason gives the size)


@dataclass
class RowRequest:
    """One model request; `keys` are every row sending exactly this request (it is sent once)."""

    keys: list[str]
    row: dict
    variables: dict
    input_hash: str
    est_tokens_in: int
    rows: list[dict] = field(default_factory=list)
    prompt: Any = None  # a canary's candidate Prompt for this request (None: the asset's live prompt)
    feedback: list[str] = field(default_factory=list)  # a re-ask's problems (assets/llm_map/engine.py)
    reasks: int = 0  # times this request was asked again with feedback
    sent: int = 0  # answers (or errors) this run got from the provider, not the cache


@dataclass
class BadRow:
    row_key: str
    row: dict
    error_class: str  # missing_key | duplicate_key | invalid_row | oversized_input | a RowRejected's class
    reason: str


class RowRejected(ValueError):
    """Raised by a `variables` function for a row the step must not answer, quarantined under `error_class`."""

    def __init__(self, error_class: str, reason: str):
        super().__init__(reason)
        self.error_class = error_class


def clean(value):
    """A JSON-friendly scalar: NaN/NA/NaT become None, numpy scalars plain Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "tolist") and getattr(value, "ndim", 0):  # a list column read back from Parquet
        return value.tolist()
    return value.item() if hasattr(value, "item") and not isinstance(value, (list, dict, str)) else value


def input_hash(variables: dict) -> str:
    return hashlib.sha256(json.dumps(variables, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _text_variables(row: dict, columns: Sequence[str]) -> dict:
    out = {}
    for column in columns:
        value = row.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError(f"column {column!r} is empty")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(f"column {column!r} must be text, got {type(value).__name__}")
        out[column] = str(value)
    return out


def prepare_rows(frame: pd.DataFrame, *, key_column: str, prompt: Prompt, text_columns: Sequence[str] | None,
                 variables: Callable[[dict], dict] | None, row_model: type[BaseModel] | None,
                 max_input_tokens: int | InputCap, keep_columns: Sequence[str] = (),
                 tick: Callable[[int], None] | None = None) -> tuple[list[tuple[str, RowRequest]], list[BadRow]]:
    """(row key, request) for each good row in order, and the bad rows with their reasons.

    A row whose request would be over `max_input_tokens` (a number, or an InputCap naming its source) is bad:
    `oversized_input`, never sent. `tick(rows checked)` is called every 1,000 rows, so a long preparation can
    report progress."""
    needed = [key_column, *(text_columns or []), *keep_columns]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"upstream table has no column(s) {missing}; it has {list(frame.columns)}")
    cap = max_input_tokens if isinstance(max_input_tokens, InputCap) else InputCap(max_input_tokens, "max_input_tokens")
    good, bad, seen = [], [], set()
    for position, raw in enumerate(frame.to_dict("records")):
        if tick is not None and position % 1000 == 0:
            tick(position)
        row = {str(k): clean(v) for k, v in raw.items()}
        key = row.get(key_column)
        if key is None or not str(key).strip():
            bad.append(BadRow(f"#{position}", row, "missing_key", f"row {position} has no {key_column!r}"))
            continue
        key = str(key).strip()
        if key in seen:
            bad.append(BadRow(f"{key}#{position}", row, "duplicate_key",
                              f"{key_column} {key!r} appears again at row {position}"))
            continue
        seen.add(key)
        try:
            request = _request(row, prompt, text_columns, variables, row_model, cap)
        except _Oversized as err:
            bad.append(BadRow(key, _trimmed(row), "oversized_input", str(err)))
            continue
        except (ValueError, TypeError, ValidationError) as err:
            bad.append(BadRow(key, row, getattr(err, "error_class", "invalid_row"), _reason(err)))
            continue
        request.keys, request.rows = [key], [row]
        good.append((key, request))
    return good, bad


class _Oversized(ValueError):
    pass


def _request(row, prompt, text_columns, variables, row_model, cap: InputCap) -> RowRequest:
    subject = row_model.model_validate(row).model_dump(mode="json") if row_model else row
    values = variables(subject) if variables else _text_variables(subject, text_columns or [])
    messages = prompt.render(**values)
    est = sum(len(m["content"]) for m in messages) // 4 + 1
    if est > cap.tokens:
        raise _Oversized(f"request is about {est:,} tokens, over the {cap.tokens}-token limit for one row "
                         f"({cap.source}); not sent")
    return RowRequest([], row, values, input_hash(values), est)


def _trimmed(row: dict) -> dict:
    """The row as quarantined: text values cut to KEPT_CHARS, saying how long they were (a 20 MB value would
    make the quarantine write, and every read of it, as slow as the value is long)."""
    return {k: f"{v[:KEPT_CHARS]}... [{len(v):,} characters, cut]" if isinstance(v, str) and len(v) > KEPT_CHARS
            else v for k, v in row.items()}


def bad_summary(bad: list[BadRow], examples: int = 3) -> str:
    """Bad rows by class, then the reasons of the first few: what a log line says before any request."""
    classes: dict[str, int] = {}
    for row in bad:
        classes[row.error_class] = classes.get(row.error_class, 0) + 1
    counts = ", ".join(f"{n:,} {kind}" for kind, n in classes.items())
    return f"{counts}; e.g. " + "; ".join(f"{row.row_key}: {row.reason[:300]}" for row in bad[:examples])


def _reason(err: Exception) -> str:
    if isinstance(err, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in err.errors()[:5])
    return str(err)
