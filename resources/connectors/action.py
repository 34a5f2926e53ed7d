"""The base of every external action: an Action names one logical change; a Connector sends it at most once."""

import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any

from resources import telemetry
from resources.connectors.errors import ActionInDoubt, ConnectorError, OutcomeUnknown, OutcomeUnverified
from resources.connectors.ledger import ActionLedger, idempotency_key, payload_hash


@dataclass(frozen=True)
class Action:
    """One logical change. Its key depends on workflow, entity, action and payload_version, never on the attempt."""

    workflow: str
    entity: str
    action: str
    payload: dict
    payload_version: str
    compensates: str | None = None  # key of the action this one undoes

    @property
    def key(self) -> str:
        return idempotency_key(self.workflow, self.entity, self.action, self.payload_version)

    @property
    def payload_hash(self) -> str:
        return payload_hash(self.payload)

    def describe(self) -> str:
        return f"{self.workflow}/{self.action} {self.entity}@{self.payload_version}"

    def inverse(self, action: str, payload: dict) -> "Action":
        """The action that undoes this one; keyed apart from it so both can be in the ledger."""
        return replace(self, action=action, payload=payload, compensates=self.key)


@dataclass
class Outcome:
    """What execute() did: 'sent' (applied now) or 'skipped' (the ledger already had it done)."""

    action: Action
    status: str
    result: dict | None = None
    attempts: int = 0

    @property
    def key(self) -> str:
        return self.action.key


@dataclass
class ConnectorStats:
    """Per-connector counters for asset metadata: requests on the wire, retries, ledger skips."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    requests: int = 0
    retries: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, int]:
        return {"sent": self.sent, "skipped_already_done": self.skipped, "failed": self.failed,
                "requests": self.requests, "retries": self.retries}


class Connector(ABC):
    """Sends Actions through the action ledger, so each takes effect at most once across retries and reruns.

    Subclasses implement `_perform` (do the change, return a JSON-able result) and may implement `inverse_of`
    (the action that undoes a completed one) for compensation.
    """

    name = "connector"
    # Whether the receiver dedupes by idempotency key. One that cannot (a webhook) is never re-sent an action
    # whose outcome is unknown: the action is held in doubt for a person instead.
    dedupes = True

    def __init__(self, ledger: ActionLedger, owner: str | None = None):
        self.ledger = ledger
        # Owner = the run id when known: a step retry of the same run may resume its own intent,
        # another run (a duplicate sensor tick) may not while the intent's lease is live.
        self.owner = owner or f"proc-{uuid.uuid4().hex[:12]}"
        self.trace_step: tuple[str, str] | None = None  # (run id, step key) its action spans go under
        self.stats = ConnectorStats()

    def execute(self, action: Action, saga_id: str | None = None) -> Outcome:
        """Send `action` unless the ledger already has it done; record the outcome either way."""
        if not telemetry.enabled():
            return self._execute(action, saga_id)
        from resources.telemetry.spans import connector_action

        started = time.time_ns()
        try:
            outcome = self._execute(action, saga_id)
        except Exception as exc:
            state = "in_doubt" if isinstance(exc, ActionInDoubt) else "failed"
            connector_action(self, action, started, state, error=type(exc).__name__)
            raise
        connector_action(self, action, started, outcome.status)
        return outcome

    def _execute(self, action: Action, saga_id: str | None) -> Outcome:
        claim = self.ledger.claim(action, self.name, self.owner, saga_id=saga_id)
        if not claim.send:
            self.stats.skipped += 1
            return Outcome(action, "skipped", claim.result, claim.attempts)
        if claim.interrupted and not self.dedupes:
            self._hold(action, "an earlier attempt was interrupted before its outcome was recorded")
        try:
            result = self._perform(action, action.key)
        except OutcomeUnverified as exc:  # only 2xx is success: a redirect may hide an applied change
            self.stats.failed += 1
            self._hold(action, _describe(exc))
        except OutcomeUnknown as exc:
            self.stats.failed += 1
            if not self.dedupes:
                self._hold(action, _describe(exc))
            self.ledger.mark(action.key, "failed", error=_describe(exc))
            raise
        except Exception as exc:
            self.stats.failed += 1
            self.ledger.mark(action.key, "failed", error=_describe(exc))
            raise
        self.ledger.mark(action.key, "done", result=result)
        self.stats.sent += 1
        return Outcome(action, "sent", result, claim.attempts)

    def money_moved(self, action: Action, field: str) -> float:
        """What this connector's ledger shows already moved (done, or possibly: in flight or in doubt) by actions
        like `action` on the same entity (an order, across its plan steps), `action` itself excluded."""
        return self.ledger.money_moved(self.name, action, field)

    def _hold(self, action: Action, why: str) -> None:
        self.ledger.mark(action.key, "in_doubt", error=why)
        raise ActionInDoubt(f"{action.describe()} held for a person: {why}; it may already have taken effect, "
                            "so it is not sent again until settled")

    @abstractmethod
    def _perform(self, action: Action, key: str) -> dict[str, Any]:
        """Apply the change once; `key` is the idempotency key to hand to the other side."""

    def inverse_of(self, action: Action, result: dict | None) -> Action | None:
        """The action that undoes `action` (None: this connector cannot undo it)."""
        return None

    def close(self) -> None:
        """Release clients and files; connectors are also context managers."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _describe(exc: BaseException) -> str:
    """A one-line error for the ledger: the class and message, never headers or credentials."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 500 else text[:497] + "..."


__all__ = ["Action", "Connector", "ConnectorError", "Outcome", "ConnectorStats"]
