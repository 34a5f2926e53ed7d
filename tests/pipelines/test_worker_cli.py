"""`aiwf worker`: the celery command it execs and the private config module it writes."""

import stat
from pathlib import Path

import pytest

from pipelines.cli import build_parser
from pipelines.cli.worker import worker_command, write_celery_config


def test_worker_is_an_aiwf_subcommand():
    args = build_parser().parse_args(["worker", "--name", "w1", "-c", "3", "--queue", "q"])
    assert (args.command, args.name, args.concurrency, args.queue) == ("worker", "w1", 3, "q")


def test_config_module_holds_the_broker_privately(monkeypatch, aiwf_home):
    monkeypatch.setenv("AIWF_CELERY_BROKER", "redis://:s3cret@10.0.0.5:6379/2")
    folder = write_celery_config("w1", "aiwf-q")
    module = folder / "dagster_celery_config.py"
    settings = {}
    exec(module.read_text(), settings)

    assert folder.is_relative_to(aiwf_home / "run" / "celery")
    assert stat.S_IMODE(module.stat().st_mode) == 0o600  # it holds a password
    assert settings["broker_url"] == settings["result_backend"] == "redis://:s3cret@10.0.0.5:6379/2"
    assert settings["task_default_queue"] == "aiwf-q" and settings["worker_prefetch_multiplier"] == 1
    assert settings["imports"] == ["pipelines.definitions"]  # loaded once, before the pool processes fork


def test_preload_is_chosen_on_the_command_line(aiwf_home):
    args = build_parser().parse_args(["worker", "--preload", "deploy_jobs", "--preload", "pipelines.definitions"])
    assert args.preload == ["deploy_jobs", "pipelines.definitions"]
    settings = {}
    exec((write_celery_config("w4", "q", args.preload) / "dagster_celery_config.py").read_text(), settings)
    assert settings["imports"] == ["deploy_jobs", "pipelines.definitions"]
    none = build_parser().parse_args(["worker", "--preload", ""]).preload
    exec((write_celery_config("w5", "q", none) / "dagster_celery_config.py").read_text(), settings)
    assert settings["imports"] == []


def test_amqp_broker_gets_the_rpc_backend_and_bad_urls_are_refused_without_echo(monkeypatch):
    monkeypatch.setenv("AIWF_CELERY_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
    settings = {}
    exec((write_celery_config("w2", "dagster") / "dagster_celery_config.py").read_text(), settings)
    assert settings["result_backend"] == "rpc://"
    monkeypatch.setenv("AIWF_CELERY_BROKER", "mysql://user:pw@host/db")
    with pytest.raises(ValueError) as err:
        write_celery_config("w3", "dagster")
    assert "pw" not in str(err.value)


def test_worker_command_names_the_node_and_queue():
    cmd = worker_command("w1", "aiwf-q", 2, "INFO")
    assert cmd[1:4] == ["-A", "dagster_celery.app", "worker"]
    assert cmd[cmd.index("-Q") + 1] == "aiwf-q" and cmd[cmd.index("--concurrency") + 1] == "2"
    assert cmd[cmd.index("-n") + 1].startswith("w1@") and "--prefetch-multiplier=1" in cmd


def test_steps_are_acked_late_and_blips_are_waited_out_on_both_sides(monkeypatch, aiwf_home):
    import yaml

    from pipelines.executor import celery_executor_config, celery_settings

    settings = {}
    exec((write_celery_config("w6", "q") / "dagster_celery_config.py").read_text(), settings)
    executor_side = celery_executor_config()["config_source"]
    for side in (settings, executor_side):
        assert side["task_acks_late"] is True and side["task_reject_on_worker_lost"] is True
        assert side["broker_transport_options"]["visibility_timeout"] == 3600
        assert side["task_publish_retry_policy"]["max_retries"] == 63  # about AIWF_INFRA_WAIT_S=300 of waits
    shipped = yaml.safe_load((Path(__file__).resolve().parents[2] / "deploy" / "celery.yaml").read_text())["execution"]["config"]["config_source"]
    assert {k: v for k, v in celery_settings().items() if k != "include"} == {
        k: v for k, v in shipped.items() if k != "task_default_queue"}

    monkeypatch.setenv("AIWF_INFRA_WAIT_S", "30")
    monkeypatch.setenv("AIWF_CELERY_VISIBILITY_S", "900")
    short = celery_settings()
    assert short["result_backend_max_retries"] == 9 and short["broker_transport_options"]["visibility_timeout"] == 900
    monkeypatch.setenv("AIWF_CELERY_VISIBILITY_S", "10")
    with pytest.raises(ValueError, match="AIWF_CELERY_VISIBILITY_S"):
        celery_settings()
