"""Compensation: each completed step of a saga registers its inverse; on failure they run in reverse order."""

import logging
import uuid

from resources.connectors.action import Action, Connector, Outcome
from resources.connectors.errors import CompensationFailed

log = logging.getLogger(__name__)


class Saga:
    """Steps that must all take effect or be undone: `with Saga("returns") as saga: saga.execute(conn, action)`.

    When a step raises inside the block, every completed step (including ones a previous run already did) is
    compensated newest-first through its own connector, and the ledger marks each original `compensated`.
    """

    def __init__(self, name: str, saga_id: str | None = None):
        self.saga_id = saga_id or f"{name}-{uuid.uuid4().hex[:12]}"
        self._steps: list[tuple[Connector, Action, Action]] = []
        self.compensated: list[Outcome] = []

    def execute(self, connector: Connector, action: Action, inverse: Action | None = None) -> Outcome:
        """Run one step; remember how to undo it (explicit `inverse`, else the connector's `inverse_of`)."""
        outcome = connector.execute(action, saga_id=self.saga_id)
        undo = inverse if inverse is not None else connector.inverse_of(action, outcome.result)
        if undo is not None:
            self._steps.append((connector, action, undo))
        return outcome

    def compensate(self) -> list[Outcome]:
        """Undo completed steps in reverse order; raise CompensationFailed naming any step left in place."""
        failures = []
        while self._steps:
            connector, action, undo = self._steps.pop()
            try:
                outcome = connector.execute(undo, saga_id=self.saga_id)
            except Exception as exc:  # keep undoing the others; report all at the end
                log.error("compensation of %s failed: %s", action.describe(), exc)
                failures.append(f"{action.describe()} ({action.key}): {type(exc).__name__}: {exc}")
                continue
            connector.ledger.mark(action.key, "compensated", detail=f"undone by {undo.action} ({undo.key})")
            self.compensated.append(outcome)
        if failures:
            raise CompensationFailed(f"saga {self.saga_id}: could not undo " + "; ".join(failures))
        return self.compensated

    def __enter__(self) -> "Saga":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None and self._steps:
            log.warning("saga %s failed (%s); compensating %d step(s)", self.saga_id, exc_type.__name__, len(self._steps))
            self.compensate()  # a CompensationFailed here chains the original error as its context
        return False
