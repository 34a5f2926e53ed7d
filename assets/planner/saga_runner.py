"""Running a plan as a saga: each step an idempotent connector action, money above a threshold behind the
approval gate, a failed step undoing the completed ones newest first.

Keys: one per item, step and payload version (`<partition>:a<attempt>`, plus the approval id when a reviewer
edited the step), so a retried or resumed run finds done steps in the action ledger and sends nothing again.
The plan is pinned per partition and item (assets/planner/store.py): a held or interrupted saga resumes with
the same plan. A plan that failed is tried once more (a new saga) only when the failure may pass (a timeout,
the shop down); a plan that failed twice, or was refused by the other side, goes to a person with the evidence.
"""

from dataclasses import dataclass, field

from assets.approval_gate import ApprovalPolicy, Rule, send_for_approval
from assets.planner.plan import describe, plan_hash
from assets.planner.rules import PlanRule, validate
from assets.planner.store import FINISHED, PlanStore
from resources.connectors.errors import ActionInDoubt, ActionInFlight, TransientError
from resources.connectors.saga import Saga
from resources.connectors.tools import ToolRegistry


@dataclass
class Outcome:
    """What happened to one item's plan in this run: its status and one row per step."""

    item_key: str
    status: str  # completed, held, paused, rejected, escalated, or finished earlier (status of that run)
    attempt: int
    steps: list[dict] = field(default_factory=list)
    compensated: int = 0
    error: str | None = None
    approval_ids: list[str] = field(default_factory=list)
    transient: bool = False  # the failure may pass (a timeout, the service down): worth one more attempt


class StepRefused(Exception):
    """A reviewer rejected a held step (or an edit that breaks the rules): the saga is undone."""


