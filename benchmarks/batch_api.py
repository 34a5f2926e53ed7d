"""Batch API mode at half price, and a crash in the middle that pays nothing twice.

    python -m benchmarks.batch_api --rows 20000 --json
    python -m benchmarks.batch_api --rows 20000 --kill-at 0.5 --json
    python -m benchmarks.batch_api --rows 2000 --base-url http://host:8000/v1 --json   # any OpenAI-compatible server

An `llm_map(..., mode="batch")` asset is materialized in a subprocess with a fresh AIWF_HOME against the offline
test double (its own process; each batch is answered `--delay-s` after it is created) or `--base-url`. The
rows go out as batches of `--batch-size` requests. `--kill-at F` SIGKILLs the first run once a fraction F of its
batches is recorded as submitted (`--kill-when read`: read and checkpointed), then reruns it: the rerun must
re-attach, submit no batch twice and pay for no row twice. Figures come from aiwf's ledger and store (and the
double's own counters when it is the server): `cost_usd` (what the ledger booked, batch rate), `sync_cost_usd`
(the same paid rows priced as synchronous calls), `batches_submitted`, `batches_resubmitted` (batches holding a
request already in an earlier batch), `rows_paid_twice` (ledger request hashes paid more than once).
Last line: one JSON object.
"""

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.batch_llm import PROMPT, Label, row_text, start_server
from resources.offline.keys import OFFLINE_KEY

ASSET = "bench_batch_labels"


# --- the run itself (a subprocess, so it can be killed) ----------------------------------------------------
def worker(args) -> None:
    import logging

    import dagster as dg
    import pandas as pd

    from assets.llm_map import llm_map
    from assets.llm_map.batch_mode import BatchSettings
    from resources.llm import LLMResource
    from resources.state.parquet_io_manager import ParquetIOManager

    logging.getLogger("dagster").setLevel(logging.WARNING)

    @dg.asset(name="bench_batch_messages")
    def messages() -> pd.DataFrame:
        ids = [f"m{i:06d}" for i in range(args.rows)]
        return pd.DataFrame({"id": ids, "text": [row_text(i) for i in range(args.rows)]})

    labels = llm_map(ASSET, source=messages, prompt=PROMPT, response_model=Label, key_column="id",
                     text_columns=["text"], max_failure_rate=1.0, mode="batch",
                     batch=BatchSettings(max_requests=args.batch_size, max_wait_s=args.max_wait_s,
                                         poll_s=(0.5, 2.0)))
    llm = LLMResource(base_url=args.base_url, api_key=os.environ.get("OPENAI_API_KEY") or "bench", use_cache=False)
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    started = time.perf_counter()
    result = dg.materialize([messages, labels], resources={"llm": llm, "io_manager": ParquetIOManager()},
                            raise_on_error=False, run_config=quiet)
    print(json.dumps({"success": result.success, "seconds": round(time.perf_counter() - started, 2)}))


# --- the driver --------------------------------------------------------------------------------------------
def _store(home: Path):
    from resources.state.store import open_store

    return open_store(home)


def _recorded_batches(home: Path, read: bool = False) -> int:
    """Batches recorded as submitted (or, with `read`, whose answers were read and checkpointed)."""
    if not (home / "aiwf.db").exists():
        return 0
    where = "consumed = 1" if read else "batch_id IS NOT NULL"
    try:
        return int(_store(home).execute(f"SELECT COUNT(*) FROM llm_batches WHERE {where}")[0][0])
    except Exception:  # the table is not created yet
        return 0


def _run(cmd: list[str], env: dict, kill_after_batches: int | None = None, read: bool = False) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    killed = False
    if kill_after_batches is not None:
        home = Path(env["AIWF_HOME"])
        while proc.poll() is None:
            if _recorded_batches(home, read) >= kill_after_batches:
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.05)
    out, _ = proc.communicate()
    lines = [line for line in (out or "").splitlines() if line.startswith("{")]
    report = json.loads(lines[-1]) if lines else {}
    return {"exit_code": proc.returncode, "killed": killed, "success": bool(report.get("success")),
            "seconds": round(time.perf_counter() - started, 2)}


