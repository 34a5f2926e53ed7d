"""This process's tracer and meter, built on first use from the standard OTEL_* variables.

The SDK reads the endpoint, headers, timeouts, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES itself;
OTEL_EXPORTER_OTLP_PROTOCOL (or the per-signal OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / _METRICS_PROTOCOL) picks
`http/protobuf` (default) or `grpc`. Spans are batched; step processes fork and exit fast, so the providers
are shut down (flushed) at process exit through multiprocessing's finalizers (which forked children run,
unlike atexit) as well as atexit, and runs.py flushes when it writes a run's spans. Celery pool processes
outlive their steps and skip both: celery_hooks.py flushes them at each task's end.
"""

import atexit
import multiprocessing.util
import os
import threading

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from resources.telemetry import metrics_on, traces_on

SCOPE = "aiwf"
DEFAULT_SERVICE = "aiwf"
_lock = threading.Lock()
_current: dict = {}


class _Ids(RandomIdGenerator):
    """Random ids, except the next one when a caller names it (a run or step span, resources/telemetry/ids.py)."""

    def __init__(self):
        self.next = threading.local()

    def generate_span_id(self) -> int:
        return self._take("span_id") or super().generate_span_id()

    def generate_trace_id(self) -> int:
        return self._take("trace_id") or super().generate_trace_id()

    def _take(self, name: str) -> int | None:
        value = getattr(self.next, name, None)
        setattr(self.next, name, None)
        return value


class Telemetry:
    """The providers and instruments of one process (and one set of OTEL_* settings)."""

    def __init__(self):
        resource = Resource.create()
        if resource.attributes.get(SERVICE_NAME, "").startswith("unknown_service"):
            resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE}))
        self.ids = _Ids()
        self.tracer_provider = self.meter_provider = self.tracer = None
        if traces_on():
            self.tracer_provider = TracerProvider(resource=resource, id_generator=self.ids, shutdown_on_exit=False)
            self.tracer_provider.add_span_processor(BatchSpanProcessor(_exporter("TRACES")))
            self.tracer = self.tracer_provider.get_tracer(SCOPE)
        if metrics_on():
            reader = PeriodicExportingMetricReader(_exporter("METRICS"))
            self.meter_provider = MeterProvider(resource=resource, metric_readers=[reader], shutdown_on_exit=False)
            self._instruments(self.meter_provider.get_meter(SCOPE))

    def _instruments(self, meter) -> None:
        # Bucket boundaries the GenAI semantic conventions recommend for these two histograms.
        self.token_usage = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Number of input and output tokens used",
            explicit_bucket_boundaries_advisory=[4 ** i for i in range(14)])
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=[0.01 * 2 ** i for i in range(14)])
        self.cost = meter.create_counter("aiwf.llm.cost", unit="USD", description="What model calls cost")

    def emit(self, name: str, *, trace_id: int | None = None, span_id: int | None = None,
             parent_span_id: int | None = None, start_ns: int, end_ns: int, attributes: dict,
             kind: SpanKind = SpanKind.INTERNAL, error: str | None = None) -> None:
        """One finished span. With `parent_span_id` it joins trace `trace_id` under that span (which may be
        written by another process, or later); without, it is the root of `trace_id` (or of a new trace)."""
        if self.tracer is None:
            return
        if parent_span_id is not None and trace_id is not None:
            parent = SpanContext(trace_id, parent_span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
            context = trace.set_span_in_context(NonRecordingSpan(parent))
        else:
            context = Context()
            self.ids.next.trace_id = trace_id
        self.ids.next.span_id = span_id
        try:
            span = self.tracer.start_span(name, context=context, kind=kind, start_time=start_ns,
                                          attributes={k: v for k, v in attributes.items() if v is not None})
        finally:
            self.ids.next.trace_id = self.ids.next.span_id = None
        if error:
            span.set_attribute("error.type", error)
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=max(end_ns, start_ns))

    def flush(self, timeout_s: float = 30.0) -> None:
        for provider in (self.tracer_provider, self.meter_provider):
            if provider is not None:
                provider.force_flush(int(timeout_s * 1000))

    def shutdown(self) -> None:
        if getattr(self, "_shut", False):
            return
        self._shut = True
        for provider in (self.tracer_provider, self.meter_provider):
            if provider is not None:
                provider.shutdown()


def current() -> Telemetry:
    """This process's Telemetry, rebuilt when the process forked or the OTEL_* settings changed."""
    key = (os.getpid(), tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("OTEL_"))))
    with _lock:
        if _current.get("key") != key:
            old = _current.get("telemetry")
            if old is not None and _current["key"][0] == key[0]:
                old.shutdown()
            telemetry = Telemetry()
            multiprocessing.util.Finalize(telemetry, telemetry.shutdown, exitpriority=10)
            atexit.register(telemetry.shutdown)
            _current.update(key=key, telemetry=telemetry)
        return _current["telemetry"]


def flush_started(timeout_s: float = 10.0) -> None:
    """Export what this process has recorded so far (a long-lived process at the end of a step); builds no
    providers when none was started here."""
    with _lock:
        telemetry = _current.get("telemetry") if _current.get("key", (None,))[0] == os.getpid() else None
    if telemetry is not None:
        telemetry.flush(timeout_s)


def shutdown() -> None:
    """Flush and stop this process's providers now (tests; a later span builds new ones)."""
    with _lock:
        telemetry = _current.pop("telemetry", None)
        _current.pop("key", None)
    if telemetry is not None:
        telemetry.shutdown()


def _exporter(signal: str):
    protocol = (os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL")
                or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf").strip().lower()
    if protocol == "http/protobuf":
        if signal == "TRACES":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            return OTLPSpanExporter()
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        return OTLPMetricExporter()
    if protocol == "grpc":
        if signal == "TRACES":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
            return OTLPSpanExporter()
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        return OTLPMetricExporter()
    raise ValueError(f"OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or grpc, got {protocol!r}")
