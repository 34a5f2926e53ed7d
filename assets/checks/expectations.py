"""great-expectations 1.x suites as Dagster asset checks: a suite validates an asset's DataFrame.

Importing great-expectations takes seconds, most of a small check step. A verdict is a function of the frame,
the suite and the libraries, so a check whose frame, suite and library versions are those of one of this check's
recent verdicts (a re-run of a cached day) takes that verdict, and says so in its metadata (`verdict_of_run`),
without importing great-expectations; any difference validates anew.
"""

import hashlib
import inspect
import os
from importlib import metadata
from pathlib import Path
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


def frame_digest(frame: pd.DataFrame) -> str | None:
    """A digest of the frame's columns, dtypes, index and values; None where a value cannot be hashed (a list)."""
    try:
        rows = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
    except TypeError:
        return None
    shape = repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode()
    return hashlib.sha256(shape + rows).hexdigest()


def suite_digest(suite: Callable[[], list]) -> str | None:
    """A digest of what a suite's verdict depends on besides the frame: the source of the module that builds the
    suite and of this one, the plain values the suite names (an imported list of routes) and the versions of
    great-expectations and pandas. None for a suite without a source file: it is always validated."""
    try:
        sources = [Path(inspect.getsourcefile(suite)).read_bytes(), Path(__file__).read_bytes()]
    except (TypeError, OSError):
        return None
    plain = (str, int, float, bool, tuple, list, dict, set, frozenset)
    names = {n: repr(suite.__globals__[n]) for n in suite.__code__.co_names
             if isinstance(suite.__globals__.get(n), plain)}
    versions = [metadata.version(p) for p in ("great-expectations", "pandas")]
    return hashlib.sha256(b"\0".join([*sources, repr(sorted(names.items())).encode(), repr(versions).encode()])
                          ).hexdigest()


RECENT_VERDICTS = 10  # how many of a check's latest evaluations are searched for one of the same frame and suite


def recent_verdicts(context: dg.AssetCheckExecutionContext) -> list[tuple[str, dg.AssetCheckEvaluation]]:
    """(run id, evaluation) of this check's latest evaluations in earlier runs, newest first, any partition."""
    check_key = next(iter(context.selected_asset_check_keys))
    history = context.instance.event_log_storage.get_asset_check_execution_history(check_key, limit=RECENT_VERDICTS)
    found = []
    for record in history:  # this run's own is only planned
        event = record.event and record.event.dagster_event
        evaluation = event and event.event_specific_data
        if isinstance(evaluation, dg.AssetCheckEvaluation) and record.run_id != context.run.run_id:
            found.append((record.run_id, evaluation))
    return found


def reusable_verdict(context, frame_id: str | None, suite_id: str | None) -> tuple[bool, list, str] | None:
    """(passed, failures, id of the run that validated) of a recent verdict on this very frame and suite."""
    if not frame_id or not suite_id:
        return None
    for run_id, evaluation in recent_verdicts(context):
        meta = {k: v.value for k, v in evaluation.metadata.items()}
        if meta.get("frame_digest") == frame_id and meta.get("suite_digest") == suite_id and "failures" in meta:
            return bool(evaluation.passed), list(meta["failures"]), meta.get("verdict_of_run") or run_id
    return None


def expectation_suite_check(
    *, name: str, asset: dg.AssetsDefinition | dg.AssetKey | str, suite: Callable[[], list],
    blocking: bool = True, description: str | None = None, partitions_def: dg.PartitionsDefinition | None = None,
) -> dg.AssetChecksDefinition:
    """An asset check that loads the asset's partition and validates it against `suite()` (built lazily), or takes
    a recent verdict of the very same frame and suite (`reusable_verdict`)."""

    @dg.asset_check(name=name, asset=asset, blocking=blocking, description=description or suite.__doc__,
                    partitions_def=partitions_def)
    def _check(context: dg.AssetCheckExecutionContext, frame) -> dg.AssetCheckResult:
        frame = one_frame(frame)  # a run over a partition range is judged as a whole
        frame_id, suite_id = frame_digest(frame), suite_digest(suite)
        reused = reusable_verdict(context, frame_id, suite_id)
        ok, failures, of_run = reused or (*validate_frame(frame, name, suite()), context.run.run_id)
        return dg.AssetCheckResult(
            passed=ok,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"rows": len(frame), "failed_expectations": len(failures),
                      "failures": dg.MetadataValue.json(failures), "verdict_of_run": of_run,
                      **({"frame_digest": frame_id} if frame_id else {}),
                      **({"suite_digest": suite_id} if suite_id else {})},
        )

    return _check
