"""Launch a batch asset's partition when its provider batches are done, so a long wait holds no worker.

`llm_map(..., mode="batch")` records every batch it submits (resources/llm/batch_api.py, table `llm_batches`)
and waits in the step only up to `max_wait_s` (assets/llm_map/batch_mode.py). This sensor looks at the
partitions whose batches are still unread: once all of a partition's batches have ended (completed, failed,
expired or cancelled) and no run is working on the partition (its lease is free), it requests a run of that
asset partition, which re-attaches to the batches, reads and checkpoints the answers and materializes. The run
key names the batches, so one set of batches launches one run. A step still waiting in-process holds the
partition's lease, and is left to read its own batches.
"""

import hashlib
from collections import defaultdict

import dagster as dg

from assets.llm_map.factory import LLM_MAP_TAG
from assets.llm_map.lease import lease_name
from resources.llm import LLMResource
from resources.llm.batch_book import BatchBook, BatchRow, is_terminal
from resources.llm.retry import LLMError
from resources.state.leases import Leases
from resources.state.resource import state_of


def partitions_ready(llm: LLMResource, log=None) -> list[tuple[str, str, list[str]]]:
    """(asset key, partition, batch ids) of each partition whose recorded batches have all ended and that no run
    is working on now; statuses seen are written back, so an ended batch is not asked about again. A file
    uploaded by a run that died before creating its batch counts as ended (by its file id): nothing else will
    ever finish it, and the run launched for it re-attaches through `batches.list` or submits it."""
    store = state_of(llm).store()
    book, leases, ai = BatchBook(store), Leases(store), None
    groups: dict[tuple[str, str], list[BatchRow]] = defaultdict(list)
    for row in book.waiting():
        groups[(row.asset_key, row.partition_key)].append(row)
    ready = []
    for (asset, partition), rows in groups.items():
        if leases.holder(lease_name(asset, partition)) is not None:
            continue  # a step is attached to these batches (or resuming): it reads them itself
        done = True
        for row in rows:
            if row.batch_id is None:
                continue  # uploaded by a run that died before creating the batch: the next run finds or submits it
            if not is_terminal(row.status):
                ai = ai or llm.session()
                try:
                    status = ai.batches.status(row.batch_id).status
                except LLMError as err:
                    if log is not None:
                        log.warning(f"batch {row.batch_id} of {asset} [{partition}]: status unknown: {err}")
                    done = False
                    continue
                if status != row.status:
                    book.note(row.input_file_id, status)
                done = done and is_terminal(status)
        if done:
            ready.append((asset, partition, sorted(r.batch_id or r.input_file_id for r in rows)))
    return ready


@dg.sensor(asset_selection=dg.AssetSelection.tag(LLM_MAP_TAG, "true"), minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Materializes a batch asset partition once its provider batches are done.")
def batch_jobs_sensor(context: dg.SensorEvaluationContext, llm: LLMResource):
    ready = partitions_ready(llm, context.log)
    if not ready:
        return dg.SkipReason("no partition has finished batches waiting to be read")
    requests = []
    for asset, partition, batch_ids in ready:
        digest = hashlib.sha256(",".join(batch_ids).encode()).hexdigest()[:16]
        requests.append(dg.RunRequest(
            run_key=f"batches:{asset}:{partition}:{digest}", asset_selection=[dg.AssetKey.from_user_string(asset)],
            partition_key=partition or None, tags={"aiwf/batches": ",".join(batch_ids)[:4000]}))
    return requests
