"""Dagster Components of aiwf: a team's workflow as a folder of YAML (`defs.yaml`) plus a prompt file."""

from pipelines.components.llm_step import LLMStep

__all__ = ["LLMStep"]
