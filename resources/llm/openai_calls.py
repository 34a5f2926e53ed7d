"""What goes over the wire for the LLM session: request bodies, raw answers, client construction.

openai is imported where a request is built or sent, not with the module: a step whose answers all come from the
response cache never loads it (a third of a second of its start-up)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from pydantic import BaseModel

from resources.llm import retry
from resources.llm.answer import OFFLINE_HEADER  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    import httpx
    from openai.types.chat import ChatCompletion

CHAT_PATH = "/chat/completions"


def chat_body(request) -> dict:
    """The chat request as JSON. It goes through the client's documented `post` (auth, timeouts, openai's error
    classes) instead of `chat.completions.create`, whose per-request type transform of an already-plain body costs
    about 1 ms of CPU: a third of a batch row's overhead."""
    body = {"model": request.model, "messages": request.messages, **request.params}
    if request.response_model is not None:  # openai's own strict schema; we validate the answer ourselves
        body["response_format"] = response_format(request.response_model)
    return body


class RawChat:
    """An answered chat request: its headers, and the ChatCompletion built leniently, as openai itself builds it."""

    def __init__(self, response: httpx.Response):
        self.headers, self._response, self._parsed, self._data = response.headers, response, None, None

    def parse(self) -> ChatCompletion:
        if self._parsed is None:
            from openai.types.chat import ChatCompletion

            self._parsed = ChatCompletion.model_construct(**self.data())  # openai's recursive, lenient one
        return self._parsed

    def data(self) -> dict:
        """The decoded body. Text and usage are read from it: building the ChatCompletion costs ~0.3 ms a row,
        so that is done only for whoever needs the object (telemetry, a repair request)."""
        if self._data is None:
            self._data = self._response.json()
        return self._data

    def text(self) -> str:
        """The first choice's message content ("" when absent), as `parse().choices[0].message.content or ""`."""
        choices = self.data().get("choices") or [{}]
        return ((choices[0] or {}).get("message") or {}).get("content") or ""

    def token_counts(self) -> tuple[int, int]:
        """(prompt, completion) tokens of the usage block; (0, 0) without one."""
        usage = self.data().get("usage") or {}
        return usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0


@functools.lru_cache(maxsize=512)
def response_format(model: type[BaseModel]) -> dict:
    """Strict structured output for `model`, as openai's own `parse()` sends it: the schema openai's public
    `pydantic_function_tool` makes strict (every property required, no extra keys, refs inlined where needed)."""
    import openai

    schema = openai.pydantic_function_tool(model)["function"]["parameters"]
    return {"type": "json_schema", "json_schema": {"schema": schema, "name": model.__name__, "strict": True}}


def make_client(cls, resource, provider=None):
    """The openai client (of a fallback `provider`, with its own URL and key, when given); with a cassette
    configured (resources/llm/cassette.py) its `http_client` records into or replays from it, and a replay needs
    no key or reachable endpoint."""
    import openai

    kwargs = resource.client_kwargs()
    if provider is not None and provider.index:
        kwargs.update(base_url=provider.base_url, api_key=provider.api_key)
    tape = resource.cassette_config()
    if tape is not None:
        from resources.llm import cassette

        if tape[1] == "replay" and not os.environ.get("OPENAI_API_KEY"):
            kwargs.setdefault("api_key", "cassette-replay")  # never sent anywhere
        base = kwargs.get("base_url") or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        kwargs["http_client"] = cassette.http_client(cls is openai.AsyncOpenAI, *tape, base, resource.request_timeout_s)
    try:
        return cls(**kwargs)
    except openai.OpenAIError as exc:
        raise retry.LLMError(
            "no model endpoint configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for a non-OpenAI server), "
            "or run `aiwf demo`, which starts the offline test double") from exc


def message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return getattr(exc, "message", None) or str(exc)
