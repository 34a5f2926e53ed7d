"""A partition backfill launched as the webserver launches it: GraphQL `launchPartitionBackfill` on an asset
selection, run in-process on a workspace of one code location (benchmarks.faults, tests/deploy)."""

from pathlib import Path

LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionKeysNotFoundError { message }
    ... on UnauthorizedError { message }
  }
}"""


def launch_backfill(instance, defs_file: Path, location: str, assets: list[str], partitions: list[str],
                    working_directory: Path | None = None) -> str:
    """The backfill id of `assets` over `partitions` (no job), as the UI's asset graph sends it; RuntimeError with
    GraphQL's answer when it is refused."""
    from dagster_graphql.test.utils import execute_dagster_graphql

    from sensors.dagster_internals import (
        InProcessCodeLocationOrigin,
        InProcessWorkspaceLoadTarget,
        LoadableTargetOrigin,
        WorkspaceProcessContext,
    )

    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(python_file=str(defs_file), working_directory=str(working_directory or defs_file.parent)),
        location_name=location)
    with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as workspace:
        result = execute_dagster_graphql(workspace.create_request_context(), LAUNCH_BACKFILL, {"params": {
            "assetSelection": [{"path": [name]} for name in assets], "partitionNames": partitions}})
    answer = result.data["launchPartitionBackfill"]
    if answer["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"launchPartitionBackfill: {answer}")
    return answer["backfillId"]
