"""Canaries for batch assets: a share of rows answered by a prompt's candidate version, the rest by live.

A row goes to the candidate when sha256(row key) read as a fraction of [0, 1) is below the share, so the
same rows stay in the canary from run to run (and a wider share keeps them in). Each version checkpoints under
its own (version, hash) scope, so a rollback or promotion never serves one version's answers as the other's.
Which version is live, and whether a canary runs, is read from the Store when the run starts
(resources/llm/prompt_registry.py): a rolled-back canary is gone from the next run.
"""

import dataclasses
import hashlib

from assets.llm_map.rows import BadRow, RowRequest, input_hash
from resources.llm.prompt_files import PromptFile
from resources.llm.prompt_registry import PromptRegistry
from resources.llm.prompts import Prompt
from resources.state.checkpoints import Checkpoints, CheckpointWriter, Scope


def bucket(key: str) -> float:
    """A row key's stable position in [0, 1)."""
    return int.from_bytes(hashlib.sha256(str(key).encode()).digest()[:8], "big") / 2 ** 64


def assigned_to_candidate(key: str, share: float) -> bool:
    return share > 0 and bucket(key) < share


def effective_live(spec, store):
    """The spec with the Store's live version of its prompt file (a promoted version answers from now on), pinned
    as that explicit version: the run's checkpoints, canary and answers all use the version read here."""
    pf: PromptFile | None = getattr(spec, "prompt_file", None)
    if pf is None:
        return spec
    registry = PromptRegistry(store)
    registry.record([pf])  # first use records its versions; a change under a recorded version is refused
    return dataclasses.replace(spec, prompt=pf.version(registry.live(pf)))


@dataclasses.dataclass
class CanaryPlan:
    """Which rows the candidate answers this run."""

    live: Prompt
    candidate: Prompt
    share: float
    versions: dict[str, str] = dataclasses.field(default_factory=dict)  # row key -> version that answers it

    def metadata(self) -> dict:
        on_candidate = sum(v == self.candidate.version for v in self.versions.values())
        return {"canary_prompt": self.candidate.ref, "canary_share": self.share, "rows_candidate": on_candidate,
                "rows_live": len(self.versions) - on_candidate}

    def scope(self, scope: Scope) -> Scope:
        return dataclasses.replace(scope, prompt_version=self.candidate.version, prompt_hash=self.candidate.hash)

    def apply(self, good: list[tuple[str, RowRequest]]) -> tuple[list[tuple[str, RowRequest]], list[BadRow]]:
        """Point the candidate's rows at its prompt (its own input hash, so identical inputs of the two versions
        are never merged); a row the candidate cannot render is a bad row, not a crash."""
        kept, bad = [], []
        for key, request in good:
            if not assigned_to_candidate(key, self.share):
                self.versions[key] = self.live.version
                kept.append((key, request))
                continue
            try:
                self.candidate.render(**request.variables)
            except ValueError as err:
                bad.append(BadRow(key, request.row, "invalid_row", f"candidate {self.candidate.ref}: {err}"))
                continue
            request.prompt = self.candidate
            request.input_hash = input_hash({"__prompt__": self.candidate.ref, **request.variables})
            self.versions[key] = self.candidate.version
            kept.append((key, request))
        return kept, bad

    def load(self, checkpoints: Checkpoints, scope: Scope) -> dict[str, dict]:
        """Each row's checkpoint from the scope of the version that answers it."""
        live, candidate = checkpoints.load(scope), checkpoints.load(self.scope(scope))
        return {k: (candidate if v == self.candidate.version else live)[k] for k, v in self.versions.items()
                if k in (candidate if v == self.candidate.version else live)}

    def writer(self, checkpoints: Checkpoints, scope: Scope, workflow: str, run_id: str) -> "CanaryWriter":
        return CanaryWriter(checkpoints, scope, workflow, run_id, self.scope(scope), self)


class CanaryWriter(CheckpointWriter):
    """A checkpoint writer that files each row under the scope of the version that answered it."""

    def __init__(self, checkpoints, scope, workflow, run_id, candidate_scope: Scope, plan: CanaryPlan):
        super().__init__(checkpoints, scope, workflow, run_id)
        self.candidate_scope, self.plan = candidate_scope, plan

    def add(self, row_key: str, input_hash: str, output, answered_by: str, tier: str, escalated: bool,
            cost_usd: float, tokens: int, *, offline: bool = False, spent: tuple[float, int] | None = None) -> None:
        candidate = self.plan.versions.get(row_key) == self.plan.candidate.version
        super().add(row_key, input_hash, output, answered_by, tier, escalated, cost_usd, tokens, offline=offline,
                    spent=spent, scope=self.candidate_scope if candidate else None)


def canary_plan(spec, store) -> CanaryPlan | None:
    """This run's canary, or None when the prompt has no candidate with a share (then only live answers)."""
    pf: PromptFile | None = getattr(spec, "prompt_file", None)
    if pf is None:
        return None
    version, share = PromptRegistry(store).candidate(pf)
    if not version or share <= 0 or version == spec.prompt.version:
        return None
    return CanaryPlan(spec.prompt, pf.version(version), share)
