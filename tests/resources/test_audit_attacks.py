"""The audit trail against someone who can write the log file (and, for anchors, the database too)."""

import hashlib
import json
import shutil

import pytest
from aiwf_state import local_store

from resources.approvals.store import ApprovalStore
from resources.audit.chain import canonical
from resources.audit.keys import init_key, load_key
from resources.audit.log import AuditLog, audit_event
from resources.state.resource import StateResource

KEY = "test-audit-key-0123456789abcdef"


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv("AIWF_AUDIT_KEY", KEY)


def _events(store=None, n=10) -> AuditLog:
    store = store or local_store()
    for i in range(n):
        audit_event(store, "model_call", {"i": i}, {"run_id": f"r{i}"})
    return AuditLog(store)


def _forge(last: dict, kind: str, payload: dict) -> bytes:
    """A line an attacker without the key writes: recomputed plain SHA-256, chained to the real last line."""
    entry = {"seq": last["seq"] + 1, "ts": last["ts"] + 1, "kind": kind, "payload": payload, "provenance": {},
             "prev": last["hash"], "keyed": True}
    entry["hash"] = hashlib.sha256(canonical(entry)).hexdigest()
    return canonical(entry) + b"\n"


def test_a_forged_decision_appended_with_a_recomputed_hash_fails(keyed):
    log = _events()
    last = list(log.entries())[-1]
    with open(log.path, "ab") as handle:
        handle.write(_forge(last, "approval_decision", {"approval_id": "apr_x", "status": "approved"}))
    report = log.verify()
    assert not report.ok and "hash mismatch" in report.problem and report.line_no == last["seq"] + 1


def test_dropping_the_tail_and_appending_forged_lines_fails(keyed):
    log = _events()
    lines = log.path.read_bytes().splitlines(keepends=True)[:-5]
    last = json.loads(lines[-1])
    for i in range(6):
        forged = _forge(last, "model_call", {"i": 100 + i})
        lines.append(forged)
        last = json.loads(forged)
    log.path.write_bytes(b"".join(lines))
    assert not log.verify().ok


def test_an_unsigned_line_in_a_keyed_log_fails(keyed, monkeypatch):
    log = _events(n=2)
    monkeypatch.delenv("AIWF_AUDIT_KEY")
    audit_event(local_store(), "check", {"passed": True})  # written by a process that has no key
    monkeypatch.setenv("AIWF_AUDIT_KEY", KEY)
    report = AuditLog(local_store()).verify()
    assert not report.ok and "not signed with the audit key" in report.problem and log.verify().keyed


def test_truncation_is_caught_on_a_copied_home(aiwf_home, tmp_path):
    _events()
    copy = tmp_path / "restored-home"
    shutil.copytree(aiwf_home, copy)  # another path (as on another host): the checks must not switch off
    store = StateResource(home=str(copy)).store()
    log = AuditLog(store)
    assert log.verify().ok
    log.path.write_bytes(b"".join(log.path.read_bytes().splitlines(keepends=True)[:-3]))
    report = log.verify()
    assert not report.ok and "lines were removed" in report.problem


def test_a_deleted_log_that_regrows_fails():
    log = _events()
    log.path.unlink()
    audit_event(local_store(), "model_call", {"i": "new"})
    report = AuditLog(local_store()).verify()
    assert not report.ok and "deleted or replaced" in report.problem


def test_a_rewritten_log_and_database_fail_against_an_anchor_kept_elsewhere():
    log = _events(n=3)
    anchor = log.anchor()
    log.path.unlink()  # someone with the file and the database rebuilds both
    store = local_store()
    store.execute("DELETE FROM audit_events")
    store.execute("DELETE FROM audit_logs")
    _events(n=3)
    assert AuditLog(store).verify().ok  # the chain alone cannot tell
    report = AuditLog(store).verify(anchor=f"{anchor['lines']}:{anchor['head']}")
    assert not report.ok and "anchor" in report.problem


def test_a_torn_last_line_is_set_aside_and_later_writes_go_on():
    log = _events(n=3)
    with open(log.path, "ab") as handle:
        handle.write(b'{"seq": 5, "kind": "model_ca')  # the process died mid-write
    assert log.verify().ok and "torn" in " ".join(log.verify().notes)
    audit_event(local_store(), "check", {"passed": True})
    kinds = [e["kind"] for e in log.entries()]
    assert kinds[-2:] == ["torn_line_set_aside", "check"] and log.verify().ok
    assert log.path.with_name("audit.jsonl.torn").read_bytes().startswith(b'{"seq": 5')


