"""An off-brand draft is held for review however publish_queue runs: in step processes of the deployed job,
in a retry from failure, or materialized alone after an earlier run. Dagster orders a step after its inputs and
blocking checks only, so the tone verdict reaches publish_queue as data (draft_tone), never as a check result
looked up in the run."""

import json
import multiprocessing.forkserver
import shutil
from datetime import datetime, timezone

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store

from assets.checks.judges import TONE_CHECK
from pipelines.brand import BUNDLED
from pipelines.cli.demo import SAMPLES
from pipelines.content_ops import workflow as content_ops
from pipelines.content_ops.tone import body_hash, needs_review
from resources.approvals.resource import ApprovalsResource
from resources.approvals.store import ApprovalStore
from resources.memory import MemoryResource
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.resource import StateResource
from sensors.dagster_internals import ReconstructableRepository

TODAY = datetime.now(timezone.utc).date().isoformat()
OFF_BRAND = "grinder-burr-care"
ON_BRAND = ["cold-brew-basics", "water-for-coffee"]
JUDGE_DOWN = TONE_CHECK.template.split("\n")[0]  # the tone judge's requests get a final 400


def deployed_job(name: str):
    """A job of the deployed Definitions (resources from the environment), which each step process rebuilds
    by module name, as `dagster job execute -m pipelines.definitions` does."""
    return ReconstructableRepository.for_module("pipelines.definitions", "defs").get_reconstructable_job(name)


@pytest.fixture
def off_brand_day(tmp_path, monkeypatch):
    """Today's sample briefs, and a brand voice that bans the word only the grinder piece uses. Both are set
    in the environment, so the executor's step processes see them too."""
    briefs, brand = tmp_path / "briefs", tmp_path / "brand"
    shutil.copytree(SAMPLES / "briefs", briefs)
    shutil.copytree(BUNDLED, brand, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    voice = json.loads((brand / "voice.json").read_text(encoding="utf-8"))
    voice["banned_phrases"].append("grinder")
    (brand / "voice.json").write_text(json.dumps(voice), encoding="utf-8")
    monkeypatch.setenv("AIWF_BRIEFS_DIR", str(briefs))
    monkeypatch.setenv("AIWF_BRAND_DIR", str(brand))


@pytest.fixture
def forked_steps():
    """Run config for the job's own multiprocess executor, with step processes forked from a server that has
    the code preloaded (seconds faster per step). That server keeps the environment it started with (this
    test's AIWF_HOME), so it is stopped afterwards."""
    yield {"execution": {"config": {"start_method": {"forkserver": {"preload_modules": ["pipelines.definitions"]}}}}}
    multiprocessing.forkserver._forkserver._stop()


def published(aiwf_home) -> list[str]:
    return sorted(p.stem for p in (aiwf_home / "publish_queue" / TODAY).glob("*.md"))


def pending() -> list[str]:
    return [a.item_key for a in ApprovalStore(local_store()).list(status="pending")]


def test_step_processes_and_a_retry_from_failure_hold_the_off_brand_draft(off_brand_day, forked_steps, offline_llm,
                                                                          offline_server, aiwf_home, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", offline_server.url)  # the deployed LLM resource reads these
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-key")
    (tmp_path / "dagster").mkdir()
    instance = dg.DagsterInstance.local_temp(str(tmp_path / "dagster"))  # step processes need a stored one
    job = deployed_job("content_ops_job")

    offline_server.configure(fail_400_on=JUDGE_DOWN)  # no tone verdict in this run: nothing may go past it
    no_step_retries = {"execution": {"config": {**forked_steps["execution"]["config"], "retries": {"disabled": {}}}}}
    with dg.execute_job(job, instance=instance, run_config=no_step_retries, tags={"dagster/partition": TODAY},
                        raise_on_error=False) as first:  # the judge stays down: a step retry would only wait
        assert not first.success
        starts = [e for e in first.all_events if e.event_type == dg.DagsterEventType.STEP_START]
        assert len({e.pid for e in starts}) > 1  # steps ran in processes of their own
    assert published(aiwf_home) == [] and pending() == []

    offline_server.configure(fail_400_on=None)  # the judge is back: retry what failed and what it held up
    retry = dg.ReexecutionOptions.from_failure(first.run_id, instance)
    with dg.execute_job(job, instance=instance, run_config=forked_steps, tags={"dagster/partition": TODAY},
                        reexecution_options=retry) as second:
        assert second.success
        assert {e.step_key for e in second.all_events if e.event_type == dg.DagsterEventType.STEP_START} == {
            "draft_tone", "draft_tone_drafts_match_brand_tone", "publish_queue"}
    assert published(aiwf_home) == ON_BRAND
    assert pending() == [OFF_BRAND]


def test_publish_queue_materialized_alone_still_holds_the_off_brand_draft(off_brand_day, offline_llm, aiwf_home):
    resources = {"llm": offline_llm, "io_manager": ParquetIOManager(), "approvals": ApprovalsResource(),
                 "memory": MemoryResource(), "state": StateResource()}
    first = dg.materialize([*content_ops.assets, *content_ops.asset_checks], resources=resources,
                           partition_key=TODAY)
    assert sorted(first.output_for_node("publish_queue").slug) == ON_BRAND

    alone = dg.materialize(content_ops.assets, selection=[content_ops.publish_queue], resources=resources,
                           partition_key=TODAY)  # upstream tables come from the IO manager
    assert [e.asset_key.to_user_string() for e in alone.get_asset_materialization_events()] == ["publish_queue"]
    assert sorted(alone.output_for_node("publish_queue").slug) == ON_BRAND
    assert published(aiwf_home) == ON_BRAND
    assert pending() == [OFF_BRAND]


def test_a_draft_without_a_verdict_on_its_current_text_is_held():
    drafts = pd.DataFrame({"slug": ["kept", "edited", "new", "hype"], "body": ["Same.", "Edited.", "New.", "Wow!!"]})
    verdict = {"score": 0.9, "banned_phrases": [], "issues": []}
    tone = pd.DataFrame([{"slug": "kept", "on_brand": True, **verdict, "body_hash": body_hash("Same.")},
                         {"slug": "edited", "on_brand": True, **verdict, "body_hash": body_hash("Before.")},
                         {"slug": "hype", "on_brand": False, **verdict, "body_hash": body_hash("Wow!!")}])
    held = needs_review(drafts, tone)
    assert sorted(held) == ["edited", "hype", "new"]  # only a current on-brand verdict lets a draft through
    assert held["hype"]["score"] == 0.9 and "no tone verdict" in held["new"]["verdict"]
