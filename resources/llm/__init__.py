"""The LLM resource and what it is made of: session, ledger, cache, retries, pricing, prompts, rate limits.

`LLMSession` is loaded on first use (module __getattr__): naming the resource in definitions costs no
`openai` import; a step pays for the client when it opens a session.
"""

from resources.llm.answer import OFFLINE_HEADER, Answer, Completion
from resources.llm.prompts import Prompt
from resources.llm.resource import LLMResource

__all__ = ["Answer", "Completion", "LLMResource", "LLMSession", "OFFLINE_HEADER", "Prompt"]


def __getattr__(name: str):
    if name == "LLMSession":
        from resources.llm.session import LLMSession

        return LLMSession
    raise AttributeError(f"module 'resources.llm' has no attribute {name!r}")
