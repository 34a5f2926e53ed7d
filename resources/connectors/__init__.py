"""External actions that take effect at most once: idempotency keys, an action ledger, retries, a circuit
breaker and compensation, with connectors for HTTP JSON APIs, the shop, fsspec paths, Slack and SQL tables."""

from resources.connectors.action import Action, Connector, Outcome
from resources.connectors.breaker import CircuitBreaker, breaker_for
from resources.connectors.errors import (
    ActionCompensated,
    ActionInDoubt,
    ActionInFlight,
    CircuitOpenError,
    CompensationFailed,
    ConnectorError,
    IdempotencyConflict,
    OutcomeUnknown,
    OutcomeUnverified,
    PermanentError,
    TransientError,
)
from resources.connectors.http import HttpConnector
from resources.connectors.ledger import ActionLedger, idempotency_key, payload_hash
from resources.connectors.publish import FsspecPublisher
from resources.connectors.resource import HttpApiResource, ShopResource
from resources.connectors.saga import Saga
from resources.connectors.shop import ShopConnector
from resources.connectors.slack import SlackWebhook
from resources.connectors.sql import SqlTableWriter

__all__ = [
    "Action", "ActionCompensated", "ActionInDoubt", "ActionInFlight", "ActionLedger", "CircuitBreaker", "CircuitOpenError",
    "CompensationFailed", "Connector", "ConnectorError", "FsspecPublisher", "HttpApiResource", "HttpConnector",
    "IdempotencyConflict", "Outcome", "OutcomeUnknown", "OutcomeUnverified",
    "PermanentError", "Saga", "ShopConnector", "ShopResource", "SlackWebhook",
    "SqlTableWriter", "TransientError", "breaker_for", "idempotency_key", "payload_hash",
]