@dataclass
class SagaRunner:
    """Executes pinned plans for one workflow through `connectors` (by the name tools give)."""

    context: object
    workflow: str
    registry: ToolRegistry
    rules: list[PlanRule]
    connectors: dict
    plans: PlanStore
    approvals: object
    max_attempts: int = 2

    def execute(self, partition: str, item_key: str, plan: dict, item: dict) -> Outcome:
        run = self.plans.pin(partition, item_key, plan, plan_hash(plan), item)
        if run["status"] in FINISHED:  # done in an earlier run of this partition: nothing is sent again
            return Outcome(item_key, run["status"], run["attempt"], error=run["evidence"].get("error"))
        attempt, failures, earlier = run["attempt"], run["evidence"].get("failures", []), Outcome(item_key, "", 0)
        while True:
            outcome = self._attempt(partition, item_key, run["plan"], run["item"], attempt)
            for row in outcome.steps:
                row["attempt"] = attempt
            if outcome.status != "failed":
                self._save(partition, outcome, failures)
                return outcome
            failures.append({"attempt": attempt, "error": outcome.error, "steps": outcome.steps})
            outcome.steps = earlier.steps + outcome.steps
            outcome.compensated += earlier.compensated
            if not outcome.transient or attempt >= self.max_attempts:
                return self._escalate(partition, outcome, run, failures)
            earlier, attempt = outcome, attempt + 1  # a new saga, with new keys: recorded before it starts
            self.plans.update(partition, item_key, status="running", attempt=attempt, evidence={"failures": failures})

    def _attempt(self, partition: str, item_key: str, plan: dict, item: dict, attempt: int) -> Outcome:
        outcome, version = Outcome(item_key, "completed", attempt), f"{partition}:a{attempt}"
        saga, step = Saga(self.workflow, saga_id=f"{self.workflow}:{partition}:{item_key}:a{attempt}"), None
        try:
            with saga:
                for n, step in enumerate(plan["steps"], start=1):
                    tool, args, suffix = self.registry.get(step["tool"]), dict(step["arguments"]), ""
                    if tool.side_effect and tool.connector not in self.connectors:
                        raise ValueError(f"step {n}: no {tool.connector!r} connector for tool {tool.name}")
                    if tool.needs_approval(args, self.connectors.get(tool.connector), workflow=self.workflow,
                                           item_key=item_key, step=n, version=version):  # per order, all days
                        gate = self._gate(partition, item_key, n, step, plan, item, outcome)
                        if gate is None:
                            return self._waiting(outcome, plan, n, "held")
                        args, suffix = gate
                    action = tool.action(self.connectors.get(tool.connector), workflow=self.workflow,
                                         item_key=item_key, step=n, version=version + suffix, arguments=args)
                    row = {"step": n, "tool": tool.name, "arguments": args, "idempotency_key": None, "error": None}
                    if action is None:
                        outcome.steps.append({**row, "status": "noted"})
                        continue
                    row["idempotency_key"] = action.key
                    try:
                        done = saga.execute(self.connectors[tool.connector], action)
                    except (ActionInFlight, ActionInDoubt) as exc:  # another run has it, or a person must look
                        outcome.error = f"{type(exc).__name__}: {exc}"
                        return self._waiting(outcome, plan, n, "paused")
                    outcome.steps.append({**row, "status": done.status, "replayed": bool((done.result or {})
                                                                                          .get("replayed"))})
        except Exception as exc:  # noqa: BLE001 - the saga undid what it could; the item fails, the run goes on
            return self._failed(outcome, saga, plan, step, exc)
        return outcome

    def _gate(self, partition, item_key, n, step, plan, item, outcome) -> tuple[dict, str] | None:
        """Ask a person about a step that moves money above its tool's threshold: None while pending, the
        arguments to use once approved (a reviewer's edit, checked by the rules again), StepRefused if not."""
        tool = self.registry.get(step["tool"])
        # Only reached when tool.needs_approval said so: this step's money, or the order's money with it, too much.
        policy = ApprovalPolicy(self.workflow, [Rule(f"{tool.money_field} above {tool.approval_above:g} for the "
                                                     "order, counting its earlier refunds", lambda _: True, "high")],
                                on_approve=step_text(tool, step["arguments"], item_key, n))
        proposal = {"item_key": item_key, "partition": partition, "step": n, "tool": tool.name,
                    "arguments": step["arguments"]}
        result = send_for_approval(
            self.context, self.approvals, policy, [{"key": f"{item_key}#{n}", **step["arguments"]}], key="key",
            output=lambda _: proposal, evidence=lambda _: {"plan": describe(plan), "rationale": step["rationale"],
                                                          "item": item})
        approval = (result.pending + result.decided)[0]
        outcome.approval_ids.append(approval.id)
        if approval.status == "pending":
            return None
        if not approval.approved:
            raise StepRefused(f"step {n} ({tool.name}) {approval.status} by {approval.decided_by}: {approval.reason}")
        decided = approval.output if isinstance(approval.output, dict) else {}
        args = dict(decided.get("arguments") or step["arguments"])
        if args == step["arguments"]:
            return args, ""
        edited = {**plan, "steps": [dict(s, arguments=args) if i == n else s for i, s in enumerate(plan["steps"], 1)]}
        problems = validate(edited, item, self.registry, self.rules)
        if problems:
            raise StepRefused(f"step {n}: the reviewer's edit breaks the rules: {'; '.join(problems)}")
        return args, f":{approval.id}"

    def _waiting(self, outcome: Outcome, plan: dict, n: int, status: str) -> Outcome:
        """Stop before step `n` without undoing anything: a decision or another run is awaited."""
        outcome.status = status
        outcome.steps += [{"step": i, "tool": s["tool"], "arguments": s["arguments"], "idempotency_key": None,
                           "error": None, "status": status if i == n else "waiting"}
                          for i, s in enumerate(plan["steps"], start=1) if i >= n]
        return outcome

    def _failed(self, outcome: Outcome, saga: Saga, plan: dict, step: dict | None, exc: Exception) -> Outcome:
        """The attempt ended at `step` (the saga undid the completed steps it could): say which and why."""
        refused = isinstance(exc, StepRefused)
        outcome.status, outcome.error = "rejected" if refused else "failed", f"{type(exc).__name__}: {exc}"
        outcome.transient = isinstance(exc, TransientError)  # a CompensationFailed never is: a person looks now
        undone = {o.action.compensates for o in saga.compensated}
        outcome.compensated = len(undone)
        for row in outcome.steps:
            row["compensated"] = row["idempotency_key"] in undone
        if step is not None and len(outcome.steps) < len(plan["steps"]):
            outcome.steps.append({"step": len(outcome.steps) + 1, "tool": step["tool"], "arguments": step["arguments"],
                                  "idempotency_key": None, "error": outcome.error,
                                  "status": "refused" if refused else "failed"})
        return outcome

    def _save(self, partition: str, outcome: Outcome, failures: list) -> None:
        status = "running" if outcome.status == "paused" else outcome.status
        self.plans.update(partition, outcome.item_key, status=status, attempt=outcome.attempt,
                          evidence={"failures": failures, "error": outcome.error, "steps": outcome.steps})

    def _escalate(self, partition: str, outcome: Outcome, run: dict, failures: list) -> Outcome:
        """Hand the item to a person with the evidence (the approvals queue of `<workflow>_escalations`)."""
        store = self.approvals.store() if hasattr(self.approvals, "store") else self.approvals
        reasons = [f"the plan failed {len(failures)} time(s); completed steps were undone where possible"]
        approval = store.propose(
            f"{self.workflow}_escalations", f"{outcome.item_key}@{partition}",
            {"item_key": outcome.item_key, "partition": partition, "action": "resolve by hand",
             "plan": describe(run["plan"])},
            evidence={"failures": failures, "item": run["item"]}, risk="high", reasons=reasons,
            run_id=self.context.run_id, partition_key=partition or None,
            on_approve=f"Approving records that {outcome.item_key} was resolved by hand: nothing is sent.")
        outcome.status = "escalated"
        outcome.approval_ids.append(approval.id)
        self.plans.update(partition, outcome.item_key, status="escalated", attempt=outcome.attempt,
                          evidence={"failures": failures, "error": outcome.error, "escalation": approval.id})
        return outcome


def step_text(tool, arguments: dict, item_key: str, n: int) -> str:
    """What approving a held step does, in words: the tool, its money, and what follows."""
    money = arguments.get(tool.money_field) if tool.money_field else None
    what = (f"{tool.name} of {float(money):.2f} {arguments.get('currency') or ''}".rstrip() if money is not None
            else f"{tool.name} ({', '.join(f'{k}={v}' for k, v in arguments.items())})")
    return (f"Approving sends the {what} on {item_key} through the {tool.connector} (step {n} of its plan); "
            "the plan's later steps follow.")
