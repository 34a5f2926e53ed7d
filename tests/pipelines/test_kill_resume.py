"""A content-ops day whose drafts run is SIGKILLed midway and run again: the drafts step keeps several requests in
flight, and no request body reaches the server twice except those in flight at the kill (benchmarks/kill_resume.py
runs the day: a real run process on a DAGSTER_HOME, a 300 ms OpenAI-compatible server counting bodies)."""

import json

from benchmarks.kill_resume import scenario


def test_a_killed_drafts_run_sends_again_only_what_was_in_flight(tmp_path):
    figures = scenario(tmp_path, briefs=40, latency_ms=300, kill_after=12)
    print(json.dumps(figures))
    assert figures["rerun_success"] and figures["rows_after_rerun"] == 40, figures["rerun_stderr_tail"]
    assert figures["max_in_flight"] >= 4  # the step keeps several requests in flight
    killed_with = figures["in_flight_at_kill"]
    assert 12 <= figures["checkpointed_at_kill"] < 40 and 0 < killed_with <= figures["concurrency"]
    # the second run asks only what the first did not make durable, and repeats only what was in flight
    assert figures["chat_answered_rerun"] == 40 - figures["checkpointed_at_kill"]
    assert figures["bodies_sent_twice"] == figures["extra_answers"] == figures["chat_bodies_sent_twice"]
    assert figures["chat_bodies_sent_twice"] <= killed_with
    # every answer a run made durable has its ledger row; the in-flight ones died with their process
    ledger = figures["ledger"]
    assert ledger["provider_rows"] >= figures["chat_answered_first_run"] + figures["chat_answered_rerun"] - killed_with
