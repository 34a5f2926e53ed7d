"""OpenTelemetry traces and metrics for aiwf runs, switched on by the standard OTLP exporter variables.

Off and free when neither OTEL_EXPORTER_OTLP_ENDPOINT nor a signal's own endpoint
(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) is set: the helpers here then
return at once and no `opentelemetry` module is imported. When on, one Dagster run is one trace whose ids
are derived from the run id (resources/telemetry/ids.py), so every process of a run (forked step
processes, Celery workers, the daemon, the review app) joins it without any context being handed over.

- model calls: resources/telemetry/genai.py (GenAI semantic conventions), from the LLM session's ledger write
  (Batch API answers: when their batch is billed, resources/llm/batch_api.py)
- run, step and check spans: resources/telemetry/runs.py, from Dagster's event log when the run has finished
- connector actions and approvals: resources/telemetry/spans.py
"""

import os

TRACES_ENV = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
METRICS_ENV = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
CAPTURE_ENV = "AIWF_OTEL_CAPTURE_CONTENT"  # 1: export prompt and answer text, PII-redacted


def traces_on() -> bool:
    return _on(TRACES_ENV)


def metrics_on() -> bool:
    return _on(METRICS_ENV)


def enabled() -> bool:
    """Whether anything is exported from this process (read on every call: tests and runs change it)."""
    return traces_on() or metrics_on()


def capture_content() -> bool:
    return os.environ.get(CAPTURE_ENV, "").strip().lower() in ("1", "true", "yes")


def _on(names) -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(os.environ.get(n, "").strip() for n in names)


def step_of(context) -> tuple[str, str] | None:
    """(run id, step key) of an asset, op or check context, for parenting spans to the step; None when off."""
    if context is None or not enabled():
        return None
    try:
        op_context = getattr(context, "op_execution_context", context)
        return op_context.run_id, op_context.get_step_execution_context().step.key
    except Exception:  # a context built for a direct call (dg.build_asset_context): no run, no step
        return None
