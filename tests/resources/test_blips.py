"""Infrastructure blips are waited out with backoff for AIWF_INFRA_WAIT_S, then fail once with the cause first."""

import random
import sqlite3
import time

import dagster as dg
import pytest
from fault_proxy import fault_proxy
from local_services import scratch_pg_database

from resources.state.blips import (
    RETRY_ON_STEP_FAILURE_TAG,
    InfrastructureUnavailable,
    infra_wait_s,
    pauses,
    wait_out,
)


def test_pauses_grow_stay_capped_and_spend_exactly_the_budget():
    waits = list(pauses(300, rng=random.Random(3)))
    assert sum(waits) == pytest.approx(300)
    assert max(waits) <= 15 and waits[0] <= 0.5 and waits[3] > waits[0]


def test_the_wait_is_configured_and_checked(monkeypatch):
    assert infra_wait_s() == 300
    monkeypatch.setenv("AIWF_INFRA_WAIT_S", "12.5")
    assert infra_wait_s() == 12.5
    monkeypatch.setenv("AIWF_INFRA_WAIT_S", "soon")
    with pytest.raises(ValueError, match="AIWF_INFRA_WAIT_S"):
        infra_wait_s()


def test_a_replayable_error_is_waited_out_and_others_raise_at_once():
    calls, slept = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 4:
            raise sqlite3.OperationalError("database is locked")
        return "done"

    assert wait_out(flaky, "the store", budget_s=60, sleep=slept.append) == "done"
    assert len(calls) == 4 and len(slept) == 3
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        wait_out(lambda: (_ for _ in ()).throw(sqlite3.OperationalError("no such table: x")), "the store",
                 budget_s=60, sleep=slept.append)
    assert len(slept) == 3


def test_a_spent_budget_fails_once_with_the_cause_in_the_first_line():
    def down():
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(InfrastructureUnavailable) as err:
        wait_out(down, "the sqlite store", budget_s=5, sleep=lambda s: None)
    first_line = str(err.value.description).splitlines()[0]
    assert first_line.startswith("the sqlite store unreachable for 5s") and "database is locked" in first_line
    assert err.value.allow_retries is False  # Dagster's step retries would only wait again


def test_a_step_that_gives_up_tags_its_run_for_the_daemons_retry():
    @dg.op
    def gives_up():
        wait_out(lambda: (_ for _ in ()).throw(sqlite3.OperationalError("database is locked")), "the store",
                 budget_s=0.01, sleep=lambda s: None)

    @dg.job(op_retry_policy=dg.RetryPolicy(max_retries=2))
    def blip_job():
        gives_up()

    with dg.instance_for_test() as instance:
        result = blip_job.execute_in_process(instance=instance, raise_on_error=False)
        run = instance.get_run_by_id(result.run_id)
    assert not result.success
    assert run.tags.get(RETRY_ON_STEP_FAILURE_TAG) == "true"
    restarts = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert restarts == []


@pytest.mark.integration
def test_the_postgres_store_waits_out_a_restart_and_gives_up_on_a_long_outage(monkeypatch, tmp_path):
    from resources.state.store import Store

    with scratch_pg_database("aiwf_blips") as url, fault_proxy(5432) as proxy:
        store = Store(url.replace(":5432/", f":{proxy.port}/"), tmp_path)
        store.migrate("blips", ["CREATE TABLE IF NOT EXISTS blips (id {id}, v TEXT)"])
        store.execute("INSERT INTO blips (v) VALUES (?)", ("before",))

        proxy.outage(2.0)  # every pooled connection dropped, new ones refused, as in a server restart
        started = time.monotonic()
        store.execute("INSERT INTO blips (v) VALUES (?)", ("during",))
        waited = time.monotonic() - started
        assert 1.5 <= waited < 20
        assert store.query("SELECT v FROM blips ORDER BY id") == [{"v": "before"}, {"v": "during"}]

        monkeypatch.setenv("AIWF_INFRA_WAIT_S", "1")
        proxy.outage(5.0).join(0)
        with pytest.raises(InfrastructureUnavailable, match="the postgres store unreachable for 1s"):
            store.execute("INSERT INTO blips (v) VALUES (?)", ("lost",))
        proxy.down.clear()
        assert [r["v"] for r in store.query("SELECT v FROM blips ORDER BY id")] == ["before", "during"]
        store._pool.close()
