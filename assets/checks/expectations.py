"""great-expectations 1.x suites as Dagster asset checks: a suite validates an asset's DataFrame."""

import os
from typing import Callable

import dagster as dg
import pandas as pd

from assets.llm_map.ranges import one_frame


def validate_frame(df: pd.DataFrame, suite_name: str, expectations: list) -> tuple[bool, list[dict]]:
    """Validate a DataFrame against expectations in an ephemeral GX context; return success and failures."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # imported here: it takes seconds, and nothing runs at import
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_def = (context.data_sources.add_pandas("aiwf").add_dataframe_asset(suite_name)
                 .add_batch_definition_whole_dataframe("all"))
    suite = gx.ExpectationSuite(name=suite_name, expectations=expectations)
    result = batch_def.get_batch(batch_parameters={"dataframe": df}).validate(suite)
    failures = [
        {
            "expectation": r.expectation_config.type,
            "column": r.expectation_config.kwargs.get("column"),
            "unexpected_count": r.result.get("unexpected_count"),
            "examples": [str(v)[:80] for v in (r.result.get("partial_unexpected_list") or [])[:5]],
            "observed": str(r.result.get("observed_value", ""))[:200],
        }
        for r in result.results
        if not r.success
    ]
    return bool(result.success), failures


def expectation_suite_check(
    *, name: str, asset: dg.AssetsDefinition | dg.AssetKey | str, suite: Callable[[], list],
    blocking: bool = True, description: str | None = None, partitions_def: dg.PartitionsDefinition | None = None,
) -> dg.AssetChecksDefinition:
    """An asset check that loads the asset's partition and validates it against `suite()` (built lazily)."""

    @dg.asset_check(name=name, asset=asset, blocking=blocking, description=description or suite.__doc__,
                    partitions_def=partitions_def)
    def _check(context: dg.AssetCheckExecutionContext, frame) -> dg.AssetCheckResult:
        frame = one_frame(frame)  # a run over a partition range is judged as a whole
        ok, failures = validate_frame(frame, name, suite())
        return dg.AssetCheckResult(
            passed=ok,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"rows": len(frame), "failed_expectations": len(failures),
                      "failures": dg.MetadataValue.json(failures)},
        )

    return _check
