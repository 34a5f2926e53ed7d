"""How fast is `aiwf report` over a big ledger? A synthetic SQLite store, timed.

    python -m benchmarks.report --calls 1000000 --runs 10000 --json [--compare]

Builds a temporary AIWF_HOME whose store holds `--calls` call-ledger rows spread over the last `--days` days
across `--runs` run ids of four workflows (answered calls, cache hits and failed attempts, three models), plus
approvals with decisions, quarantined rows and side effects for those runs. The Dagster side is synthetic: the
report is given one RunFacts per run (status, partition, step durations, check outcomes) instead of reading a
Dagster instance, so `seconds` is the time of `build_report` over the store plus those facts (the SQL pass
over the ledger dominates it). `--compare` also times two other ways to get the same latency percentiles:
window functions in SQL and pandas over the fetched rows (percentiles per model and per workflow only, no
sums: a lower bound on what each would take for the whole report), and checks that they agree.
"""

import argparse
import json
import math
import random
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

WORKFLOWS = {"content_ops": ["research_notes", "drafts", "draft_tone"],
             "returns_triage": ["return_classifications", "return_routing", "return_review_queue"],
             "catalog": ["product_descriptions", "price_monitor", "shop_updates"],
             "order_recovery": ["recovery_plans", "recovery_actions", "order_states"]}
NAMES = list(WORKFLOWS)
MODELS = ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"]
DAY = 86400


def run_id(i: int) -> str:
    return f"{i:08d}-0000-4000-8000-{i:012d}"  # the shape of a Dagster run id


def fill_ledger(store, calls: int, runs: int, start: float, span: float) -> None:
    """`calls` ledger rows generated inside SQLite (in time order, as a real ledger grows)."""
    from resources.llm.ledger import COLUMNS

    store.execute("CREATE TEMP TABLE IF NOT EXISTS bench_assets (idx INTEGER PRIMARY KEY, name TEXT)")
    store.execute("DELETE FROM bench_assets")
    assets = [a for w in NAMES for a in WORKFLOWS[w]]
    store.executemany("INSERT INTO bench_assets VALUES (?, ?)", list(enumerate(assets)))
    models = " ".join(f"WHEN {i} THEN '{m}'" for i, m in enumerate(MODELS))
    written = COLUMNS[:COLUMNS.index("batch") + 1]  # the rest (cached tokens, price source, ...) keep defaults
    store.execute(f"""INSERT INTO llm_calls ({', '.join(written)})
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?),
        r AS MATERIALIZED (SELECT i, abs(random()) % ? AS run, abs(random()) % 3 AS a, abs(random()) % 100 AS u,
                     abs(random()) % 1000 AS v, abs(random()) % 3 AS m FROM n)
        SELECT ? + i * ?, printf('%08d-0000-4000-8000-%012d', run, run),
               (SELECT name FROM bench_assets WHERE idx = (run % 4) * 3 + a), '2026-03-02', 'chat',
               CASE m {models} END, 'prompt', '1', 'h', 'req' || i, 200 + v, 20 + v / 4,
               CASE WHEN u < 20 OR u >= 97 THEN 0 ELSE (200 + v) * 1.5e-7 + (20 + v / 4) * 6e-7 END,
               CASE WHEN u < 20 THEN 0.5 ELSE 150 + v * v / 400.0 + u END,
               CASE WHEN u < 20 THEN 1 ELSE 0 END, 1, CASE WHEN u >= 97 THEN 'error' ELSE 'ok' END,
               CASE WHEN u >= 97 THEN 'RateLimitError' END, 1, 'cheap', 0
        FROM r""", (calls - 1, runs, start, span / calls))
    store.execute("DROP TABLE bench_assets")


