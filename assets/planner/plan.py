"""Plans as data: ordered steps (tool, arguments, rationale), the structured output the strong model returns.

The response model is built from the tool registry: `tool` is one of the registered names and `arguments`
holds every tool's argument names, typed and nullable, so the schema stays strict (what OpenAI's structured
outputs accept); which arguments fit which tool is checked afterwards by the rules, against each tool's model.
Inside aiwf a plan travels as plain data: {"steps": [{"tool", "arguments", "rationale"}], "summary"}.
"""

import functools
import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from resources.connectors.tools import ToolRegistry


@functools.lru_cache(maxsize=64)
def plan_model(registry: ToolRegistry) -> type[BaseModel]:
    """The pydantic Plan for this registry (one class per registry, so its schema and request hash are stable)."""
    fields: dict = {}
    for tool in registry.tools:
        for name, info in tool.args.model_fields.items():
            fields.setdefault(name, (info.annotation | None, Field(default=None)))
    strict = ConfigDict(extra="forbid")
    arguments = create_model("StepArguments", __config__=strict, **fields)
    step = create_model("Step", __config__=strict, tool=(Literal[tuple(registry.names())], ...),
                        arguments=(arguments, ...), rationale=(str, Field(max_length=300)))
    return create_model("Plan", __config__=strict, steps=(list[step], ...), summary=(str, Field(max_length=400)))


def as_data(plan: BaseModel | dict) -> dict:
    """A plan as plain data, each step's arguments without the nulls of the other tools."""
    data = plan.model_dump(mode="json") if isinstance(plan, BaseModel) else plan
    steps = [{"tool": s["tool"], "arguments": {k: v for k, v in (s.get("arguments") or {}).items() if v is not None},
              "rationale": s.get("rationale", "")} for s in data.get("steps") or []]
    return {"steps": steps, "summary": data.get("summary", "")}


def plan_line(registry: ToolRegistry, plan: dict) -> str:
    """A plan as one line of JSON in the Plan schema (every argument present, null where unused)."""
    return plan_model(registry).model_validate(plan).model_dump_json()


def plan_hash(plan: dict) -> str:
    """Hash of a plan's steps: the same steps give the same hash, whatever the rationale's wording."""
    steps = [[s["tool"], s["arguments"]] for s in as_data(plan)["steps"]]
    return hashlib.sha256(json.dumps(steps, sort_keys=True, default=str).encode()).hexdigest()[:16]


def describe(plan: dict) -> str:
    """A plan as a person reads it: one numbered line per step."""
    lines = []
    for i, step in enumerate(as_data(plan)["steps"], start=1):
        args = ", ".join(f"{k}={_short(v)}" for k, v in step["arguments"].items())
        lines.append(f"{i}. {step['tool']}({args})" + (f": {step['rationale']}" if step["rationale"] else ""))
    return "\n".join(lines) or "(no steps)"


def _short(value, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
