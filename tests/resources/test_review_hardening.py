"""The review app against a red team's lower-severity findings: sessions end on the server, wrong tokens are
throttled, bodies are capped before parsing, malformed input is a 400, nothing is cached, diffs survive control
characters, and tokens may be configured as salted hashes."""

import asyncio
import hashlib
import io
import re

import pytest
from aiwf_state import local_store
from starlette.testclient import TestClient

from resources.approvals.review_app import create_app
from resources.approvals.store import ApprovalStore

TOKENS = "view-token-1:viewer:victor,approve-token-1:approver:alice"
APPROVER = {"Authorization": "Bearer approve-token-1"}
COOKIE = "aiwf_review_session"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def no_shared_secret(monkeypatch):
    monkeypatch.delenv("AIWF_REVIEW_SECRET", raising=False)


def _app(tokens: str = TOKENS, clock=None, **settings):
    if clock is None and not settings:
        return create_app(ApprovalStore(local_store()), tokens=tokens)
    from resources.approvals.review_access import ReviewSettings

    return create_app(ApprovalStore(local_store()), tokens=tokens, settings=ReviewSettings(clock=clock, **settings))


def _client(app, address: str = "testclient") -> TestClient:
    return TestClient(app, client=(address, 50000), raise_server_exceptions=False)


def _pending(current="Old copy", proposed="New copy"):
    return ApprovalStore(local_store()).propose("content_ops", f"post-{hashlib.md5(proposed.encode()).hexdigest()}",
                                                proposed, current=current, evidence={}, reasons=["test"])


def _csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _login(client, token: str):
    return client.post("/login", data={"token": token, "csrf_token": _csrf(client.get("/login"))},
                       follow_redirects=False)


def test_logout_ends_the_session_for_every_copy_of_the_cookie():
    item, app = _pending(), _app()
    client, copy = _client(app), _client(app)
    assert _login(client, "approve-token-1").status_code == 303
    copy.cookies.set(COOKIE, client.cookies[COOKIE])  # a stolen copy of the cookie
    assert copy.get("/", follow_redirects=False).status_code == 200
    assert client.post("/logout", data={"csrf_token": _csrf(client.get("/"))}, follow_redirects=False
                       ).status_code == 303
    assert copy.get("/", follow_redirects=False).headers["location"] == "/login"
    assert copy.post(f"/approvals/{item.id}/approve", data={"csrf_token": "anything"}).status_code == 401
    assert ApprovalStore(local_store()).get(item.id).status == "pending"


def test_the_cookie_is_a_random_id_shared_by_app_processes_on_one_store():
    first, second = _client(_app()), _client(_app())  # two processes of `aiwf review` on one database
    _login(first, "approve-token-1")
    cookie = first.cookies[COOKIE]
    assert hashlib.sha256(b"approve-token-1").hexdigest()[:32] not in cookie and len(cookie) >= 43
    _login(first, "approve-token-1")
    assert first.cookies[COOKIE] != cookie  # a fresh id at every login
    second.cookies.set(COOKIE, first.cookies[COOKIE])
    assert "alice (approver)" in second.get("/").text
    second.post("/logout", data={"csrf_token": _csrf(second.get("/"))})
    assert first.get("/", follow_redirects=False).status_code == 303
    gone = _client(_app("view-token-1:viewer:victor"))  # the approver's token removed from the configuration
    gone.cookies.set(COOKIE, _login(first, "approve-token-1").cookies[COOKIE])
    assert gone.get("/", follow_redirects=False).status_code == 303


def test_sessions_end_after_idle_time_and_at_the_absolute_limit():
    clock = Clock()
    client = _client(_app(clock=clock, session_idle_s=30 * 60, session_max_s=8 * 3600))
    _login(client, "view-token-1")
    for _ in range(3):  # in use every 20 minutes: still logged in an hour later
        clock.now += 20 * 60
        assert client.get("/", follow_redirects=False).status_code == 200
    clock.now += 31 * 60
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"

    _login(client, "view-token-1")
    for _ in range(23):  # 7 h 40 min of steady use
        clock.now += 20 * 60
        assert client.get("/", follow_redirects=False).status_code == 200
    clock.now += 21 * 60  # past 8 h since login
    assert client.get("/", follow_redirects=False).status_code == 303


