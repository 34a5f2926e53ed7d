"""`llm_map`: batch assets that apply a versioned prompt to every row of a table, resumable from checkpoints."""

from assets.llm_map.factory import LLM_MAP_TAG, LLMMapConfig, llm_map

__all__ = ["LLM_MAP_TAG", "LLMMapConfig", "llm_map"]
