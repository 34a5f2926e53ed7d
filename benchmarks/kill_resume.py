"""A content-ops day killed mid-drafts and run again: which request bodies the server saw twice.

    python -m benchmarks.kill_resume --json
    python -m benchmarks.kill_resume --briefs 40 --latency-ms 300 --kill-after 12 --json

An OpenAI-compatible offline server (300 ms a request) answers in this process, counting every request body
and the requests in flight. The day's briefs, research notes and brand memory are materialized here; then the
drafts step runs in a separate process (a Dagster run on the instance at DAGSTER_HOME) that is SIGKILLed once
`--kill-after` drafts are checkpointed, and the same partition is run again in a new process. Figures: the most
requests in flight, the requests in flight at the kill (no client can avoid re-sending those: their answers
died with the process: sent by the killed run and never checkpointed by it), the bodies answered twice, and the
ledger's rows for the drafts step. Last line: one JSON object.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAY = "2026-03-02"
ASSET = "drafts"


class InFlight:
    """ASGI middleware: requests being answered now, and the most at once (chat completions)."""

    def __init__(self, app):
        self.app, self.now, self.most = app, 0, 0

    async def __call__(self, scope, receive, send):
        counted = scope["type"] == "http" and scope["path"].endswith("/chat/completions")
        if counted:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            if counted:
                self.now -= 1


def write_briefs(folder: Path, n: int) -> None:
    """`n` briefs for DAY, each a variant of the demo's cold-brew brief (distinct requests)."""
    from pipelines.cli.demo import SAMPLES

    source = (SAMPLES / "briefs" / "cold-brew-basics.md").read_text()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        text = source.replace("slug: cold-brew-basics", f"slug: brief-{i:02d}").replace(
            "title: Cold brew basics", f"title: Cold brew basics {i}").replace("12 and 18 hours", f"{i + 12} hours")
        (folder / f"brief-{i:02d}.md").write_text(text.replace("---\n", f"---\ndate: {DAY}\n", 1))


def resources(base_url: str) -> dict:
    from resources.approvals.resource import ApprovalsResource
    from resources.llm import LLMResource
    from resources.memory import MemoryResource
    from resources.state.parquet_io_manager import ParquetIOManager
    from resources.state.resource import StateResource

    return {"llm": LLMResource(base_url=base_url, api_key="sk-test"), "io_manager": ParquetIOManager(),
            "approvals": ApprovalsResource(), "memory": MemoryResource(), "state": StateResource()}


def child_main(base_url: str) -> int:
    """The killed (and the second) run: the drafts step alone, its upstream tables read from Parquet."""
    import logging

    import dagster as dg

    from pipelines.content_ops import workflow as content_ops

    logging.getLogger("dagster").setLevel(logging.WARNING)
    upstream = [content_ops.topic_briefs, content_ops.research_notes, content_ops.brand_memory]
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([*upstream, content_ops.drafts], selection=[content_ops.drafts], instance=instance,
                                resources=resources(base_url), partition_key=DAY, raise_on_error=False)
    print(json.dumps({"success": result.success, "run_id": result.run_id}))
    return 0 if result.success else 1


def _checkpointed(store) -> int:
    rows = store.query("SELECT COUNT(*) AS n FROM llm_checkpoints WHERE asset_key = ?", (ASSET,))
    return int(rows[0]["n"])


def _ledger(store, run_id: str | None = None) -> dict:
    """The drafts step's chat rows in the ledger: all, those that reached the provider, by status."""
    sql, args = "SELECT status, cache_hit, run_id FROM llm_calls WHERE asset_key = ? AND kind = 'chat'", [ASSET]
    rows = [r for r in store.query(sql, tuple(args)) if run_id is None or r["run_id"] == run_id]
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    return {"rows": len(rows), "provider_rows": sum(1 for r in rows if not r["cache_hit"]), "by_status": statuses}