def fill_store(store, runs: int, start: float, span: float) -> None:
    """Approvals (two per run, most decided), a quarantined row and a side effect per run, written in bulk with
    plain INSERTs (the tables exist once the store has run a statement: resources/state/migrations.py)."""
    rng, approvals, decisions, quarantine, actions, history = random.Random(1), [], [], [], [], []
    for i in range(runs):
        ts, workflow = start + span * i / runs, NAMES[i % 4]
        for k in range(2):
            status = rng.choices(["approved", "edited", "rejected", "pending"], [70, 10, 5, 15])[0]
            approvals.append((f"apr_{i}_{k}", workflow, f"item{i}-{k}", "h", "{}", "null", "", "{}", "[]", "medium",
                              status, run_id(i), "2026-03-02", ts))
            if status != "pending":
                decisions.append((f"apr_{i}_{k}", workflow, status, "alice", ts + 60))
        quarantine.append((ts, workflow, WORKFLOWS[workflow][0], "2026-03-02", f"row{i}", "{}", "invalid_row",
                           "bad input", 1, run_id(i)))
        key = f"aiwf-bench-{i}"
        done = "done" if rng.random() < 0.97 else "failed"
        actions.append((key, workflow, f"e{i}", "update", "1", "shop", "h", "{}", done, 1, run_id(i), ts, ts))
        history += [(key, ts, "intent", None), (key, ts + 1, done, None)]
    store.executemany("INSERT INTO approvals (id, workflow, item_key, output_hash, proposed_output, current_version, "
                      "diff, evidence, reasons, risk, status, run_id, partition_key, created_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", approvals)
    store.executemany("INSERT INTO approval_decisions (approval_id, workflow, status, decided_by, decided_at) "
                      "VALUES (?, ?, ?, ?, ?)", decisions)
    store.executemany("INSERT INTO quarantine (ts, workflow, asset_key, partition_key, row_key, payload, error_class, "
                      "reason, attempts, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", quarantine)
    store.executemany("INSERT INTO action_ledger (idempotency_key, workflow, entity, action, payload_version, "
                      "connector, payload_hash, payload, status, attempts, owner, created_ts, updated_ts) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", actions)
    store.executemany("INSERT INTO action_history (idempotency_key, ts, status, detail) VALUES (?, ?, ?, ?)",
                      history)


def synthetic_runs(runs: int, start: float, span: float) -> list:
    """One RunFacts per run id: what collect_runs would read from a Dagster instance."""
    from pipelines.reporting.runs import RunFacts

    rng = random.Random(2)
    out = []
    for i in range(runs):
        workflow, created = NAMES[i % 4], start + span * i / runs
        status = "SUCCESS" if rng.random() < 0.95 else "FAILURE"
        out.append(RunFacts(run_id(i), workflow, status, created,
                            time.strftime("%Y-%m-%d", time.gmtime(created)),
                            {s: rng.uniform(0.1, 30) for s in WORKFLOWS[workflow]},
                            checks_passed=rng.randint(1, 4), checks_failed=int(rng.random() < 0.05)))
    return out


def index():
    from pipelines.reporting.workflow_index import WorkflowIndex

    return WorkflowIndex({a: w for w, assets in WORKFLOWS.items() for a in assets},
                         {f"{w}_job": w for w in WORKFLOWS})


def _tenths(ms: float) -> float:
    """Milliseconds to tenths, halves up: the report's rounding."""
    return math.floor(ms * 10 + 0.5) / 10


