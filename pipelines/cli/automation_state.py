"""Which schedules and sensors are on, as `aiwf ui` prints before the UI starts, with the commands to start them.

One toggled in the UI or with `dagster schedule|sensor start|stop` has a state stored in the instance; one never
toggled follows its definition's default status (Dagster starts a schedule stopped unless it says otherwise).
Reading both costs loading the definitions and one instance query: no network.
"""

import textwrap
from pathlib import Path

import dagster as dg

from resources.state.home import PROJECT_ROOT

ON = {"RUNNING", "AUTOMATICALLY_RUNNING"}  # stored statuses; DECLARED_IN_CODE follows the definition


def automation_states(repo: dg.RepositoryDefinition, instance: dg.DagsterInstance) -> dict[str, dict[str, bool]]:
    """{"schedule": {name: on}, "sensor": {name: on}} for every schedule and sensor of `repo` in `instance`."""
    stored = {(s.instigator_type.value.lower(), s.instigator_name): s.status.value
              for s in instance.all_instigator_state()}
    declared = {"schedule": {s.name: s.default_status == dg.DefaultScheduleStatus.RUNNING for s in repo.schedule_defs},
                "sensor": {s.name: s.default_status == dg.DefaultSensorStatus.RUNNING for s in repo.sensor_defs}}
    return {kind: {name: _is_on(stored.get((kind, name)), default) for name, default in sorted(names.items())}
            for kind, names in declared.items()}


def _is_on(stored: str | None, default: bool) -> bool:
    """A stored RUNNING or STOPPED wins; none, or DECLARED_IN_CODE, is the definition's default."""
    return default if stored in (None, "DECLARED_IN_CODE") else stored in ON


def state_lines(states: dict[str, dict[str, bool]], dagster_home: Path) -> list[str]:
    """What `aiwf ui` prints first: per kind, how many are on, the names on and off; then how to start one."""
    lines = []
    for kind, names in states.items():
        on = [name for name, running in names.items() if running]
        off = [name for name, running in names.items() if not running]
        lines.append(f"{kind.capitalize()}s: {len(on)} of {len(names)} on")
        for label, group in (("on", on), ("off", off)):
            lines += textwrap.wrap(", ".join(group) or "none", 116, initial_indent=f"  {label + ':':<5} ",
                                   subsequent_indent=" " * 8)
    command = f"DAGSTER_HOME={dagster_home} dagster {{}} start {{}} -w {PROJECT_ROOT / 'workspace.yaml'}"
    lines += ["Start one in the UI (Automation → Schedules or Sensors, toggle it) or with",
              f"  {command.format('schedule', 'NAME')}   (every schedule: --start-all)",
              f"  {command.format('sensor', 'NAME')}"]
    return lines


def print_automation_state(dagster_home: Path, out=print) -> None:
    """Print `state_lines` for this project's definitions and the instance at `dagster_home`; a project whose
    definitions do not load says so in one line (the UI shows the error) and the UI starts all the same."""
    from resources.state.home import open_dagster_instance

    try:
        from pipelines.definitions import defs

        repo = defs.get_repository_def()
        with open_dagster_instance() as instance:
            states = automation_states(repo, instance)
    except Exception as exc:  # a team's broken workflow must not keep the UI, which shows the error, from starting
        out(f"Schedules and sensors: not known ({type(exc).__name__}: {str(exc)[:200]})")
        return
    for line in state_lines(states, dagster_home):
        out(line)