def test_wrong_tokens_are_throttled_per_address():
    app = _app()
    attacker = _client(app, "10.0.0.1")
    assert [_login(attacker, f"wrong-guess-{i}").status_code for i in range(10)] == [401] * 10
    refused = _login(attacker, "wrong-guess-10")
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert _login(attacker, "approve-token-1").status_code == 429  # a throttled guess learns nothing
    assert _login(_client(app, "10.0.0.2"), "approve-token-1").status_code == 303

    api = _client(app, "10.0.0.3")
    wrong = [api.get("/api/approvals", headers={"Authorization": f"Bearer nope-nope-{i}"}).status_code
             for i in range(11)]
    assert wrong == [401] * 10 + [429]
    assert api.get("/api/approvals", headers=APPROVER).headers["retry-after"].isdigit()
    assert _client(app, "10.0.0.4").get("/api/approvals", headers=APPROVER).status_code == 200

    for i in range(10):  # many addresses on one token prefix: the token is not locked out (per source only)
        _client(app, f"10.0.1.{i}").get("/api/approvals", headers={"Authorization": f"Bearer view-guess-{i}"})
    assert _client(app, "10.0.2.1").get("/api/approvals", headers={"Authorization": "Bearer view-token-1"}
                                        ).status_code == 200


def test_a_throttled_client_may_try_again_after_the_window():
    clock = Clock()
    attacker = _client(_app(clock=clock), "10.0.0.1")
    for i in range(10):
        _login(attacker, f"wrong-guess-{i}")
    assert _login(attacker, "approve-token-1").headers["retry-after"] == "60"
    clock.now += 59
    assert _login(attacker, "approve-token-1").headers["retry-after"] == "1"
    clock.now += 1
    assert _login(attacker, "approve-token-1").status_code == 303


def _asgi_post(app, path: str, headers: list[tuple[bytes, bytes]], total: int, chunk: int = 64 * 1024):
    """POST a multipart form whose one file field holds `total` bytes, in chunks; returns (status, bytes pulled)."""
    head = b'--XyZ\r\nContent-Disposition: form-data; name="token"; filename="t"\r\n\r\n'
    tail, pulled, status = b"\r\n--XyZ--\r\n", 0, []

    async def receive():
        nonlocal pulled
        size = min(chunk, total - pulled)
        body = (head if pulled == 0 else b"") + b"x" * size + (tail if pulled + size == total else b"")
        pulled += size
        return {"type": "http.request", "body": body, "more_body": pulled < total}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"multipart/form-data; boundary=XyZ"), *headers],
             "client": ("10.0.0.9", 1), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    return status[0], pulled


def test_bodies_over_one_mebibyte_are_refused_before_parsing():
    app, big = _app(), 100 * 1024 * 1024
    declared = _asgi_post(app, "/login", [(b"content-length", str(big).encode())], big)
    assert declared == (413, 0)  # refused from the header alone: not one byte read
    status, pulled = _asgi_post(app, "/login", [], big)  # no length given: stopped while streaming
    assert status == 413 and pulled <= 1024 * 1024 + 64 * 1024

    item = _pending()
    client = _client(app)
    huge = client.post(f"/api/approvals/{item.id}/reject", headers=APPROVER,
                       json={"reason": "x" * (1024 * 1024 + 1)})
    assert huge.status_code == 413 and ApprovalStore(local_store()).get(item.id).status == "pending"
    assert client.post(f"/api/approvals/{item.id}/reject", headers=APPROVER, json={"reason": "ok"}).status_code == 200


