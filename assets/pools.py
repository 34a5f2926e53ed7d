"""Dagster pools shared by asset factories and workflows (limits live in dagster.yaml and deploy/dagster.yaml)."""

# Assets that call a model share this pool, so several runs stay under one provider's limits.
LLM_POOL = "llm_provider"
