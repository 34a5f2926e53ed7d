"""Prompt canaries in llm_map: a share of rows by stable key hash answered by the candidate, the canary check comparing
it with live, and the sensor that rolls a worse candidate back (audited) or promotes a better one."""

import json
from typing import Literal

import dagster as dg
import pandas as pd
from aiwf_state import local_store
from pydantic import BaseModel, Field

from assets.llm_map import llm_map
from assets.llm_map.canary import assigned_to_candidate, bucket
from assets.llm_map.canary_check import CanaryMargins, canary_check
from resources.audit.log import AuditLog
from resources.llm.prompt_files import load_prompt_file
from resources.llm.prompt_registry import PromptRegistry
from resources.state.resource import StateResource
from sensors.prompt_canary import prompt_canary_sensor

LIVE = "Label the message as spam or not.\n---\n{text}"
# The offline double answers a JSON line of the data block verbatim when it fits the schema: this wording
# "proposes" spam for every message, which the asset's validator rejects on both tiers (a worse candidate).
WORSE = LIVE + '\n{{"label": "spam", "confidence": 0.9}}'
BETTER = "Decide whether the message below is spam.\n---\n{text}"
ROWS = 40


class Label(BaseModel):
    label: Literal["spam", "ham"]
    confidence: float = Field(ge=0, le=1)


def never_spam(row: dict, answer: Label) -> str | None:
    """These messages are all legitimate: a spam label is a wrong answer."""
    return "labelled a legitimate message spam" if answer.label == "spam" else None


def prompt_file(tmp_path, candidate: str, share: float = 0.5):
    path = tmp_path / "labels.yaml"
    path.write_text(
        "name: canary_label\ncompare: [label]\nlive: '1'\ncandidate: '2'\n"
        f"share: {share}\nversions:\n"
        f"  '1': {{tier: cheap, user: {json.dumps(LIVE)}}}\n"
        f"  '2': {{tier: cheap, user: {json.dumps(candidate)}}}\n")
    return load_prompt_file(path)


def run(pf, llm, instance, margins: CanaryMargins | None = None):
    @dg.asset(name="inbox")
    def inbox() -> pd.DataFrame:
        return pd.DataFrame({"id": [f"msg-{i}" for i in range(ROWS)],
                             "text": [f"a ham message number {i} about an order" for i in range(ROWS)]})

    labels = llm_map("canary_labels", source=inbox, prompt=pf, response_model=Label, key_column="id",
                     text_columns=["text"], escalate_on=never_spam, max_failure_rate=0.9, concurrency=4)
    checker = canary_check(labels, margins=margins or CanaryMargins())
    result = dg.materialize([inbox, labels, checker], instance=instance,
                            resources={"llm": llm, "io_manager": dg.InMemoryIOManager()})
    check = next(e.event_specific_data for e in result.all_events
                 if e.event_type_value == "ASSET_CHECK_EVALUATION")
    return result, result.output_for_node("canary_labels"), check


def sense(instance) -> str:
    context = dg.build_sensor_context(instance=instance, resources={"state": StateResource()})
    return prompt_canary_sensor(context).skip_message


def audit_events(kind: str) -> list[dict]:
    return [e for e in AuditLog(local_store()).entries() if e["kind"] == kind]


def test_rows_go_to_the_candidate_by_a_stable_hash_of_their_key():
    keys = [f"k{i}" for i in range(2000)]
    assert all(0 <= bucket(k) < 1 for k in keys) and bucket("k1") == bucket("k1")
    share = sum(assigned_to_candidate(k, 0.1) for k in keys) / len(keys)
    assert 0.07 < share < 0.13
    assert all(assigned_to_candidate(k, 0.3) for k in keys if assigned_to_candidate(k, 0.1))  # wider keeps them
    assert not any(assigned_to_candidate(k, 0.0) for k in keys)


def test_a_worse_candidate_fails_the_check_and_the_sensor_rolls_it_back(tmp_path, offline_llm):
    pf = prompt_file(tmp_path, WORSE)
    with dg.instance_for_test() as instance:
        result, frame, check = run(pf, offline_llm, instance)
        assert result.success
        on_candidate = {k for k in frame["id"] if assigned_to_candidate(k, 0.5)} | {
            f"msg-{i}" for i in range(ROWS) if assigned_to_candidate(f"msg-{i}", 0.5)}
        assert 5 < len(on_candidate) < ROWS - 5
        assert set(frame["prompt_version"]) == {"1"}  # every candidate answer was rejected and quarantined
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        assert "check-failure rate 100.0% vs live 0.0%" in check.description
        held = {r["row_key"] for r in local_store().query("SELECT row_key FROM quarantine")}
        assert held == on_candidate

        assert "rolled back canary_label@2" in sense(instance)
        registry = PromptRegistry(local_store())
        assert registry.status(pf) == {"1": "live", "2": "retired"}
        [event] = audit_events("prompt_rollback_candidate")
        assert event["payload"]["retired_version"] == "2" and "canary_labels_canary_is_no_worse" in \
            event["payload"]["reason"] and "check-failure rate" in event["payload"]["reason"]
        assert "no canary changes" in sense(instance)  # acting again is a no-op

        _, frame, check = run(pf, offline_llm, instance)  # the next run answers with live only
        assert len(frame) == ROWS and set(frame["prompt_version"]) == {"1"}
        assert check.passed and check.metadata["verdict"].value == "no canary running"


def test_a_better_candidate_passes_and_the_sensor_promotes_it(tmp_path, offline_llm):
    pf = prompt_file(tmp_path, BETTER)
    with dg.instance_for_test() as instance:
        _, frame, check = run(pf, offline_llm, instance, CanaryMargins(promote_after_rows=5))
        versions = dict(zip(frame["id"], frame["prompt_version"]))
        assert len(frame) == ROWS and {versions[k] for k in versions} == {"1", "2"}
        assert all((v == "2") == assigned_to_candidate(k, 0.5) for k, v in versions.items())
        assert check.passed and check.metadata["promote"].value is True

        assert "promoted canary_label@2" in sense(instance)
        assert PromptRegistry(local_store()).status(pf) == {"1": "retired", "2": "live"}
        [event] = audit_events("prompt_promote")
        assert event["payload"]["live"] == "2" and event["payload"]["from_version"] == "1"

        _, frame, _ = run(pf, offline_llm, instance)
        assert set(frame["prompt_version"]) == {"2"}  # version 2 answers every row from now on
