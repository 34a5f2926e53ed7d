"""`aiwf estimate`: what a run or backfill of a job's model steps will cost, before it starts, with no model call.

    aiwf estimate --job returns_triage_job --partitions 2026-03-01...2026-03-07 [--asset A] [--tag team=growth] [--json]

For every llm_map step of the job (or only `--asset`) and every partition: its upstream rows, less rows already
checkpointed and counted apart when the cache answers them, priced from the ledger's history of the prompt version
in force (assets/llm_map/estimate.py). The upstream rows come from the upstream table when it was materialized
(the Parquet IO manager under AIWF_HOME/tables); for a day never run, the upstream step itself is run in this
process with nothing stored (a step that reads inbox files reads them, so the day's returns are counted as they
are dropped), unless it needs the model: then the day is reported as unknown. A step's `prepare` hook is run on
those rows (with its other upstream tables) when it needs nothing else; one that reaches for the model session or a
resource is not, and the step's figure is a lower bound (`lower_bound`). `budget_left_usd` is the least any
budget across runs (AIWF_BUDGETS) covering the steps has left now; `--tag` names the run tags that choose budgets.
`--json` ends with one line of figures.
"""

import json
import sys


def upstream_frame(defs, asset_def, partition: str, state, name: str = "rows"):
    """The rows an llm_map asset would read for one partition as its input `name` (`rows`, or another upstream
    table of its `inputs=`; see the module doc); None when unknown."""
    import dagster as dg
    import pandas as pd

    from assets.llm_map.factory import LLM_MAP_TAG
    from resources.state.parquet_io_manager import ParquetIOManager

    key = asset_def.keys_by_input_name[name]
    path = ParquetIOManager(state=state).path_for(key, partition or None)
    if path.exists():
        return pd.read_parquet(path)
    source = next((a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition) and key in a.keys), None)
    if source is None:  # as given to the Definitions, before resources were bound: its io_manager is swapped below
        return None
    if "llm" in source.required_resource_keys or source.tags_by_key.get(key, {}).get(LLM_MAP_TAG):
        return None
    from pipelines.resource_bindings import build_resources

    resources = {**build_resources(), "io_manager": dg.InMemoryIOManager()}
    result = dg.materialize([source], partition_key=partition or None, resources=resources, raise_on_error=False,
                            instance=dg.DagsterInstance.ephemeral(), selection=[key])
    if not result.success:
        return None
    value = result.output_for_node(source.node_def.name, source.get_output_name_for_asset_key(key))
    return value.get(partition) if isinstance(value, dict) else value


def partitions_of(job, spec: str) -> list[str]:
    """FIRST...LAST (or one key) as the job's partition keys."""
    import dagster as dg

    from pipelines.cli.partitions_arg import check_key

    first, _, last = spec.partition("...")
    for key in (first, last or first):
        check_key(job.partitions_def, key, job.name)
    return job.partitions_def.get_partition_keys_in_range(dg.PartitionKeyRange(first, last or first))


def estimate_job(job_name: str, partitions: str, asset: str | None = None, tags: dict | None = None,
                 say=print) -> dict:
    """The figures of `--json` for a job over a partition range; a line per step and partition through `say`."""
    from assets.llm_map.estimate import Estimate, estimate, prepared, rows_to_do
    from assets.llm_map.factory import spec_of
    from pipelines.definitions import defs
    from pipelines.resource_bindings import local_state
    from resources.llm import LLMResource
    from resources.llm.budgets_file import applicable
    from resources.state.spend import BudgetSpend

    job = defs.resolve_job_def(job_name)
    days = partitions_of(job, partitions)  # a key the job does not have is refused before anything is opened
    state = local_state()
    store, llm = state.store(), LLMResource(state=state)
    keys = [k for k in job.asset_layer.executable_asset_keys if spec_of(k.to_user_string())]
    if asset:
        keys = [k for k in keys if k.to_user_string() == asset]
        if not keys:
            raise ValueError(f"{asset} is not a model step (llm_map asset) of {job_name}")
    total, unknown, workflows = Estimate(), [], set()
    for key in sorted(keys):
        spec, asset_def = spec_of(key.to_user_string()), defs.resolve_assets_def(key)
        workflows.add(spec.workflow)
        for partition in days:
            label = f"{key.to_user_string()} [{partition}]"
            tables = {name: upstream_frame(defs, asset_def, partition, state, name)
                      for name in ("rows", *spec.hooks.inputs)}
            if any(table is None for table in tables.values()):
                unknown.append(label)
                continue
            frame = tables.pop("rows")
            rows, why = prepared(spec, frame, partition, tables)  # the step's prepare hook, where it can run here
            live, todo = rows_to_do(spec, llm, store, key.to_user_string(), rows, partition, lenient=bool(why))
            part = estimate(live, llm, store, todo)
            if why:
                part.lower_bound.add(label)
            say(f"{label}: {len(frame)} rows in, {part.rows} to send, "
                f"{part.rows_cached} cached, ~{part.tokens_in + part.tokens_out} tokens, ${part.cost_usd:.4f} "
                f"(p90 ${part.cost_usd_p90:.4f}), ~{part.wall_s:.0f} s"
                + (f"; no history for {live.prompt.ref}: characters/4" if part.no_history else "")
                + (f"; a lower bound: {why}, which an estimate does not call, so what it adds counts as empty"
                   if why else ""))
            total.add(part)
    if unknown:
        say(f"unknown (upstream not materialized and it needs the model): {', '.join(unknown)}")
    lines = {line for w in workflows for line in applicable(w, tags or {})}
    spend = BudgetSpend(store)
    left = min((line.usd - sum(spend.of(line.key, line.window_key())) for line in lines), default=None)
    figures = total.figures(None if left is None else max(0.0, left))
    say(f"total: {figures['rows']} rows to send, {figures['rows_cached']} cached, ${figures['cost_usd']:.4f} "
        f"(p90 ${figures['cost_usd_p90']:.4f}), ~{figures['wall_s']:.0f} s"
        + ("" if left is None else f"; budgets have ${figures['budget_left_usd']:.4f} left")
        + (f"; unpriced: {', '.join(figures['unpriced_models'])}" if figures["unpriced_models"] else "")
        + (f"; a lower bound (steps whose prepare hook looks things up): {', '.join(figures['lower_bound'])}"
           if figures["lower_bound"] else ""))
    return figures


def _run(args) -> int:
    tags = dict(t.split("=", 1) for t in args.tag or [])
    try:
        figures = estimate_job(args.job, args.partitions, args.asset, tags)
    except (ValueError, KeyError) as err:
        print(f"aiwf estimate: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(figures))
    return 0


def add_cli(sub) -> None:
    parser = sub.add_parser("estimate", help="rows, tokens, cost and time a run or backfill will take (no model call)")
    parser.add_argument("--job", required=True, help="the job, e.g. returns_triage_job")
    parser.add_argument("--partitions", required=True, help="FIRST...LAST (or one partition key)")
    parser.add_argument("--asset", help="only this model step")
    parser.add_argument("--tag", action="append", metavar="KEY=VALUE", help="a tag the run will carry (tag budgets)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.set_defaults(func=_run)