def test_malformed_input_is_a_400_never_a_500():
    item, app = _pending(), _app()
    stranger = _client(app)
    bad_cookie = {"cookie": f"{COOKIE}=x.9999999999.é".encode()}
    assert stranger.get("/", headers=bad_cookie).status_code == 400
    stranger.get("/login")
    assert stranger.post("/login", data={"token": "approve-token-1", "csrf_token": "é"}).status_code == 400
    as_file = stranger.post("/login", data={"csrf_token": _csrf(stranger.get("/login"))},
                            files={"token": ("token.txt", io.BytesIO(b"approve-token-1"))})
    assert as_file.status_code == 400

    client = _client(app)
    _login(client, "approve-token-1")
    assert client.post(f"/approvals/{item.id}/approve", data={"csrf_token": "é"}).status_code == 400
    url = f"/api/approvals/{item.id}"
    for action, body in (("reject", {"reason": 5}), ("approve", {"reason": ["x"]}),
                         ("edit", {"output": "x", "reason": {}})):
        assert client.post(f"{url}/{action}", headers=APPROVER, json=body).status_code == 400, (action, body)
    for raw in (b"\xff\xfe", b"[" * 100_000, b'{"reason": "\\ud800"}', b"{not json"):
        assert client.post(f"{url}/reject", headers=APPROVER, content=raw).status_code == 400, raw[:20]
    assert client.get("/api/approvals", headers={"Authorization": "Bearer é-token-é".encode()}).status_code == 401
    assert ApprovalStore(local_store()).get(item.id).status == "pending"


def test_authenticated_pages_and_api_answers_are_never_cached():
    item, client = _pending(), _client(_app())
    _login(client, "view-token-1")
    answers = [client.get("/"), client.get(f"/approvals/{item.id}"), client.get("/login"),
               client.get("/api/approvals", headers=APPROVER), client.get("/api/approvals")]
    assert [a.headers.get("cache-control") for a in answers] == ["no-store"] * 5
    assert client.get("/static/review.css").headers["cache-control"] != "no-store"


def test_control_characters_do_not_break_the_diff():
    item = _pending("Old line one\nSame line\nOld tail", "New line one\x00+ junk\x01\nSame\x0bline\nOld tail\x1b[31m")
    client = _client(_app())
    _login(client, "view-token-1")
    table = re.search(r'<table class="diff".*?</table>', client.get(f"/approvals/{item.id}").text, re.DOTALL).group()
    assert re.findall(r'id="to\d+_(\d+)"', table) == ["1", "2", "3"]  # three proposed lines, as written
    assert table.count("<span") == table.count("</span>")
    assert "one\\x00+&nbsp;junk\\x01</span>" in table and "tail\\x1b[31m</span>" in table
    assert 'Same<span class="diff_chg">\\x0b</span>line' in table  # exactly the changed character is marked
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", table)


def test_tokens_may_be_configured_as_salted_scrypt_hashes(monkeypatch, capsys):
    hashed = "scrypt$YWl3Zi10ZXN0LXNhbHQtMQ$bDI_bFPTqnN_a0p9T_DcWjPMzI9MeDLQIn9xVvnVUtY"  # of approve-token-9
    client = _client(_app(f"{hashed}:approver:hana,view-token-1:viewer:victor"))
    assert client.get("/api/approvals", headers={"Authorization": "Bearer approve-token-9"}).status_code == 200
    assert client.get("/api/approvals", headers={"Authorization": f"Bearer {hashed}"}).status_code == 401
    assert _login(client, "approve-token-9").status_code == 303 and "hana (approver)" in client.get("/").text

    from resources.approvals.review_auth import hash_token, main, parse_tokens

    assert hash_token("approve-token-9", salt=b"aiwf-test-salt-1") == hashed
    monkeypatch.setattr("sys.stdin", io.StringIO("approve-token-9\n"))
    assert main(["hash-token"]) == 0
    made = capsys.readouterr().out.strip()
    assert made.startswith("scrypt$") and "approve-token-9" not in made and made != hashed  # a fresh salt
    assert parse_tokens(f"{made}:approver:hana")[made].name == "hana"
    with pytest.raises(ValueError, match=r"entry 1 is not scrypt\$<salt>\$<hash>"):
        parse_tokens("scrypt$not-base64!$x:viewer:v")


