"""Drift of a model's structured answers: population stability index (PSI) of a day against a baseline.

PSI = sum over bins of (current share - baseline share) * ln(current share / baseline share); by the usual
reading, under 0.1 is stable, 0.1-0.2 a shift worth watching, over 0.2 a real change. Shares of empty bins are
floored at EPSILON so one empty bin does not make the index infinite.

Answers are read from the workflows' Parquet tables (the state's tables folder, one file per partition):
they hold every row's final answer, after escalation and checkpoint resume, keyed by the business day, which
the ledger's rows (one per request attempt, answers not stored) do not.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

EPSILON = 1e-4
SCORE_EDGES = np.linspace(0.0, 1.0, 11)  # ten bins of confidence over [0, 1]


@dataclass(frozen=True)
class DriftSource:
    """Where a workflow keeps the structured answers whose distribution should stay stable."""

    workflow: str
    asset: str
    score: str  # a number in [0, 1], e.g. confidence
    label: str  # a category, e.g. route


SOURCES = [DriftSource("returns_triage", "return_classifications", "confidence", "route")]


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.clip(expected / max(expected.sum(), 1), EPSILON, None)
    a = np.clip(actual / max(actual.sum(), 1), EPSILON, None)
    return round(float(np.sum((a - e) * np.log(a / e))), 4)


def score_psi(baseline: Iterable[float], current: Iterable[float]) -> float:
    """PSI of two samples of a [0, 1] score over ten equal bins."""
    base = np.histogram(np.clip(np.asarray(list(baseline), float), 0, 1), SCORE_EDGES)[0]
    now = np.histogram(np.clip(np.asarray(list(current), float), 0, 1), SCORE_EDGES)[0]
    return _psi(base.astype(float), now.astype(float))


def label_psi(baseline: Iterable[str], current: Iterable[str]) -> float:
    """PSI of two samples of a categorical answer, over the labels either sample has."""
    base, now = pd.Series(list(baseline), dtype=object), pd.Series(list(current), dtype=object)
    labels = sorted(set(base) | set(now), key=str)
    counts = [s.value_counts().reindex(labels, fill_value=0).to_numpy(float) for s in (base, now)]
    return _psi(*counts)


Locate = Callable[[str, str], Path]  # (asset key, partition) -> its Parquet file (ParquetIOManager.path_for)


def read_answers(locate: Locate, source: DriftSource, days: Iterable[str]) -> pd.DataFrame:
    """The score and label columns of `source` for the given partitions that exist (empty frame if none)."""
    frames = []
    for day in days:
        path = locate(source.asset, day)
        if path.exists():
            frames.append(pd.read_parquet(path, columns=[source.score, source.label]).assign(day=day))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[source.score, source.label,
                                                                                     "day"])


def drift_figures(locate: Locate, source: DriftSource, day: str, baseline_days: list[str]) -> dict:
    """Rows and PSI of the day's answers against the baseline days' (None where either side has no rows)."""
    frame = read_answers(locate, source, [day, *baseline_days])
    current, baseline = frame[frame.day == day], frame[frame.day != day]
    comparable = len(current) > 0 and len(baseline) > 0
    return {"rows": len(current), "baseline_rows": len(baseline),
            "score_psi": score_psi(baseline[source.score], current[source.score]) if comparable else None,
            "label_psi": label_psi(baseline[source.label], current[source.label]) if comparable else None}
