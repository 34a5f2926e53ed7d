"""Run overhead: how much of a cached one-day run is step start-up rather than step work.

    python -m benchmarks.run_overhead --json [--jobs returns_triage_job] [--repeat 3] [--start-method spawn]

A temporary AIWF_HOME (Dagster's SQLite instance under it) is seeded from pipelines/cli/demo_samples as
`aiwf demo` does, with the offline model server and the test-double shop running. Each workflow's first
demo day runs once to warm the cache, then again, timed, through `dagster job execute` in a fresh process
(the Definitions' default executor, multiprocess, whose steps fork from the run worker; `--start-method
forkserver` starts them from a fork server that imports the definitions again, as before steps forked from the
run worker, and `spawn` as before that, for comparison). Per job: `wall_s` of the timed command, `step_compute_s` (sum of step
durations from the run's events), `steps`, `overhead_per_step_s` = (wall_s - step_compute_s) / steps,
`import_s`: one import of the definitions in a fresh process (`python -c "import pipelines.definitions"`), timed
alternately with the runs (the machine's load changes both alike), and `ratio` = wall_s / import_s (goal: <= 3).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

JOBS = ["content_ops_job", "returns_triage_job", "catalog_job"]
DAGSTER = Path(sys.executable).with_name("dagster")
PROJECT = Path(__file__).resolve().parents[1]
START_METHODS = {"spawn": {"spawn": {}},  # how every step started before aiwf's executor chose forkserver
                 "forkserver": {"forkserver": {}},  # its fallback and former default (pipelines/executor.py)
                 "forkserver-definitions": {"forkserver": {"preload_modules": ["pipelines.definitions"]}}}


def _isolate(home: Path) -> None:
    """This process and every command it starts use a fresh home, SQLite and the local test doubles."""
    for name in ("DAGSTER_HOME", "AIWF_PG_URL", "DAGSTER_PG_URL", "AIWF_EXECUTOR", "OPENAI_BASE_URL",
                 "OPENAI_API_KEY", "AIWF_SHOP_URL", "AIWF_BRIEFS_DIR", "AIWF_RETURNS_DIR", "AIWF_CATALOG_FEEDS"):
        os.environ.pop(name, None)
    os.environ["AIWF_HOME"] = str(home)
    os.environ["AIWF_SHOP_FAIL_AFTER_APPLY"] = "0"  # injected shop faults would time retries, not start-up


def _execute(job: str, partition: str, config: Path | None, log: Path) -> float:
    """Seconds `dagster job execute` takes for one partition of `job`, as `time` in a shell reports them: until
    the command exits (its output goes to a file, so nothing waits for processes it leaves exiting behind)."""
    command = [str(DAGSTER), "job", "execute", "-m", "pipelines.definitions", "-a", "defs", "-j", job,
               "--tags", json.dumps({"dagster/partition": partition, "aiwf/benchmark": "run_overhead"})]
    if config:
        command += ["-c", str(config)]
    with open(log, "w") as out:
        started = time.perf_counter()
        code = subprocess.run(command, cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT).returncode
        wall = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"{job} [{partition}] failed:\n{log.read_text()[-4000:]}")
    return wall


def _import_s() -> float:
    """Seconds a fresh process takes to import the definitions: the yardstick a run's wall time is set against."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pipelines.definitions"], cwd=PROJECT, check=True)
    return time.perf_counter() - started


def _median(values: list[float]) -> float:
    return sorted(values)[(len(values) - 1) // 2]  # the (lower) median


def _step_figures(instance, job: str) -> dict:
    """Steps and the sum of their durations in the latest run of `job`."""
    import dagster as dg

    run = instance.get_runs(dg.RunsFilter(job_name=job), limit=1)[0]
    stats = instance.get_run_step_stats(run.run_id)
    return {"run_id": run.run_id, "steps": len(stats),
            "step_compute_s": sum((s.end_time or s.start_time) - s.start_time for s in stats if s.start_time)}


def measure(jobs: list[str], repeat: int, start_method: str | None, root: Path) -> dict:
    """Warm each job's first demo day once, then time `repeat` cached runs; the median one is reported."""
    from pipelines.cli.demo import DEMO_JOBS, start_offline_model_if_needed
    from resources.state.home import ensure_dagster_home, open_dagster_instance

    _isolate(root / "aiwf")
    ensure_dagster_home()
    config = None
    if start_method:
        config = root / "executor.yaml"
        config.write_text(json.dumps({"execution": {"config": {"start_method": START_METHODS[start_method]}}}))
    results = {}
    with ExitStack() as stack:
        start_offline_model_if_needed(stack, lambda line: print(line, file=sys.stderr))
        for step in [s for s in DEMO_JOBS if s.job in jobs]:
            for setup in step.setups:
                setup(stack)
            partition = step.partitions()[0]
            log = root / f"{step.job}.log"
            _execute(step.job, partition, config, log)  # fills the response cache and the shop's action ledger
            runs, imports = [], []
            for _ in range(repeat):
                imports.append(_import_s())
                wall = _execute(step.job, partition, config, log)
                with open_dagster_instance() as instance:
                    runs.append({"wall_s": wall, **_step_figures(instance, step.job)})
            run = sorted(runs, key=lambda r: r["wall_s"])[(len(runs) - 1) // 2]  # the (lower) median
            import_s = _median(imports)
            results[step.job] = {
                "partition": partition, "wall_s": round(run["wall_s"], 2),
                "step_compute_s": round(run["step_compute_s"], 2), "steps": run["steps"],
                "overhead_per_step_s": round((run["wall_s"] - run["step_compute_s"]) / run["steps"], 2),
                "wall_s_all": [round(r["wall_s"], 2) for r in runs],
                "import_s": round(import_s, 2), "import_s_all": [round(s, 2) for s in imports],
                "ratio": round(run["wall_s"] / import_s, 1),
                "start_method": start_method or "default"}
            print(f"{step.job}: {results[step.job]}", file=sys.stderr, flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--jobs", nargs="+", default=JOBS, choices=JOBS)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per job (median reported)")
    parser.add_argument("--start-method", choices=sorted(START_METHODS), default=None,
                        help="override the executor's start method (default: the Definitions' own)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary AIWF_HOME")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="aiwf-run-overhead-"))
    try:
        results = measure(args.jobs, max(1, args.repeat), args.start_method, root)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(results))
    else:
        for job, figures in results.items():
            print(f"{job}: {figures['wall_s']} s wall, {figures['step_compute_s']} s in {figures['steps']} steps, "
                  f"{figures['overhead_per_step_s']} s overhead per step, {figures['ratio']}x one import of the "
                  f"definitions ({figures['import_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
