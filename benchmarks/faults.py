"""Faults in a row on a team server: a returns-triage backfill that a worker kill, a Redis outage, a Postgres
restart and a model outage hit one after another.

    python -m benchmarks.faults --json
    python -m benchmarks.faults --days 10 --redis-outage-s 30 --model-outage-s 60 --json   # the issue's sizes

Everything runs on instances this script starts and stops (never the shared 5432/6379/5672): its own Postgres
cluster (initdb into a temp folder, `pg_ctl` on a free port; `deploy/dagster.yaml` storage and aiwf's stores on
it), its own redis-server on a free port (`--save "" --appendonly no`: Celery broker on db 0, the shared rate
limiter `AIWF_RATE_LIMIT_URL` on db 1), the offline model server (`aiwf offline-llm`, `--latency-ms` per
request) behind an HTTP proxy that can answer 503, and, as `make up` runs them, `deploy/supervise.py` with
`dagster-daemon run` and two `aiwf worker`s (AIWF_EXECUTOR=celery). The code location is
benchmarks/faults_defs.py: returns triage's daily chain with its checks, the real resources and step policy, the
run watchdog sensor, `--per-run` partitions per backfill run (default 1). The backfill of `--days` days x
`--rows-per-day` rows is launched through GraphQL `launchPartitionBackfill`, as the UI does.

Faults, one after another, each once the runs the previous one hit have moved on (heal_s below) or 3 x
`--max-heal-s` passed:
1. `worker_kill`: SIGKILL to the process group of the worker whose step holds a connection to the model (the
   first worker if none is found), once requests are in flight; the supervisor restarts it (1 s). Its end is
   the kill.
2. `redis_outage`: its redis-server killed (all queued tasks and limiter state lost: no persistence) while a
   run is in progress, started again after `--redis-outage-s`.
3. `postgres_restart`: `pg_ctl stop -m fast`, `--pg-down-s` seconds, `pg_ctl start`, while a run is in progress.
4. `model_outage`: the proxy answers every request 503 for `--model-outage-s`, started once requests are in
   flight (or after `--max-heal-s` of waiting for some).
A fault whose moment never comes (the backfill finished first) is reported `injected: false`.

heal_s per fault: seconds from the fault's end until every run it hit (those in progress when it began) has
completed a step or succeeded after it, itself or through its retry run (None: not within 3 x `--max-heal-s`);
first_progress_s: until the first progress of any run (a row checkpointed or a step success).

It ends when the backfill is no longer requested and every run has ended with no run retry pending (or at
`--timeout`). Last line of stdout: one JSON object: rows, rows_lost (rows in the input files not in a day's
output, quarantine or checkpoints), requests_paid_twice (answers to a request body already answered once, as
counted by the model server), ledger_rows_missing (answers the server gave that the ledger holds no row for:
answered non-cache rows, plus the attempts it holds as sent and possibly paid whose worker died
mid-request, `ledger_rows_in_flight_at_a_kill`), slots_leaked (pool slots still claimed `--slot-grace-s` after
all runs ended; slots_held_at_end right at the end), heal_s, runs by status, person_needed (a run ended FAILURE/CANCELED with no retry after it, or the
backfill timed out), the faults with their times, and the first line of every run failure. Nothing is hidden:
a failed run stays in the figures. It is a benchmark, not a test: it asserts nothing.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from benchmarks.backfills import launch_backfill

REPO = Path(__file__).resolve().parents[1]
DEFS = Path(__file__).resolve().parent / "faults_defs.py"
LOCATION = "aiwf_faults"
CHAIN = ["return_requests", "return_classifications", "return_routing", "return_review_queue"]
ASSET = "return_classifications"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--days", type=int, default=4)
    p.add_argument("--rows-per-day", type=int, default=20)
    p.add_argument("--per-run", type=int, default=1, help="partitions per backfill run")
    p.add_argument("--latency-ms", type=int, default=1500, help="offline model latency per request")
    p.add_argument("--worker-concurrency", type=int, default=2)
    p.add_argument("--redis-outage-s", type=float, default=15)
    p.add_argument("--pg-down-s", type=float, default=2)
    p.add_argument("--model-outage-s", type=float, default=15)
    p.add_argument("--max-heal-s", type=float, default=120, help="longest wait for progress before the next fault")
    p.add_argument("--slot-grace-s", type=float, default=75,
                   help="wait this long for slots of ended runs to be freed (deploy/dagster.yaml frees after 60 s)")
    p.add_argument("--timeout", type=float, default=900, help="seconds for the whole backfill")
    p.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")
    p.add_argument("--json", action="store_true", help="only the JSON line on stdout")
    return p.parse_args(argv)


def say(args, msg: str) -> None:
    if not args.json:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)
    else:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def write_feed(folder: Path, days: list[str], rows_per_day: int, salt: str) -> None:
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    for day in days:
        rows = [{"return_id": f"R-{day}-{i}", "order_id": f"O-{day}-{i}", "sku": f"SKU-{i}", "product": "Kettle",
                 "category": "kitchen", "price_eur": str(20 + i), "days_since_delivery": str(i % 20 + 1),
                 "customer_returns_90d": "0",
                 "customer_note": f"Kettle {i} is defective with functional damage, delivered {day}; please refund "
                                  f"({salt})."} for i in range(rows_per_day)]
        pd.DataFrame(rows).to_csv(folder / f"returns_{day}.csv", index=False)


# --- processes --------------------------------------------------------------------------------------------
def start_model_server(latency_ms: int, log: Path) -> tuple[subprocess.Popen, int]:
    from benchmarks.fault_infra import free_port, wait_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "offline-llm", "--port", str(port),
                             "--latency-ms", str(latency_ms)], stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=REPO)
    wait_port(port, timeout=60)
    return proc, port


def start_supervisor(run_dir: Path, workspace: Path, workers: list[str], concurrency: int) -> subprocess.Popen:
    run_dir.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    services = [f"daemon={bin_dir / 'dagster-daemon'} run -w {workspace}"]
    services += [f"{name}={bin_dir / 'aiwf'} worker --name {name} --concurrency {concurrency}" for name in workers]
    return subprocess.Popen([sys.executable, str(REPO / "deploy" / "supervise.py"), "run", "--run-dir", str(run_dir),
                             *services], stdout=open(run_dir / "supervise.out", "w"), stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=REPO)


def stop_supervisor(proc: subprocess.Popen | None, run_dir: Path) -> None:
    """SIGTERM to the supervisor (it stops every service); then SIGKILL any service group still there."""
    from benchmarks.fault_infra import kill_group

    kill_group(proc, grace=45)
    for pid_file in run_dir.glob("*.pid"):
        try:
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)
        except (ValueError, ProcessLookupError, PermissionError):
            pass


def stragglers(tmp: Path) -> None:
    """SIGKILL what is left of ours: processes whose command line names our temp folder (the code server the
    daemon started lives in a session of its own and would otherwise wait for its heartbeat to time out)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(tmp) in cmd and "postgres" not in cmd.split()[0]:
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except ProcessLookupError:
                    pass


