"""`aiwf estimate` on steps with a `prepare` hook: a hook that needs nothing but its tables is run on the day's rows,
so the estimate counts what the step will send; one that looks things up (the model, memory) is not run, and the
step's figure is flagged as a lower bound."""

import dataclasses
import json
import shutil

import dagster as dg
import pandas as pd

from assets.llm_map.estimate import prepared
from assets.llm_map.factory import spec_of
from assets.llm_map.step import StepHooks
from pipelines.cli import main
from pipelines.cli.demo import CATALOG_DAY, SAMPLES
from resources.state.parquet_io_manager import ParquetIOManager


def estimate(capsys, job: str, *args) -> tuple[dict, str]:
    assert main(["estimate", "--job", job, "--partitions", CATALOG_DAY, *args, "--json"]) == 0
    out = capsys.readouterr().out
    return json.loads(out.strip().splitlines()[-1]), out


def test_a_hook_that_needs_only_its_tables_is_run_and_its_rows_are_counted(tmp_path, monkeypatch, capsys):
    shutil.copytree(SAMPLES / "catalog", tmp_path / CATALOG_DAY)
    monkeypatch.setenv("AIWF_CATALOG_FEEDS", str(tmp_path))
    products = pd.read_csv(tmp_path / CATALOG_DAY / "products.csv", dtype=str)
    sold = products.sku.isin(pd.read_csv(tmp_path / CATALOG_DAY / "authoritative.csv", dtype=str).sku)
    assert 0 < sold.sum() < len(products)  # the hook marks what the shop sells; the rest is not described

    figures, out = estimate(capsys, "catalog_job", "--asset", "product_descriptions")
    assert figures["rows"] == sold.sum() and figures["tokens_in"] > 0 and figures["lower_bound"] == []
    assert "lower bound" not in out


def test_a_hook_that_looks_things_up_is_not_run_and_the_figure_says_it_is_a_lower_bound(capsys):
    drafts = pd.DataFrame({"slug": ["a", "b", "c"], "title": ["Cold brew", "Grinders", "Kettles"],
                           "body": ["Steep coarse coffee overnight.", "Burr grinders cut evenly.", "Pour slowly."]})
    path = ParquetIOManager().path_for(dg.AssetKey("drafts"), CATALOG_DAY)
    path.parent.mkdir(parents=True)
    drafts.to_parquet(path)

    figures, out = estimate(capsys, "content_ops_job", "--asset", "draft_tone")
    assert figures["rows"] == 3 and figures["lower_bound"] == [f"draft_tone [{CATALOG_DAY}]"]
    assert "a lower bound: its prepare hook uses resources.memory" in out


def test_a_lookup_the_hook_swallows_still_makes_a_lower_bound():
    def careful(frame, step):
        try:
            step.session.embed(list(frame.title))
        except Exception:  # a hook that degrades without its lookup
            pass
        return frame.assign(examples="")

    spec = dataclasses.replace(spec_of("draft_tone"), hooks=StepHooks(prepare=careful))
    frame = pd.DataFrame({"slug": ["a"], "title": ["t"], "body": ["b"]})
    rows, why = prepared(spec, frame, CATALOG_DAY, {})
    assert why == "its prepare hook uses session.embed" and list(rows.columns) == ["slug", "title", "body"]
