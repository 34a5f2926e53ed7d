"""The canary check of a batch asset: is the candidate prompt version worse than live, beyond set margins?

Compared per version, over the partition's rows: the check-failure rate (rows whose first answer the asset's
`escalate_on` validator rejected, plus rows quarantined because the model's answers failed), the reviewer
override rate (approvals of those rows rejected or edited, over those decided), mean confidence (when the answer
has a `confidence` field) and cost per row (what each row's answer cost, from the checkpoints). A candidate worse
on any of them fails the check with a warning, naming why; sensors/prompt_canary.py then rolls it back. With no
canary running, or too few candidate rows to judge, the check passes and says so.
"""

from dataclasses import asdict, dataclass

import dagster as dg
import pandas as pd

from assets.llm_map.canary import assigned_to_candidate
from resources.llm import LLMResource
from resources.llm.prompt_registry import PromptRegistry
from resources.state.checkpoints import Checkpoints
from resources.state.quarantine import Quarantine
from resources.state.resource import state_of

CANARY_MARK = "aiwf/canary_check"  # metadata key marking a canary check's result, for the rollback sensor
INPUT_ERRORS = {"missing_key", "duplicate_key", "invalid_row", "oversized_input"}  # not the model's fault
OVERRIDDEN = ("rejected", "edited")


@dataclass(frozen=True)
class CanaryMargins:
    """How much worse than live a candidate may be (absolute for rates and confidence, a ratio for cost)."""

    failure_rate: float = 0.05
    override_rate: float = 0.10
    confidence: float = 0.05
    cost_ratio: float = 1.25
    min_rows: int = 5  # fewer candidate rows than this: not judged yet
    promote_after_rows: int | None = None  # this many candidate rows and nothing worse: the sensor promotes it


def _stats(rows: pd.DataFrame, quarantined: list[str], costs: dict[str, float], decisions: dict[str, str]) -> dict:
    keys = list(rows.index)
    answered = len(keys)
    failed = (int(rows["llm_escalated"].astype(bool).sum()) if answered else 0) + len(quarantined)
    total = answered + len(quarantined)
    decided = [decisions[k] for k in keys if k in decisions]
    out = {"rows": total, "failure_rate": round(failed / total, 4) if total else 0.0,
           "override_rate": round(sum(d in OVERRIDDEN for d in decided) / len(decided), 4) if decided else None,
           "reviewed": len(decided),
           "cost_per_row": round(sum(costs.get(k, 0.0) for k in keys) / answered, 8) if answered else 0.0,
           "mean_confidence": None}
    if "confidence" in rows.columns and answered:
        out["mean_confidence"] = round(float(pd.to_numeric(rows["confidence"]).mean()), 4)
    return out


def compare(live: dict, candidate: dict, margins: CanaryMargins) -> list[str]:
    """Why the candidate is worse than live (empty: it is not)."""
    worse = []
    if candidate["failure_rate"] - live["failure_rate"] > margins.failure_rate:
        worse.append(f"check-failure rate {candidate['failure_rate']:.1%} vs live {live['failure_rate']:.1%}")
    if (candidate["override_rate"] is not None and
            candidate["override_rate"] - (live["override_rate"] or 0.0) > margins.override_rate):
        worse.append(f"reviewer override rate {candidate['override_rate']:.1%} vs live "
                     f"{(live['override_rate'] or 0.0):.1%}")
    if (candidate["mean_confidence"] is not None and live["mean_confidence"] is not None and
            live["mean_confidence"] - candidate["mean_confidence"] > margins.confidence):
        worse.append(f"mean confidence {candidate['mean_confidence']:.3f} vs live {live['mean_confidence']:.3f}")
    if live["cost_per_row"] > 0 and candidate["cost_per_row"] > live["cost_per_row"] * margins.cost_ratio:
        worse.append(f"cost per row ${candidate['cost_per_row']:.6f} vs live ${live['cost_per_row']:.6f}")
    return worse


