"""Parquet IO manager: each asset partition is one Parquet file under $AIWF_HOME/tables, replaced on rerun."""

from pathlib import Path

import dagster as dg
import pandas as pd

from resources.state.resource import StateResource, state_of


class ParquetIOManager(dg.ConfigurableIOManager):
    """Tables as Parquet, one file per partition, so a rerun replaces its partition and never appends twice."""

    base_dir: str | None = None  # default: <state home>/tables
    state: StateResource | None = None

    def path_for(self, asset_key: dg.AssetKey, partition_key: str | None) -> Path:
        base = Path(self.base_dir) if self.base_dir else state_of(self).path("tables")
        return base.joinpath(*asset_key.path) / f"{partition_key or 'all'}.parquet"

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        if obj is None:
            return
        if not context.has_asset_key:
            raise TypeError(f"op output {context.step_key}.{context.name} has no asset: ParquetIOManager stores "
                            "asset tables only; return None and report figures as output metadata")
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()} must return a pandas DataFrame, got {type(obj)}")
        partition = context.asset_partition_key if context.has_asset_partitions else None
        path = self.path_for(context.asset_key, partition)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        obj.to_parquet(tmp, index=False)
        tmp.replace(path)  # atomic: readers never see half a file
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path)), "rows": len(obj)})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        partition = context.asset_partition_key if context.has_asset_partitions else None
        path = self.path_for(context.asset_key, partition)
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: materialize {context.asset_key.to_user_string()} first")
        return pd.read_parquet(path)
