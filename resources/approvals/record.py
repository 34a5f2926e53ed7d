"""One approval as a value: the proposal, its diff against the current version, evidence, risk and decision."""

from __future__ import annotations

import difflib
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

APPROVED = ("approved", "edited")  # the statuses that let a downstream action run


def to_text(value: Any) -> str:
    """Outputs are shown and diffed as text: strings as they are, anything else as indented JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True, default=str)


def output_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def make_diff(current: Any, proposed: Any) -> str:
    """A unified diff from the current version to the proposal (empty current = everything added)."""
    lines = difflib.unified_diff(
        to_text(current).splitlines(), to_text(proposed).splitlines(), "current", "proposed", lineterm=""
    )
    return "\n".join(lines)


@dataclass
class Approval:
    """One item awaiting (or past) a human decision."""

    id: str
    workflow: str
    item_key: str
    proposed_output: Any
    current_version: Any
    diff: str
    evidence: dict
    reasons: list[str]
    risk: str
    status: str
    final_output: Any = None
    decided_by: str | None = None
    decided_at: float | None = None
    reason: str | None = None
    run_id: str | None = None
    partition_key: str | None = None
    created_at: float = field(default_factory=time.time)
    on_approve: str | None = None  # what approving does ("Approving refunds 120.00 EUR on order O-1 ..."), if said

    @property
    def on_approve_text(self) -> str:
        """What approving does: the text its proposer stored, else the line every workflow's approval earns."""
        return self.on_approve or (f"Approving lets the {self.workflow} workflow act on this item as proposed "
                                   "(its approvals sensor, when one is on, or its next run); the proposal does not "
                                   "say more.")

    @property
    def approved(self) -> bool:
        return self.status in APPROVED

    @property
    def output(self) -> Any:
        """What a downstream action should use: the reviewer's edit if any, else the proposal."""
        return self.final_output if self.final_output is not None else self.proposed_output

    def to_dict(self) -> dict:
        return {**self.__dict__, "on_approve": self.on_approve_text}

    @classmethod
    def from_row(cls, row: dict) -> "Approval":
        row = {k: v for k, v in row.items() if k != "output_hash"}
        for name in ("proposed_output", "current_version", "final_output", "evidence", "reasons"):
            row[name] = json.loads(row[name]) if row[name] is not None else None
        return cls(**row)
