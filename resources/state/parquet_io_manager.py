"""Parquet IO manager: each asset partition is one Parquet file under $AIWF_HOME/tables, replaced on rerun.

A run over a partition range (a backfill under a multi-run BackfillPolicy) reads and writes one file per
partition too: its input is `{partition_key: DataFrame}` for the upstream partitions, and its output must be
the same mapping, one table per partition of the range (Dagster's UPathIOManager convention for loads).
"""

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
        keys = _partition_keys(context)
        if len(keys) > 1:
            return self._handle_range(context, keys, obj)
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()} must return a pandas DataFrame, got {type(obj)}")
        path = self._write(context.asset_key, keys[0], obj)
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path)), "rows": len(obj)})

    def _handle_range(self, context: dg.OutputContext, keys: list[str], obj) -> None:
        what = context.asset_key.to_user_string()
        if not isinstance(obj, dict) or set(obj) != set(keys):
            got = sorted(obj)[:3] if isinstance(obj, dict) else type(obj).__name__
            raise TypeError(f"{what} ran over {len(keys)} partitions ({keys[0]}..{keys[-1]}) and must return "
                            f"{{partition_key: DataFrame}} for exactly those partitions; got {got}")
        for key in keys:
            if not isinstance(obj[key], pd.DataFrame):
                raise TypeError(f"{what} partition {key} must be a pandas DataFrame, got {type(obj[key])}")
            self._write(context.asset_key, key, obj[key])
        folder = self.path_for(context.asset_key, keys[0]).parent
        context.add_output_metadata({"partitions": len(keys), "rows": sum(len(f) for f in obj.values()),
                                     "path": dg.MetadataValue.path(str(folder))})

    def _write(self, asset_key: dg.AssetKey, partition: str | None, frame: pd.DataFrame) -> Path:
        path = self.path_for(asset_key, partition)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)  # atomic: readers never see half a file
        return path

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | dict[str, pd.DataFrame]:
        keys = _partition_keys(context)
        frames = {key: self._read(context.asset_key, key) for key in keys}
        return frames if len(keys) > 1 else frames[keys[0]]

    def _read(self, asset_key: dg.AssetKey, partition: str | None) -> pd.DataFrame:
        path = self.path_for(asset_key, partition)
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: materialize {asset_key.to_user_string()}"
                                    + (f" for partition {partition}" if partition else "") + " first")
        return pd.read_parquet(path)


def _partition_keys(context) -> list[str | None]:
    """The asset partitions an output or input covers: one, several (a partition range), or [None]."""
    if not context.has_asset_partitions:
        return [None]
    return list(context.asset_partition_keys) or [None]
