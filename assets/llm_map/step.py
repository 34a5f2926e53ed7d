"""What a workflow's hooks see of one partition of a batch step, and the hooks themselves.

`llm_map` answers one prompt per row; a real workflow step also reads memory before asking, shapes the answers
into its own table and records what it decided. Three optional hooks carry that, each given the `MapStep`:

- `prepare(frame, step) -> frame`: the rows to answer, e.g. with columns looked up through resources (memory),
  computed once per row before any request; a row it cannot use raises `RowRejected` from `variables` instead.
- `output(answered, step) -> frame`: the step's table from the answered rows (key, kept columns, answer fields,
  `llm_model`, `prompt_version`, ...); `step.quarantined` and `step.asked` say which rows failed and which were
  sent to the provider in this run, for a table that lists both. Pure: shadow runs call it to compare like with like.
- `after(answered, table, step) -> dict | None`: side work once the answers are durable (memory, audit); its
  dict is added to the materialization metadata. Never called by a shadow run.
"""

from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd


@dataclass
class MapStep:
    """One partition of a batch step: its context, LLM session, resources, partition and other inputs."""

    context: Any
    session: Any  # the step's LLM session: calls made by hooks are metered under the asset
    resources: Any  # the resources the asset asked for (`resources=` of llm_map), by attribute
    partition: str
    inputs: dict[str, pd.DataFrame] = field(default_factory=dict)  # the other upstream tables, this partition's
    input_hashes: dict[str, str] = field(default_factory=dict)  # row key -> hash of what its request asked
    shadow: bool = False  # a shadow run: hooks must not write anything production reads
    quarantined: dict[str, dict] = field(default_factory=dict)  # row key -> {row, error_class, reason, attempts}
    asked: set[str] = field(default_factory=set)  # row keys sent to the provider in this run (not cache/checkpoint)

    @property
    def run_id(self) -> str:
        return self.context.run_id


@dataclass(frozen=True)
class StepHooks:
    """The optional hooks and extra wiring of a batch step (see the module doc)."""

    prepare: Callable[[pd.DataFrame, MapStep], pd.DataFrame] | None = None
    output: Callable[[pd.DataFrame, MapStep], pd.DataFrame] | None = None
    after: Callable[[pd.DataFrame, pd.DataFrame, MapStep], dict | None] | None = None
    inputs: tuple = ()  # names of the other upstream tables (llm_map's `inputs=` keys)
    resources: tuple = ()  # resource keys the hooks use besides `llm`

    def shape(self, answered: pd.DataFrame, step: MapStep) -> pd.DataFrame:
        """The step's table from its answered rows (the answered rows themselves without an `output` hook)."""
        return self.output(answered, step) if self.output is not None else answered
