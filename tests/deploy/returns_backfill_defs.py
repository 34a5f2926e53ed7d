"""A code location for the long-backfill test: the returns triage daily chain as the workflow defines it (the
feed, the batch asset `return_classifications`, the routing table and the review queue, with their checks),
the real resources and step policy.

RUN_SIZE_ENV sets the partitions per run of the chain's backfill policy (default: the workflow's own, 30), so
the same backfill can be compared with one run per partition."""

import os

import dagster as dg

from pipelines.policy import apply_step_policy
from pipelines.resource_bindings import build_resources
from pipelines.returns_triage import workflow as returns

RUN_SIZE_ENV = "AIWF_TEST_PARTITIONS_PER_RUN"

chain = [returns.return_requests, returns.return_classifications, returns.return_routing,
         returns.return_review_queue]
if os.environ.get(RUN_SIZE_ENV):
    policy = dg.BackfillPolicy.multi_run(max_partitions_per_run=int(os.environ[RUN_SIZE_ENV]))
    chain = [asset.with_attributes(backfill_policy=policy) for asset in chain]
keys = {asset.key for asset in chain}
checks = [c for c in returns.asset_checks if {k.asset_key for k in c.check_keys} <= keys]

# Steps run inside each run worker (as in backfill_defs.py): a fork server per run worker would only add
# start-up time to both sides of the comparison on two cores.
defs = dg.Definitions(assets=apply_step_policy(chain), asset_checks=checks, resources=build_resources(),
                      executor=dg.in_process_executor)
