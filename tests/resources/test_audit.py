"""The audit trail: hash chain, tamper detection, concurrent writers, ledger and check sync, `aiwf audit`."""

import json
import os
import subprocess
import sys

import dagster as dg
import pytest
from aiwf_state import local_store

from pipelines.cli import main
from resources.approvals.store import ApprovalStore
from resources.audit.log import AuditLog, audit_event
from resources.audit.sync import sync_checks_to_audit, sync_ledger_to_audit
from resources.llm.ledger import CallLedger, CallRecord
from resources.state.store import Store


def _three_events(store: Store | None = None) -> AuditLog:
    store = store or local_store()
    audit_event(store, "model_call", {"tokens": 12, "cost_usd": 0.001}, {"run_id": "r1", "model": "gpt-4o-mini"})
    audit_event(store, "check", {"check": "drafts_have_no_broken_links", "passed": False}, {"run_id": "r1"})
    audit_event(store, "side_effect", {"action": "publish", "item": "post-1"}, {"run_id": "r2"})
    return AuditLog(store)


def _rewrite(log: AuditLog, edit) -> None:
    lines = log.path.read_bytes().splitlines(keepends=True)
    log.path.write_bytes(b"".join(edit(lines)))


def test_events_form_a_verifiable_chain():
    log = _three_events()
    opening, *entries = list(log.entries())
    assert opening["kind"] == "log_opened" and opening["payload"]["log_id"] == log.log_id()
    assert [e["seq"] for e in entries] == [2, 3, 4]
    assert entries[1]["prev"] == entries[0]["hash"] and entries[2]["prev"] == entries[1]["hash"]
    assert log.verify().ok and log.verify().lines == 4
    assert [e["kind"] for e in log.for_run("r1")] == ["model_call", "check"]
    assert main(["audit", "verify"]) == 0


@pytest.mark.parametrize("tamper, problem", [  # line 1 opens the log; the three events are lines 2-4
    (lambda ls: [ls[0], ls[1], ls[2].replace(b'"passed":false', b'"passed":true'), ls[3]], "line 3 hash mismatch"),
    (lambda ls: [ls[0], ls[1], ls[2].replace(b'"passed":false', b'"passed": false'), ls[3]],
     "line 3 is not in canonical"),
    (lambda ls: [ls[0], ls[1], ls[3]], "line 3 has sequence number 4"),
    (lambda ls: [ls[0], ls[2], ls[1], ls[3]], "line 2 has sequence number 3"),
    (lambda ls: ls[:3], "lines were removed"),
    (lambda ls: [*ls[:3], ls[3].rstrip(b"\n")], "incomplete"),
])
def test_any_changed_byte_fails_verification(tamper, problem, capsys):
    log = _three_events()
    _rewrite(log, tamper)
    report = log.verify()
    assert not report.ok and problem in report.problem
    assert main(["audit", "verify"]) == 1
    assert "TAMPERED" in capsys.readouterr().err


def test_a_recomputed_hash_still_breaks_the_next_link():
    log = _three_events()
    entries = list(log.entries())
    forged = {**entries[1], "payload": {"tokens": 99999, "cost_usd": 0.001}}
    from resources.audit.log import canonical, entry_hash

    forged["hash"] = entry_hash(forged)
    _rewrite(log, lambda ls: [ls[0], canonical(forged) + b"\n", *ls[2:]])
    assert "line 3 does not link" in log.verify().problem


