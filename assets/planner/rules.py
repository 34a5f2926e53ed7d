"""Rules a plan must pass before anything runs: plain code over the plan and the item, never a model's say-so.

A rule is `(plan, item, registry) -> list of problems` over plain data (assets/planner/plan.py `as_data`);
`validate` runs the always-on rules (registered tools, arguments that fit) and a workflow's own.
"""

from typing import Callable

from pydantic import ValidationError

from resources.connectors.tools import ToolRegistry

PlanRule = Callable[[dict, dict, ToolRegistry], list[str]]


def registered_tools(plan: dict, item: dict, registry: ToolRegistry) -> list[str]:
    """Only tools in the registry."""
    return [f"step {i}: {s['tool']!r} is not a registered tool (known: {', '.join(registry.names())})"
            for i, s in _steps(plan) if s["tool"] not in registry]


def valid_arguments(plan: dict, item: dict, registry: ToolRegistry) -> list[str]:
    """Each step's arguments fit its tool's model (types, bounds, nothing unknown)."""
    problems = []
    for i, step in _steps(plan):
        if step["tool"] not in registry:
            continue
        try:
            registry.get(step["tool"]).validate(step["arguments"])
        except ValidationError as err:
            why = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in err.errors()[:3])
            problems.append(f"step {i}: {step['tool']} arguments do not fit: {why}")
    return problems


def at_most_steps(limit: int) -> PlanRule:
    def rule(plan: dict, item: dict, registry: ToolRegistry) -> list[str]:
        n = len(plan["steps"])
        return [f"{n} steps; a plan has at most {limit}"] if n > limit else []
    rule.__name__ = f"at_most_{limit}_steps"
    return rule


def money_within(tool: str, limit_field: str) -> PlanRule:
    """What the plan's `tool` steps move in total stays within the item's `limit_field` (e.g. refundable)."""
    def rule(plan: dict, item: dict, registry: ToolRegistry) -> list[str]:
        if tool not in registry:
            return []
        spec = registry.get(tool)
        total = round(sum(_number(spec.money(s["arguments"])) for _, s in _steps(plan, tool)), 2)
        limit = _number(item.get(limit_field))
        return [f"{tool} total {total:.2f} exceeds the {limit_field} {limit:.2f}"] if total > limit + 1e-9 else []
    rule.__name__ = f"{tool}_within_{limit_field}"
    return rule


def at_most_one(tool: str) -> PlanRule:
    def rule(plan: dict, item: dict, registry: ToolRegistry) -> list[str]:
        n = len(_steps(plan, tool))
        return [f"{n} {tool} steps; at most one per item"] if n > 1 else []
    rule.__name__ = f"one_{tool}_per_item"
    return rule


def argument_at_most(tool: str, argument: str, limit: float, unit: str = "") -> PlanRule:
    """A bound a workflow sets tighter than the tool's own (coupons at most 20%)."""
    def rule(plan: dict, item: dict, registry: ToolRegistry) -> list[str]:
        return [f"step {i}: {tool} {argument} {_number(s['arguments'].get(argument)):g}{unit} is above "
                f"{limit:g}{unit}" for i, s in _steps(plan, tool) if _number(s["arguments"].get(argument)) > limit]
    rule.__name__ = f"{tool}_{argument}_at_most_{limit:g}"
    return rule


def last_if_any(tool: str) -> PlanRule:
    """A step that cannot be undone (a customer message) comes last, after everything it talks about."""
    def rule(plan: dict, item: dict, registry: ToolRegistry) -> list[str]:
        positions = [i for i, _ in _steps(plan, tool)]
        n = len(plan["steps"])
        return [f"step {i}: {tool} must be the last step (of {n})" for i in positions if i != n]
    rule.__name__ = f"{tool}_last"
    return rule


ALWAYS: list[PlanRule] = [registered_tools, valid_arguments]


def validate(plan: dict, item: dict, registry: ToolRegistry, rules: list[PlanRule]) -> list[str]:
    """Every problem the plan has (empty: it may run); a rule that crashes is a problem, not a pass."""
    problems = []
    for rule in [*ALWAYS, *rules]:
        try:
            problems += rule(plan, item, registry)
        except Exception as exc:  # noqa: BLE001 - a broken rule must refuse, never wave a plan through
            problems.append(f"rule {getattr(rule, '__name__', rule)} could not check the plan: {exc!r}")
    return problems


def _steps(plan: dict, tool: str | None = None) -> list[tuple[int, dict]]:
    return [(i, s) for i, s in enumerate(plan["steps"], start=1) if tool is None or s["tool"] == tool]


def _number(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if number == number else 0.0
