"""`aiwf quarantine list|retry`: see the rows no workflow could process, and re-drive them.

A re-drive re-materializes the quarantined asset's partition and everything downstream of it. Batch assets
(`llm_map`) resume from their checkpoints, so only rows without an answer (the quarantined ones) are sent
again; `--tier strong` asks those on the strong model. Rows still failing stay quarantined with the new
reason; rows that now pass are marked resolved. Like `aiwf demo`, a re-drive with no model or shop configured
starts the offline test doubles, and says so.
"""

import json
from collections import defaultdict
from contextlib import ExitStack

from pipelines.resource_bindings import local_state
from resources.state.quarantine import Quarantine

REDRIVE_TAG = "aiwf/redrive"  # the asset key a re-drive run retried
REDRIVE_OF_TAG = "aiwf/redrive_of"  # the run that quarantined the rows (`aiwf audit show` lists re-drives of it)


def open_groups(asset: str | None = None, partition: str | None = None) -> dict[tuple[str, str], int]:
    """(asset key, partition) -> open quarantined rows, optionally filtered."""
    return {key: len(rows) for key, rows in _open_rows(asset, partition).items()}


def _open_rows(asset: str | None, partition: str | None) -> dict[tuple[str, str], list[dict]]:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in Quarantine(local_state().store()).rows(asset):
        if partition is None or row["partition_key"] == partition:
            groups[(row["asset_key"], row["partition_key"])].append(row)
    return dict(groups)


def redrive(asset_key: str, partition: str | None, *, tier: str | None = None, instance=None,
            log_level: str = "WARNING", redrive_of: str | None = None):
    """Materialize one asset partition and its downstream assets again; returns the Dagster result."""
    import dagster as dg

    from assets.llm_map.factory import LLM_MAP_TAG
    from pipelines.cli.demo import console_at
    from pipelines.definitions import defs

    key = dg.AssetKey.from_user_string(asset_key)
    graph = defs.resolve_asset_graph()
    if not graph.has(key):
        raise KeyError(f"{asset_key} is not an asset of this project")
    keys = dg.AssetSelection.assets(key).downstream().resolve(graph)
    run_config = console_at(log_level)
    if tier and graph.get(key).tags.get(LLM_MAP_TAG):
        run_config["ops"] = {key.to_python_identifier(): {"config": {"tier": tier}}}
    tags = {REDRIVE_TAG: asset_key, **({REDRIVE_OF_TAG: redrive_of} if redrive_of else {})}
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(instance=instance or dg.DagsterInstance.get(), partition_key=partition or None,
                                  asset_selection=sorted(keys), run_config=run_config, raise_on_error=False,
                                  tags=tags)


def _list(args) -> int:
    rows = Quarantine(local_state().store()).rows(args.asset, status=args.status)
    if args.json:
        print(json.dumps(rows, default=str))
        return 0
    by_class: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_class[r["error_class"]].append(r)
    for error_class, members in sorted(by_class.items(), key=lambda item: (-len(item[1]), item[0])):
        print(f"{error_class}: {len(members)} row(s)")
        for r in members:
            print(f"  {r['asset_key']} [{r['partition_key'] or '-'}] {r['row_key']} (attempts {r['attempts']}, "
                  f"run {(r['run_id'] or '-')[:8]}): {r['reason']}")
    print(f"{len(rows)} {args.status} row(s)")
    return 0


def _retry(args) -> int:
    from pipelines.cli.partitions_arg import BadPartition, check_asset_key, refuse
    from pipelines.cli.test_doubles import start_test_doubles
    from resources.state.home import open_dagster_instance

    try:
        if args.partition is not None:
            check_asset_key(args.asset, args.partition)
    except BadPartition as err:
        return refuse("quarantine retry", err)
    groups = _open_rows(args.asset, args.partition)
    if not groups:
        print("nothing to re-drive: no open quarantined rows match")
        return 0
    with ExitStack() as stack:
        start_test_doubles(stack, print)  # the re-drive runs the same steps the demo ran
        instance = stack.enter_context(open_dagster_instance())
        return _redrive_groups(groups, args.tier, instance, "DEBUG" if args.verbose else "WARNING")


def _redrive_groups(groups: dict[tuple[str, str], list[dict]], tier: str | None, instance, log_level: str) -> int:
    """One line per asset partition: the run, whether it succeeded, and how many rows it resolved."""
    failed = 0
    for (asset_key, partition), rows in sorted(groups.items()):
        latest = max(rows, key=lambda r: r["ts"])["run_id"]
        try:
            result = redrive(asset_key, partition, tier=tier, instance=instance, log_level=log_level,
                             redrive_of=latest)
        except KeyError as err:
            print(f"skip {asset_key} [{partition or '-'}]: {err.args[0]}")
            continue
        left = open_groups(asset_key, partition).get((asset_key, partition), 0)
        failed += 0 if result.success else 1
        print(f"{asset_key} [{partition or '-'}]: {len(rows)} quarantined, run {result.run_id[:8]} "
              f"{'succeeded' if result.success else 'FAILED'}, {len(rows) - left} resolved, {left} still quarantined"
              + ("" if result.success else f": {_failure(result)}"))
    return 1 if failed else 0


def _failure(result) -> str:
    """The first failed step and its error, secrets masked (`aiwf audit show --run` tells the whole story)."""
    from resources.safety.pii import redact_secrets

    for event in result.get_step_failure_events():
        error = event.event_specific_data.error
        message = (error.message if error else event.message or "").strip().splitlines()
        return redact_secrets(f"step {event.step_key} failed: {message[0] if message else 'no message'}")
    return "the run failed before any step (see `aiwf audit show --run`)"


def add_cli(sub) -> None:
    parser = sub.add_parser("quarantine", help="list quarantined rows or re-drive them")
    commands = parser.add_subparsers(dest="quarantine_command", required=True)
    show = commands.add_parser("list", help="quarantined rows grouped by error class, with the full reason")
    show.add_argument("--asset", help="only this asset key")
    show.add_argument("--status", default="open", choices=["open", "resolved"])
    show.add_argument("--json", action="store_true", help="all rows as one JSON list")
    show.set_defaults(func=_list)
    retry = commands.add_parser("retry", help="re-materialize quarantined partitions (batch assets resume); starts "
                                              "the offline model and test-double shop when none is configured")
    retry.add_argument("--asset", help="only this asset key")
    retry.add_argument("--partition", help="only this partition")
    retry.add_argument("--tier", help="model tier for batch assets in the re-drive, e.g. strong")
    retry.add_argument("--verbose", action="store_true", help="show Dagster's step logs on the console")
    retry.set_defaults(func=_retry)
