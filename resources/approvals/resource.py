"""`ApprovalsResource` (key `approvals`): the approvals store on the bound state, with corrections sent to memory."""

from typing import Any

import dagster as dg

from resources.approvals.store import Approval, ApprovalStore
from resources.memory import MemoryResource
from resources.state.resource import StateResource, state_of


class ApprovalsResource(dg.ConfigurableResource):
    """Approvals in the `state` store; reviewers' edits also go to the bound `memory` (when given)."""

    state: StateResource | None = None
    memory: MemoryResource | None = None

    def store(self) -> ApprovalStore:
        return ApprovalStore(state_of(self).store(), corrections_to=self.memory)

    def propose(self, workflow: str, item_key: str, output: Any, **kwargs) -> Approval:
        return self.store().propose(workflow, item_key, output, **kwargs)

    def get(self, approval_id: str) -> Approval:
        return self.store().get(approval_id)
