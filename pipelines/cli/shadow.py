"""`aiwf shadow`: re-run a partition's recorded inputs through a candidate prompt version (or model), side effects
off, and say how it compares with production. Launches `shadow_run_job` (pipelines/shadow/job.py) in-process on
the Dagster instance, tagged `aiwf/shadow`, so the run shows in the UI like any other."""

import json
import sys
from contextlib import ExitStack

FIGURES = ("rows", "agreement", "per_field", "check_failures", "cost_usd", "baseline_cost_usd", "p95_latency_ms",
           "side_effects_sent", "approvals_created", "diff_report")


def run_shadow_cli(asset: str, partition: str, prompt_version: str, model: str | None = None, say=print) -> dict:
    """Execute the shadow job and return its summary (the JSON written beside the shadow table); a failed run
    raises RuntimeError naming why; a partition the asset does not have raises BadPartition before anything runs."""
    from pipelines.cli.demo import console_at
    from pipelines.cli.partitions_arg import asset_partitions, check_key
    from pipelines.cli.test_doubles import start_offline_model_if_needed
    from pipelines.definitions import defs
    from pipelines.shadow.job import JOB_NAME, SHADOW_TAG
    from resources.state.home import ensure_dagster_home, open_dagster_instance

    check_key(asset_partitions(asset), partition, asset)  # the key names a folder under shadow/: never a path
    ensure_dagster_home()
    config = {"asset": asset, "partition": partition, "prompt_version": prompt_version, "model": model}
    with ExitStack() as stack:
        start_offline_model_if_needed(stack, say)
        instance = stack.enter_context(open_dagster_instance())
        result = defs.resolve_job_def(JOB_NAME).execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"ops": {"shadow_run": {"config": config}}, **console_at("WARNING")},
            tags={SHADOW_TAG: "1", "aiwf/shadow_of": f"{asset}:{partition}", "aiwf/shadow_version": prompt_version})
    if not result.success:
        errors = [e.event_specific_data.error.message.strip() for e in result.all_events
                  if e.is_step_failure and e.event_specific_data and e.event_specific_data.error]
        raise RuntimeError(f"shadow run {result.run_id[:8]} failed: " + ("; ".join(errors) or "see the run's log"))
    output = next(e for e in result.all_events if e.is_successful_output)
    metadata = output.event_specific_data.metadata
    summary_path = metadata["shadow_table"].value.removesuffix(".parquet") + ".json"
    with open(summary_path, encoding="utf-8") as f:
        return json.load(f)


def add_cli(sub) -> None:
    parser = sub.add_parser("shadow", help="re-run a partition's recorded inputs through a candidate prompt version, "
                                           "side effects off, and compare with production")
    parser.add_argument("--asset", required=True, help="a batch (llm_map) asset, e.g. return_classifications")
    parser.add_argument("--partition", required=True, help="the partition whose recorded inputs are re-run")
    parser.add_argument("--prompt-version", required=True, help="the candidate version of the asset's prompt")
    parser.add_argument("--model", default=None, help="answer with this model instead of the asset's tiers")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")

    def run(args) -> int:
        from pipelines.cli.partitions_arg import BadPartition, refuse

        try:
            summary = run_shadow_cli(args.asset, args.partition, args.prompt_version, args.model)
        except BadPartition as err:
            return refuse("shadow", err)
        except RuntimeError as err:
            print(f"aiwf shadow: {err}", file=sys.stderr)
            return 1
        print(f"shadow {summary['candidate']} vs {summary['production']} on {summary['asset']} "
              f"[{summary['partition']}]: {summary['rows']} rows, {summary['rows_failed']} failed")
        print(f"agreement {summary['agreement']}; per field " +
              ", ".join(f"{k} {v}" for k, v in summary["per_field"].items()))
        baseline = summary["baseline_cost_usd"]
        print(f"checks failed on the shadow output: {summary['check_failures']}; cost ${summary['cost_usd']:.6f} "
              f"(production ${baseline:.6f})" if baseline is not None else
              f"checks failed on the shadow output: {summary['check_failures']}; cost ${summary['cost_usd']:.6f}")
        print(f"p95 latency {summary['p95_latency_ms']} ms; side effects sent {summary['side_effects_sent']}; "
              f"approvals created {summary['approvals_created']}")
        print(f"shadow table {summary['shadow_table']}\ndiff report {summary['diff_report']}")
        if args.json:
            print(json.dumps({**{k: summary[k] for k in FIGURES}, **summary}))
        return 0

    parser.set_defaults(func=run)
