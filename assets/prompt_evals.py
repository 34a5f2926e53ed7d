"""Eval sets: a labelled golden set per prompt (CSV beside its workflow) and how a prompt version scores on it.

The set is an asset (group `prompt_evals`), so a broken or relabelled set shows in the UI like any other table.
Scoring answers every row with one version of the prompt, fresh (no response cache: an eval measures the model
and the wording, not yesterday's answers), and compares the prompt's `compare` fields with the labels:
accuracy per field, overall accuracy (all fields of all rows), cost, latency p50/p95. A row whose call fails
counts as wrong on every field and is named in `errors`.
"""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import dagster as dg
from pydantic import BaseModel

from resources.llm.prompt_files import PromptFile
from resources.llm.retry import LLMError

EVAL_GROUP = "prompt_evals"


@dataclass(frozen=True)
class EvalSpec:
    """How one prompt is evaluated: its file, its golden set, the answer model and the row → variables map."""

    prompt: PromptFile
    path: Path
    response_model: type[BaseModel]
    variables: Callable[[dict], dict]
    key_column: str

    @property
    def asset_name(self) -> str:
        return f"{self.prompt.name}_eval_set"

    @property
    def fields(self) -> tuple[str, ...]:
        return self.prompt.compare


def load_eval_set(spec: EvalSpec):
    """The golden set as a DataFrame (strings), checked: key column, every compared field, unique keys."""
    import pandas as pd

    if not spec.path.exists():
        raise FileNotFoundError(f"eval set for prompt {spec.prompt.name} not found: {spec.path}")
    frame = pd.read_csv(spec.path, dtype=str, keep_default_na=False)
    missing = [c for c in (spec.key_column, *spec.fields) if c not in frame.columns]
    if missing:
        raise ValueError(f"eval set {spec.path.name}: missing columns {missing}")
    if frame[spec.key_column].duplicated().any():
        raise ValueError(f"eval set {spec.path.name}: duplicate {spec.key_column} values")
    if frame.empty:
        raise ValueError(f"eval set {spec.path.name} has no rows")
    return frame


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def score_prompt(spec: EvalSpec, llm, version: str, *, model: str | None = None, context=None) -> dict:
    """Answer the golden set with `version` (optionally on `model`) and score it against the labels."""
    prompt = spec.prompt.version(version)
    tier = spec.prompt.tier(version) or "cheap"
    frame = load_eval_set(spec)
    session = llm.model_copy(update={"use_cache": False}).session(context)
    correct = {f: 0 for f in spec.fields}
    latencies, cost, errors = [], 0.0, []
    used_model = model or llm.model_for(tier)
    for row in frame.to_dict("records"):
        started = time.perf_counter()
        try:
            answer = session.complete(prompt, spec.variables(row), tier=tier, model=model,
                                      response_model=spec.response_model)
        except (LLMError, ValueError) as exc:  # a failed row scores zero and is named, the eval goes on
            errors.append({spec.key_column: row[spec.key_column], "error": f"{type(exc).__name__}: {exc}"[:300]})
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        cost += answer.cost_usd
        for f in spec.fields:
            correct[f] += str(getattr(answer.parsed, f)) == str(row[f])
    rows = len(frame)
    per_field = {f: round(n / rows, 4) for f, n in correct.items()}
    return {"prompt": spec.prompt.name, "version": str(version), "model": used_model, "rows": rows,
            "accuracy": round(sum(correct.values()) / (rows * len(spec.fields)), 4) if spec.fields else 0.0,
            "per_field": per_field, "cost_usd": round(cost, 6),
            "latency_p50_ms": round(_percentile(latencies, 0.5), 1),
            "latency_p95_ms": round(_percentile(latencies, 0.95), 1), "errors": errors}


def eval_set_asset(spec: EvalSpec) -> dg.AssetsDefinition:
    """The golden set of one prompt as an asset: rows, labels per compared field, the prompt it scores."""

    @dg.asset(name=spec.asset_name, group_name=EVAL_GROUP, kinds={"csv", "pandas"},
              metadata={"prompt": spec.prompt.name, "path": str(spec.path), "compare": list(spec.fields)},
              description=f"Labelled golden set of prompt {spec.prompt.name} (`aiwf eval --prompt "
                          f"{spec.prompt.name}@V`).")
    def _eval_set() -> dg.Output:
        frame = load_eval_set(spec)
        labels = {f"labels_{f}": int(frame[f].nunique()) for f in spec.fields}
        return dg.Output(frame, metadata={"rows": len(frame), **labels})

    return _eval_set