def wait_workers(broker: str, names: list[str], timeout: float = 120) -> None:
    from celery import Celery

    control = Celery(broker=broker)
    nodes = {f"{n}@{socket.gethostname()}" for n in names}
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            replies = control.control.ping(destination=list(nodes), timeout=1.0) or []
            if {name for reply in replies for name in reply} >= nodes:
                return
        except Exception:
            pass
        time.sleep(1)
    raise RuntimeError(f"workers {sorted(nodes)} did not answer a ping within {timeout}s")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _socket_inodes_to(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 9 and int(parts[2].rsplit(":", 1)[1], 16) == port:
                inodes.add(parts[9])
    return inodes


def worker_calling_model(run_dir: Path, names: list[str], proxy_port: int) -> str:
    """The worker whose process tree holds a connection to the model proxy (the first one if none does)."""
    inodes, tree = _socket_inodes_to(proxy_port), _children()
    for name in names:
        try:
            stack = [int((run_dir / f"{name}.pid").read_text())]
        except (OSError, ValueError):
            continue
        while stack:
            pid = stack.pop()
            stack += tree.get(pid, [])
            try:
                links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
            except OSError:
                continue
            if any(re.fullmatch(r"socket:\[(\d+)\]", link) and link[8:-1] in inodes for link in links):
                return name
    return names[0]


# --- observation ------------------------------------------------------------------------------------------
class Progress:
    """Polls the rows checkpointed and the instance's step successes every second, in a thread."""

    def __init__(self, instance, model_port: int):
        from resources.state.resource import StateResource

        self.instance, self.model_port = instance, model_port
        self.store = StateResource(home=os.environ["AIWF_HOME"], pg_url=os.environ["AIWF_PG_URL"]).store()
        self.answered, self.steps, self.last_change = 0, 0, time.time()
        self.runs: list = []
        self.run_steps: dict[str, int] = {}  # run id -> step successes (SUCCESS counts as one more)
        self.run_moved: dict[str, float] = {}  # run id -> when that count last grew
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def model_counters(self) -> dict:
        import httpx

        return httpx.get(f"http://127.0.0.1:{self.model_port}/_control", timeout=10).json()["counters"]

    def _poll(self) -> None:
        from dagster import DagsterEventType

        try:  # rows checkpointed, not answers at the server: a dead worker's requests are still answered
            answered = int(self.store.execute("SELECT COUNT(*) FROM llm_checkpoints", [])[0][0])
        except Exception:
            answered = self.answered
        try:
            runs = list(self.instance.get_runs())
            per_run = {r.run_id: len(self.instance.get_records_for_run(
                r.run_id, of_type=DagsterEventType.STEP_SUCCESS, limit=10000).records) + (r.status.value == "SUCCESS")
                for r in runs}
            steps, self.runs = sum(per_run.values()), runs
            now = time.time()
            for run_id, count in per_run.items():
                if count > self.run_steps.get(run_id, 0):
                    self.run_moved[run_id] = now
            self.run_steps = per_run
        except Exception:  # Postgres down: no change seen
            steps = self.steps
        if answered > self.answered or steps > self.steps:
            self.last_change = time.time()
        self.answered, self.steps = answered, steps

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._poll()
            self._stop.wait(1.0)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=30)

    def first_progress_after(self, end: float, deadline: float, done) -> float | None:
        """Seconds from `end` until any progress (None if none came by `deadline` or the backfill ended)."""
        while time.time() < deadline:
            if self.last_change > end:
                return round(self.last_change - end, 1)
            if done():
                return None
            time.sleep(0.5)
        return None

    def moved_after(self, run_id: str, end: float) -> float | None:
        """When `run_id`, or a retry of it, first completed a step (or succeeded) after `end` (`end` itself for a
        run that had succeeded by then); None if not yet."""
        if self.run_moved.get(run_id, 0) > end:
            return self.run_moved[run_id]
        if any(r.run_id == run_id and r.status.value == "SUCCESS" for r in self.runs):
            return end
        retries = [r.run_id for r in self.runs if r.tags.get("dagster/parent_run_id") == run_id]
        times = [t for child in retries if (t := self.moved_after(child, end)) is not None]
        return min(times) if times else None

    def heal_after(self, end: float, deadline: float, done, hit: set[str]) -> float | None:
        """Seconds from `end` until every run the fault hit (in progress when it began), or its retry, completed
        a step or succeeded; with no run hit, until any progress. None if that did not happen by `deadline`."""
        if not hit:
            return self.first_progress_after(end, deadline, done)
        while time.time() < deadline:
            moved = [self.moved_after(run_id, end) for run_id in hit]
            if all(t is not None for t in moved):
                return round(max(moved) - end, 1)
            if done():
                return None
            time.sleep(0.5)
        return None

    def in_progress(self) -> set[str]:
        from dagster import DagsterRunStatus

        return {r.run_id for r in self.runs if r.status == DagsterRunStatus.STARTED}

    def any_run_in_progress(self) -> bool:
        return bool(self.in_progress())


