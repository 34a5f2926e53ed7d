"""A Definitions object in a test file, served as a code location the way the UI and daemon see one: what
re-executing a run or toggling a schedule or sensor needs (its remote job, schedule or sensor)."""

from contextlib import contextmanager
from pathlib import Path


@contextmanager
def in_process_location(instance, python_file: str, attribute: str, name: str = "test_location"):
    """(request context, code location, its one repository) for `attribute` of `python_file`, in this process."""
    from sensors.dagster_internals import (
        InProcessCodeLocationOrigin,
        InProcessWorkspaceLoadTarget,
        LoadableTargetOrigin,
        WorkspaceProcessContext,
    )

    path = Path(python_file)
    origin = InProcessCodeLocationOrigin(LoadableTargetOrigin(python_file=str(path), attribute=attribute,
                                                              working_directory=str(path.parent)),
                                         location_name=name)
    with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as workspace:
        request = workspace.create_request_context()
        location = request.get_code_location(name)
        yield request, location, next(iter(location.get_repositories().values()))
