"""The review app's JSON API and pages: 401/403/404/409 exactly where stated, CSRF on forms, viewers read only."""

import os
import re
import socket
import subprocess
import sys
import time

import dagster as dg
import httpx
import pytest
from aiwf_state import local_store
from starlette.testclient import TestClient

from assets.approval_gate import ApprovalPolicy, amount_above, failed_checks, send_for_approval
from resources.approvals.resource import ApprovalsResource
from resources.approvals.review_app import create_app
from resources.approvals.review_auth import parse_tokens
from resources.approvals.store import ApprovalStore

TOKENS = "view-token-1:viewer:victor,approve-token-1:approver:alice,admin-token-1:admin:root"
VIEWER, APPROVER = {"Authorization": "Bearer view-token-1"}, {"Authorization": "Bearer approve-token-1"}
POLICY = ApprovalPolicy("content_ops", [amount_above("price_change", 10), failed_checks(risk="low")])


def _demo_like_run() -> list:
    """A small partitioned run whose gate leaves items pending, as the demo workflows do."""
    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["2024-05-01"]))
    def drafts_cleared(context, approvals: ApprovalsResource) -> list:
        rows = [{"id": "post-1", "text": "Fine draft", "failed_checks": []},
                {"id": "post-2", "text": "Draft with a broken link", "failed_checks": ["links_resolve"]},
                {"id": "post-3", "text": "Price drop", "price_change": 40, "failed_checks": []},
                {"id": "post-4", "text": "Another weak draft", "failed_checks": ["tone_matches"]}]
        for row in rows:
            row.setdefault("price_change", 0)
        return send_for_approval(context, approvals, POLICY, rows, key="id", output="text",
                                 current=lambda r: "Old copy", evidence=lambda r: {"checks": r["failed_checks"]}
                                 ).passed_keys

    dg.materialize([drafts_cleared], resources={"approvals": ApprovalsResource()}, partition_key="2024-05-01")
    return ApprovalStore(local_store()).list(status="pending")


@pytest.fixture
def client():
    return TestClient(create_app(ApprovalStore(local_store()), tokens=TOKENS))


def test_api_status_codes_after_a_demo_like_run(client):
    pending = _demo_like_run()
    assert [a.item_key for a in pending] == ["post-2", "post-3", "post-4"]
    first = pending[0].id
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/api/approvals?status=pending").status_code == 401
    assert client.get("/api/approvals", headers={"Authorization": "Bearer nope-nope"}).status_code == 401
    listed = client.get("/api/approvals?status=pending", headers=VIEWER)
    assert listed.status_code == 200 and [a["id"] for a in listed.json()["approvals"]] == [a.id for a in pending]
    assert client.post(f"/api/approvals/{first}/approve", headers=VIEWER).status_code == 403
    assert client.post(f"/api/approvals/{first}/approve").status_code == 401
    ok = client.post(f"/api/approvals/{first}/approve", headers=APPROVER)
    assert ok.status_code == 200 and ok.json()["status"] == "approved" and ok.json()["decided_by"] == "alice"
    assert client.post(f"/api/approvals/{first}/approve", headers=APPROVER).status_code == 409
    assert client.post(f"/api/approvals/{first}/reject", headers=APPROVER, json={"reason": "x"}).status_code == 409
    assert client.post("/api/approvals/apr_unknown/approve", headers=APPROVER).status_code == 404
    assert client.get("/api/approvals/apr_unknown", headers=VIEWER).status_code == 404
    assert len(client.get("/api/approvals?status=pending", headers=VIEWER).json()["approvals"]) == 2


def test_reject_and_edit_validate_their_bodies(client):
    pending = _demo_like_run()
    reject_url, edit_url = f"/api/approvals/{pending[0].id}/reject", f"/api/approvals/{pending[1].id}/edit"
    assert client.post(reject_url, headers=APPROVER, json={}).status_code == 422
    assert client.post(reject_url, headers=APPROVER, content=b"{not json").status_code == 400
    rejected = client.post(reject_url, headers=APPROVER, json={"reason": "broken link"})
    assert rejected.status_code == 200 and rejected.json()["reason"] == "broken link"
    assert client.post(edit_url, headers=APPROVER, json={"reason": "no output"}).status_code == 422
    edited = client.post(edit_url, headers=APPROVER, json={"output": "Price drop, checked"})
    assert edited.status_code == 200
    assert (edited.json()["status"], edited.json()["final_output"]) == ("edited", "Price drop, checked")
    assert ApprovalStore(local_store()).corrections()[0]["reviewer"] == "alice"


