"""A local OTLP/HTTP receiver for tests: decodes the protobuf export requests OTLP exporters POST to it."""

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


class OTLPReceiver:
    """`with OTLPReceiver() as r:` point OTEL_EXPORTER_OTLP_ENDPOINT at r.url; read r.spans and r.metrics."""

    def __init__(self):
        self.spans: list[dict] = []
        self.metrics: list[dict] = []
        self.resources: list[dict] = []
        self.requests = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path == "/v1/traces":
                    receiver._traces(ExportTraceServiceRequest.FromString(body))
                    reply = ExportTraceServiceResponse()
                elif self.path == "/v1/metrics":
                    receiver._metrics(ExportMetricsServiceRequest.FromString(body))
                    reply = ExportMetricsServiceResponse()
                else:
                    self.send_error(404)
                    return
                data = reply.SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _traces(self, request) -> None:
        with self._lock:
            self.requests += 1
            for resource_spans in request.resource_spans:
                self.resources.append(_attrs(resource_spans.resource.attributes))
                for scope_spans in resource_spans.scope_spans:
                    for s in scope_spans.spans:
                        self.spans.append({
                            "trace_id": s.trace_id.hex(), "span_id": s.span_id.hex(),
                            "parent_span_id": s.parent_span_id.hex() or None, "name": s.name, "kind": s.kind,
                            "start_ns": s.start_time_unix_nano, "end_ns": s.end_time_unix_nano,
                            "status": s.status.code, "attributes": _attrs(s.attributes)})

    def _metrics(self, request) -> None:
        with self._lock:
            self.requests += 1
            for resource_metrics in request.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    for m in scope_metrics.metrics:
                        kind = m.WhichOneof("data")
                        points = getattr(m, kind).data_points
                        self.metrics.append({"name": m.name, "unit": m.unit, "kind": kind, "points": [
                            {"attributes": _attrs(p.attributes), "count": getattr(p, "count", None),
                             "sum": getattr(p, "sum", None) if kind == "histogram" else p.as_double or p.as_int}
                            for p in points]})


def _attrs(pairs) -> dict:
    return {kv.key: _value(kv.value) for kv in pairs}


def _value(v: AnyValue):
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    return getattr(v, kind) if kind else None
