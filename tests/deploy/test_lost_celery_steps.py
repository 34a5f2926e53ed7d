"""A Celery step that no worker holds any more is sent again by its run (pipelines/celery_steps.py): one lost in a
Redis restart without persistence, and one whose worker was SIGKILLed whole (its message left unacknowledged,
which Redis would hand out again only after the visibility timeout). Each test runs its own redis-server."""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid

import dagster as dg
import pytest
from local_services import require_service

import pipelines.celery_steps as celery_steps
from pipelines.executor import celery_executor_config

pytestmark = pytest.mark.integration


class OwnRedis:
    """A redis-server without persistence on a free port; `restart` loses everything in it."""

    def __init__(self, folder):
        if shutil.which("redis-server") is None:
            require_service("redis-server", "not on PATH")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.folder, self.proc = folder, None

    def start(self):
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder)], stdout=subprocess.DEVNULL,
                                     start_new_session=True)
        self._wait()

    def _wait(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                return self.client().ping()
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_timeout=3)

    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def own_redis(tmp_path, monkeypatch, deploy_env):
    server = OwnRedis(tmp_path)
    server.start()
    monkeypatch.setenv("AIWF_CELERY_BROKER", server.url())
    monkeypatch.setenv("AIWF_CELERY_QUEUE", f"aiwf-lost-{uuid.uuid4().hex[:8]}")
    monkeypatch.setattr(celery_steps, "LOOK_EVERY_S", 2.0)  # the run executes in this process
    yield server
    server.stop()


def _execute(instance, marker, hang_s: float, outcome: dict) -> threading.Thread:
    from lost_steps_jobs import watched_job

    config = {"execution": {"config": celery_executor_config()},
              "ops": {"marked_step": {"config": {"marker": str(marker), "hang_s": hang_s}}}}

    def execute():
        with dg.execute_job(dg.reconstructable(watched_job), instance=instance, run_config=config) as result:
            outcome.update(success=result.success, run_id=result.run_id,
                           pid=result.output_for_node("marked_step") if result.success else None)

    runner = threading.Thread(target=execute, daemon=True)
    runner.start()
    return runner


def _resent(instance, run_id: str) -> list[str]:
    events = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records
    return [r.event_log_entry.message for r in events if "sent again" in (r.event_log_entry.message or "")]


def _eventually(predicate, timeout: float = 60.0) -> bool:
    """Whether predicate() turned true within `timeout` seconds (asked every 0.2 s)."""
    return any(predicate() or time.sleep(0.2) for _ in range(int(timeout / 0.2)))


def test_a_step_lost_in_a_broker_restart_is_sent_again(deploy_instance, own_redis, celery_workers, tmp_path):
    outcome, marker = {}, tmp_path / "marker"
    marker.write_text("")  # no hang: the step just finishes once a worker gets it
    runner = _execute(deploy_instance, marker, 0.0, outcome)
    client = own_redis.client()
    assert _eventually(lambda: any(client.llen(k) for k in client.keys(f"{os.environ['AIWF_CELERY_QUEUE']}*")))
    own_redis.stop()  # no worker yet: the step waits in the queue, and the restart loses it
    own_redis.start()
    assert not any(client.llen(k) for k in client.keys(f"{os.environ['AIWF_CELERY_QUEUE']}*")), "the step is lost"
    celery_workers([f"lost1-{os.getpid()}"])
    runner.join(120)
    assert outcome.get("success") is True
    assert len(_resent(deploy_instance, outcome["run_id"])) == 1


def test_the_step_of_a_worker_killed_whole_is_sent_again_not_left_unacknowledged(deploy_instance, own_redis,
                                                                                  celery_workers, tmp_path):
    outcome, marker = {}, tmp_path / "marker"
    first = celery_workers([f"lost2-{os.getpid()}"])[0]
    runner = _execute(deploy_instance, marker, 300.0, outcome)
    assert _eventually(lambda: marker.exists() and marker.read_text())
    client = own_redis.client()
    assert client.hlen("unacked") == 1  # acks_late: the running step's message waits for its ack
    os.killpg(first.pid, signal.SIGKILL)  # main process and pool, as an OOM killer or a lost machine does
    first.wait()
    celery_workers([f"lost3-{os.getpid()}"])
    runner.join(120)
    assert outcome.get("success") is True and outcome["pid"] != int(marker.read_text())
    assert len(_resent(deploy_instance, outcome["run_id"])) == 1
    assert client.hlen("unacked") == 0, "the dead worker's message is not handed out again an hour later"


