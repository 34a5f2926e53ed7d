"""The maintenance job compacts memory tables and drops old versions without losing a live row."""

import pytest

from pipelines.memory_maintenance import memory_maintenance_job
from resources.memory import Document, MemoryResource


@pytest.mark.filterwarnings("ignore:optimize.cleanup_older_than=0")
def test_maintenance_job_prunes_versions_and_keeps_rows(offline_llm):
    memory, ai = MemoryResource(), offline_llm.session()
    for i in range(4):
        memory.ingest(ai, [Document(f"doc-{i}", f"note {i} on grind size")], collection="notes")
    memory.ingest(ai, [Document("doc-1", "note one, revised")], collection="notes")
    versions_before = len(memory.versions("notes"))

    result = memory_maintenance_job.execute_in_process(
        resources={"memory": MemoryResource()},
        run_config={"ops": {"maintain_memory_tables": {"config": {"retention_days": 0}}}})

    assert result.success
    report = result.output_for_node("maintain_memory_tables")["notes"]
    assert report["rows"] == 4 and report["versions_after"] < versions_before
    # a fresh handle: with retention 0 the old handle's version files are gone (the default keeps 7 days)
    texts = sorted(MemoryResource().table("notes").search().select(["text"]).limit(None).to_arrow()["text"].to_pylist())
    assert texts == ["note 0 on grind size", "note 2 on grind size", "note 3 on grind size", "note one, revised"]


def test_maintenance_job_with_no_tables_does_nothing():
    result = memory_maintenance_job.execute_in_process(resources={"memory": MemoryResource()})
    assert result.success and result.output_for_node("maintain_memory_tables") == {}