def backfill_done(instance, backfill_id: str) -> bool:
    from dagster import DagsterRunStatus

    ended = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
    try:
        backfill = instance.get_backfill(backfill_id)
        runs = list(instance.get_runs())
    except Exception:
        return False
    if backfill is None or backfill.status.value == "REQUESTED" or not runs:
        return False
    if any(r.status not in ended for r in runs):
        return False
    parents = {r.tags.get("dagster/parent_run_id") for r in runs}
    return not any(r.status == DagsterRunStatus.FAILURE and r.tags.get("dagster/will_retry") == "true"
                   and r.run_id not in parents for r in runs)


def failure_lines(instance, runs) -> list[str]:
    from dagster import DagsterRunStatus

    lines = []
    for r in runs:
        if r.status == DagsterRunStatus.SUCCESS:
            continue
        for e in instance.all_logs(r.run_id):
            if not e.is_dagster_event:
                continue
            ev = e.dagster_event
            if ev.is_step_failure:
                text = ev.event_specific_data.error.to_string() if ev.event_specific_data.error else e.message
            elif ev.is_run_failure:
                text = e.message
            else:
                continue
            first = next((line for line in text.splitlines() if line.strip()), "")
            lines.append(f"{r.run_id[:8]} {ev.step_key or 'run'}: {first[:240]}")
    return lines


