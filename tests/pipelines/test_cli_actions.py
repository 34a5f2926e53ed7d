"""`aiwf actions list|settle`: an operator finds a side effect held in doubt and answers for it from the shell."""

import json

import httpx
import pytest
from aiwf_state import local_store

from pipelines.cli import main
from resources.audit.log import AuditLog
from resources.connectors import ActionInDoubt, ActionLedger, CircuitBreaker, SlackWebhook


def webhook(answers: list, seen: list) -> SlackWebhook:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return SlackWebhook("https://hooks.slack.test/services/T000/B000/SECRETTOKEN",
                        ledger=ActionLedger(local_store()), transport=httpx.MockTransport(handler),
                        sleep=lambda s: None, breaker=CircuitBreaker(10))


def in_doubt_digest(seen: list, day: str = "2026-03-03"):
    """A digest whose post answered 502: it may have arrived, so it is held for a person."""
    hook = webhook([httpx.Response(502)], seen)
    action = hook.message("content_ops", f"digest:{day}", day, "2 drafts published")
    with pytest.raises(ActionInDoubt):
        hook.execute(action)
    return action


def test_list_shows_the_action_in_doubt_and_settle_not_applied_sends_it_once(capsys):
    seen = []
    action = in_doubt_digest(seen)
    assert main(["actions", "list", "--status", "in_doubt", "--json"]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (row["idempotency_key"], row["status"], row["workflow"]) == (action.key, "in_doubt", "content_ops")
    assert "SECRETTOKEN" not in json.dumps(row)

    assert main(["actions", "settle", action.key, "--not-applied", "--reason", "not in the channel",
                 "--actor", "dana"]) == 0
    assert "the next run sends it again" in capsys.readouterr().out
    assert webhook([httpx.Response(200)], seen).execute(action).status == "sent" and len(seen) == 2
    history = ActionLedger(local_store()).history(action.key)
    assert any("settled by dana: not in the channel" in (h["detail"] or "") for h in history)
    assert any(e["kind"] == "side_effect" and e["payload"]["idempotency_key"] == action.key
               for e in AuditLog(local_store()).entries())


def test_settle_applied_marks_it_done_and_nothing_is_sent_again(capsys):
    seen = []
    action = in_doubt_digest(seen)
    assert main(["actions", "settle", action.key, "--applied", "--reason", "seen in #ops"]) == 0
    assert ActionLedger(local_store()).get(action.key)["status"] == "done"
    assert webhook([], seen).execute(action).status != "sent" and len(seen) == 1  # no second post


def test_settling_an_action_not_in_doubt_is_refused(capsys):
    assert main(["actions", "settle", "no-such-key", "--applied", "--reason", "x"]) == 2
    assert "is not in doubt" in capsys.readouterr().err


def test_the_signed_settle_line_names_who_settled_and_why(capsys, monkeypatch):
    action = in_doubt_digest([])
    assert main(["actions", "settle", action.key, "--applied", "--reason", "seen in #ops", "--actor", "dana"]) == 0
    [line] = [e for e in AuditLog(local_store()).entries()
              if e["kind"] == "side_effect" and e["payload"]["status"] == "done"]
    assert (line["payload"]["settled_by"], line["payload"]["note"]) == ("dana", "seen in #ops")
    monkeypatch.setenv("USER", "erin")
    monkeypatch.setenv("LOGNAME", "erin")
    other = in_doubt_digest([], "2026-03-04")
    assert main(["actions", "settle", other.key, "--not-applied", "--reason", "not there"]) == 0
    settled = [e for e in AuditLog(local_store()).entries() if e["payload"].get("note") == "not there"]
    assert settled[-1]["payload"]["settled_by"] == "erin"  # without --actor: the operator's login name
