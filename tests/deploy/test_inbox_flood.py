"""`make up` on a fresh server home with 30 days of returns in the inbox: a real `dagster-daemon run` on Postgres
(deploy/dagster.yaml's instance), the returns inbox sensors on by default, keeps at most AIWF_SENSOR_MAX_RUNS runs
of returns_triage_job queued or in progress, launches the oldest days first, one more as one ends, each day once.

The instance's run queue (Dagster's QueuedRunCoordinator, as deployed) is held at max_concurrent_runs 0, so runs
stay QUEUED (queued counts against the cap as in progress does) and the test ends them itself by cancelling the
oldest: the claim is about what the sensors launch, not how long a run takes. Per-test database and home."""

import os
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import yaml
from backfill_daemon import start_daemon, stop_daemon
from conftest import REPO, write_instance_yaml
from local_services import scratch_pg_database

from sensors.run_lookup import IN_FLIGHT, PARTITION_TAG

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
DEFS = HERE / "returns_sensor_defs.py"
CAP = 2
DAYS = [f"2026-03-{d:02d}" for d in range(1, 31)]
SENSOR = "returns_csv_drop_sensor"
JOB = "returns_triage_job"


@pytest.fixture
def fresh_server(tmp_path, monkeypatch):
    """A fresh server home on a database of its own: deploy/dagster.yaml with its run queue held, the returns
    inbox holding one small CSV file for each of 30 days, AIWF_SENSOR_MAX_RUNS=2."""
    with scratch_pg_database("aiwf_flood") as url:
        config = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())["concurrency"]
        config["runs"]["max_concurrent_runs"] = 0  # the daemon dequeues nothing: runs stay QUEUED
        home = write_instance_yaml(tmp_path / "dagster_home", {"concurrency": config})
        inbox = tmp_path / "returns"
        inbox.mkdir()
        for day in DAYS:
            pd.DataFrame({"return_id": [f"R-{day}"], "customer_note": ["Kettle arrived dented"]}).to_csv(
                inbox / f"returns_{day}.csv", index=False)
        for name, value in {"DAGSTER_HOME": str(home), "DAGSTER_PG_URL": url, "AIWF_PG_URL": url,
                            "AIWF_HOME": str(tmp_path / "aiwf_home"), "AIWF_RETURNS_DIR": str(inbox),
                            "AIWF_SENSOR_MAX_RUNS": str(CAP),
                            "PYTHONPATH": os.pathsep.join([str(HERE), str(REPO), os.environ.get("PYTHONPATH", "")])
                            }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AIWF_RETURNS_QUEUE_URL", raising=False)
        yield home


class Watch:
    """What the daemon did so far: the csv sensor's finished ticks, the job's runs, the most in flight seen."""

    def __init__(self, instance, daemon, log: Path):
        self.instance, self.daemon, self.log, self.peak = instance, daemon, log, 0

    def ticks(self) -> list:
        """The csv sensor's finished ticks, oldest first."""
        states = [s for s in self.instance.all_instigator_state() if s.instigator_name == SENSOR]
        if not states:
            return []
        ticks = self.instance.get_ticks(states[0].instigator_origin_id, states[0].selector_id)
        return sorted((t for t in ticks if t.status.value != "STARTED"), key=lambda t: t.timestamp)

    def runs(self) -> list:
        """The job's runs, oldest first."""
        return sorted(self.instance.get_runs(dg.RunsFilter(job_name=JOB)),
                      key=lambda r: self.instance.get_run_record_by_id(r.run_id).create_timestamp)

    def in_flight(self) -> list:
        runs = self.instance.get_runs(dg.RunsFilter(job_name=JOB, statuses=IN_FLIGHT))
        self.peak = max(self.peak, len(runs))
        return runs

    def until(self, done, what: str, timeout: float = 120):
        """Poll (noting the runs in flight) until `done()` is truthy; its value."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.daemon.poll() is None, self.log.read_text()[-3000:]
            self.in_flight()
            value = done()
            if value:
                return value
            time.sleep(0.3)
        raise AssertionError(f"no {what} within {timeout}s: {self.log.read_text()[-3000:]}")

    def position(self, tick) -> int:
        """How many finished ticks there are up to and including `tick`."""
        return [t.tick_id for t in self.ticks()].index(tick.tick_id) + 1

    def next_tick(self, after: int, launched: bool = False, timeout: float = 120):
        """The first finished tick after the first `after` (one that launched runs, with `launched`)."""
        def found():
            return next((t for t in self.ticks()[after:] if t.run_ids or not launched), None)
        return self.until(found, "sensor tick" + (" that launched runs" if launched else ""), timeout)

    def next_launch(self, after: int, timeout: float = 120):
        return self.next_tick(after, launched=True, timeout=timeout)

    def end_oldest(self, n: int) -> None:
        """End the `n` oldest runs in flight, as a run that finishes does."""
        for run in sorted(self.in_flight(), key=lambda r: r.tags[PARTITION_TAG])[:n]:
            self.instance.report_run_canceled(run)


def test_thirty_days_in_a_fresh_inbox_launch_at_most_the_cap_oldest_first_each_once(fresh_server, tmp_path):
    with dg.DagsterInstance.from_config(str(fresh_server)) as instance:
        daemon = start_daemon(tmp_path, DEFS, "returns_sensors")
        try:
            watch = Watch(instance, daemon, tmp_path / "daemon.log")
            first = watch.next_launch(0, timeout=240)  # the code server's start-up included
            assert days_of(instance, first) == DAYS[:CAP]  # a fresh home: the cap, oldest days first
            # (a tick with the cap full launches nothing: checked once, at the end, to spare a 5 s sensor loop here)
            watch.end_oldest(1)
            second = watch.next_launch(watch.position(first))
            assert days_of(instance, second) == [DAYS[CAP]]  # one ended: room for one, the next oldest day
            watch.end_oldest(CAP)
            watch.until(lambda: sum(len(t.run_ids) for t in watch.ticks()) >= 2 * CAP + 1,
                        "finished ticks that launched runs for the room of two ended runs")
            last = [t for t in watch.ticks() if t.run_ids][-1]
            held = watch.next_tick(watch.position(last))
            assert held.run_ids == [] and len(watch.in_flight()) == CAP  # the cap is full: nothing more
            runs, ticks = watch.runs(), watch.ticks()
        finally:
            stop_daemon(daemon)

    assert watch.peak <= CAP  # never more runs of the job queued or in progress than the cap
    assert all(len(t.run_ids) <= CAP for t in ticks)
    assert [r.tags[PARTITION_TAG] for r in runs] == DAYS[:2 * CAP + 1]  # oldest first, each day once
    assert {r.tags["aiwf/trigger"] for r in runs} == {SENSOR}


def days_of(instance, tick) -> list[str]:
    return sorted(instance.get_run_by_id(run_id).tags[PARTITION_TAG] for run_id in tick.run_ids)
