"""Workflow prompts as versioned files: the move kept every hash, `aiwf prompts check` and a prompt's first use refuse
text edited without a version bump, and the `aiwf prompts` / `aiwf eval` commands (list, diff, promote with its eval
gate, rollback)."""

import json

import pytest
import yaml
from aiwf_state import local_store

from pipelines import prompt_catalog
from pipelines.cli import main
from pipelines.cli import prompts as prompts_cli
from resources.audit.log import AuditLog
from resources.llm.prompt_files import load_prompt_file
from resources.llm.prompt_registry import PromptChanged, PromptRegistry

# The hashes these prompts had as Python literals: cached answers, checkpoints and plans are keyed by them.
HASHES_BEFORE_THE_MOVE = {("return_triage", "1"): "bd137217c07e6399",
                          ("seo_product_description", "1"): "4a44c0d605c56c07",
                          ("order_recovery_plan", "1"): "6fcd900b7928116c", ("research_notes", "1"): "91ce102081163242",
                          ("draft", "2"): "02272d027fc1e031"}


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def endpoint(offline_server, offline_llm, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", offline_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-key")
    return offline_server


def test_every_workflow_prompt_lives_in_a_file_with_its_old_hash():
    files = {pf.name: pf for pf in prompt_catalog.all_prompt_files()}
    assert {(pf.name, v): p.hash for pf in files.values() for v, p in pf.versions.items()
            if (pf.name, v) in HASHES_BEFORE_THE_MOVE} == HASHES_BEFORE_THE_MOVE
    triage = files["return_triage"]
    assert (triage.live, triage.candidate, triage.compare) == ("1", "2", ("reason", "damage", "fraud_risk", "route"))
    assert triage.versions["2"].hash != triage.versions["1"].hash
    from pipelines.returns_triage.workflow import TRIAGE

    assert TRIAGE == triage.versions["1"]


def test_prompts_check_refuses_a_prompt_edited_without_a_version_bump(capsys):
    """The home recorded return_triage@1 with other text (as if the file was edited since): `aiwf prompts check`
    exits 1 naming it, and so does a session's first use of the prompt's live handle."""
    registry = prompt_catalog.registry()
    registry.store.execute("INSERT INTO prompt_versions (name, version, hash, first_seen) VALUES (?, ?, ?, 0)",
                           ("return_triage", "1", "0123456789abcdef"))
    code, _, err = cli(capsys, "prompts", "check")
    assert code == 1
    assert "prompt 'return_triage' version 1 changed (recorded hash 0123456789abcdef" in err
    assert "return_triage.yaml): bump the version to change its text" in err
    with pytest.raises(PromptChanged, match="prompt 'return_triage' version 1 changed"):
        registry.live(prompt_catalog.prompt_file("return_triage"))


def test_prompts_check_records_every_version_on_first_sight(capsys):
    code, out, _ = cli(capsys, "prompts", "check")
    recorded = {(r["name"], r["version"]): r["hash"] for r in prompt_catalog.registry().recorded()}
    assert code == 0 and "none changed under a recorded version" in out
    assert HASHES_BEFORE_THE_MOVE.items() <= recorded.items() and ("return_triage", "2") in recorded


def _answered_by(llm, prompt) -> str:
    """The prompt version the ledger records for one direct `complete` call of a workflow's module-level prompt."""
    from resources.llm.ledger import CallLedger

    llm.session().complete(prompt, {"product": "Kettle", "category": "kitchen", "price_eur": 30,
                                    "days_since_delivery": 3, "customer_returns_90d": 0, "note": "It leaks."})
    return CallLedger(local_store()).rows()[-1]["prompt_version"]


