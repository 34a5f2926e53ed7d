"""A prompt version's text, params, tier, schema reference and the JSON schema of its schema class are all held to
what was first recorded: a change under the same version is refused at first use and audited with both hashes,
and every version first recorded is on the audit trail too."""

import sys
import uuid

import pytest
from aiwf_state import local_store

from resources.audit.log import AuditLog
from resources.llm.prompt_files import load_prompt_file
from resources.llm.prompt_registry import PromptChanged, PromptRegistry

MODEL = "from pydantic import BaseModel\n\n\nclass Answer(BaseModel):\n    label: str\n{extra}"


@pytest.fixture
def schema_module(tmp_path, monkeypatch):
    """A module with a pydantic class `Answer`; `write(extra)` changes it as a new process would see it."""
    name = f"answer_schema_{uuid.uuid4().hex[:8]}"
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(extra: str = "") -> str:
        (tmp_path / f"{name}.py").write_text(MODEL.format(extra=extra))
        sys.modules.pop(name, None)
        return name

    write()
    yield write
    sys.modules.pop(name, None)


def prompt_file(path, module: str, *, user="Label {x}.", tier="cheap", temperature=0.2, schema="Answer"):
    path.write_text(f"name: labeler\nschema: {module}:{schema}\nlive: '1'\nversions:\n"
                    f"  '1': {{user: {user!r}, tier: {tier}, params: {{temperature: {temperature}}}}}\n")
    return load_prompt_file(path)


def events(kind: str) -> list[dict]:
    return [e["payload"] for e in AuditLog(local_store()).entries() if e["kind"] == kind]


@pytest.mark.parametrize("change, field", [
    ({"user": "Label {x}, carefully."}, "hash"),
    ({"temperature": 0.9}, "content_hash"),
    ({"tier": "strong"}, "content_hash"),
    ({"schema": "Other"}, "content_hash"),
])
def test_each_field_of_a_recorded_version_is_held_and_a_change_is_audited(tmp_path, schema_module, change, field):
    module = schema_module()
    registry = PromptRegistry(local_store())
    registry.record([prompt_file(tmp_path / "labeler.yaml", module)])
    edited = prompt_file(tmp_path / "labeler.yaml", module, **change)
    with pytest.raises(PromptChanged, match="prompt 'labeler' version 1 changed"):
        registry.record([edited])
    [event] = events("prompt_change_refused")
    [row] = registry.recorded("labeler")
    assert event["prompt"] == "labeler" and event["version"] == "1" and event["hash_field"] == field
    assert event["recorded_hash"] == row[field] and event["new_hash"] not in (None, row[field])
    assert event["path"] == str(tmp_path / "labeler.yaml")


def test_a_field_added_to_the_schema_class_under_a_recorded_version_is_refused(tmp_path, schema_module):
    registry = PromptRegistry(local_store())
    pf = prompt_file(tmp_path / "labeler.yaml", schema_module())
    registry.record([pf])
    schema_module("    refund_eur: float = 0.0\n")  # the class the version answers with grew a field
    with pytest.raises(PromptChanged, match="version 1 changed: the JSON schema of its output schema class"):
        registry.record([pf])
    [event] = events("prompt_change_refused")
    assert event["hash_field"] == "schema_hash" and event["recorded_hash"] != event["new_hash"]
    schema_module()  # put back: fine
    registry.record([pf])


def test_refused_at_first_use_through_live_and_audited_each_time(tmp_path, schema_module):
    module = schema_module()
    registry = PromptRegistry(local_store())
    assert registry.live(prompt_file(tmp_path / "labeler.yaml", module)) == "1"
    edited = prompt_file(tmp_path / "labeler.yaml", module, temperature=1.5)
    for _ in range(2):
        with pytest.raises(PromptChanged, match="its params, tier or output schema differ"):
            registry.live(edited)
    assert [e["version"] for e in events("prompt_change_refused")] == ["1", "1"]


def test_a_version_first_recorded_is_audited_once_with_its_hashes(tmp_path, schema_module):
    module = schema_module()
    registry = PromptRegistry(local_store())
    pf = prompt_file(tmp_path / "labeler.yaml", module)
    registry.record([pf])
    registry.record([pf])
    [event] = events("prompt_version_recorded")
    [row] = registry.recorded("labeler")
    assert (event["prompt"], event["version"], event["hash"]) == ("labeler", "1", pf.versions["1"].hash)
    assert event["content_hash"] == row["content_hash"] and event["schema_hash"] == row["schema_hash"] is not None
    assert AuditLog(local_store()).verify().ok


def test_a_version_recorded_before_schema_hashes_gets_one_not_a_refusal(tmp_path, schema_module):
    registry = PromptRegistry(local_store())
    pf = prompt_file(tmp_path / "labeler.yaml", schema_module())
    registry.record([pf])
    registry.store.execute("UPDATE prompt_versions SET schema_hash = NULL")  # an older home's row
    registry.record([pf])
    assert registry.recorded("labeler")[0]["schema_hash"] is not None and not events("prompt_change_refused")
