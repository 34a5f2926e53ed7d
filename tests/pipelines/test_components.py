"""pipelines/components: the LLMStep component builds what a Python workflow declares (rows, the llm_map step, its
checks, job, sensor, eval set), gets the shared step policy from the Definitions, and refuses unclear YAML; the
schema check catches answers outside their schema. Loading from a real folder: tests/pipelines/test_new_workflow.py."""

import types

import dagster as dg
import pandas as pd
import pytest
from pydantic import ValidationError

from assets.pools import LLM_POOL
from pipelines.cli.new_workflow import files_for
from pipelines.components import LLMStep
from pipelines.components.answers import AnswerField, answers_fit_check, model_from_fields, model_from_path
from pipelines.policy import STEP_RETRY

FIELDS = {"label": AnswerField(enum=["question", "problem"]), "confidence": AnswerField(type="float", ge=0, le=1)}


def step(**overrides) -> LLMStep:
    attributes = {"name": "tickets_labels", "input": {"inbox": "tickets"}, "prompt": "prompts/tickets_label.yaml",
                  "output": {"fields": {"label": {"enum": ["question", "problem"]}}},
                  "eval_set": "prompts/tickets_label.eval.csv", **overrides}
    return LLMStep.model_validate(attributes)


@pytest.fixture
def folder(tmp_path):
    """A workflow folder named tickets with the YAML scaffold's prompt file and eval set."""
    for path, text in files_for("tickets", yaml=True).items():
        if "/prompts/" in path:
            (tmp_path / "tickets" / "prompts").mkdir(parents=True, exist_ok=True)
            (tmp_path / "tickets" / "prompts" / path.rsplit("/", 1)[1]).write_text(text)
    return tmp_path / "tickets"


def test_an_inbox_step_builds_rows_the_model_step_checks_job_sensor_and_eval_set(folder):
    component = step()
    defs = component.build_defs(types.SimpleNamespace(path=folder))
    assert {a.key.to_user_string() for a in defs.assets} == {"tickets_rows", "tickets_labels",
                                                              "tickets_label_eval_set"}
    assert [c.check_key.name for c in defs.asset_checks] == ["tickets_labels_fit_the_schema"]
    assert [j.name for j in defs.jobs] == ["tickets_job"] and [s.name for s in defs.sensors] == [
        "tickets_csv_drop_sensor"]
    [spec] = component.prompt_evals
    assert spec.prompt.name == "tickets_label" and spec.variables({"id": "1", "text": "hi"}) == {"text": "hi"}


def test_a_step_on_an_upstream_asset_builds_no_job_unless_named(folder):
    defs = step(input={"asset": "tickets_labels"}, name="tickets_replies", eval_set=None
                ).build_defs(types.SimpleNamespace(path=folder))
    assert [a.key.to_user_string() for a in defs.assets] == ["tickets_replies"] and not defs.jobs
    named = step(input={"asset": "tickets_labels"}, name="tickets_replies", eval_set=None, job="replies_job")
    assert [j.name for j in named.build_defs(types.SimpleNamespace(path=folder)).jobs] == ["replies_job"]


def test_component_steps_get_the_shared_policy_where_the_definitions_are_built(folder):
    from pipelines.definitions import build_definitions

    built = step().build_defs(types.SimpleNamespace(path=folder))
    module = types.ModuleType("pipelines.tickets.defs")
    module.assets, module.asset_checks, module.jobs, module.sensors = (
        list(built.assets), list(built.asset_checks), list(built.jobs), list(built.sensors))
    repo = build_definitions([module]).get_repository_def()
    node = repo.assets_defs_by_key[dg.AssetKey("tickets_labels")].node_def
    assert (node.pool, node.retry_policy) == (LLM_POOL, STEP_RETRY)
    nodes = repo.get_implicit_global_asset_job_def().all_node_defs
    assert any("fit_the_schema" in node.name for node in nodes)
    assert [node.name for node in nodes if node.retry_policy is None] == []  # checks and rows too


@pytest.mark.parametrize("overrides, why", [
    ({"input": {"inbox": "tickets", "asset": "other"}}, "exactly one of inbox"),
    ({"input": {}}, "exactly one of inbox"),
    ({"partitions": "none"}, "inbox input is daily"),
    ({"output": {"fields": {"label": {}}, "model": "x:Y"}}, "exactly one of fields or model"),
])
def test_unclear_yaml_is_refused_naming_the_step(folder, overrides, why):
    with pytest.raises(ValueError, match=why):
        step(**overrides).build_defs(types.SimpleNamespace(path=folder))


def test_an_unknown_option_is_refused_when_the_yaml_is_read():
    with pytest.raises(ValidationError, match="concurency"):
        step(concurency=8)


def test_fields_become_a_schema_with_closed_labels_and_bounds():
    Answer = model_from_fields("Answer", FIELDS)
    assert Answer(label="question", confidence=0.5).label == "question"
    for bad in ({"label": "praise", "confidence": 0.5}, {"label": "problem", "confidence": 2}):
        with pytest.raises(ValidationError):
            Answer(**bad)
    assert model_from_path("assets.checks.judges:FactCheck").__name__ == "FactCheck"
    with pytest.raises(ValueError, match="cannot be imported"):
        model_from_path("assets.checks.judges:NoSuchModel")


def test_the_schema_check_fails_on_an_unknown_label_or_a_key_answered_twice():
    Answer = model_from_fields("Answer", FIELDS)

    @dg.asset
    def labels() -> pd.DataFrame:
        return pd.DataFrame()

    check = answers_fit_check("labels_fit", labels, Answer, "id", None)
    good = pd.DataFrame({"id": ["1", "2"], "label": ["question", "problem"], "confidence": [0.9, 0.1]})
    assert check(good).passed
    unknown = good.assign(label=["question", "praise"])
    result = check(unknown)
    assert not result.passed and result.metadata["invalid_answers"].value == 1
    twice = good.assign(id=["1", "1"])
    assert not check(twice).passed and check(twice).metadata["duplicate_keys"].value == 1
