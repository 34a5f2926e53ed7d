"""The answer schema of a YAML model step: fields with types written in defs.yaml, or a pydantic model by path,
and the check that every answer of a partition still fits it, once per key."""

import importlib
from typing import Literal

import dagster as dg
import pandas as pd
from pydantic import BaseModel, Field, ValidationError, create_model

from assets.llm_map.ranges import one_frame

TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list[str]": list[str]}


class AnswerField(dg.Model):
    """One field of the answer: its type, the values allowed (`enum`), bounds and a description for the model."""

    type: Literal["str", "int", "float", "bool", "list[str]"] = "str"
    enum: list[str] | None = None
    ge: float | None = None
    le: float | None = None
    description: str | None = None


def model_from_fields(name: str, fields: dict[str, AnswerField]) -> type[BaseModel]:
    """A pydantic model named `name` with these fields (an `enum` is a Literal of its values)."""
    if not fields:
        raise ValueError(f"{name}: the output schema needs at least one field")
    made = {}
    for field_name, spec in fields.items():
        kind = Literal[tuple(spec.enum)] if spec.enum else TYPES[spec.type]
        made[field_name] = (kind, Field(ge=spec.ge, le=spec.le, description=spec.description))
    return create_model(name, **made)


def model_from_path(path: str) -> type[BaseModel]:
    """The pydantic model at `module:Class` (or `module.Class`), checked to be one."""
    module, _, attr = path.partition(":") if ":" in path else path.rpartition(".")
    try:
        model = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"output model {path!r} cannot be imported: {exc}") from None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ValueError(f"output model {path!r} is not a pydantic model")
    return model


def answers_fit_check(name: str, asset: dg.AssetsDefinition, model: type[BaseModel], key_column: str,
                      partitions_def: dg.PartitionsDefinition | None) -> dg.AssetChecksDefinition:
    """A blocking check: every answer row validates against `model` (labels in their set, numbers in bounds)
    and each key is answered once."""

    @dg.asset_check(name=name, asset=asset, partitions_def=partitions_def, blocking=True,
                    description=f"Every answer fits {model.__name__} and each {key_column} is answered once.")
    def _check(answers) -> dg.AssetCheckResult:
        frame = one_frame(answers)
        fields = [f for f in model.model_fields if f in frame.columns]
        invalid: dict[str, str] = {}
        for row in frame[[key_column, *fields]].to_dict("records"):
            try:
                model.model_validate({f: _plain(row[f]) for f in fields})
            except ValidationError as exc:
                invalid[str(row[key_column])] = str(exc.errors()[0].get("msg", exc))[:200]
        duplicated = int(frame[key_column].duplicated().sum()) if len(frame) else 0
        return dg.AssetCheckResult(
            passed=not invalid and not duplicated,
            metadata={"rows": len(frame), "invalid_answers": len(invalid), "duplicate_keys": duplicated,
                      "examples": dg.MetadataValue.json(dict(list(invalid.items())[:10]))})

    return _check


def _plain(value):
    """A cell as pydantic expects it (numpy scalars and arrays to Python values)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return None if not isinstance(value, (list, str)) and pd.isna(value) else value