def canary_check(asset: dg.AssetsDefinition, *, margins: CanaryMargins = CanaryMargins(),
                 partitions_def: dg.PartitionsDefinition | None = None) -> dg.AssetChecksDefinition:
    """A warning check on an llm_map asset built from a PromptFile: is its canary candidate worse than live?"""
    from assets.llm_map.factory import spec_of

    name = asset.key.to_python_identifier()
    spec = spec_of(asset.key.to_user_string())
    if spec is None or spec.prompt_file is None:
        raise ValueError(f"canary_check: {asset.key.to_user_string()} is not an llm_map built from a prompt file")
    pf = spec.prompt_file

    @dg.asset_check(name=f"{name}_canary_is_no_worse", asset=asset, blocking=False, partitions_def=partitions_def,
                    description=f"The canary of prompt {pf.name} (candidate version on a share of rows) is no worse "
                                "than live on check failures, reviewer overrides, confidence and cost per row.")
    def _check(context: dg.AssetCheckExecutionContext, llm: LLMResource, frame) -> dg.AssetCheckResult:
        store = state_of(llm).store()
        eff = PromptRegistry(store).effective(pf)
        base = {CANARY_MARK: True, "prompt": pf.name, "prompt_file": str(pf.path or ""), "live": eff.live,
                "candidate": eff.candidate or "", "share": eff.share, "margins": dg.MetadataValue.json(asdict(margins))}
        if not eff.candidate or eff.share <= 0:
            return dg.AssetCheckResult(passed=True, metadata={**base, "verdict": "no canary running"})
        # A run over a partition range (a multi-run backfill) loads {partition: frame}: judged over all its days.
        day = context.partition_key if context.has_partition_key else ""
        frames = frame if isinstance(frame, dict) else {day: frame}
        asset_key = asset.key.to_user_string()
        frame = pd.concat(list(frames.values())).set_index(spec.key_column, drop=False)
        by_version = {v: frame[frame["prompt_version"] == v] for v in (eff.live, eff.candidate)}
        quarantined = {eff.live: [], eff.candidate: []}
        for partition in frames:
            for row in Quarantine(store).rows(asset_key, partition_key=partition):
                if row["error_class"] not in INPUT_ERRORS:
                    version = eff.candidate if assigned_to_candidate(row["row_key"], eff.share) else eff.live
                    quarantined[version].append(row["row_key"])
        decisions = {k: d for partition in frames for k, d in _decisions(store, spec.workflow, partition).items()}
        stats = {v: _stats(by_version[v], quarantined[v], {k: c for partition in frames for k, c in _costs(
            store, asset_key, partition, pf.version(v)).items()}, decisions) for v in (eff.live, eff.candidate)}
        live, cand = stats[eff.live], stats[eff.candidate]
        meta = {**base, "live_stats": dg.MetadataValue.json(live), "candidate_stats": dg.MetadataValue.json(cand)}
        if cand["rows"] < margins.min_rows:
            return dg.AssetCheckResult(passed=True, metadata={
                **meta, "verdict": f"not judged: {cand['rows']} candidate rows, fewer than {margins.min_rows}"})
        worse = compare(live, cand, margins)
        promote = not worse and margins.promote_after_rows is not None and cand["rows"] >= margins.promote_after_rows
        verdict = ("candidate worse: " + "; ".join(worse)) if worse else (
            "candidate no worse" + (": ready to promote" if promote else ""))
        return dg.AssetCheckResult(passed=not worse, severity=dg.AssetCheckSeverity.WARN, description=verdict,
                                   metadata={**meta, "verdict": verdict, "promote": promote})

    return _check


def _costs(store, asset_key: str, partition: str, prompt) -> dict[str, float]:
    """row key → what its answer cost under this prompt version (latest checkpoint per row)."""
    return Checkpoints(store).costs(asset_key, partition, prompt.version, prompt.hash)


def _decisions(store, workflow: str, partition: str) -> dict[str, str]:
    """item key → the latest decided status of its approvals in this partition (none: not reviewed)."""
    from resources.approvals.store import ApprovalStore

    return ApprovalStore(store).latest_decisions(workflow, partition)
