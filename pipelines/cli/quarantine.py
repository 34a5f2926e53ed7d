"""`aiwf quarantine list|retry`: see the rows no workflow could process, and re-drive them.

A re-drive re-materializes the quarantined asset's partition and everything downstream of it. Batch assets
(`llm_map`) resume from their checkpoints, so only rows without an answer (the quarantined ones) are sent
again; `--tier strong` asks those on the strong model. Rows still failing stay quarantined with the new
reason; rows that now pass are marked resolved.
"""

import json
from collections import defaultdict

from pipelines.resource_bindings import local_state
from resources.state.quarantine import Quarantine


def open_groups(asset: str | None = None, partition: str | None = None) -> dict[tuple[str, str], int]:
    """(asset key, partition) -> open quarantined rows, optionally filtered."""
    groups: dict[tuple[str, str], int] = defaultdict(int)
    for row in Quarantine(local_state().store()).rows(asset):
        if partition is None or row["partition_key"] == partition:
            groups[(row["asset_key"], row["partition_key"])] += 1
    return dict(groups)


def redrive(asset_key: str, partition: str | None, *, tier: str | None = None, instance=None):
    """Materialize one asset partition and its downstream assets again; returns the Dagster result."""
    import dagster as dg

    from assets.llm_map.factory import LLM_MAP_TAG
    from pipelines.definitions import defs

    key = dg.AssetKey.from_user_string(asset_key)
    graph = defs.resolve_asset_graph()
    if not graph.has(key):
        raise KeyError(f"{asset_key} is not an asset of this project")
    keys = dg.AssetSelection.assets(key).downstream().resolve(graph)
    run_config = {}
    if tier and graph.get(key).tags.get(LLM_MAP_TAG):
        run_config = {"ops": {key.to_python_identifier(): {"config": {"tier": tier}}}}
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(instance=instance or dg.DagsterInstance.get(), partition_key=partition or None,
                                  asset_selection=sorted(keys), run_config=run_config, raise_on_error=False,
                                  tags={"aiwf/redrive": asset_key})


def _list(args) -> int:
    rows = Quarantine(local_state().store()).rows(args.asset, status=args.status)
    if args.json:
        print(json.dumps(rows, default=str))
        return 0
    for r in rows:
        print(f"{r['asset_key']:<28} {r['partition_key'] or '-':<11} {r['row_key']:<16} {r['error_class']:<20} "
              f"x{r['attempts']}  {r['reason'][:90]}")
    print(f"{len(rows)} {args.status} row(s)")
    return 0


def _retry(args) -> int:
    from resources.state.home import open_dagster_instance

    groups = open_groups(args.asset, args.partition)
    if not groups:
        print("nothing to re-drive: no open quarantined rows match")
        return 0
    with open_dagster_instance() as instance:
        return _redrive_groups(groups, args.tier, instance)


def _redrive_groups(groups: dict, tier: str | None, instance) -> int:
    failed = 0
    for (asset_key, partition), count in sorted(groups.items()):
        try:
            result = redrive(asset_key, partition, tier=tier, instance=instance)
        except KeyError as err:
            print(f"skip {asset_key} [{partition or '-'}]: {err.args[0]}")
            continue
        left = open_groups(asset_key, partition).get((asset_key, partition), 0)
        failed += 0 if result.success else 1
        print(f"{asset_key} [{partition or '-'}]: {count} quarantined, run {result.run_id[:8]} "
              f"{'succeeded' if result.success else 'FAILED'}, {count - left} resolved, {left} still quarantined")
    return 1 if failed else 0


def add_cli(sub) -> None:
    parser = sub.add_parser("quarantine", help="list quarantined rows or re-drive them")
    commands = parser.add_subparsers(dest="quarantine_command", required=True)
    show = commands.add_parser("list", help="quarantined rows with their reason and attempts")
    show.add_argument("--asset", help="only this asset key")
    show.add_argument("--status", default="open", choices=["open", "resolved"])
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_list)
    retry = commands.add_parser("retry", help="re-materialize quarantined partitions (batch assets resume)")
    retry.add_argument("--asset", help="only this asset key")
    retry.add_argument("--partition", help="only this partition")
    retry.add_argument("--tier", help="model tier for batch assets in the re-drive, e.g. strong")
    retry.set_defaults(func=_retry)
