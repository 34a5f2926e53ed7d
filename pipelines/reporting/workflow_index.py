"""Which workflow a run, a step or a model call belongs to: a workflow is an asset group.

Built from the code location's RepositoryDefinition (asset keys and op names to their group, jobs to the one
group their assets share). Runs the definitions cannot place (an op job, an ad-hoc asset run, a definition
since removed) fall back on the run's `aiwf/workflow` tag, the workflow of the approval that launched it, the
groups of the steps it ran, and last on the `<workflow>_job` naming convention.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sensors.approvals import APPROVAL_TAG

WORKFLOW_TAG = "aiwf/workflow"
UNATTRIBUTED = "(unattributed)"  # model calls no asset or run places: kept so totals still add up


@dataclass(frozen=True)
class WorkflowIndex:
    """Asset keys (user strings) and op names -> workflow; job names -> workflow."""

    assets: Mapping[str, str] = field(default_factory=dict)
    jobs: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_repository(cls, repo) -> "WorkflowIndex":
        """From a RepositoryDefinition (`defs.get_repository_def()`, or `context.repository_def` in a step)."""
        assets: dict[str, str] = {}
        for assets_def in repo.assets_defs_by_key.values():
            for key, group in assets_def.group_names_by_key.items():
                assets[key.to_user_string()] = group
                assets.setdefault(assets_def.node_def.name, group)
        for check_key, check_def in repo.asset_checks_defs_by_key.items():  # a check op: its asset's group
            group = assets.get(check_key.asset_key.to_user_string())
            if group:
                assets.setdefault(check_def.node_def.name, group)
        jobs = {}
        for job in repo.get_all_jobs():
            groups = {assets[n.name] for n in job.nodes_in_topological_order if n.name in assets}
            if job.tags.get(WORKFLOW_TAG):
                jobs[job.name] = job.tags[WORKFLOW_TAG]
            elif len(groups) == 1:
                jobs[job.name] = groups.pop()
        return cls(assets, jobs)

    def of_asset(self, key: str | None) -> str | None:
        return self.assets.get(key) if key else None

    def of_run(self, job_name: str, tags: Mapping[str, str], steps: Iterable[str] = (),
               approval_workflows: Mapping[str, str] | None = None) -> str:
        """The workflow of one run (see the module docstring for the order of evidence)."""
        if tags.get(WORKFLOW_TAG):
            return tags[WORKFLOW_TAG]
        approval = tags.get(APPROVAL_TAG)
        if approval and approval_workflows and approval in approval_workflows:
            return approval_workflows[approval]
        if job_name in self.jobs:
            return self.jobs[job_name]
        groups = {self.assets[s] for s in steps if s in self.assets}
        if len(groups) == 1:
            return groups.pop()
        return job_name.removesuffix("_job") if job_name and not job_name.startswith("__") else UNATTRIBUTED
