"""Telemetry as a hook at the ledger-row point: every row a session writes is a GenAI span and metrics too.

Added only when telemetry is on (resources/telemetry), so with it off opentelemetry is never imported.
"""

from resources import telemetry


def span_hooks(step, ids: dict) -> list:
    """The hooks a session's Recorder calls per ledger row: a span under `step` (run id, step key), or none."""
    if not telemetry.enabled():
        return []
    from resources.telemetry.genai import record_call

    def hook(request, record, response, batch_id):
        record_call(step, ids, request, record, response=response, batch_id=batch_id)

    return [hook]


def wants_response() -> bool:
    """Whether a span needs the parsed ChatCompletion (response id, finish reasons): only with telemetry on."""
    return telemetry.enabled()
