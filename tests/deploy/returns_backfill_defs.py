"""A code location for the long-backfill test: the real returns batch asset (`return_classifications`, an
`llm_map` asset with its PII checks), its upstream `return_requests`, the real resources and step policy.

RUN_SIZE_ENV sets its backfill policy's partitions per run (default: the asset's own, 30), so the same
backfill can be compared with one run per partition."""

import os

import dagster as dg

from pipelines.policy import apply_step_policy
from pipelines.resource_bindings import build_resources
from pipelines.returns_triage import workflow as returns

RUN_SIZE_ENV = "AIWF_TEST_PARTITIONS_PER_RUN"

classifications = returns.return_classifications
if os.environ.get(RUN_SIZE_ENV):
    classifications = classifications.with_attributes(
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=int(os.environ[RUN_SIZE_ENV])))
checks = [c for c in returns.asset_checks
          if {k.asset_key for k in c.check_keys} == {returns.return_classifications.key}]

# Steps run inside each run worker (as in backfill_defs.py): a fork server per run worker would only add
# start-up time to both sides of the comparison on two cores.
defs = dg.Definitions(assets=apply_step_policy([returns.return_requests, classifications]), asset_checks=checks,
                      resources=build_resources(), executor=dg.in_process_executor)