def test_an_approval_and_its_audit_record_commit_together(monkeypatch):
    store = ApprovalStore(local_store())
    approval = store.propose("content_ops", "post-1", "text")
    with monkeypatch.context() as failing:
        failing.setattr(AuditLog, "_write", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
        assert store.approve(approval.id, "alice").status == "approved"  # the decision stands
    audit_event(local_store(), "check", {"passed": True})  # the next write drains the outbox first
    decisions = [e for e in AuditLog(local_store()).entries() if e["kind"] == "approval_decision"]
    assert [d["payload"]["approval_id"] for d in decisions] == [approval.id]
    assert local_store().query("SELECT COUNT(*) AS n FROM audit_outbox")[0]["n"] == 0


def test_init_writes_a_private_key_outside_the_home(tmp_path, aiwf_home, monkeypatch):
    path = init_key(tmp_path / "keys" / "audit.key")
    monkeypatch.setenv("AIWF_AUDIT_KEY_FILE", str(path))
    assert oct(path.stat().st_mode & 0o777) == "0o600" and not str(path).startswith(str(aiwf_home))
    assert load_key() and len(load_key()) == 64
    with pytest.raises(FileExistsError):
        init_key(path)


def test_the_cli_signs_anchors_and_verifies(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    key_file = tmp_path / "keys" / "audit.key"
    monkeypatch.setenv("AIWF_AUDIT_KEY_FILE", str(key_file))
    assert main(["audit", "init"]) == 0 and key_file.exists()
    assert main(["audit", "init"]) == 2  # never replaces a key silently
    _events(n=3)
    capsys.readouterr()
    assert main(["audit", "anchor"]) == 0
    anchor = capsys.readouterr().out.strip()
    assert anchor.startswith("4:")  # the opening line and three events
    assert main(["audit", "verify", "--anchor", anchor]) == 0
    assert "signed with the audit key" in capsys.readouterr().out
    assert main(["audit", "verify", "--anchor", "4:" + "0" * 64]) == 1


# --- round 3: a cut log regrown by aiwf itself; a row slipped into the outbox ---------------------------------
@pytest.mark.parametrize("cut, regrow", [(1, 2), (3, 4), (2, 9)])
def test_a_cut_log_regrown_by_later_events_fails(keyed, cut, regrow):
    log = _events()
    erased = log.path.read_bytes().splitlines(keepends=True)
    log.path.write_bytes(b"".join(erased[:-cut]))  # no key needed: just drop the tail
    for i in range(regrow):
        audit_event(local_store(), "approval_decision", {"approval_id": f"apr_{i}", "status": "approved"})
    report = AuditLog(local_store()).verify()
    assert not report.ok and "differs from the copy recorded" in report.problem
    assert report.line_no == len(erased) - cut + 1  # the first line that replaced an erased one


def _slip_into_outbox(store, kind="approval_decision", mac=None):
    payload = {"approval_id": "apr_refund_5018", "status": "approved", "decided_by": "cfo"}
    store.execute("INSERT INTO audit_outbox (kind, payload, provenance, mac) VALUES (?, ?, ?, ?)",
                  (kind, json.dumps(payload), json.dumps({"run_id": "r-forged"}), mac))


@pytest.mark.parametrize("mac", [None, "sha256:" + "0" * 64, "hmac:" + "1" * 64])
def test_a_row_slipped_into_the_outbox_is_refused_and_reported_never_signed(keyed, mac):
    store = local_store()
    _events(store, n=2)
    _slip_into_outbox(store, mac=mac)
    audit_event(store, "check", {"passed": True})  # the next legitimate append drains the outbox
    log = AuditLog(store)
    kinds = [e["kind"] for e in log.entries()]
    assert "approval_decision" not in kinds and kinds[-2:] == ["outbox_row_refused", "check"]
    refused = [e for e in log.entries() if e["kind"] == "outbox_row_refused"][0]["payload"]
    assert refused["claimed_kind"] == "approval_decision" and "MAC" in refused["reason"]
    report = log.verify()
    assert report.ok and any("refused" in n for n in report.notes)
    assert store.query("SELECT COUNT(*) AS n FROM audit_outbox")[0]["n"] == 0


def test_a_decision_queued_with_the_key_is_signed_and_a_replayed_copy_is_refused(keyed, monkeypatch):
    store = ApprovalStore(local_store())
    approval = store.propose("returns_triage", "R-1", {"route": "refund"})
    with monkeypatch.context() as held:  # the decision waits in the outbox, where someone copies its row
        held.setattr(AuditLog, "flush", lambda self: 0)
        store.approve(approval.id, "alice")
    copied = local_store().query("SELECT kind, payload, provenance, mac FROM audit_outbox")[0]
    audit_event(local_store(), "check", {"passed": True})  # signed once, legitimately
    local_store().execute("INSERT INTO audit_outbox (kind, payload, provenance, mac) VALUES (?, ?, ?, ?)",
                          tuple(copied.values()))
    audit_event(local_store(), "check", {"passed": True})
    entries = list(AuditLog(local_store()).entries())
    decisions = [e for e in entries if e["kind"] == "approval_decision"]
    assert len(decisions) == 1 and decisions[0]["provenance"]["outbox_nonce"]
    refused = [e["payload"] for e in entries if e["kind"] == "outbox_row_refused"]
    assert len(refused) == 1 and "already" in refused[0]["reason"]
