"""Model names by environment: a configured name wins over AIWF_*_MODEL, which wins over the built-in default."""

import pytest

from resources.llm.resource import LLMResource


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ("AIWF_CHEAP_MODEL", "AIWF_STRONG_MODEL", "AIWF_EMBEDDING_MODEL"):
        monkeypatch.delenv(var, raising=False)


def test_defaults_without_configuration_or_environment():
    llm = LLMResource()
    assert (llm.model_for("cheap"), llm.model_for("strong"), llm.embeddings_model()) == (
        "gpt-4o-mini", "gpt-4o", "text-embedding-3-small")


def test_the_environment_is_read_at_use_not_when_the_resource_is_built(monkeypatch):
    llm = LLMResource()
    monkeypatch.setenv("AIWF_CHEAP_MODEL", "claude-haiku-4-5")
    monkeypatch.setenv("AIWF_STRONG_MODEL", "my-azure-gpt4o")
    monkeypatch.setenv("AIWF_EMBEDDING_MODEL", "nomic-embed-text")
    assert (llm.model_for("cheap"), llm.model_for("strong"), llm.embeddings_model()) == (
        "claude-haiku-4-5", "my-azure-gpt4o", "nomic-embed-text")


def test_a_configured_name_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("AIWF_CHEAP_MODEL", "from-env")
    monkeypatch.setenv("AIWF_EMBEDDING_MODEL", "from-env-embed")
    llm = LLMResource(cheap_model="configured", embedding_model="configured-embed")
    assert llm.model_for("cheap") == "configured" and llm.embeddings_model() == "configured-embed"
    assert llm.model_for("strong") == "gpt-4o"
    with pytest.raises(ValueError, match="unknown model tier"):
        llm.model_for("medium")
