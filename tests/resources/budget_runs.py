"""A batch asset of the `shared_wf` workflow run in a process of its own (tests/resources/test_budgets_across_runs.py):
`python budget_runs.py PARTITION ROWS BASE_URL` materializes one partition and prints one JSON line."""

import json
import sys

import dagster as dg
import pandas as pd

from assets.llm_map import llm_map
from resources.llm import LLMResource
from resources.llm.prompts import Prompt
from resources.state.resource import StateResource

WORKFLOW, MODEL = "shared_wf", "budget-probe-model"
PROBE = Prompt("budget_probe", "1", "Summarise this note in one sentence. Note: {note}")
parts = dg.StaticPartitionsDefinition(["p1", "p2", "p3"])


@dg.asset(partitions_def=parts, group_name=WORKFLOW)
def probe_notes(context) -> pd.DataFrame:
    rows = int(context.run.tags.get("rows", "20"))
    return pd.DataFrame({"note_id": [f"{context.partition_key}-{i}" for i in range(rows)],
                         "note": [f"Note {i} of {context.partition_key}: the parcel arrived late and the box was "
                                  f"dented, customer {i} asks for a refund." for i in range(rows)]})


probe_summaries = llm_map("probe_summaries", source=probe_notes, prompt=PROBE, key_column="note_id",
                          text_columns=["note"], partitions_def=parts, group_name=WORKFLOW, max_failure_rate=1.0,
                          concurrency=2, pool=None)


def resources(base_url: str, pg_url: str | None = None) -> dict:
    return {"llm": LLMResource(base_url=base_url, api_key="sk-test", cheap_model=MODEL, backoff_base_s=0.01,
                               state=StateResource(pg_url=pg_url))}


def run(partition: str, rows: int, base_url: str, pg_url: str | None = None, force: bool = True):
    tags = {"rows": str(rows), **({"aiwf/force": "true"} if force else {})}
    return dg.materialize([probe_notes, probe_summaries], partition_key=partition, tags=tags, raise_on_error=False,
                          resources=resources(base_url, pg_url), instance=dg.DagsterInstance.ephemeral())


if __name__ == "__main__":
    import os

    result = run(sys.argv[1], int(sys.argv[2]), sys.argv[3], os.environ.get("AIWF_PG_URL"))
    print(json.dumps({"success": result.success}))
