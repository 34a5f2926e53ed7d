"""benchmarks/large_inputs.py at small sizes: an oversized brief and an oversized-row returns day, end to end on
the shipped workflows. No request over a step's row cap reaches the model, the reason is logged before any request,
and the answered rows of a day that failed its failure rate are checkpointed and not paid again on the rerun."""

import io
import json
import os
from contextlib import redirect_stdout

import pytest

from benchmarks import large_inputs


@pytest.fixture(scope="module")
def figures():
    """One run for the module (the benchmark sets, then restores, its own homes and inbox cap)."""
    before, out = dict(os.environ), io.StringIO()
    with redirect_stdout(out):
        code = large_inputs.main(["--brief-mb", "1", "--returns-mb", "2", "--returns-rows", "24",
                                  "--oversized-rows", "8", "--max-inbox-mb", "1"])
    assert dict(os.environ) == before
    return code, json.loads(out.getvalue().strip().splitlines()[-1])


def test_an_oversized_brief_is_refused_before_any_request_and_says_why(figures):
    code, out = figures
    assert code == 0 and out["brief_run_success"]
    assert out["brief_bytes"] == 1_000_000 and out["brief_requests"] == 3  # the three demo briefs only
    assert out["brief_requests_over_cap"] == 0 and out["brief_max_request_tokens"] <= out["brief_row_cap_tokens"]
    assert out["brief_quarantine_class"] == "oversized_input"
    assert "limit for one row (max_input_tokens of research_notes); not sent" in out["brief_quarantine_reason"]
    assert out["seconds_to_first_clear_message"] is not None  # the reason is in the run's log


def test_a_failed_returns_day_keeps_its_answers_and_the_rerun_pays_nothing(figures):
    code, out = figures
    assert "over the inbox limit of 1 MB (AIWF_MAX_INBOX_FILE_MB)" in out["returns_refused_at_cap"]
    assert not out["returns_first_run_success"] and "over max_failure_rate" in out["returns_failure"]
    assert out["rows_quarantined_oversized"] == 8 and out["returns_requests_over_cap"] == 0
    assert out["rows_answered_first_run"] == out["rows_in_output_or_checkpoints"] == 24
    assert out["requests_paid_first_run"] >= 24 and out["rerun_new_paid_requests"] == 0
    assert out["returns_read_progress_lines"] >= 1