def _nearest(values) -> dict:
    import numpy as np

    ordered = np.sort(np.asarray(values, float))
    return {f"p{p}": _tenths(float(ordered[max(1, -(-p * len(ordered) // 100)) - 1])) for p in (50, 95, 99)}


def _asset_cte() -> tuple[str, list]:
    pairs = [(a, w) for w, assets in WORKFLOWS.items() for a in assets]
    return ("WITH wf(asset_key, workflow) AS (VALUES " + ", ".join("(?, ?)" for _ in pairs) + ")",
            [x for pair in pairs for x in pair])


def percentiles_by_window(store, since: float, until: float) -> dict:
    """Latency percentiles per model and per workflow with ROW_NUMBER() windows (the alternative not chosen)."""
    cte, params = _asset_cte()
    out: dict = {}
    for key in ("c.model", "wf.workflow"):
        rows = store.execute(
            f"{cte} SELECT g, latency_ms FROM (SELECT {key} AS g, c.latency_ms, ROW_NUMBER() OVER (PARTITION BY "
            f"{key} ORDER BY c.latency_ms) AS rn, COUNT(*) OVER (PARTITION BY {key}) AS n FROM llm_calls c "
            "LEFT JOIN wf ON wf.asset_key = c.asset_key WHERE c.ts >= ? AND c.ts < ? AND c.status = 'ok' AND "
            "c.cache_hit = 0) WHERE rn IN ((50 * n + 99) / 100, (95 * n + 99) / 100, (99 * n + 99) / 100) "
            "ORDER BY g, rn", [*params, since, until])
        picked: dict = {}
        for group, latency in rows:
            picked.setdefault(group, []).append(_tenths(latency))
        out.update({g: dict(zip(("p50", "p95", "p99"), v + v[-1:] * (3 - len(v)))) for g, v in picked.items()})
    return out


def percentiles_by_pandas(store, since: float, until: float) -> dict:
    """The same with pandas over the fetched rows (where pandas, or DuckDB outside the store, would start)."""
    import pandas as pd

    frame = pd.DataFrame(store.execute(
        "SELECT asset_key, model, latency_ms FROM llm_calls WHERE ts >= ? AND ts < ? AND status = 'ok' AND "
        "cache_hit = 0", (since, until)), columns=["asset_key", "model", "latency_ms"])
    frame["workflow"] = frame["asset_key"].map({a: w for w, assets in WORKFLOWS.items() for a in assets})
    out = {m: _nearest(v) for m, v in frame.groupby("model")["latency_ms"]}
    return {**out, **{w: _nearest(v) for w, v in frame.groupby("workflow")["latency_ms"]}}


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return result, round(time.perf_counter() - started, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=7, help="spread the calls over this many days before now")
    parser.add_argument("--repeat", type=int, default=3, help="time the report this many times; best and first")
    parser.add_argument("--compare", action="store_true", help="also time window functions and pandas")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args(argv)

    from pipelines.reporting.report import build_report
    from resources.state.store import Store

    with tempfile.TemporaryDirectory(prefix="aiwf-report-bench-") as tmp:
        store = Store(str(Path(tmp) / "aiwf.db"), Path(tmp))
        until = time.time()
        start = until - args.days * DAY
        _, build_s = timed(lambda: (fill_ledger(store, args.calls, args.runs, start, args.days * DAY - 1),
                                    fill_store(store, args.runs, start, args.days * DAY - 1)))
        with closing(sqlite3.connect(store.url)) as raw:  # fold the bulk load's WAL into the database file,
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # as SQLite's checkpoints have for a ledger grown slowly
        runs = synthetic_runs(args.runs, start, args.days * DAY - 1)
        times, cpu = [], []
        for _ in range(max(1, args.repeat)):
            used = time.process_time()
            report, seconds = timed(build_report, store, runs, index(), start, until + 1)
            times.append(seconds)
            cpu.append(round(time.process_time() - used, 3))
        figures = {
            "calls": store.execute("SELECT COUNT(*) FROM llm_calls")[0][0], "runs": len(runs),
            "run_ids_in_ledger": store.execute("SELECT COUNT(DISTINCT run_id) FROM llm_calls")[0][0],
            "approvals": store.execute("SELECT COUNT(*) FROM approvals")[0][0],
            "decisions": store.execute("SELECT COUNT(*) FROM approval_decisions")[0][0],
            "quarantined_rows": store.execute("SELECT COUNT(*) FROM quarantine")[0][0],
            "actions": store.execute("SELECT COUNT(*) FROM action_ledger")[0][0],
            "workflows": len(report["workflows"]), "models": len(report["models"]),
            "answered_calls": sum(w["llm_calls"] for w in report["workflows"].values()),
            "seconds": times[0], "seconds_best": min(times), "cpu_seconds_best": min(cpu), "build_store_s": build_s,
            "method": "one GROUP BY pass in SQL, latencies per group as one string, percentiles in numpy",
            "dagster_runs": "synthetic RunFacts (no Dagster instance is read)",
        }
        if args.compare:
            chosen = {name: f["latency_ms"] for part in ("models", "workflows") for name, f in report[part].items()}
            window, figures["window_functions_percentiles_s"] = timed(percentiles_by_window, store, start, until + 1)
            pandas, figures["pandas_percentiles_s"] = timed(percentiles_by_pandas, store, start, until + 1)
            figures["alternatives_agree"] = chosen == window == pandas
        print(json.dumps(figures) if args.json else json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
