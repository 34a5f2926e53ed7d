"""Every shipped Dagster instance config passes Dagster's own validation and frees the pool slots of dead runs,
retries dead runs, and times out stuck starts and cancels."""

import re
import shutil

import pytest
import yaml

from sensors.dagster_internals import dagster_instance_config

from conftest import REPO

INSTANCE_FILES = ["dagster.yaml", "deploy/dagster.yaml"]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.parametrize("path", INSTANCE_FILES)
def test_shipped_instance_config_is_valid_and_heals_dead_runs(path, tmp_path):
    shutil.copy(REPO / path, tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))  # raises DagsterInvalidConfigError on an unknown key

    monitoring = config["run_monitoring"]
    assert monitoring["enabled"] is True
    assert 0 < monitoring["free_slots_after_run_end_seconds"] <= 120, "slots of dead runs must be freed"
    assert monitoring["start_timeout_seconds"] and monitoring["cancel_timeout_seconds"]
    assert config["run_retries"]["enabled"] and config["run_retries"]["max_retries"] >= 1
    assert config["concurrency"]["pools"]["default_limit"] >= 1


def test_the_helm_values_carry_the_same_monitoring_as_deploy_dagster_yaml(tmp_path):
    values = yaml.safe_load((REPO / "deploy" / "k8s" / "values.yaml").read_text())
    monitoring = {_snake(k): v for k, v in values["dagsterDaemon"]["runMonitoring"].items()}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({"run_monitoring": monitoring}))
    config, _ = dagster_instance_config(str(tmp_path))  # the chart writes these keys into run_monitoring

    deploy = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())["run_monitoring"]
    assert config["run_monitoring"]["free_slots_after_run_end_seconds"] == deploy["free_slots_after_run_end_seconds"]
    assert values["dagsterDaemon"]["runRetries"]["maxRetries"] >= 1
