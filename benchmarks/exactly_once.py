"""Exactly-once under a lossy shop: run the catalog job twice per trial against the test-double shop and count.

    python -m benchmarks.exactly_once --trials 5 --fail-after-apply-rate 0.1 [--fail-before-apply-rate 0.05]

Each trial gets a fresh AIWF_HOME, a fresh shop (seeded faults) and the offline model. Figures per trial:
intended changes (ready updates), changes applied by the shop, duplicates applied, missing changes, requests
on the wire, lost responses, and mutating requests sent by the second run (must be 0). Last line: JSON.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import pandas as pd


def trial(seed: int, after: float, before: float) -> dict:
    from pipelines.cli.demo import CATALOG_DAY as DEMO_DAY
    from pipelines.cli.demo import SAMPLES
    from pipelines.definitions import defs
    from resources.offline.shop_server import ShopServer

    job = defs.resolve_job_def("catalog_job")
    with ShopServer(fail_after_apply_rate=after, fail_before_apply_rate=before, seed=seed) as shop:
        os.environ["AIWF_SHOP_URL"] = shop.url
        os.environ["AIWF_CATALOG_FEEDS"] = str(SAMPLES / "catalog")  # the demo's sample feeds
        started = time.perf_counter()
        first = job.execute_in_process(partition_key=DEMO_DAY, raise_on_error=False)
        seconds = time.perf_counter() - started
        log = shop.log()
        second = job.execute_in_process(partition_key=DEMO_DAY, raise_on_error=False)
        rerun_requests = shop.log()["counters"]["mutating_requests"] - log["counters"]["mutating_requests"]
    proposed = pd.read_parquet(Path(os.environ["AIWF_HOME"]) / "tables" / "proposed_updates" / f"{DEMO_DAY}.parquet")
    keys = [m["key"] for m in log["mutations"]]
    intended = int((proposed.status == "ready").sum())
    return {"seed": seed, "first_run_ok": first.success, "second_run_ok": second.success,
            "intended_changes": intended, "applied": len(keys), "duplicates_applied": len(keys) - len(set(keys)),
            "missing": intended - len(set(keys)), "mutating_requests": log["counters"]["mutating_requests"],
            "responses_lost": log["counters"]["responses_lost"], "failed_before_apply":
                log["counters"]["failed_before_apply"], "replays": log["counters"]["replays"],
            "second_run_mutating_requests": rerun_requests, "first_run_s": round(seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--fail-after-apply-rate", type=float, default=0.1)
    parser.add_argument("--fail-before-apply-rate", type=float, default=0.0)
    args = parser.parse_args()

    from resources.offline.llm_server import OfflineLLMServer

    llm = OfflineLLMServer().start()
    os.environ.update(OPENAI_BASE_URL=llm.url, OPENAI_API_KEY="offline-benchmark")
    os.environ.pop("DAGSTER_HOME", None)  # each run on an ephemeral instance
    results = []
    try:
        for seed in range(args.trials):
            with tempfile.TemporaryDirectory() as home:
                os.environ["AIWF_HOME"] = home
                results.append(trial(seed, args.fail_after_apply_rate, args.fail_before_apply_rate))
                print(json.dumps(results[-1]))
    finally:
        llm.stop()
    totals = {k: sum(r[k] for r in results) for k in ("intended_changes", "applied", "duplicates_applied", "missing",
                                                       "mutating_requests", "responses_lost", "failed_before_apply",
                                                       "second_run_mutating_requests")}
    print(json.dumps({"trials": len(results), "all_runs_ok": all(r["first_run_ok"] and r["second_run_ok"]
                                                                  for r in results), **totals,
                      "fail_after_apply_rate": args.fail_after_apply_rate,
                      "fail_before_apply_rate": args.fail_before_apply_rate}))


if __name__ == "__main__":
    main()
