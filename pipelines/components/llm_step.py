"""`LLMStep`: a model step written as YAML (a Dagster Component), built on `llm_map` with every guarantee it gives.

    # pipelines/tickets/defs.yaml
    type: pipelines.components.LLMStep
    attributes:
      name: tickets_labels
      input: {inbox: tickets, columns: [id, text]}     # or {asset: some_upstream_asset}
      prompt: prompts/tickets_label.yaml
      output:
        fields:                                         # or model: pipelines.tickets.schema:TicketsLabel
          label: {enum: [question, problem, request, other]}
          confidence: {type: float, ge: 0, le: 1}
      keep_columns: [text]
      tier: cheap
      budget_usd: 1.0

An inbox input adds `<inbox>_rows` (the day's CSV files, unreadable ones quarantined and named by a warning),
`<group>_job` and `<inbox>_csv_drop_sensor`. The step itself is an `llm_map` asset (cached, checkpointed,
budgeted, bad rows quarantined, resumable) with the blocking check `<name>_fit_the_schema`; an
`eval_set` adds the prompt's golden-set asset and lets `aiwf eval` score it. pipelines/discovery.py loads every
pipelines/<name>/defs.yaml, and the Definitions give these steps the shared policy (retries, the LLM pool).
"""

from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic import BaseModel, Field, PrivateAttr, create_model

from assets.llm_map import llm_map
from assets.prompt_evals import EvalSpec, eval_set_asset
from pipelines.components.answers import AnswerField, answers_fit_check, model_from_fields, model_from_path
from pipelines.components.inbox_csv import SUFFIXES, inbox_folder, inbox_rows_asset
from pipelines.partitions import daily
from pipelines.policy import workflow_job
from resources.llm.prompt_files import load_prompt_file
from resources.state.inbox import file_day
from sensors.file_drop import file_drop_sensor


class StepInput(dg.Model):
    """Where the rows come from: an inbox folder of NAME_YYYY-MM-DD.csv files, or an upstream asset."""

    inbox: str | None = None
    asset: str | None = None
    columns: list[str] | None = None  # an inbox file's required columns (default: the key and text columns)


class StepOutput(dg.Model):
    """The answer's schema: fields with types, or a pydantic model as `module:Class`."""

    fields: dict[str, AnswerField] | None = None
    model: str | None = None


class LLMStep(dg.Component, dg.Model, dg.Resolvable):
    """A daily model step from YAML: an input, a prompt file, an output schema and llm_map's options."""

    name: str
    input: StepInput
    prompt: str  # a prompt file, relative to this folder (prompts/NAME.yaml)
    output: StepOutput
    group: str | None = None  # default: the folder's name
    key_column: str = "id"
    text_columns: list[str] = Field(default_factory=lambda: ["text"])
    keep_columns: list[str] = Field(default_factory=list)
    mode: Literal["sync", "batch"] = "sync"
    tier: str = "cheap"
    budget_usd: float | None = None
    concurrency: int = 8
    max_failure_rate: float = 0.05
    partitions: Literal["daily", "none"] = "daily"
    job: str | None = None  # default with an inbox: <group>_job, the whole group for a day
    eval_set: str | None = None  # the prompt's golden set (CSV), relative to this folder
    description: str | None = None
    _prompt_evals: list = PrivateAttr(default_factory=list)

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        folder, group = Path(context.path), self.group or Path(context.path).name
        self._check_input()
        partitions = daily if self.partitions == "daily" else None
        prompt = load_prompt_file(folder / self.prompt)
        answer = self._answer_model()
        rows = self._rows_asset(group, partitions)
        step = llm_map(
            self.name, source=rows if rows is not None else self.input.asset, prompt=prompt,
            response_model=answer, key_column=self.key_column, text_columns=self.text_columns,
            row_model=self._row_model() if rows is not None else None, keep_columns=self.keep_columns,
            tier=self.tier, mode=self.mode, concurrency=self.concurrency, partitions_def=partitions,
            group_name=group, max_failure_rate=self.max_failure_rate, budget_usd=self.budget_usd,
            description=self.description)
        check = answers_fit_check(f"{self.name}_fit_the_schema", step, answer, self.key_column, partitions)
        self._prompt_evals = [EvalSpec(prompt, folder / self.eval_set, answer, self._variables, self.key_column)
                              ] if self.eval_set else []
        jobs, sensors = self._job_and_sensor(group, partitions, rows)
        return dg.Definitions(assets=[*([rows] if rows is not None else []), step,
                                      *[eval_set_asset(spec) for spec in self._prompt_evals]],
                              asset_checks=[check], jobs=jobs, sensors=sensors)

    @property
    def prompt_evals(self) -> list[EvalSpec]:
        """The eval sets built with the step (`aiwf eval --prompt NAME@V` finds them through the workflow)."""
        return list(self._prompt_evals)

    def _check_input(self) -> None:
        if (self.input.inbox is None) == (self.input.asset is None):
            raise ValueError(f"{self.name}: input needs exactly one of inbox (a folder name) or asset (a key)")
        if self.input.inbox is not None and self.partitions != "daily":
            raise ValueError(f"{self.name}: an inbox input is daily (a file's day is its partition)")
        if (self.output.fields is None) == (self.output.model is None):
            raise ValueError(f"{self.name}: output needs exactly one of fields or model")

    def _answer_model(self) -> type[BaseModel]:
        if self.output.model:
            return model_from_path(self.output.model)
        return model_from_fields(_camel(self.name) + "Answer", self.output.fields)

    def _row_model(self) -> type[BaseModel]:
        """What a usable inbox row is: the key and each text column present and not empty."""
        needed = dict.fromkeys([self.key_column, *self.text_columns])
        return create_model(_camel(self.name) + "Row", **{c: (str, Field(min_length=1)) for c in needed})

    def _variables(self, row: dict) -> dict:
        return {column: row[column] for column in self.text_columns}

    def _rows_asset(self, group: str, partitions) -> dg.AssetsDefinition | None:
        if self.input.inbox is None:
            return None
        columns = self.input.columns or list(dict.fromkeys([self.key_column, *self.text_columns]))
        return inbox_rows_asset(f"{self.input.inbox}_rows", inbox=self.input.inbox, columns=columns, group=group,
                                partitions_def=partitions)

    def _job_and_sensor(self, group: str, partitions, rows) -> tuple[list, list]:
        if self.job is None and rows is None:
            return [], []
        job = workflow_job(self.job or f"{group}_job", dg.AssetSelection.groups(group),
                           f"The day's {group} rows to checked answers.",
                           **({"partitions_def": partitions} if partitions else {}))
        if rows is None:
            return [job], []
        sensor = file_drop_sensor(f"{self.input.inbox}_csv_drop_sensor", folder=inbox_folder(self.input.inbox),
                                  job=job, first_asset=rows.key, suffixes=SUFFIXES, day_of=file_day)
        return [job], [sensor]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
