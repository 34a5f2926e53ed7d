"""`aiwf ui`'s first lines: which schedules and sensors are on (a toggle stored in the instance wins over the
definition's default) and the commands that start one."""

import re

import dagster as dg
from in_process_location import in_process_location

from pipelines.cli import main, ui
from pipelines.cli.automation_state import automation_states, state_lines
from resources.state.home import PROJECT_ROOT
from test_cli_ui import FakeDev


@dg.op
def tick_op():
    pass


@dg.job
def tick_job():
    tick_op()


@dg.sensor(job=tick_job, default_status=dg.DefaultSensorStatus.RUNNING)
def inbox_sensor():
    return None


@dg.sensor(job=tick_job)
def approvals_sensor():
    return None


toggle_defs = dg.Definitions(
    jobs=[tick_job], sensors=[inbox_sensor, approvals_sensor],
    schedules=[dg.ScheduleDefinition(name="nightly", job=tick_job, cron_schedule="0 2 * * *"),
               dg.ScheduleDefinition(name="hourly", job=tick_job, cron_schedule="0 * * * *",
                                     default_status=dg.DefaultScheduleStatus.RUNNING)])


def test_the_definitions_defaults_hold_until_a_toggle_is_stored(tmp_path):
    with dg.instance_for_test() as instance:
        repo = toggle_defs.get_repository_def()
        assert automation_states(repo, instance) == {"schedule": {"hourly": True, "nightly": False},
                                                     "sensor": {"approvals_sensor": False, "inbox_sensor": True}}
        with in_process_location(instance, __file__, "toggle_defs") as (_, _, remote):
            instance.start_schedule(remote.get_schedule("nightly"))  # as `dagster schedule start nightly` does
            inbox = remote.get_sensor("inbox_sensor")
            instance.stop_sensor(inbox.get_remote_origin_id(), inbox.selector_id, inbox)
        states = automation_states(repo, instance)
        assert states == {"schedule": {"hourly": True, "nightly": True},
                          "sensor": {"approvals_sensor": False, "inbox_sensor": False}}

        lines = state_lines(states, tmp_path)
        workspace = PROJECT_ROOT / "workspace.yaml"
        assert lines == [
            "Schedules: 2 of 2 on", "  on:   hourly, nightly", "  off:  none",
            "Sensors: 0 of 2 on", "  on:   none", "  off:  approvals_sensor, inbox_sensor",
            "Start one in the UI (Automation → Schedules or Sensors, toggle it) or with",
            f"  DAGSTER_HOME={tmp_path} dagster schedule start NAME -w {workspace}   (every schedule: --start-all)",
            f"  DAGSTER_HOME={tmp_path} dagster sensor start NAME -w {workspace}"]


def test_aiwf_ui_says_first_that_the_schedules_are_off_and_how_to_start_them(monkeypatch, capsys):
    monkeypatch.setattr(ui.subprocess, "Popen", FakeDev)
    assert main(["ui"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"Schedules: 0 of \d+ on", out[0])  # a fresh home: every schedule off
    assert out[1] == "  on:   none" and "daily_drafts_6am" in out[2]
    sensors = out.index(next(line for line in out if line.startswith("Sensors:")))
    off = next(i for i, line in enumerate(out) if i > sensors and line.startswith("  off:"))
    assert "new_brief_sensor" in " ".join(out[sensors:off]) and "approved_drafts_sensor" in " ".join(out[off:])
    assert any("dagster schedule start NAME -w" in line for line in out[:sensors + 8])
    assert out.index(next(line for line in out if line.startswith("Dagster UI on"))) > sensors
