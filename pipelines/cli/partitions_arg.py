"""`--partition` and `--partitions` checked against the asset's (or job's) own PartitionsDefinition before a
command does anything: a key it does not have (`2026-13-45`, `../../etc`, a day before the start or after
today) is one clear line and exit code 2, never a folder name, a query filter or a run."""

import sys


class BadPartition(ValueError):
    """A partition key that the asset's or job's partitions do not have."""


def check_key(partitions_def, key: str, owner: str) -> str:
    """`key` when `partitions_def` (of `owner`, an asset or job name) has it; else BadPartition saying what it has."""
    if partitions_def is None:
        raise BadPartition(f"{owner} is not partitioned: it takes no partition key (got {key!r})")
    if not partitions_def.has_partition_key(key):
        raise BadPartition(f"{owner} has no partition {key!r} ({_describe(partitions_def)})")
    return key


def asset_partitions(asset: str):
    """The PartitionsDefinition of a project asset (None when unpartitioned); BadPartition for an unknown asset."""
    import dagster as dg

    from pipelines.definitions import defs

    key, graph = dg.AssetKey.from_user_string(asset), defs.resolve_asset_graph()
    if not graph.has(key):
        raise BadPartition(f"{asset} is not an asset of this project")
    return graph.get(key).partitions_def


def check_asset_key(asset: str | None, key: str) -> str:
    """`key` checked against `asset`'s partitions, or, with no asset, against those of any partitioned asset."""
    if asset:
        return check_key(asset_partitions(asset), key, asset)
    from pipelines.definitions import defs

    defs_seen = {id(a.partitions_def): a.partitions_def for a in defs.resolve_asset_graph().asset_nodes
                 if a.partitions_def is not None}
    if not any(d.has_partition_key(key) for d in defs_seen.values()):
        raise BadPartition(f"no asset of this project has partition {key!r} "
                           f"({'; '.join(_describe(d) for d in defs_seen.values()) or 'none is partitioned'})")
    return key


def refuse(command: str, err: BadPartition) -> int:
    """The one line a refused key gets, and the exit code 2 of a usage error."""
    print(f"aiwf {command}: {err}", file=sys.stderr)
    return 2


def _describe(partitions_def) -> str:
    first, last = partitions_def.get_first_partition_key(), partitions_def.get_last_partition_key()
    if first is None:
        return "it has none yet"
    return f"its keys run from {first} to {last}" if first != last else f"its only key is {first}"
