"""A circuit breaker per model endpoint: a provider that is down is not hammered, and the step says why at once.

After `failures` consecutive attempts failing the same way at one base URL (connection refused or timed out,
5xx, auth 401/403), requests fail fast with the real cause in the first line ("model 'x' at <url>: provider
answers 503: ..."); after `cooldown_s` one probe goes out (half-open) and an answer closes the circuit again.
The state machine is the connectors' (resources/connectors/breaker.py); each session keeps its own, so one
step's outage never fails another step before it has tried.
"""

from resources.connectors.breaker import CircuitBreaker
from resources.connectors.errors import CircuitOpenError
from resources.llm.retry import CircuitOpen

COUNTED = ("connection", "timeout", "server_error", "auth")  # failure classes that mean the endpoint is down


class EndpointBreaker:
    """Opens after `failures` consecutive counted failures of one class; remembers the last cause for the error."""

    def __init__(self, endpoint: str, failures: int, cooldown_s: float):
        from resources.safety.secrets import safe_url

        self.endpoint = safe_url(endpoint)  # named in every CircuitOpen: never with credentials from the base URL
        self.circuit = CircuitBreaker(max(1, failures), cooldown_s)
        self.kind: str | None = None
        self.cause = ""

    def before(self, what: str) -> None:
        """Let an attempt through, or raise CircuitOpen naming the endpoint and the cause first."""
        try:
            self.circuit.before_call()
        except CircuitOpenError as exc:
            raise CircuitOpen(f"{what} at {self.endpoint}: {self.cause} ({exc})", error_class=self.kind) from None

    def failed(self, kind: str, cause: str) -> None:
        """An attempt failed: counted when the endpoint looks down (a new class starts the count again)."""
        if kind not in COUNTED:
            self.answered()  # a 4xx or 429 is an endpoint that answers
            return
        if kind != self.kind and self.circuit.state == "closed":
            self.circuit.record_success()
        self.kind, self.cause = kind, cause
        self.circuit.record_failure()

    def answered(self) -> None:
        self.circuit.record_success()
