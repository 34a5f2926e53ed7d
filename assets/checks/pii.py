"""Asset checks that flag PII and prompt-injection text in an asset's output rows.

`pii_checks(asset_key, columns, key=...)` returns two checks: `<asset>_has_no_pii` and
`<asset>_has_no_prompt_injection`. They are non-blocking warnings by default: flagged rows are listed by key
(never with the sensitive value) so the workflow's approval policy can route them to a reviewer.
"""

import inspect
from collections import Counter
from typing import Any, Sequence

import dagster as dg

from resources.safety.pii import detect_injection, find


def scan_rows(rows: list[dict], columns: Sequence[str], key: str | None) -> dict:
    """Per-row findings over `columns`: PII type counts, rows with PII and rows with injection text."""
    types, pii_rows, injection_rows = Counter(), [], {}
    for i, row in enumerate(rows):
        row_key = str(row.get(key, i)) if key else str(i)
        found, attacks = [], []
        for column in columns:
            text = row.get(column)
            if isinstance(text, str) and text:
                found += [f.type for f in find(text)]
                attacks += detect_injection(text)
        types.update(found)
        if found:
            pii_rows.append(row_key)
        if attacks:
            injection_rows[row_key] = sorted(set(attacks))
    return {"types": dict(types), "pii_rows": pii_rows, "injection_rows": injection_rows, "rows": len(rows)}


def _rows(value: Any) -> list[dict]:
    if hasattr(value, "to_dict"):  # a pandas DataFrame
        return value.to_dict(orient="records")
    if isinstance(value, dict) and value and all(hasattr(v, "to_dict") for v in value.values()):
        return [row for frame in value.values() for row in _rows(frame)]  # a partition range: {day: DataFrame}
    if isinstance(value, dict):
        return [value]
    if isinstance(value, str):
        return [{"text": value}]
    return [dict(v) if isinstance(v, dict) else {"text": str(v)} for v in value or []]


def pii_checks(asset_key, columns: Sequence[str], key: str | None = None, blocking: bool = False,
               allowed_types: Sequence[str] = (), partitions_def: dg.PartitionsDefinition | None = None,
               ) -> list[dg.AssetChecksDefinition]:
    """A PII check and an injection check over the text `columns` of an asset's value (DataFrame or rows).

    `allowed_types` lists PII types the output may legitimately carry (e.g. "email" in a CRM export).
    """
    asset_key = dg.AssetKey.from_coercible(asset_key)
    name = asset_key.path[-1]
    severity = dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN

    def no_pii(value):
        scan = scan_rows(_rows(value), columns, key)
        bad = {t: n for t, n in scan["types"].items() if t not in allowed_types}
        return dg.AssetCheckResult(passed=not bad, severity=severity, metadata={
            "rows_scanned": scan["rows"], "pii_by_type": dg.MetadataValue.json(bad),
            "rows_with_pii": ", ".join(scan["pii_rows"][:50])})

    def no_injection(value):
        flagged = scan_rows(_rows(value), columns, key)["injection_rows"]
        return dg.AssetCheckResult(passed=not flagged, severity=severity, metadata={
            "rows_flagged": len(flagged), "flagged": dg.MetadataValue.json(dict(list(flagged.items())[:50]))})

    return [
        dg.asset_check(asset=asset_key, name=f"{name}_has_no_pii", blocking=blocking, partitions_def=partitions_def,
                       description=f"No PII in {', '.join(columns)} beyond the allowed types.")(_loading(no_pii, name)),
        dg.asset_check(asset=asset_key, name=f"{name}_has_no_prompt_injection", blocking=blocking,
                       partitions_def=partitions_def,
                       description="No instruction-like text in the data; flagged rows go to review.")(
            _loading(no_injection, name)),
    ]


def _loading(body, param: str):
    """A check function whose parameter is named after the asset, so Dagster loads the asset's value into it."""
    def check(context, **inputs):
        return body(inputs[param])

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    check.__signature__ = inspect.Signature([inspect.Parameter("context", kind), inspect.Parameter(param, kind)])
    return check
