"""Resources bound by key for every workflow; configuration comes from the environment at run time."""

from resources.io import ParquetIOManager
from resources.llm import LLMResource


def build_resources() -> dict:
    """The resource dict for the one Definitions (no I/O here: resources connect when a step uses them)."""
    return {
        "llm": LLMResource(),
        "io_manager": ParquetIOManager(),
    }