def rows_accounted(days: list[str], rows_per_day: int) -> tuple[int, dict]:
    """Rows in the input files found in no output, quarantine or checkpoint; and where the rest are."""
    import dagster as dg
    import pandas as pd

    from resources.state.parquet_io_manager import ParquetIOManager
    from resources.state.resource import StateResource

    store = StateResource(home=os.environ["AIWF_HOME"], pg_url=os.environ["AIWF_PG_URL"]).store()
    checkpoints = {(r["partition_key"], r["row_key"]) for r in store.query(
        "SELECT partition_key, row_key FROM llm_checkpoints WHERE asset_key = ?", [ASSET])}
    quarantined = {(r["partition_key"], r["row_key"]) for r in store.query(
        "SELECT partition_key, row_key FROM quarantine WHERE asset_key = ?", [ASSET])}
    found, in_output = set(), 0
    for day in days:
        path = ParquetIOManager().path_for(dg.AssetKey(ASSET), day)
        if path.exists():
            ids = set(pd.read_parquet(path)["return_id"])
            in_output += len(ids)
            found |= {(day, i) for i in ids}
    expected = {(day, f"R-{day}-{i}") for day in days for i in range(rows_per_day)}
    lost = len(expected - (found | checkpoints | quarantined))
    return lost, {"in_outputs": in_output, "checkpointed": len(checkpoints & expected),
                  "quarantined": len(quarantined & expected)}


def ledger_counts() -> tuple[int, int]:
    """(answered non-cache ledger rows, attempts the ledger holds as possibly paid with no answer: `unknown` rows a
    later send of the same request settled, plus `llm_sent` rows never settled: their worker died mid-request)."""
    from resources.llm.ledger import CallLedger, summarize
    from resources.state.resource import StateResource

    store = StateResource(home=os.environ["AIWF_HOME"], pg_url=os.environ["AIWF_PG_URL"]).store()
    rows = CallLedger(store).rows()
    unsettled = int(store.execute("SELECT COUNT(*) FROM llm_sent", [])[0][0])
    return summarize(rows)["llm_calls"], sum(1 for r in rows if r["status"] == "unknown") + unsettled


def claimed_slots(instance) -> int:
    storage = instance.event_log_storage
    return sum(len(storage.get_concurrency_info(key).claimed_slots) for key in storage.get_concurrency_keys())


