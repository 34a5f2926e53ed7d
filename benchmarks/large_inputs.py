"""Large inputs: a 20 MB brief and a 50 MB returns file, against the offline model double; what was sent and kept.

    python -m benchmarks.large_inputs [--brief-mb 20] [--returns-mb 50] [--returns-rows 400] [--oversized-rows 150]

Brief: one brief of `--brief-mb` MB beside the demo's three, the content-ops day's `topic_briefs` and
`research_notes` materialized in this process. The offline server (in this process too) measures every chat
request it receives (characters/4, as the row engine estimates), so `brief_requests_over_cap` counts requests over
research_notes' per-row cap that reached it; `seconds_to_first_clear_message` is from the run's start to the first
event-log line naming the brief's `oversized_input`.

Returns: a `--returns-mb` MB returns CSV of `--returns-rows` ordinary returns and `--oversized-rows` returns whose
note is far over the triage step's cap (more than its 20% failure rate). At the default AIWF_MAX_INBOX_FILE_MB it is
refused whole (`returns_refused_at_cap`); under a raised cap the day runs, fails its failure-rate limit,
and runs again: `rows_answered_first_run` and `rows_in_output_or_checkpoints` should match, and
`rerun_new_paid_requests` be 0. Last line: one JSON object.
"""

import argparse
import csv
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

DAY = "2026-03-02"
ENV = ("AIWF_HOME", "AIWF_BRIEFS_DIR", "AIWF_RETURNS_DIR")  # set for the run, restored after
CLEARED = ("AIWF_PG_URL", "AIWF_CASSETTE", "AIWF_CASSETTE_MODE", "AIWF_MAX_INBOX_FILE_MB", "AIWF_MAX_INPUT_TOKENS")