def scenario(home: Path, briefs: int = 40, latency_ms: float = 300, kill_after: int = 12,
             timeout_s: float = 90) -> dict:
    """Run the day, kill the drafts run once `kill_after` drafts are checkpointed, run it again; the figures."""
    import dagster as dg

    from pipelines.content_ops import workflow as content_ops
    from resources.offline.llm_server import OfflineLLMServer
    from resources.state.resource import StateResource

    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "AIWF_HOME": str(home / "aiwf"), "DAGSTER_HOME": str(home / "dagster"),
           "AIWF_BRIEFS_DIR": str(home / "briefs"), "PYTHONWARNINGS": "ignore"}
    (home / "dagster").mkdir(exist_ok=True)
    write_briefs(home / "briefs", briefs)
    saved = {k: os.environ.get(k) for k in ("AIWF_HOME", "AIWF_BRIEFS_DIR")}
    os.environ.update({k: env[k] for k in saved})
    server = OfflineLLMServer(latency_ms=latency_ms)
    counter = server.app = InFlight(server.app)
    try:
        with server:
            upstream = [content_ops.topic_briefs, content_ops.research_notes, content_ops.brand_memory]
            assert dg.materialize(upstream, resources=resources(server.url), partition_key=DAY).success
            server.configure(reset_counters=True)
            counter.most = 0
            store = StateResource().store()
            cmd = [sys.executable, "-m", "benchmarks.kill_resume", "--child", "--base-url", server.url]
            first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
            deadline, in_flight = time.monotonic() + timeout_s, None
            while first.poll() is None and time.monotonic() < deadline:
                if _checkpointed(store) >= kill_after:
                    in_flight = counter.now  # at the server the instant before the kill
                    os.killpg(first.pid, signal.SIGKILL)
                    break
                time.sleep(0.01)
            first.wait()
            if in_flight is None:
                raise RuntimeError(f"the drafts run ended (rc {first.returncode}) before {kill_after} drafts were "
                                   "checkpointed: nothing was killed")
            time.sleep(3 * latency_ms / 1000 + 0.5)  # the server finishes answering what the dead process asked
            at_kill = {"checkpointed": _checkpointed(store), "answered": server.counters()["answered"].copy()}
            killed_runs = {r["run_id"] for r in store.query(
                "SELECT DISTINCT run_id FROM llm_calls WHERE asset_key = ?", (ASSET,))}
            rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s)
            counters, bodies = server.counters(), server.bodies()
            done = json.loads(rerun.stdout.strip().splitlines()[-1]) if rerun.stdout.strip() else {}
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    twice = {k: n for k, n in bodies.items() if n > 1}
    return {
        "briefs": briefs, "latency_ms": latency_ms, "concurrency": _concurrency(),
        "max_in_flight": counter.most,
        # sent by the killed run and never made durable by it (answers on the wire or being answered): these die
        # with the process, and no client can avoid sending them again
        "in_flight_at_kill": at_kill["answered"]["chat.completions"] - at_kill["checkpointed"],
        "server_in_flight_at_kill": in_flight, "checkpointed_at_kill": at_kill["checkpointed"], "rerun_success": bool(done.get("success")),
        "rows_after_rerun": _checkpointed(store),
        "chat_answered_first_run": at_kill["answered"]["chat.completions"],
        "chat_answered_rerun": counters["answered"]["chat.completions"] - at_kill["answered"]["chat.completions"],
        "embeddings_answered": counters["answered"]["embeddings"],
        "bodies_sent": len(bodies), "bodies_sent_twice": len(twice),
        "chat_bodies_sent_twice": sum(1 for k in twice if k.startswith("chat")),
        "extra_answers": sum(n - 1 for n in twice.values()),
        "ledger": _ledger(store), "ledger_killed_run": {r: _ledger(store, r) for r in killed_runs},
        "ledger_rerun": _ledger(store, done.get("run_id")) if done.get("run_id") else None,
        "rerun_stderr_tail": rerun.stderr[-1500:] if rerun.returncode else "",
    }


def _concurrency() -> int:
    from assets.llm_map.factory import spec_of

    return spec_of(ASSET).concurrency


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--briefs", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=300)
    parser.add_argument("--kill-after", type=int, default=12, help="drafts checkpointed before the SIGKILL")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.base_url)
    with tempfile.TemporaryDirectory() as tmp:
        figures = scenario(Path(tmp), args.briefs, args.latency_ms, args.kill_after)
    if not args.json:
        print(f"{figures['briefs']} briefs at {figures['latency_ms']:g} ms: at most {figures['max_in_flight']} in "
              f"flight; killed with {figures['in_flight_at_kill']} in flight and {figures['checkpointed_at_kill']} "
              f"checkpointed; {figures['bodies_sent_twice']} bodies sent twice")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