def test_prompts_list_json_is_one_object_per_version_and_follows_promote_and_rollback(capsys, endpoint, offline_llm):
    from pipelines.returns_triage.workflow import TRIAGE  # held at module level, like every direct caller
    code, out, _ = cli(capsys, "prompts", "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and all(set(r) == {"name", "version", "hash", "status"} for r in rows)
    triage = {r["version"]: r for r in rows if r["name"] == "return_triage"}
    assert {v: r["status"] for v, r in triage.items()} == {"1": "live", "2": "candidate"}
    assert triage["1"]["hash"] == HASHES_BEFORE_THE_MOVE[("return_triage", "1")]

    code, out, _ = cli(capsys, "prompts", "promote", "return_triage", "2", "--reason", "reads better")
    assert code == 0 and "version 2 is live (eval accuracy" in out  # it scores no lower than version 1
    code, out, _ = cli(capsys, "prompts", "list", "return_triage", "--json")
    statuses = {row["version"]: row["status"] for row in map(json.loads, out.splitlines())}
    assert statuses == {"1": "retired", "2": "live"}
    assert _answered_by(offline_llm, TRIAGE) == "2"  # promotion reaches direct callers, not only llm_map
    assert _answered_by(offline_llm, prompt_catalog.prompt_file("return_triage").version("1")) == "1"  # explicit
    code, out, _ = cli(capsys, "eval", "--prompt", "return_triage", "--json")  # NAME alone: the version in force
    assert code == 0 and json.loads(out.splitlines()[-1])["version"] == "2"

    code, out, _ = cli(capsys, "prompts", "rollback", "return_triage")
    assert code == 0 and "version 1 is live again (was 2)" in out
    assert _answered_by(offline_llm, TRIAGE) == "1"
    kinds = [e["kind"] for e in AuditLog(local_store()).entries() if e["kind"].startswith("prompt_")]
    assert [k for k in kinds if k != "prompt_version_recorded"] == ["prompt_promote", "prompt_rollback"]
    assert kinds.count("prompt_version_recorded") >= 2  # return_triage's versions, first seen by this home
    code, _, err = cli(capsys, "prompts", "rollback", "return_triage")
    assert code == 2 and "nothing to roll back" in err


def test_prompts_diff_shows_what_changed_between_versions(capsys):
    code, out, _ = cli(capsys, "prompts", "diff", "return_triage", "1", "2")
    assert code == 0 and out.startswith("--- return_triage@1\n+++ return_triage@2\n")
    assert "-Classify the return below:" in out and "+Assess this return:" in out
    assert "\n ---\n" in out and "[params]" in out  # unchanged lines are context
    code, _, err = cli(capsys, "prompts", "diff", "return_triage", "1", "7")
    assert code == 2 and "return_triage has no version '7'" in err


def test_eval_scores_a_version_on_its_golden_set(capsys, endpoint):
    code, out, _ = cli(capsys, "eval", "--prompt", "return_triage@1", "--json")
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and result["rows"] == 30 and result["errors"] == []
    assert set(result["per_field"]) == {"reason", "damage", "fraud_risk", "route"}
    assert result["accuracy"] >= 0.9 and min(result["per_field"].values()) >= 0.8
    assert result["cost_usd"] > 0 and 0 < result["latency_p50_ms"] <= result["latency_p95_ms"]
    code, out, _ = cli(capsys, "eval", "--prompt", "return_triage@1", "--model", "gpt-4o", "--json")
    assert json.loads(out.strip().splitlines()[-1])["model"] == "gpt-4o"


@pytest.fixture
def with_a_worse_version(tmp_path, monkeypatch):
    """return_triage with a version 3 whose data block proposes one fixed (mostly wrong) answer for every return:
    the offline double answers it verbatim, so it scores far below version 1."""
    data = yaml.safe_load((prompt_catalog.PIPELINES / "returns_triage/prompts/return_triage.yaml").read_text())
    fixed = {"reason": "other", "damage": "severe", "fraud_risk": "high", "route": "restock", "confidence": 0.9,
             "rationale": "fixed"}
    data["versions"]["3"] = {**data["versions"]["1"],
                             "user": data["versions"]["1"]["user"] + "\n" + json.dumps(fixed).replace("{", "{{")
                             .replace("}", "}}")}
    path = tmp_path / "prompts" / "return_triage.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(data))
    golden = (prompt_catalog.PIPELINES / "returns_triage/prompts/return_triage.eval.csv").read_bytes()
    path.with_suffix(".eval.csv").write_bytes(golden)
    pf = load_prompt_file(path)
    specs = prompts_cli.eval_specs()  # imports the workflows while the catalog is still the real one
    monkeypatch.setattr(prompt_catalog, "_catalog", lambda: {pf.name: pf})
    monkeypatch.setattr(prompts_cli, "eval_specs", lambda: {
        pf.name: type(specs[pf.name])(pf, path.with_suffix(".eval.csv"), *(
            getattr(specs[pf.name], f) for f in ("response_model", "variables", "key_column")))})
    return pf


def test_promote_refuses_a_version_scoring_below_live_unless_forced(capsys, endpoint, with_a_worse_version):
    code, out, _ = cli(capsys, "eval", "--prompt", "return_triage@3", "--json")
    assert json.loads(out.strip().splitlines()[-1])["accuracy"] < 0.5
    code, out, err = cli(capsys, "prompts", "promote", "return_triage", "3")
    assert code == 1 and "refusing to promote return_triage@3" in err and "use --force" in err
    assert PromptRegistry(local_store()).live(with_a_worse_version) == "1"
    code, out, _ = cli(capsys, "prompts", "promote", "return_triage", "3", "--force")
    assert code == 0 and PromptRegistry(local_store()).live(with_a_worse_version) == "3"
    [event] = [e for e in AuditLog(local_store()).entries() if e["kind"] == "prompt_promote"]
    assert event["payload"]["reason"] == "forced"
