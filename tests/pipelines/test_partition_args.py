"""`--partition`/`--partitions` are checked against the asset's or job's own partitions before a command does
anything: a key they do not have is one line on stderr and exit code 2, and nothing is run, opened or written."""

import pytest

from pipelines import cli
from pipelines.cli.partitions_arg import BadPartition, check_key
from pipelines.partitions import daily

BAD = ["2026-13-45", "../../etc", "2025-12-31", "2026-03-02/../../x", "", "2999-01-01"]


def refused(capsys, aiwf_home, *argv) -> str:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    assert code == 2, captured
    assert not captured.out and len(captured.err.strip().splitlines()) == 1, captured
    assert not aiwf_home.exists() or not any(aiwf_home.iterdir()), sorted(aiwf_home.rglob("*"))  # nothing done
    return captured.err


@pytest.mark.parametrize("key", BAD)
def test_shadow_refuses_a_partition_the_asset_does_not_have(capsys, aiwf_home, key):
    err = refused(capsys, aiwf_home, "shadow", "--asset", "return_classifications", "--partition", key,
                  "--prompt-version", "2")
    assert err.startswith("aiwf shadow: return_classifications has no partition") and "2026-01-01" in err


@pytest.mark.parametrize("key", BAD)
def test_quarantine_retry_refuses_a_partition_no_asset_has(capsys, aiwf_home, key):
    err = refused(capsys, aiwf_home, "quarantine", "retry", "--partition", key)
    assert err.startswith("aiwf quarantine retry: no asset of this project has partition")
    err = refused(capsys, aiwf_home, "quarantine", "retry", "--asset", "return_classifications", "--partition", key)
    assert err.startswith("aiwf quarantine retry: return_classifications has no partition")


@pytest.mark.parametrize("spec", ["2026-13-45", "../../etc", "2025-12-01...2026-01-02", "2026-03-01...2026-13-45"])
def test_estimate_refuses_a_range_outside_the_job_partitions(capsys, aiwf_home, spec):
    err = refused(capsys, aiwf_home, "estimate", "--job", "returns_triage_job", "--partitions", spec)
    assert err.startswith("aiwf estimate: returns_triage_job has no partition")


def test_an_unknown_asset_or_an_unpartitioned_one_is_named(capsys, aiwf_home):
    err = refused(capsys, aiwf_home, "shadow", "--asset", "no_such_asset", "--partition", "2026-03-02",
                  "--prompt-version", "2")
    assert "no_such_asset is not an asset of this project" in err
    with pytest.raises(BadPartition, match="x is not partitioned"):
        check_key(None, "2026-03-02", "x")
    assert check_key(daily, "2026-03-02", "x") == "2026-03-02"
