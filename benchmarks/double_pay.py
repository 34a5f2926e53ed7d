"""Never pay twice across runs: two `dagster job execute -j returns_triage_job` for one new partition at once.

    python -m benchmarks.double_pay [--latency-ms 1000] [--runs 2] [--pg-url postgresql://...] [--keep]

Both runs share a fresh AIWF_HOME and DAGSTER_HOME (the instance is created first, so only the runs race),
the returns inbox seeded with the demo's returns_2026-03-02.csv, and an offline model server (its own
process) whose latency makes the runs overlap (`batch_steps_overlapped` says whether their batch steps really
ran at the same time: step processes start seconds apart on a loaded machine, so 200 ms overlaps only at times).
The server counts every answered request body: a body answered twice is a request paid twice. Last line: JSON
with the server's requests, distinct bodies and duplicates, the ledger's paid calls and distinct request hashes,
each run's batch step (calls, rows from checkpoints, seconds waited for the other run), exit codes and wall time.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.batch_llm import start_server

SAMPLE = Path(__file__).resolve().parents[1] / "pipelines/cli/demo_samples/returns/returns_2026-03-02.csv"
PARTITION = "2026-03-02"
DAGSTER = Path(sys.executable).with_name("dagster")


def _env(home: Path, base_url: str, pg_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("AIWF_PG_URL", "DAGSTER_PG_URL", "AIWF_EXECUTOR")}
    env.update(AIWF_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), OPENAI_BASE_URL=base_url,
               OPENAI_API_KEY="offline-test-double", AIWF_RETURNS_DIR=str(home / "inbox" / "returns"))
    if pg_url:
        env["AIWF_PG_URL"] = pg_url
    return env


def _prepare(home: Path, env: dict) -> None:
    """Seed the inbox and create the Dagster instance once, so the timed runs race only on the model calls."""
    (home / "inbox" / "returns").mkdir(parents=True)
    shutil.copyfile(SAMPLE, home / "inbox" / "returns" / SAMPLE.name)
    code = "from resources.state.home import open_dagster_instance\nopen_dagster_instance().dispose()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def _ledger(env: dict) -> dict:
    """Paid calls and distinct request hashes in the aiwf ledger (read through the same state configuration)."""
    code = ("import json\nfrom pipelines.resource_bindings import local_state\n"
            "rows = local_state().store().query(\"SELECT request_hash, cache_hit, status FROM llm_calls\")\n"
            "paid = [r['request_hash'] for r in rows if r['status'] == 'ok' and not r['cache_hit']]\n"
            "print(json.dumps({'ledger_paid': len(paid), 'ledger_distinct_paid': len(set(paid)),"
            " 'ledger_cache_hits': sum(1 for r in rows if r['cache_hit'])}))")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


RUNS_REPORT = """
import json
from dagster import DagsterEventType, DagsterInstance
out = []
with DagsterInstance.get() as instance:
    for run in instance.get_runs():
        step = {"run": run.run_id[:8], "status": run.status.value}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None or event.step_key != "return_classifications":
                continue
            if event.event_type in (DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS,
                                    DagsterEventType.STEP_FAILURE):
                step[event.event_type.value.lower()] = round(entry.timestamp, 2)
            elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                meta = event.event_specific_data.materialization.metadata
                for key in ("llm_calls", "rows_from_checkpoint", "lease_wait_s", "llm_shared_waits"):
                    step[key] = meta[key].value if key in meta else None
        out.append(step)
print(json.dumps(out))
"""


def _runs(env: dict) -> list[dict]:
    """Per run: the batch step's start and end, the requests it paid for and how long it waited for the other."""
    out = subprocess.run([sys.executable, "-c", RUNS_REPORT], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _overlap(runs: list[dict]) -> bool:
    """Whether the runs' batch steps were running at the same time."""
    spans = [(r["step_start"], r.get("step_success") or r.get("step_failure")) for r in runs if "step_start" in r]
    return len(spans) > 1 and all(end for _, end in spans) and max(s for s, _ in spans) < min(e for _, e in spans)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=1000.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--pg-url", default=None, help="keep aiwf's state in this Postgres database")
    parser.add_argument("--keep", action="store_true", help="keep the home and the run logs")
    args = parser.parse_args()
    server_args = argparse.Namespace(latency_ms=args.latency_ms, fault_429=0.0, fault_500=0.0, retry_after=1.0)
    server, root = start_server(server_args)
    home = Path(tempfile.mkdtemp(prefix="aiwf-double-pay-")) / "aiwf"
    try:
        env = _env(home, f"{root}/v1", args.pg_url)
        _prepare(home, env)
        cmd = [str(DAGSTER), "job", "execute", "-m", "pipelines.definitions", "-j", "returns_triage_job",
               "--tags", json.dumps({"dagster/partition": PARTITION})]
        started = time.perf_counter()
        runs = [subprocess.Popen(cmd, env=env, stdout=open(home / f"run{i}.log", "w"), stderr=subprocess.STDOUT)
                for i in range(1, args.runs + 1)]
        codes = [run.wait() for run in runs]
        wall = time.perf_counter() - started
        counters = httpx.get(f"{root}/_control").json()["counters"]
        result = {"runs": args.runs, "exit_codes": codes, "latency_ms": args.latency_ms,
                  "store": "postgres" if args.pg_url else "sqlite",
                  "requests": counters["answered"]["chat.completions"], "distinct_bodies": counters["distinct_bodies"],
                  "duplicates": counters["duplicate_bodies"], **_ledger(env), "wall_s": round(wall, 1),
                  "batch_steps_overlapped": _overlap(runs := _runs(env)), "per_run": runs,
                  "logs": str(home) if args.keep or any(codes) else None}
    finally:
        server.terminate()
        server.wait(10)
    if not args.keep and result["logs"] is None:
        shutil.rmtree(home.parent, ignore_errors=True)
    print(json.dumps(result))
    return 0 if result["duplicates"] == 0 and not any(codes) else 1


if __name__ == "__main__":
    sys.exit(main())
