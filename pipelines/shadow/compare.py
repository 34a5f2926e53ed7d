"""How a shadow run's answers compare with production's: agreement per row and per field, and the diff report."""

import html
from pathlib import Path

import numpy as np
import pandas as pd


def _same(a, b) -> bool:
    if _missing(a) and _missing(b):
        return True
    if isinstance(a, float) or isinstance(b, float):
        try:
            return bool(np.isclose(float(a), float(b)))
        except (TypeError, ValueError):
            return False
    return a == b


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def agreement(production: pd.DataFrame, shadow: pd.DataFrame, key: str, fields: list[str]) -> dict:
    """Over the rows production answered: the share whose every compared field equals the candidate's (a row the
    candidate failed does not agree), the share per field, and the differing rows for the report."""
    shadow_rows = {str(r[key]): r for r in shadow.to_dict("records")}
    per_field = dict.fromkeys(fields, 0)
    agreed, diffs = 0, []
    prod_rows = production.to_dict("records")
    for row in prod_rows:
        other = shadow_rows.get(str(row[key]))
        same = {f: other is not None and _same(row.get(f), other.get(f)) for f in fields}
        for f, ok in same.items():
            per_field[f] += ok
        agreed += all(same.values())
        if not all(same.values()):
            diffs.append(str(row[key]))
    n = len(prod_rows)
    return {"rows_compared": n, "agreement": round(agreed / n, 4) if n else None,
            "per_field": {f: round(c / n, 4) if n else None for f, c in per_field.items()}, "differing": diffs}


_STYLE = """body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:12px 0}
td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}th{background:#f3f3f3}
tr.diff td.f{background:#fff3cd}td.bad{background:#f8d7da}td.prod{color:#555}.k{font-family:monospace}
.small{color:#666;font-size:12px}"""


def write_report(path: Path, summary: dict, production: pd.DataFrame, shadow: pd.DataFrame, key: str,
                 fields: list[str], failed: dict[str, str]) -> Path:
    """A self-contained HTML page (inline CSS, no scripts or links): figures, then every row side by side with
    production's and the candidate's compared fields, differing cells marked."""
    esc = lambda v: html.escape("" if _missing(v) else str(v))  # noqa: E731
    shadow_rows = {str(r[key]): r for r in shadow.to_dict("records")}
    figures = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in summary.items()
                      if not isinstance(v, (dict, list)))
    per_field = "".join(f"<tr><th>{esc(f)}</th><td>{esc(v)}</td></tr>" for f, v in summary["per_field"].items())
    checks = "".join(f"<tr><th>{esc(c)}</th><td class=\"{'' if ok else 'bad'}\">{'passed' if ok else 'FAILED'}"
                     f"</td></tr>" for c, ok in summary.get("checks", {}).items())
    head = "".join(f"<th colspan=2>{esc(f)}</th>" for f in fields)
    sub = "<th>production</th><th>candidate</th>" * len(fields)
    body = []
    for row in production.to_dict("records"):
        k = str(row[key])
        other = shadow_rows.get(k)
        cells, differs = [], False
        for f in fields:
            theirs = None if other is None else other.get(f)
            same = other is not None and _same(row.get(f), theirs)
            differs |= not same
            cells.append(f"<td class=\"prod\">{esc(row.get(f))}</td>"
                         f"<td class=\"{'' if same else 'f'}\">{esc(theirs) if other is not None else ''}</td>")
        note = f"<div class=small>candidate failed: {esc(failed[k])}</div>" if k in failed else ""
        body.append(f"<tr class=\"{'diff' if differs else ''}\"><td class=k>{esc(k)}{note}</td>{''.join(cells)}</tr>")
    title = f"Shadow run: {esc(summary['asset'])} [{esc(summary['partition'])}] {esc(summary['candidate'])}"
    page = (f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title><style>{_STYLE}</style></head>"
            f"<body><h1>{title}</h1><p>production: {esc(summary['production'])}; nothing was sent, published or "
            f"queued for approval.</p><table>{figures}</table><h2>Agreement per field</h2><table>{per_field}</table>"
            f"<h2>Checks on the shadow output</h2><table>{checks}</table><h2>Rows</h2>"
            f"<table><tr><th rowspan=2>{esc(key)}</th>{head}</tr><tr>{sub}</tr>{''.join(body)}</table></body></html>")
    path.write_text(page, encoding="utf-8")
    return path
