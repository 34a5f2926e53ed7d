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

PROVIDER = "openai"  # the API spoken (OpenAI or any OpenAI-compatible server), and OpenAI's own name
KNOWN_HOSTS = ((".openai.azure.com", "azure.ai.openai"), ("api.openai.com", "openai"))  # host suffix -> convention


def provider_name(host: str | None) -> str:
    """gen_ai.provider.name of the endpoint that answered (a ledger row's `provider`, its host): the conventions'
    well-known name where the host says it, else the host itself (a gateway, a self-hosted server); "openai" for
    rows that name none."""
    if not host:
        return PROVIDER
    for suffix, name in KNOWN_HOSTS:
        if host.split(":")[0].endswith(suffix):
            return name
    return host
OPERATIONS = {"chat": "chat", "embedding": "embeddings"}  # ledger kind -> gen_ai.operation.name


def record_call(step, ids: dict, request, record, response=None, batch_id: str | None = None) -> None:
    """Export one ledger row (`record`, a CallRecord of `request`, a ChatRequest) as a span and metrics, under
    `step` (run id, step key) or else the run of `ids`. A Batch API answer (`record.batch`) is a span when its
    batch is read, flagged aiwf.batch and costed at the batch rate; it adds tokens and cost to the metrics but no
    operation duration (no request of its own was timed: the batch ran for all its requests at once)."""
    telemetry = current()
    status, cache_hit, batch, cost = record.status, record.cache_hit, record.batch, record.cost_usd
    operation = OPERATIONS.get(request.kind, request.kind)
    model = request.model
    response_model = getattr(response, "model", None) or (model if status == "ok" else None)
    common = {"gen_ai.operation.name": operation, "gen_ai.provider.name": provider_name(record.provider),
              "gen_ai.request.model": model, "gen_ai.response.model": response_model}
    if telemetry.tracer is not None:
        end = time.time_ns()
        prompt = request.prompt
        attributes = {
            **common, "gen_ai.usage.input_tokens": record.tokens_in, "gen_ai.usage.output_tokens": record.tokens_out,
            "gen_ai.response.id": getattr(response, "id", None),
            "gen_ai.response.finish_reasons": _finish_reasons(response),
            "gen_ai.request.temperature": (request.params or {}).get("temperature"),
            "aiwf.cost_usd": cost, "aiwf.cache_hit": cache_hit, "aiwf.attempt": record.attempt,
            "aiwf.tier": request.tier,
            "aiwf.prompt.name": prompt.name if prompt else None,
            "aiwf.prompt.version": prompt.version if prompt else None,
            "aiwf.request_hash": request.hash,
        }
        if batch:
            attributes.update({"aiwf.batch": True, "aiwf.batch.id": batch_id})
        if capture_content() and operation == "chat":
            attributes.update(_content(request, response))
        trace_id, parent = _parent(step, ids)
        telemetry.emit(f"{operation} {model}", trace_id=trace_id, parent_span_id=parent,
                       start_ns=end - int(record.latency_ms * 1e6), end_ns=end, attributes=attributes,
                       kind=SpanKind.CLIENT, error=record.error_class if status != "ok" else None)
    if telemetry.meter_provider is not None:
        metric_attrs = {k: v for k, v in common.items() if v is not None} | ({"aiwf.batch": True} if batch else {})
        if not cache_hit and not batch:  # a cache hit sent nothing: no operation to time, no tokens used
            failed = {"error.type": record.error_class} if status != "ok" and record.error_class else {}
            telemetry.duration.record(record.latency_ms / 1000, {**metric_attrs, **failed})
        if status == "ok" and not cache_hit:
            telemetry.token_usage.record(record.tokens_in, {**metric_attrs, "gen_ai.token.type": "input"})
            if operation == "chat":
                telemetry.token_usage.record(record.tokens_out, {**metric_attrs, "gen_ai.token.type": "output"})
        if cost:
            telemetry.cost.add(cost, metric_attrs)


def _parent(step, run_ids: dict) -> tuple[int | None, int | None]:
    """(trace id, parent span id): the step's span, else the run's; (None, None) outside a run."""
    if step:
        return ids.trace_id(step[0]), ids.step_span_id(*step)
    run_id = run_ids.get("run_id")
    return (ids.trace_id(run_id), ids.run_span_id(run_id)) if run_id else (None, None)


def _finish_reasons(response) -> list[str] | None:
    reasons = [c.finish_reason for c in getattr(response, "choices", None) or [] if getattr(c, "finish_reason", None)]
    return reasons or None


def _content(request, response) -> dict:
    """gen_ai.input.messages / gen_ai.output.messages (the conventions' JSON shape), PII-redacted."""
    from resources.safety.pii import redact, redact_messages

    messages = [{"role": m.get("role"), "parts": [{"type": "text", "content": m.get("content")}]}
                for m in redact_messages(request.messages or [])]
    out = {"gen_ai.input.messages": json.dumps(messages)}
    choices = getattr(response, "choices", None) or []
    if choices:
        out["gen_ai.output.messages"] = json.dumps([
            {"role": "assistant", "finish_reason": c.finish_reason,
             "parts": [{"type": "text", "content": redact(c.message.content or "")[0]}]} for c in choices])
    return out
