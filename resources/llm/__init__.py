"""The LLM resource and what it is made of: session, ledger, cache, retries, pricing, prompts, rate limits."""

from resources.llm.openai_calls import OFFLINE_HEADER, Completion
from resources.llm.prompts import Prompt
from resources.llm.resource import LLMResource
from resources.llm.session import LLMSession

__all__ = ["Completion", "LLMResource", "LLMSession", "OFFLINE_HEADER", "Prompt"]