class RequestSizes:
    """The estimated input tokens (characters/4, as the row engine estimates) of every chat request the server got."""

    def __init__(self, app):
        from starlette.middleware.base import BaseHTTPMiddleware

        self.tokens: list[int] = []
        app.add_middleware(BaseHTTPMiddleware, dispatch=self.measure)

    async def measure(self, request, call_next):
        if request.url.path.endswith("/chat/completions"):
            messages = json.loads(await request.body() or b"{}").get("messages") or []
            self.tokens.append(sum(len(str(m.get("content") or "")) for m in messages) // 4 + 1)
        return await call_next(request)


def write_briefs(folder: Path, megabytes: float) -> None:
    """The demo's briefs of DAY, and `huge.md`: the cold-brew brief's notes repeated to `megabytes` MB."""
    from pipelines.cli.demo import SAMPLES

    folder.mkdir(parents=True)
    for sample in (SAMPLES / "briefs").glob("*.md"):
        (folder / sample.name).write_text(sample.read_text().replace("---\n", f"---\ndate: {DAY}\n", 1))
    text = (SAMPLES / "briefs" / "cold-brew-basics.md").read_text()
    _, meta, body = text.split("---\n", 2)
    size = int(megabytes * 1_000_000)
    head = f"---\n{meta.replace('slug: cold-brew-basics', 'slug: huge')}date: {DAY}\n---\n"
    (folder / "huge.md").write_text(head + (body * (size // len(body) + 1))[:size - len(head)])


def write_returns(path: Path, megabytes: float, rows: int, oversized: int) -> None:
    """`rows` ordinary returns and `oversized` ones whose notes fill the file to `megabytes` MB."""
    from pipelines.returns_triage.feed import COLUMNS

    note = "The lid of the kettle arrived dented and does not close any more, please refund. "
    long_note = note * int(megabytes * 1_000_000 / oversized / len(note) + 1)
    total = rows + oversized
    big = set(range(0, total, total // oversized)[:oversized])  # spread through the file
    path.parent.mkdir(parents=True)
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for i in range(total):
            text = long_note if i in big else f"Return {i}: {note}"
            out.writerow([f"R{i}", f"O{i}", f"SKU-{i % 7}", "Gooseneck kettle", "kitchen", "89.00", str(i % 30), "0",
                          text])


def _materialize(assets, base_url: str):
    import dagster as dg

    from benchmarks.kill_resume import resources

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(assets, resources=resources(base_url), partition_key=DAY, instance=instance,
                            raise_on_error=False)
    return result, list(instance.all_logs(result.run_id))


def _first(logs, text: str) -> float | None:
    """Seconds from the run's first event to the first log line containing `text`."""
    start = logs[0].timestamp
    return next((round(e.timestamp - start, 2) for e in logs if text in (e.user_message or "")), None)


def _meta(result, node: str) -> dict:
    found = result.asset_materializations_for_node(node)
    return {k: v.value for k, v in found[0].metadata.items()} if found else {}


def brief_day(home: Path, server, sizes: RequestSizes, megabytes: float) -> dict:
    from pipelines.content_ops import workflow as content_ops
    from resources.state.quarantine import Quarantine
    from resources.state.resource import StateResource

    write_briefs(home / "briefs", megabytes)
    sizes.tokens.clear()
    started = time.perf_counter()
    result, logs = _materialize([content_ops.topic_briefs, content_ops.research_notes], server.url)
    held = {r["row_key"]: r for r in Quarantine(StateResource().store()).rows("research_notes")}
    cap = _meta(result, "research_notes").get("max_input_tokens")
    return {"brief_bytes": (home / "briefs" / "huge.md").stat().st_size, "brief_run_success": result.success,
            "brief_wall_s": round(time.perf_counter() - started, 1), "brief_row_cap_tokens": cap,
            "brief_requests": len(sizes.tokens), "brief_max_request_tokens": max(sizes.tokens, default=0),
            "brief_requests_over_cap": sum(t > cap for t in sizes.tokens) if cap else None,
            "brief_quarantine_class": held.get("huge", {}).get("error_class"),
            "brief_quarantine_reason": held.get("huge", {}).get("reason"),
            "seconds_to_first_clear_message": _first(logs, "oversized_input")}


def _returns_run(steps, server, sizes: RequestSizes, store) -> dict:
    before, started = server.counters()["answered"]["chat.completions"], time.perf_counter()
    sizes.tokens.clear()
    result, logs = _materialize(steps, server.url)
    failure = next((e.dagster_event.event_specific_data.error.message for e in logs
                    if e.dagster_event and e.dagster_event.is_step_failure), None)
    answered = store.query("SELECT COUNT(*) AS n FROM llm_calls WHERE run_id = ? AND asset_key = ? AND kind = 'chat' "
                           "AND status = 'ok' AND cache_hit = 0 AND tier = 'cheap'",  # one a row; escalations: strong
                           (result.run_id, "return_classifications"))[0]["n"]
    return {"success": result.success, "wall_s": round(time.perf_counter() - started, 1), "rows_answered": answered,
            "paid": server.counters()["answered"]["chat.completions"] - before, "sizes": list(sizes.tokens),
            "read_progress_lines": sum("rows read" in (e.user_message or "") for e in logs),
            "first_clear_s": _first(logs, "oversized_input"), "failure": failure and failure.splitlines()[0][:300]}


def returns_day(home: Path, server, sizes: RequestSizes, args) -> dict:
    from assets.llm_map.factory import spec_of
    from assets.llm_map.input_cap import input_cap
    from pipelines.returns_triage import workflow as returns
    from pipelines.returns_triage.feed import feed_for_day
    from resources.llm import LLMResource
    from resources.state.checkpoints import Checkpoints
    from resources.state.quarantine import Quarantine
    from resources.state.resource import StateResource

    folder = home / "returns"
    write_returns(folder / f"returns_{DAY}.csv", args.returns_mb, args.returns_rows, args.oversized_rows)
    if args.max_inbox_mb:
        os.environ["AIWF_MAX_INBOX_FILE_MB"] = str(args.max_inbox_mb)
    else:
        os.environ.pop("AIWF_MAX_INBOX_FILE_MB", None)
    refused = feed_for_day(folder, DAY)[2]
    os.environ["AIWF_MAX_INBOX_FILE_MB"] = str(int(args.returns_mb * 1.5) + 1)
    steps, store = [returns.return_requests, returns.return_classifications], StateResource().store()
    cap = input_cap(spec_of("return_classifications"), LLMResource(base_url=server.url), ("cheap", "strong")).tokens
    first = _returns_run(steps, server, sizes, store)
    rerun = _returns_run(steps, server, sizes, store)
    held = Quarantine(store).rows("return_classifications")
    return {"returns_bytes": (folder / f"returns_{DAY}.csv").stat().st_size,
            "returns_refused_at_cap": next(iter(refused.values()), None),
            "returns_rows": args.returns_rows + args.oversized_rows,
            "returns_first_run_success": first["success"], "returns_failure": first["failure"],
            "returns_seconds_to_first_clear_message": first["first_clear_s"],
            "returns_read_progress_lines": first["read_progress_lines"],
            "rows_answered_first_run": first["rows_answered"], "requests_paid_first_run": first["paid"],
            "rows_in_output_or_checkpoints": Checkpoints(store).count("return_classifications", DAY),
            "returns_row_cap_tokens": cap,
            "returns_requests_over_cap": sum(t > cap for t in first["sizes"] + rerun["sizes"]),
            "rows_quarantined_oversized": sum(r["error_class"] == "oversized_input" for r in held),
            "rerun_success": rerun["success"], "rerun_new_paid_requests": rerun["paid"],
            "returns_wall_s": [first["wall_s"], rerun["wall_s"]]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brief-mb", type=float, default=20.0)
    parser.add_argument("--returns-mb", type=float, default=50.0)
    parser.add_argument("--returns-rows", type=int, default=400)
    parser.add_argument("--oversized-rows", type=int, default=150)
    parser.add_argument("--max-inbox-mb", type=float, default=None,
                        help="the inbox cap the returns file is first refused at (default: AIWF_MAX_INBOX_FILE_MB's)")
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="aiwf-large-inputs-"))
    saved = {k: os.environ.get(k) for k in (*ENV, *CLEARED)}
    for key in CLEARED:  # state in this run's own home, real requests, the shipped limits
        os.environ.pop(key, None)
    os.environ.update(AIWF_HOME=str(home / "aiwf"), AIWF_BRIEFS_DIR=str(home / "briefs"),
                      AIWF_RETURNS_DIR=str(home / "returns"))
    from resources.offline.llm_server import OfflineLLMServer

    server = OfflineLLMServer()
    sizes = RequestSizes(server.app)
    try:
        with server:
            figures = {**brief_day(home, server, sizes, args.brief_mb), **returns_day(home, server, sizes, args)}
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
        shutil.rmtree(home, ignore_errors=True)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))
    ok = figures["brief_requests_over_cap"] == figures["returns_requests_over_cap"] == 0 and \
        figures["rerun_new_paid_requests"] == 0
    return 0 if ok and figures["rows_answered_first_run"] == figures["rows_in_output_or_checkpoints"] else 1


if __name__ == "__main__":
    sys.exit(main())