def test_filters_and_bulk_approval_of_low_risk_items(client):
    _demo_like_run()
    high = client.get("/api/approvals?status=pending&risk=high", headers=VIEWER).json()["approvals"]
    assert [a["item_key"] for a in high] == ["post-3"]
    assert client.get("/api/approvals?status=bogus", headers=VIEWER).status_code == 400
    assert client.post("/api/approvals/bulk-approve", headers=VIEWER, json={}).status_code == 403
    bulk = client.post("/api/approvals/bulk-approve", headers=APPROVER, json={"ids": [high[0]["id"]]}).json()
    assert bulk["approved"] == [] and high[0]["id"] in bulk["skipped"]
    bulk = client.post("/api/approvals/bulk-approve", headers=APPROVER, json={}).json()
    assert len(bulk["approved"]) == 2
    assert [a.item_key for a in ApprovalStore(local_store()).list(status="pending")] == ["post-3"]


def _login(client, token: str):
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"token": token, "csrf_token": csrf}, follow_redirects=False)


def test_pages_login_csrf_and_viewer_without_controls(client):
    [first, *_] = _demo_like_run()
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.post("/login", data={"token": "approve-token-1"}).status_code == 403  # no CSRF token
    assert _login(client, "wrong-token-x").status_code == 401
    assert _login(client, "approve-token-1").status_code == 303
    detail = client.get(f"/approvals/{first.id}")
    assert 'id="approve"' in detail.text and "diff_header" in detail.text
    assert "frame-ancestors 'none'" in detail.headers["content-security-policy"]
    assert client.post(f"/approvals/{first.id}/approve", data={}).status_code == 403
    assert ApprovalStore(local_store()).get(first.id).status == "pending"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', detail.text).group(1)
    done = client.post(f"/approvals/{first.id}/approve", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and ApprovalStore(local_store()).get(first.id).decided_by == "alice"

    viewer = TestClient(client.app)
    _login(viewer, "view-token-1")
    page = viewer.get(f"/approvals/{first.id}").text + viewer.get("/").text
    assert "victor (viewer)" in page and "<textarea" not in page and 'id="approve"' not in page
    assert 'id="bulk-approve"' not in page and 'type="checkbox"' not in page


def test_token_configuration_errors_are_clear():
    assert parse_tokens(TOKENS)["approve-token-1"].name == "alice"
    with pytest.raises(ValueError, match="entry 2 has role 'boss'"):
        parse_tokens("abcdefgh:viewer:a,ijklmnop:boss:b")
    with pytest.raises(ValueError, match="entry 1 is not token:role:name"):
        parse_tokens("abcdefgh:viewer")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_aiwf_review_serves_the_api_over_real_http():
    pending = _demo_like_run()
    port = _free_port()
    env = {**os.environ, "AIWF_REVIEW_TOKENS": TOKENS}
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "review", "--port", str(port), "--log-level",
                             "warning"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert httpx.get(f"{base}/api/approvals?status=pending").status_code == 401
        listed = httpx.get(f"{base}/api/approvals?status=pending", headers=VIEWER)
        assert listed.status_code == 200 and listed.json()["count"] == len(pending)
        url = f"{base}/api/approvals/{pending[0].id}/approve"
        assert httpx.post(url, headers=VIEWER).status_code == 403
        assert httpx.post(url, headers=APPROVER).status_code == 200
        assert httpx.post(url, headers=APPROVER).status_code == 409
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_aiwf_review_refuses_to_start_without_tokens(monkeypatch, capsys):
    from pipelines.cli import main

    monkeypatch.delenv("AIWF_REVIEW_TOKENS", raising=False)
    assert main(["review", "--port", "1"]) == 2
    assert "AIWF_REVIEW_TOKENS" in capsys.readouterr().err