def test_threads_and_processes_append_without_breaking_the_chain():
    script = ("from resources.audit.log import audit_event\nfrom resources.state.resource import StateResource\n"
              "for i in range(15): audit_event(StateResource().store(), 'side_effect', {'i': i})")
    procs = [subprocess.Popen([sys.executable, "-c", script], env=os.environ.copy()) for _ in range(3)]
    import threading

    threads = [threading.Thread(target=lambda: [audit_event(local_store(), "check", {"t": i}) for i in range(15)]) for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    report = AuditLog(local_store()).verify()
    assert report.ok and report.lines == 91  # the opening line and 90 events


def test_secrets_never_reach_the_log():
    audit_event(local_store(), "model_call", {"api_key": "plain-value-123", "note": "used sk-proj-Abc123Def456Ghi789Jkl012Mno345"},
                {"authorization": "Bearer abcdefghijklmnop1234567890"})
    text = AuditLog(local_store()).path.read_text()
    assert "plain-value-123" not in text and "sk-proj-Abc123" not in text and "abcdefghijklmnop" not in text
    assert AuditLog(local_store()).verify().ok


def test_ledger_calls_are_synced_exactly_once_with_provenance():
    ledger = CallLedger(local_store())
    for i in range(3):
        ledger.record(CallRecord(kind="chat", model="gpt-4o-mini", request_hash=f"req{i}", status="ok", run_id="r9",
                                 asset_key="drafts", prompt_name="draft", prompt_version="3", tokens_in=10,
                                 tokens_out=5, cost_usd=0.0001))
    assert sync_ledger_to_audit(AuditLog(local_store())) == 3 and sync_ledger_to_audit(AuditLog(local_store())) == 0
    ledger.record(CallRecord(kind="chat", model="gpt-4o", request_hash="req9", status="error", run_id="r9"))
    assert sync_ledger_to_audit(AuditLog(local_store())) == 1
    calls = AuditLog(local_store()).for_run("r9")
    assert calls[0]["provenance"] | {"model": "gpt-4o-mini", "prompt_version": "3", "input_hash": "req0",
                                     "asset_key": "drafts"} == calls[0]["provenance"]
    assert [c["payload"]["status"] for c in calls] == ["ok", "ok", "ok", "error"]


def test_check_outcomes_and_approvals_explain_a_run(capsys):
    @dg.asset
    def drafts() -> list:
        return ["draft"]

    @dg.asset_check(asset=drafts)
    def drafts_have_no_broken_links() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, description="1 link is dead")

    with dg.instance_for_test() as instance:
        run = dg.materialize([drafts, drafts_have_no_broken_links], instance=instance)
        assert sync_checks_to_audit(instance, run.run_id, AuditLog(local_store())) == 1
        assert sync_checks_to_audit(instance, run.run_id, AuditLog(local_store())) == 0
    CallLedger(local_store()).record(CallRecord(kind="chat", model="gpt-4o-mini", request_hash="h", status="ok",
                                   run_id=run.run_id, asset_key="drafts", prompt_name="draft", prompt_version="2"))
    store = ApprovalStore(local_store())
    approval = store.propose("content_ops", "post-1", "text", reasons=["failed a non-blocking check"],
                             run_id=run.run_id)
    store.reject(approval.id, "dave", "broken link")
    assert main(["audit", "show", "--run", run.run_id, "--no-sync"]) == 0
    sync_ledger_to_audit(AuditLog(local_store()))
    assert main(["audit", "show", "--run", run.run_id, "--no-sync"]) == 0
    out = capsys.readouterr().out.split(f"Run {run.run_id}")[-1]
    assert "Model calls: 1 answered" in out and "draft v2" in out
    assert "FAILED drafts_have_no_broken_links on drafts (WARN): 1 link is dead" in out
    assert "content_ops/post-1 (medium risk) because failed a non-blocking check -> rejected by dave: broken link" \
        in out
    assert main(["audit", "show", "--run", "no-such-run", "--no-sync"]) == 1


@pytest.mark.integration
def test_events_are_mirrored_to_postgres(pg_url):
    log = _three_events(Store(pg_url, local_store().home))
    rows = log.store.query("SELECT seq, kind, hash FROM audit_events ORDER BY seq")
    assert [r["kind"] for r in rows] == ["log_opened", "model_call", "check", "side_effect"]
    assert rows[-1]["hash"] == json.loads(log.path.read_text().splitlines()[-1])["hash"]
    _rewrite(log, lambda ls: ls[:3])
    assert "lines were removed" in log.verify().problem
