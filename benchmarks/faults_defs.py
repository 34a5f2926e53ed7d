"""The code location benchmarks/faults.py serves to its daemon and Celery workers: returns triage's daily chain
(the feed, `return_classifications`, routing and review queue, with their checks) as the workflow defines it,
the real resources, the shared step policy, the run watchdog sensor and the executor `AIWF_EXECUTOR` picks
(Celery in the benchmark). PER_RUN_ENV sets the partitions per backfill run (default 1: a backfill of N days is
N runs, so faults land on different runs). The inbox drop sensors are left out: the backfill alone reads the
files, so no sensor-launched run does the same work twice."""

import os

import dagster as dg

from pipelines.executor import run_executor
from pipelines.policy import apply_step_policy
from pipelines.resource_bindings import build_resources
from pipelines.returns_triage import workflow as returns
from sensors.run_watchdog import run_watchdog_sensor

PER_RUN_ENV = "AIWF_FAULTS_PARTITIONS_PER_RUN"

_policy = dg.BackfillPolicy.multi_run(max_partitions_per_run=int(os.environ.get(PER_RUN_ENV, "1")))
chain = [asset.with_attributes(backfill_policy=_policy) for asset in
         (returns.return_requests, returns.return_classifications, returns.return_routing,
          returns.return_review_queue)]
_keys = {asset.key for asset in chain}
checks = [c for c in returns.asset_checks if {k.asset_key for k in c.check_keys} <= _keys]

defs = dg.Definitions(assets=apply_step_policy(chain), asset_checks=checks, resources=build_resources(),
                      sensors=[run_watchdog_sensor], executor=run_executor())
