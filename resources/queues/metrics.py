"""Queue lag as OpenTelemetry gauges (aiwf.queue.waiting, aiwf.queue.oldest_age), only when metrics are on."""

from resources import telemetry

_gauges: dict = {}


def record_lag(queue: str, lag) -> None:
    """Set both gauges for `queue`; free (no import, no provider) while OTEL metrics are off."""
    if not telemetry.metrics_on():
        return
    from resources.telemetry.provider import SCOPE, current

    provider = current().meter_provider
    if provider is None:
        return
    if _gauges.get("provider") is not provider:
        meter = provider.get_meter(SCOPE)
        _gauges.update(provider=provider,
                       waiting=meter.create_gauge("aiwf.queue.waiting", unit="{message}",
                                                  description="Messages waiting in the queue a sensor reads"),
                       age=meter.create_gauge("aiwf.queue.oldest_age", unit="s",
                                              description="Age of the oldest message waiting"))
    attributes = {"messaging.destination.name": queue}
    _gauges["waiting"].set(lag.waiting, attributes)
    _gauges["age"].set(lag.oldest_age_s or 0.0, attributes)
