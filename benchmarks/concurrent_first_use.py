"""Concurrent first use: two `aiwf demo --json` started together on one fresh AIWF_HOME, then a third after.

    python -m benchmarks.concurrent_first_use --trials 3 [--keep]

Each trial gets a fresh AIWF_HOME (Dagster's SQLite instance under $AIWF_HOME/dagster, the offline model).
Before the first-use lock, such a pair could leave two alembic heads in runs.db or schedules.db (every
later run then failed) or crash with "table runs already exists". Figures per trial: the pair's exit codes
and seconds, the third demo's exit code and seconds, alembic heads left in each Dagster SQLite database.
Last line: JSON over all trials.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AIWF = Path(sys.executable).with_name("aiwf")  # the console script installed beside this interpreter


def _env(home: Path) -> dict:
    """A fresh home and the offline model: nothing from the caller's own state or endpoints."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DAGSTER_HOME", "AIWF_PG_URL", "DAGSTER_PG_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY")}
    return {**env, "AIWF_HOME": str(home)}


def _demo(home: Path, log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen([str(AIWF), "demo", "--json"], env=_env(home), stdout=out, stderr=subprocess.STDOUT)


def _alembic_heads(home: Path) -> dict:
    """Rows in alembic_version of each Dagster SQLite database that has one: anything but 1 breaks later runs."""
    heads = {}
    for name, db in (("runs", "history/runs.db"), ("index", "history/runs/index.db"),
                     ("schedules", "schedules/schedules.db")):
        path = home / "dagster" / db
        if path.exists():
            with sqlite3.connect(path) as conn:
                heads[name] = conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0]
    return heads


def trial(number: int, root: Path) -> dict:
    home = root / f"trial{number}" / "aiwf"
    home.parent.mkdir(parents=True)
    started = time.perf_counter()
    pair = [_demo(home, home.parent / f"demo{i}.log") for i in (1, 2)]
    codes = [p.wait() for p in pair]
    pair_s = time.perf_counter() - started
    started = time.perf_counter()
    third = _demo(home, home.parent / "demo3.log").wait()
    third_s = time.perf_counter() - started
    heads = _alembic_heads(home)
    return {"trial": number, "pair_exit_codes": codes, "pair_seconds": round(pair_s, 1), "third_exit_code": third,
            "third_seconds": round(third_s, 1), "alembic_heads": heads,
            "ok": codes == [0, 0] and third == 0 and len(heads) == 3 and set(heads.values()) == {1}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the trial homes and demo logs")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="aiwf-first-use-"))
    results = []
    for number in range(1, args.trials + 1):
        results.append(trial(number, root))
        print(json.dumps(results[-1]), flush=True)
    ok = all(r["ok"] for r in results)
    if ok and not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps({"trials": len(results), "all_ok": ok,
                      "pair_exit_codes": [r["pair_exit_codes"] for r in results],
                      "third_exit_codes": [r["third_exit_code"] for r in results],
                      "pair_seconds": [r["pair_seconds"] for r in results],
                      "third_seconds": [r["third_seconds"] for r in results],
                      "logs": None if ok and not args.keep else str(root)}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
