"""The maintenance job compacts memory tables and drops old versions without losing a live row."""

import pytest

from pipelines.memory_maintenance.workflow import memory_maintenance_job
from resources.llm import LLMResource
from resources.memory import Document, MemoryResource
from resources.state.parquet_io_manager import ParquetIOManager


def run_maintenance(llm=None, **run_config):
    """The job with the resources Definitions binds (the Parquet IO manager included)."""
    return memory_maintenance_job.execute_in_process(
        resources={"memory": MemoryResource(), "llm": llm or LLMResource(), "io_manager": ParquetIOManager()},
        run_config=run_config or None)


def report_of(result) -> dict:
    [output] = [e for e in result.events_for_node("maintain_memory_tables") if e.is_successful_output]
    metadata = output.step_output_data.metadata
    return metadata["report"].value if "report" in metadata else {}


@pytest.mark.filterwarnings("ignore:optimize.cleanup_older_than=0")
def test_maintenance_job_prunes_versions_and_keeps_rows(offline_llm):
    memory, ai = MemoryResource(), offline_llm.session()
    for i in range(4):
        memory.ingest(ai, [Document(f"doc-{i}", f"note {i} on grind size")], collection="notes")
    memory.ingest(ai, [Document("doc-1", "note one, revised")], collection="notes")
    versions_before = len(memory.versions("notes"))

    result = run_maintenance(offline_llm, ops={"maintain_memory_tables": {"config": {"retention_days": 0}}})

    assert result.success
    report = report_of(result)["notes"]
    assert report["rows"] == 4 and report["versions_after"] < versions_before
    # a fresh handle: with retention 0 the old handle's version files are gone (the default keeps 7 days)
    texts = sorted(MemoryResource().table("notes").search().select(["text"]).limit(None).to_arrow()["text"].to_pylist())
    assert texts == ["note 0 on grind size", "note 2 on grind size", "note 3 on grind size", "note one, revised"]


def test_maintenance_job_with_no_tables_does_nothing():
    result = run_maintenance()
    assert result.success and report_of(result) == {}