def _figures(home: Path) -> dict:
    from resources.llm.pricing import cost_usd

    store = _store(home)
    calls = store.query("SELECT request_hash, model, tokens_in, tokens_out, cost_usd, batch FROM llm_calls "
                        "WHERE status = 'ok' AND cache_hit = 0")
    hashes = [c["request_hash"] for c in calls]
    batches = store.query("SELECT batch_id, requests, created FROM llm_batches WHERE batch_id IS NOT NULL "
                          "ORDER BY created")
    seen, resubmitted = set(), 0
    for row in batches:
        ids = set(json.loads(row["requests"]))
        resubmitted += bool(ids & seen)
        seen |= ids
    done = int(store.execute("SELECT COUNT(*) FROM llm_checkpoints WHERE asset_key = ?", (ASSET,))[0][0])
    return {"rows_done": done, "cost_usd": round(sum(c["cost_usd"] for c in calls), 6),
            "sync_cost_usd": round(sum(cost_usd(c["model"], c["tokens_in"], c["tokens_out"]) for c in calls), 6),
            "rows_paid_batch": sum(1 for c in calls if c["batch"]),
            "rows_paid_sync": sum(1 for c in calls if not c["batch"]),
            "rows_paid_twice": len(hashes) - len(set(hashes)),
            "batches_submitted": len(batches), "batches_resubmitted": resubmitted}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=2000, help="requests per batch (input file)")
    parser.add_argument("--delay-s", type=float, default=2.0, help="the offline double's time to answer a batch")
    parser.add_argument("--max-wait-s", type=float, default=600.0)
    parser.add_argument("--kill-at", type=float, default=None)
    parser.add_argument("--kill-when", choices=("submitted", "read"), default="submitted",
                        help="kill once that share of batches is submitted, or once it is read and checkpointed")
    parser.add_argument("--base-url", default=None, help="an OpenAI-compatible server (default: the offline double)")
    parser.add_argument("--keep", action="store_true", help="keep the AIWF_HOME")
    parser.add_argument("--json", action="store_true", help="(the last line is always the JSON result)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0

    server, root = None, None
    if args.base_url is None:
        server, root = start_server(argparse.Namespace(latency_ms=0.0, fault_429=0.0, fault_500=0.0, retry_after=1.0))
        httpx.post(f"{root}/_control", json={"batch_delay_s": args.delay_s, "reset_counters": True})
        base_url = f"{root}/v1"
        os.environ["OPENAI_API_KEY"] = OFFLINE_KEY  # the double's own key, as `aiwf demo` uses it
    else:
        base_url = args.base_url
    home = Path(tempfile.mkdtemp(prefix="aiwf-batch-api-")) / "aiwf"
    env = {k: v for k, v in os.environ.items() if k not in ("AIWF_PG_URL", "DAGSTER_HOME")}
    env.update(AIWF_HOME=str(home), OPENAI_BASE_URL=base_url)
    cmd = [sys.executable, "-m", "benchmarks.batch_api", "--worker", "--rows", str(args.rows), "--batch-size",
           str(args.batch_size), "--max-wait-s", str(args.max_wait_s), "--base-url", base_url]
    batches = math.ceil(args.rows / args.batch_size)
    try:
        started = time.perf_counter()
        runs = []
        if args.kill_at is not None:
            read = args.kill_when == "read"
            runs.append(_run(cmd, env, kill_after_batches=max(1, math.ceil(batches * args.kill_at)), read=read))
            runs[-1].update(batches_recorded_at_kill=_recorded_batches(home),
                            batches_read_at_kill=_recorded_batches(home, read=True))
        runs.append(_run(cmd, env))
        wall = time.perf_counter() - started
        result = {"rows": args.rows, **_figures(home), "batch_size": args.batch_size,
                  "server": "offline test double" if server else base_url, "seconds": round(wall, 2),
                  "runs": runs, "success": runs[-1]["success"]}
        sync_cost = result["sync_cost_usd"]
        result["cost_ratio"] = round(result["cost_usd"] / sync_cost, 4) if sync_cost else None
        if args.kill_at is not None:
            result.update(kill_at=args.kill_at, kill_when=args.kill_when)
        if server is not None:
            counters = httpx.get(f"{root}/_control").json()["counters"]
            result.update(server_batches_created=counters["batches_created"],
                          server_requests_resubmitted=counters["batch_requests_resubmitted"],
                          server_chat_answers=counters["answered"]["chat.completions"],
                          server_duplicate_bodies=counters["duplicate_bodies"], batch_delay_s=args.delay_s)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    if not args.keep:
        shutil.rmtree(home.parent, ignore_errors=True)
    else:
        result["home"] = str(home)
    print(json.dumps(result))
    ok = result["rows_done"] == args.rows and result["batches_resubmitted"] == 0 and result["rows_paid_twice"] == 0
    return 0 if ok and result["cost_usd"] <= 0.5 * result["sync_cost_usd"] + 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
