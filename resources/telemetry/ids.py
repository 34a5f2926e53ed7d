"""Trace and span ids derived from the Dagster run id, so any process of a run can name its run's spans.

The trace id is the run id itself (a UUID is 128 bits, as a trace id is); the run span and each step span get
ids hashed from the run id and step key. A step process parents its spans to its step span without context
being passed through the executor, Celery or a pod, and the run's root span, written once when the run has
finished (resources/telemetry/runs.py), is the parent they all named.
"""

import hashlib
import uuid


def trace_id(run_id: str) -> int:
    try:
        value = uuid.UUID(run_id).int
    except ValueError:  # not a UUID (a test's or another tool's run id): a hash of it
        value = int.from_bytes(hashlib.sha256(f"trace\0{run_id}".encode()).digest()[:16], "big")
    return value or 1


def run_span_id(run_id: str) -> int:
    return _span_id("run", run_id)


def step_span_id(run_id: str, step_key: str) -> int:
    return _span_id("step", run_id, step_key)


def _span_id(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "big") or 1
