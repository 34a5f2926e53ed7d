"""The files `aiwf new workflow NAME --yaml` writes: a folder of YAML (defs.yaml, a pipelines.components.LLMStep)
plus a prompt file and its eval set, and a test ({{name}}: the workflow's name)."""

from pipelines.cli import new_workflow_templates as templates

DEFS = '''# {{name}}: CSV files dropped in $AIWF_HOME/inbox/{{name}}/ (or AIWF_{{NAME}}_DIR) → one model label per row.
# Files are named {{name}}_YYYY-MM-DD.csv (the day is the partition) with columns id and text. This builds
# {{name}}_rows, {{name}}_labels (llm_map: cached, checkpointed, budgeted, bad rows quarantined), the checks
# {{name}}_files_are_all_readable and {{name}}_labels_fit_the_schema (blocking), {{name}}_job,
# {{name}}_csv_drop_sensor and the eval set. Written by `aiwf new workflow {{name}} --yaml`; loaded by
# pipelines/discovery.py. Options: docs/add-a-workflow.md ("A workflow in YAML").
type: pipelines.components.LLMStep
attributes:
  name: {{name}}_labels
  input:
    inbox: {{name}}
    columns: [id, text]
  prompt: prompts/{{name}}_label.yaml
  eval_set: prompts/{{name}}_label.eval.csv
  output:
    fields:
      label:
        enum: [question, problem, request, other]
        description: what the text is
      confidence:
        type: float
        ge: 0
        le: 1
  key_column: id
  text_columns: [text]
  keep_columns: [text]
  mode: sync
  tier: cheap
  budget_usd: 1.0
  concurrency: 8
  max_failure_rate: 0.1
  partitions: daily
  description: One label and a confidence per {{name}} row (cheap model); bad rows are quarantined.
'''

# The Python form's prompt without its `schema:` line (the schema is in defs.yaml).
PROMPT = templates.PROMPT.replace("schema: pipelines.{{name}}.workflow:{{Name}}Label\n", "")

TEST_HEAD = '''"""{{name}} (a YAML workflow, pipelines/{{name}}/defs.yaml): a day's file labelled through the offline model with
its checks passing, an unreadable file named, the file-drop sensor and the eval set. Written by
`aiwf new workflow {{name}} --yaml`; grow it with the workflow."""

import dagster as dg
import pandas as pd
import pytest

from assets.prompt_evals import load_eval_set
from pipelines.discovery import component_workflow
from resources.state.home import home_path
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.resource import StateResource

WORKFLOW = component_workflow("{{name}}")  # what the Definitions load from pipelines/{{name}}/defs.yaml
{{name}}_rows = next(a for a in WORKFLOW.assets if a.key == dg.AssetKey("{{name}}_rows"))
[{{name}}_csv_drop_sensor] = WORKFLOW.sensors
prompt_evals = WORKFLOW.prompt_evals
ANSWERS_CHECK = "{{name}}_labels_fit_the_schema"


def inbox():
    return home_path("inbox", "{{name}}")  # AIWF_{{NAME}}_DIR is not set in tests


'''

TEST = TEST_HEAD + templates.TEST_BODY

NEXT_STEPS = templates.NEXT_STEPS.replace("the label schema in pipelines/{{name}}/workflow.py",
                                         "the output fields in pipelines/{{name}}/defs.yaml")
