"""Why an external action did not take effect, as exceptions callers can tell apart."""


class ConnectorError(Exception):
    """Base class for every connector failure."""


class IdempotencyConflict(ConnectorError):
    """The same idempotency key was used before with a different payload (refused, as Stripe does)."""


class ActionInFlight(ConnectorError):
    """Another run holds this action's intent right now; retry later instead of sending it twice."""


class ActionCompensated(ConnectorError):
    """The action was applied and later undone by its saga; a new payload_version is needed to apply it again."""


class TransientError(ConnectorError):
    """A failure worth retrying with the same key (5xx, 429, timeouts, connection errors)."""


class OutcomeUnknown(TransientError):
    """The request may have been applied (a 5xx or a broken connection after sending) by a receiver that
    cannot dedupe: sending it again could apply it twice."""


class ActionInDoubt(ConnectorError):
    """An action sent to a receiver that cannot dedupe may or may not have taken effect; it is held for a person
    to confirm with the receiver (`ActionLedger.settle`) instead of being sent again."""


class PermanentError(ConnectorError):
    """The other side refused the request (4xx): retrying the same request cannot succeed."""

    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


class OutcomeUnverified(PermanentError):
    """The other side answered neither success (2xx) nor refusal: a redirect (3xx) is not followed, so whether
    a change took effect is unverified. An action is held in doubt for a person; a read is an error."""


class CircuitOpenError(TransientError):
    """The circuit breaker is open: the service failed repeatedly, so calls are refused until the cooldown ends."""


class CompensationFailed(ConnectorError):
    """A saga step failed and at least one completed step could not be undone; the ledger lists which."""
