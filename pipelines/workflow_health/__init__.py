"""Workflow health: cost, latency, quality and overrides of every workflow, as `aiwf report` and a daily asset."""
