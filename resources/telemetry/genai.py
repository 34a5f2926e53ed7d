"""One span and the GenAI client metrics per model request attempt or cache hit, as the ledger records them.

Span names and attributes follow the OpenTelemetry GenAI semantic conventions (`chat <model>`,
`embeddings <model>`, gen_ai.*), plus aiwf's own (aiwf.cost_usd, aiwf.cache_hit, aiwf.attempt, aiwf.prompt.*).
A cache hit is a span too (aiwf.cache_hit = true, no tokens; no response id or finish reasons, which only a
provider's answer has), so a trace shows every answer a step used. Metrics count what was sent: durations of
requests (failed ones with error.type), tokens and cost of answers; cache hits add none.
Prompt and answer text are exported only with AIWF_OTEL_CAPTURE_CONTENT=1, and then PII-redacted.
"""

import json
import time

from opentelemetry.trace import SpanKind

from resources.telemetry import capture_content, ids
from resources.telemetry.provider import current

PROVIDER = "openai"  # the API spoken (OpenAI or any OpenAI-compatible server)
OPERATIONS = {"chat": "chat", "embedding": "embeddings"}  # ledger kind -> gen_ai.operation.name


def record_call(session, call: dict, *, status: str, cache_hit: bool, attempt: int, latency_ms: float,
                tokens_in: int, tokens_out: int, cost: float, error_class: str | None, response=None,
                batch: bool = False, batch_id: str | None = None) -> None:
    """Export one ledger row of `session` (an LLMSession) as a span and metrics. A Batch API answer (`batch`) is
    a span when its batch is read, flagged aiwf.batch and costed at the batch rate; it adds tokens and cost to
    the metrics but no operation duration (no request of its own was timed: the batch ran for hours, or
    seconds, for all its requests at once)."""
    telemetry = current()
    operation = OPERATIONS.get(call["kind"], call["kind"])
    model = call["model"]
    response_model = getattr(response, "model", None) or (model if status == "ok" else None)
    common = {"gen_ai.operation.name": operation, "gen_ai.provider.name": PROVIDER,
              "gen_ai.request.model": model, "gen_ai.response.model": response_model}
    if telemetry.tracer is not None:
        end = time.time_ns()
        prompt = call.get("prompt")
        attributes = {
            **common, "gen_ai.usage.input_tokens": tokens_in, "gen_ai.usage.output_tokens": tokens_out,
            "gen_ai.response.id": getattr(response, "id", None),
            "gen_ai.response.finish_reasons": _finish_reasons(response),
            "gen_ai.request.temperature": (call.get("params") or {}).get("temperature"),
            "aiwf.cost_usd": cost, "aiwf.cache_hit": cache_hit, "aiwf.attempt": attempt, "aiwf.tier": call.get("tier"),
            "aiwf.prompt.name": prompt.name if prompt else None,
            "aiwf.prompt.version": prompt.version if prompt else None,
            "aiwf.request_hash": call["hash"],
        }
        if batch:
            attributes.update({"aiwf.batch": True, "aiwf.batch.id": batch_id})
        if capture_content() and operation == "chat":
            attributes.update(_content(call, response))
        trace_id, parent = _parent(session)
        telemetry.emit(f"{operation} {model}", trace_id=trace_id, parent_span_id=parent,
                       start_ns=end - int(latency_ms * 1e6), end_ns=end, attributes=attributes, kind=SpanKind.CLIENT,
                       error=error_class if status != "ok" else None)
    if telemetry.meter_provider is not None:
        metric_attrs = {k: v for k, v in common.items() if v is not None} | ({"aiwf.batch": True} if batch else {})
        if not cache_hit and not batch:  # a cache hit sent nothing: no operation to time, no tokens used
            failed = {"error.type": error_class} if status != "ok" and error_class else {}
            telemetry.duration.record(latency_ms / 1000, {**metric_attrs, **failed})
        if status == "ok" and not cache_hit:
            telemetry.token_usage.record(tokens_in, {**metric_attrs, "gen_ai.token.type": "input"})
            if operation == "chat":
                telemetry.token_usage.record(tokens_out, {**metric_attrs, "gen_ai.token.type": "output"})
        if cost:
            telemetry.cost.add(cost, metric_attrs)


def _parent(session) -> tuple[int | None, int | None]:
    """(trace id, parent span id): the step's span, else the run's; (None, None) outside a run."""
    step = getattr(session, "trace_step", None)
    if step:
        return ids.trace_id(step[0]), ids.step_span_id(*step)
    run_id = session.ids.get("run_id")
    return (ids.trace_id(run_id), ids.run_span_id(run_id)) if run_id else (None, None)


def _finish_reasons(response) -> list[str] | None:
    reasons = [c.finish_reason for c in getattr(response, "choices", None) or [] if getattr(c, "finish_reason", None)]
    return reasons or None


def _content(call: dict, response) -> dict:
    """gen_ai.input.messages / gen_ai.output.messages (the conventions' JSON shape), PII-redacted."""
    from resources.safety.pii import redact, redact_messages

    messages = [{"role": m.get("role"), "parts": [{"type": "text", "content": m.get("content")}]}
                for m in redact_messages(call.get("messages") or [])]
    out = {"gen_ai.input.messages": json.dumps(messages)}
    choices = getattr(response, "choices", None) or []
    if choices:
        out["gen_ai.output.messages"] = json.dumps([
            {"role": "assistant", "finish_reason": c.finish_reason,
             "parts": [{"type": "text", "content": redact(c.message.content or "")[0]}]} for c in choices])
    return out