class _Flaky:
    """An AsyncResult whose polls fail `failures` times (broker down), then report the step done."""

    id = "task-1"

    def __init__(self, failures: int):
        self.failures = failures

    def ready(self):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return True


def test_result_polls_wait_out_a_broker_outage_and_give_up_after_the_infra_wait(monkeypatch):
    now = [0.0]
    monkeypatch.setenv("AIWF_INFRA_WAIT_S", "60")
    watched = celery_steps.WatchedResult(lambda: _Flaky(3), app=None, queue="q", step_key="s", report=print,
                                         clock=lambda: now[0])
    assert [watched.ready() for _ in range(3)] == [False, False, False]  # down: the run keeps waiting
    assert watched.ready() is True
    watched = celery_steps.WatchedResult(lambda: _Flaky(100), app=None, queue="q", step_key="s", report=print,
                                         clock=lambda: now[0])
    assert watched.ready() is False
    now[0] = 61.0
    with pytest.raises(ConnectionError):
        watched.ready()


@pytest.mark.parametrize("blip", [True, False])
def test_a_step_failed_on_infrastructure_has_its_run_retried_and_a_bug_does_not(deploy_instance, own_redis,
                                                                               celery_workers, blip):
    from lost_steps_jobs import failing_job

    celery_workers([f"fail-{os.getpid()}"])
    config = {"execution": {"config": celery_executor_config()}, "ops": {"failing_step": {"config": {"blip": blip}}}}
    with dg.execute_job(dg.reconstructable(failing_job), instance=deploy_instance, run_config=config,
                        raise_on_error=False) as result:
        assert not result.success
        run = deploy_instance.get_run_by_id(result.run_id)
    assert run.tags.get("dagster/will_retry") == ("true" if blip else "false")
    assert (run.tags.get("dagster/retry_on_asset_or_op_failure") == "true") is blip
    assert len(_resent(deploy_instance, result.run_id)) == (celery_steps.MAX_RESENDS if blip else 0)


def test_a_step_that_a_blip_failed_once_is_sent_again_and_its_run_succeeds(deploy_instance, own_redis,
                                                                           celery_workers, tmp_path):
    from lost_steps_jobs import failing_job

    celery_workers([f"once-{os.getpid()}"])
    marker = tmp_path / "failed-once"
    config = {"execution": {"config": celery_executor_config()},
              "ops": {"failing_step": {"config": {"blip": True, "once_marker": str(marker)}}}}
    with dg.execute_job(dg.reconstructable(failing_job), instance=deploy_instance, run_config=config) as result:
        assert result.success and marker.exists()
        assert len(_resent(deploy_instance, result.run_id)) == 1


def test_the_result_backend_reconnects_for_as_long_as_the_infra_wait(monkeypatch):
    from pipelines.executor import celery_settings

    for budget in (30, 300):
        monkeypatch.setenv("AIWF_INFRA_WAIT_S", str(budget))
        policy = celery_settings()["result_backend_transport_options"]["retry_policy"]
        slept = sum(min(policy["interval_start"] + i * policy["interval_step"], policy["interval_max"])
                    for i in range(policy["max_retries"]))
        assert slept >= budget  # Celery's own policy: 20 tries 1 s apart, then the run failed


class _Control:
    """Celery's control API as Workers uses it: counts the broadcasts, answers that `held` is running."""

    def __init__(self, held):
        self.held, self.asked = held, []
        self.control = self

    def inspect(self, timeout):
        return self

    def query_task(self, *ids):
        self.asked.append(set(ids))
        return {"w1@host": {t: ["active", {}] for t in ids if t in self.held}}


def test_one_query_to_the_workers_answers_for_every_waiting_step_of_a_run():
    now, app = [0.0], _Control(held={"a"})
    workers = celery_steps.Workers(app, clock=lambda: now[0])
    workers.waiting |= {"a", "b", "c"}
    assert [workers.hold(t) for t in ("a", "b", "c")] == [True, False, False]
    assert app.asked == [{"a", "b", "c"}]  # one broadcast for the three steps
    now[0] = celery_steps.LOOK_EVERY_S  # a later round asks again: a miss is never repeated from an old answer
    app.held = {"a", "b"}
    assert workers.hold("b") is True and len(app.asked) == 2
