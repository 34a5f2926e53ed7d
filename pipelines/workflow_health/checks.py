"""The day's health checks: warnings a person should look at, never a reason to stop a run.

Each takes the `workflow_health` frame (health.py) and the thresholds, and names every workflow that is out
of bounds. A figure that cannot be computed (no decisions, no baseline yet) passes and says why.
"""

import dagster as dg
import pandas as pd

from pipelines.workflow_health.health import Thresholds

CONFIDENCE_STABLE = "model_confidence_has_not_drifted"
LABELS_STABLE = "model_labels_have_not_drifted"
OVERRIDES_LOW = "override_rate_is_below_limit"
COST_STEADY = "cost_per_partition_has_not_spiked"

DESCRIPTIONS = {
    CONFIDENCE_STABLE: "The day's model confidence is distributed like the trailing days' (PSI at most the limit).",
    LABELS_STABLE: "The day's model labels (e.g. return routes) are distributed like the trailing days' (PSI).",
    OVERRIDES_LOW: "Reviewers edit or reject at most the configured share of each workflow's decided approvals.",
    COST_STEADY: "Each workflow's model cost per completed partition is within the configured factor (2x) of "
                 "its trailing median.",
}


def _known(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[pd.to_numeric(frame[column], errors="coerce").notna()] if column in frame else frame.iloc[0:0]


def _result(name: str, figures: dict[str, float], offenders: dict[str, str], unknown: str) -> dg.AssetCheckResult:
    if not figures:
        description = unknown
    elif offenders:
        description = "; ".join(f"{w}: {why}" for w, why in sorted(offenders.items()))
    else:
        description = None
    return dg.AssetCheckResult(check_name=name, passed=not offenders, severity=dg.AssetCheckSeverity.WARN,
                               description=description, metadata={f"{w}/value": v for w, v in figures.items()})


def _psi_check(name: str, column: str, frame: pd.DataFrame, limit: float) -> dg.AssetCheckResult:
    known = _known(frame, column)
    figures = {r.workflow: float(getattr(r, column)) for r in known.itertuples()}
    offenders = {w: f"PSI {v:.3f} > {limit} (against the trailing days)" for w, v in figures.items() if v > limit}
    return _result(name, figures, offenders, "no answers for this day or no baseline days yet")


def confidence_check(frame: pd.DataFrame, t: Thresholds) -> dg.AssetCheckResult:
    return _psi_check(CONFIDENCE_STABLE, "confidence_psi", frame, t.psi_max)


def labels_check(frame: pd.DataFrame, t: Thresholds) -> dg.AssetCheckResult:
    return _psi_check(LABELS_STABLE, "label_psi", frame, t.psi_max)


def overrides_check(frame: pd.DataFrame, t: Thresholds) -> dg.AssetCheckResult:
    known = _known(frame, "override_rate")
    figures = {r.workflow: float(r.override_rate) for r in known.itertuples()}
    offenders = {r.workflow: f"{r.override_rate:.0%} of {int(r.decisions)} decisions overridden > "
                             f"{t.override_rate_max:.0%}" for r in known.itertuples()
                 if r.override_rate > t.override_rate_max}
    return _result(OVERRIDES_LOW, figures, offenders, "no approvals decided this day")


def cost_check(frame: pd.DataFrame, t: Thresholds) -> dg.AssetCheckResult:
    known = _known(_known(frame, "cost_per_partition_usd"), "trailing_median_cost_per_partition_usd")
    figures = {r.workflow: float(r.cost_per_partition_usd) for r in known.itertuples()}
    offenders = {r.workflow: f"${r.cost_per_partition_usd:.4f} per partition > {t.cost_spike_factor}x the "
                             f"trailing median ${r.trailing_median_cost_per_partition_usd:.4f}"
                 for r in known.itertuples() if r.trailing_median_cost_per_partition_usd > 0
                 and r.cost_per_partition_usd > t.cost_spike_factor * r.trailing_median_cost_per_partition_usd}
    return _result(COST_STEADY, figures, offenders, "no completed partitions this day or in the trailing days")


CHECKS = {CONFIDENCE_STABLE: confidence_check, LABELS_STABLE: labels_check, OVERRIDES_LOW: overrides_check,
          COST_STEADY: cost_check}