# --- main -------------------------------------------------------------------------------------------------
def main(argv=None) -> dict:
    args = parse_args(argv)
    import yaml

    from benchmarks.fault_infra import ModelProxy, PgCluster, Redis, kill_group

    tmp = Path(tempfile.mkdtemp(prefix="aiwf-faults-"))
    os.chmod(tmp, 0o755)
    run_dir = tmp / "run"
    days = [f"2026-03-{d:02d}" for d in range(1, args.days + 1)]
    workers = [f"faults{uuid.uuid4().hex[:6]}w1", f"faults{uuid.uuid4().hex[:6]}w2"]
    pg = PgCluster(tmp / "pg")
    redis = Redis(tmp / "redis")
    model = proxy = supervisor = instance = progress = None
    faults: list[dict] = []
    started = time.time()
    try:
        say(args, f"temp folder {tmp}")
        pg.init()
        pg.start()
        pg.create_database("aiwf")
        redis.start()
        model, model_port = start_model_server(args.latency_ms, tmp / "model.log")
        proxy = ModelProxy(model_port)

        home = tmp / "dagster_home"
        home.mkdir()
        shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
        workspace = tmp / "workspace.yaml"
        workspace.write_text(yaml.safe_dump({"load_from": [{"python_file": {
            "relative_path": str(DEFS), "working_directory": str(REPO), "location_name": LOCATION}}]}))
        from resources.offline.keys import OFFLINE_KEY

        env = {"DAGSTER_HOME": str(home), "DAGSTER_PG_URL": pg.url("aiwf"), "AIWF_PG_URL": pg.url("aiwf"),
               "AIWF_EXECUTOR": "celery", "AIWF_CELERY_BROKER": redis.url(0), "AIWF_RATE_LIMIT_URL": redis.url(1),
               "AIWF_HOME": str(tmp / "home"), "AIWF_RETURNS_DIR": str(tmp / "inbox" / "returns"),
               "OPENAI_BASE_URL": f"http://127.0.0.1:{proxy.port}", "OPENAI_API_KEY": OFFLINE_KEY,
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               "AIWF_FAULTS_PARTITIONS_PER_RUN": str(args.per_run)}
        for key in ("AIWF_CELERY_BACKEND", "AIWF_CELERY_QUEUE"):
            os.environ.pop(key, None)
        os.environ.update(env)
        write_feed(tmp / "inbox" / "returns", days, args.rows_per_day, uuid.uuid4().hex[:8])

        import dagster as dg

        instance = dg.DagsterInstance.from_config(str(home))  # creates the Postgres schema before the daemon
        supervisor = start_supervisor(run_dir, workspace, workers, args.worker_concurrency)
        wait_workers(redis.url(0), workers)
        say(args, "daemon and workers up; launching the backfill")
        progress = Progress(instance, model_port)
        progress.start()
        launched = time.time()
        backfill_id = launch_backfill(instance, DEFS, LOCATION, CHAIN, days, working_directory=REPO)
        deadline = launched + args.timeout
        done = lambda: backfill_done(instance, backfill_id)  # noqa: E731

        def wait_for(cond, limit: float) -> bool:
            end = min(time.time() + limit, deadline)
            while time.time() < end and not done():
                if cond():
                    return True
                time.sleep(0.5)
            return False

        def inject(name: str, moment, action) -> None:
            record = {"fault": name, "injected": False}
            faults.append(record)
            if done() or time.time() > deadline or not wait_for(moment, args.max_heal_s * 2):
                say(args, f"{name}: not injected (its moment did not come before the backfill ended)")
                return
            record["at_s"] = round(time.time() - launched, 1)
            hit = progress.in_progress()
            record.update(action() or {})
            end = time.time()
            record.update(injected=True, ended_at_s=round(end - launched, 1), runs_hit=len(hit))
            record["heal_s"] = progress.heal_after(end, min(end + args.max_heal_s * 3, deadline), done, hit)
            record["first_progress_s"] = round(progress.last_change - end, 1) if progress.last_change > end else None
            say(args, f"{name}: {record}")
            time.sleep(3)

        requests_in_flight = lambda: proxy.in_flight > 0  # noqa: E731

        def kill_worker():
            name = worker_calling_model(run_dir, workers, proxy.port)
            pid = int((run_dir / f"{name}.pid").read_text())
            os.killpg(pid, signal.SIGKILL)
            return {"worker": name, "in_flight_at_kill": proxy.in_flight}

        def redis_outage():
            redis.stop()
            time.sleep(args.redis_outage_s)
            redis.start()
            return {"down_s": args.redis_outage_s}

        def pg_restart():
            t0 = time.time()
            pg.stop("fast")
            time.sleep(args.pg_down_s)
            pg.start()
            return {"down_s": round(time.time() - t0, 1)}

        def model_outage():
            before = proxy.refused
            proxy.down.set()
            time.sleep(args.model_outage_s)
            proxy.down.clear()
            return {"down_s": args.model_outage_s, "answered_503": proxy.refused - before}

        inject("worker_kill", requests_in_flight, kill_worker)
        inject("redis_outage", progress.any_run_in_progress, redis_outage)
        inject("postgres_restart", progress.any_run_in_progress, pg_restart)
        # the model outage waits for requests in flight, but not forever: after max_heal_s it goes ahead
        t_model = time.time()
        inject("model_outage", lambda: requests_in_flight() or time.time() - t_model > args.max_heal_s,
               model_outage)

        while time.time() < deadline and not done():
            time.sleep(1)
        finished = done()
        ended = time.time()
        say(args, f"backfill {'finished' if finished else 'TIMED OUT'} after {ended - launched:.0f}s; measuring")
        progress.stop()

        runs = list(instance.get_runs())
        statuses = Counter(r.status.value for r in runs)
        parents = {r.tags.get("dagster/parent_run_id") for r in runs}
        final_failures = [r for r in runs if r.status.value in ("FAILURE", "CANCELED") and r.run_id not in parents]
        held_at_end = claimed_slots(instance)
        leaked = held_at_end
        grace_end = time.time() + args.slot_grace_s
        while leaked and time.time() < grace_end:
            time.sleep(3)
            leaked = claimed_slots(instance)
        counters = progress.model_counters()
        lost, where = rows_accounted(days, args.rows_per_day)
        ledger_rows, ledger_unknown = ledger_counts()
        return {
            "rows": args.days * args.rows_per_day,
            "rows_lost": lost,
            "rows_where": where,
            "requests_answered": counters["answered_total"],
            "requests_paid_twice": counters["duplicate_bodies"],
            "ledger_rows": ledger_rows,
            "ledger_rows_in_flight_at_a_kill": ledger_unknown,
            "ledger_rows_missing": max(0, counters["answered_total"] - ledger_rows - ledger_unknown),
            "slots_leaked": leaked,
            "slots_held_at_end": held_at_end,
            "heal_s": {f["fault"]: f.get("heal_s") for f in faults},
            "runs": dict(statuses),
            "person_needed": bool(final_failures) or not finished,
            "finished": finished,
            "backfill_wall_s": round(ended - launched, 1),
            "faults": faults,
            "model_503s": proxy.refused,
            "failures": failure_lines(instance, runs)[:20],
            "settings": {k: v for k, v in vars(args).items() if k not in ("json", "keep")},
            "total_wall_s": round(time.time() - started, 1),
        }
    finally:
        if progress is not None:
            progress.stop()
        stop_supervisor(supervisor, run_dir)
        stragglers(tmp)
        if instance is not None:
            try:
                instance.dispose()
            except Exception:
                pass
        if proxy is not None:
            proxy.close()
        kill_group(model)
        redis.stop() if redis.proc is not None else None
        pg.close()
        if args.keep:
            say(args, f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
