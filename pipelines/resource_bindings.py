"""Resources bound by key for every workflow, and the same configuration for the CLI, the review app and scripts.

The environment is read here and nowhere else on the way to a store: AIWF_HOME (default ./.aiwf) and
AIWF_PG_URL (default: SQLite in the home) configure the `state` resource, which every other resource that
keeps state takes as a field. Inside Dagster they are `EnvVar`s, resolved when a run starts; outside it
(`aiwf review`, `aiwf quarantine`, ...) `local_state()` reads the same two variables.
"""

import os

import dagster as dg

from resources.state.resource import StateResource

STATE_VARIABLES = {"home": "AIWF_HOME", "pg_url": "AIWF_PG_URL"}


def _env_var(name: str) -> dg.EnvVar | None:
    """An EnvVar for a variable that is set (resolved at run time), None to keep the resource's default."""
    return dg.EnvVar(name) if os.environ.get(name) else None


def bound_state() -> StateResource:
    """The `state` resource for Definitions: configured by EnvVar, so no value is baked into the definitions."""
    return StateResource(**{field: _env_var(name) for field, name in STATE_VARIABLES.items()})


def local_state() -> StateResource:
    """The same state for code running outside Dagster (CLI, review app, scripts)."""
    return StateResource(**{field: os.environ.get(name) or None for field, name in STATE_VARIABLES.items()})


def build_resources() -> dict:
    """The resource dict for the one Definitions (no I/O here: resources connect when a step uses them)."""
    # Imported here so that CLI commands needing only local_state() do not load openai, LanceDB and pandas.
    from resources.approvals.resource import ApprovalsResource
    from resources.connectors import ShopResource
    from resources.llm import LLMResource
    from resources.memory import MemoryResource
    from resources.state.parquet_io_manager import ParquetIOManager

    state = bound_state()
    memory = MemoryResource(state=state)
    return {
        "state": state,
        # cassette fields stay None: AIWF_CASSETTE* are read when a client is made (resources/llm/cassette.py)
        "llm": LLMResource(state=state, rate_limit_url=_env_var("AIWF_RATE_LIMIT_URL")),
        "io_manager": ParquetIOManager(state=state),
        "shop": ShopResource(base_url=dg.EnvVar("AIWF_SHOP_URL"), state=state),
        "approvals": ApprovalsResource(state=state, memory=memory),
        "memory": memory,
    }
