"""Resources bound by key for every workflow; configuration comes from the environment at run time."""

import dagster as dg

from resources.approvals.store import ApprovalsResource
from resources.connectors import ShopResource
from resources.llm import LLMResource
from resources.memory import MemoryResource
from resources.state.parquet_io_manager import ParquetIOManager


def build_resources() -> dict:
    """The resource dict for the one Definitions (no I/O here: resources connect when a step uses them)."""
    return {
        "llm": LLMResource(),
        "io_manager": ParquetIOManager(),
        "shop": ShopResource(base_url=dg.EnvVar("AIWF_SHOP_URL")),
        "approvals": ApprovalsResource(),
        "memory": MemoryResource(),
    }
