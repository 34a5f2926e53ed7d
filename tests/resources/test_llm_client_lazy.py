"""The openai client is loaded when a request is sent, not when an LLM session is built: a step whose answers all
come from the response cache starts without it (a third of a second of each such step's start-up)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_building_a_session_does_not_import_openai():
    code = ("import json, sys\n"
            "import pipelines.definitions, resources.llm.session, resources.llm.transport, resources.llm.batch_api\n"
            "print(json.dumps([m for m in ('openai', 'great_expectations', 'lancedb') if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_client_is_imported_on_first_use():
    from resources.llm.openai_calls import response_format
    from pydantic import BaseModel

    class Row(BaseModel):
        label: str

    assert response_format(Row)["json_schema"]["strict"] is True  # openai's own strict schema, loaded on demand