@pytest.mark.integration
def test_sessions_are_shared_through_postgres(pg_url):
    from resources.approvals.review_access import ReviewSettings
    from resources.state.store import Store

    clock = Clock()
    apps = [create_app(ApprovalStore(Store(pg_url, local_store().home)), tokens=TOKENS,
                       settings=ReviewSettings(clock=clock)) for _ in range(2)]
    first, second = _client(apps[0]), _client(apps[1])
    _login(first, "approve-token-1")
    second.cookies.set(COOKIE, first.cookies[COOKIE])
    assert "alice (approver)" in second.get("/").text
    second.post("/logout", data={"csrf_token": _csrf(second.get("/"))})
    assert first.get("/", follow_redirects=False).status_code == 303
    _login(first, "approve-token-1")
    clock.now += 30 * 60
    assert first.get("/", follow_redirects=False).status_code == 303


# --- round 3: invalid JSON values change nothing; the throttle is atomic and per source -------------------------
@pytest.mark.parametrize("raw", [b'{"output": {"route": "refund", "note": NaN}}', b'{"output": Infinity}',
                                 b'{"output": [1, -Infinity]}', b'{"output": 1e400}', b'{"reason": NaN}'])
def test_non_finite_numbers_are_a_400_and_change_nothing(raw):
    store = ApprovalStore(local_store())
    item = store.propose("returns_triage", "R-9", {"route": "restock", "order_id": "O-9", "price_eur": 10.0})
    client = _client(_app())
    answer = client.post(f"/api/approvals/{item.id}/edit", headers={**APPROVER, "content-type": "application/json"},
                         content=raw)
    assert answer.status_code == 400 and store.get(item.id).status == "pending"
    assert client.get("/api/approvals", headers=APPROVER).status_code == 200


def test_a_non_finite_number_already_in_the_store_does_not_break_the_list_for_everyone():
    store = ApprovalStore(local_store())
    item = store.propose("returns_triage", "R-8", {"route": "restock", "price_eur": float("nan")})
    listed = _client(_app()).get("/api/approvals", headers=APPROVER)
    assert listed.status_code == 200 and listed.json()["approvals"][0]["id"] == item.id
    with pytest.raises(ValueError):  # and the store never writes one as a decision
        store.edit_and_approve(item.id, "alice", {"route": "restock", "note": float("inf")})
    assert store.get(item.id).status == "pending"


def test_concurrent_wrong_tokens_count_atomically_against_the_limit():
    from types import SimpleNamespace

    from resources.approvals.review_http import Refused

    auth = _app().state.auth
    request = SimpleNamespace(client=SimpleNamespace(host="10.0.0.66"))

    async def flood():
        return await asyncio.gather(*(auth.check_token(request, f"guess-{i:04d}") for i in range(45)),
                                    return_exceptions=True)

    outcomes = asyncio.run(flood())
    assert sum(o is None for o in outcomes) == 10  # checked and wrong; the other 35 never reached the check
    assert sum(isinstance(o, Refused) and o.status == 429 for o in outcomes) == 35


def test_a_flood_from_elsewhere_does_not_lock_valid_tokens_out():
    app = _app()
    for i in range(30):  # many sources guessing tokens that share the valid tokens' first characters
        _client(app, f"10.0.1.{i}").get("/api/approvals", headers={"Authorization": f"Bearer appr-guess-{i}"})
        _client(app, f"10.0.1.{i}").get("/api/approvals", headers={"Authorization": f"Bearer view-guess-{i}"})
    assert _client(app, "10.0.2.1").get("/api/approvals", headers=APPROVER).status_code == 200
    assert _login(_client(app, "10.0.2.2"), "view-token-1").status_code == 303
