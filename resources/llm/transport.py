"""The only part of a model call that differs between sync and async: sending, and sleeping.

The layers above (resources/llm/caching.py ... retrying.py) are generators: they yield a float to pause that many
seconds, or a ChatRequest to send it, and get the raw answer back (or the client's error thrown in). `drive`
runs them with the blocking `openai.OpenAI` client and `time.sleep`, `adrive` with `openai.AsyncOpenAI` and
`asyncio.sleep` (as simonw/llm's Chat/AsyncChat share `_Shared`). Chat goes through the client's documented
`post(CHAT_PATH, body=..., cast_to=httpx.Response)`; a cassette is the clients' httpx transport.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from resources.llm.openai_calls import CHAT_PATH, RawChat, chat_body, make_client
from resources.llm.request import ChatRequest

if TYPE_CHECKING:
    import openai


def _embed_kwargs(request: ChatRequest) -> dict:
    kwargs = {"model": request.model, "input": list(request.inputs)}
    if request.dims:
        kwargs["dimensions"] = request.dims
    return kwargs


class Transport:
    """The innermost layer: one request to the provider through the official client (made on first use)."""

    def __init__(self, resource):
        self.resource = resource
        self._sync: openai.OpenAI | None = None  # the primary's clients
        self._async: openai.AsyncOpenAI | None = None
        self._others: dict = {}  # (provider index, async?) -> a fallback's client (resources/llm/failover.py)

    def request(self, request: ChatRequest):
        return (yield request)  # the driver sends it

    def client(self, provider=None) -> openai.OpenAI:
        """The blocking client of `provider` (None: the primary)."""
        import openai  # on first use: a step whose answers are all cached never loads the client

        if provider is not None and provider.index:
            return self._other(provider, openai.OpenAI)
        if self._sync is None:
            self._sync = make_client(openai.OpenAI, self.resource)
        return self._sync

    def aclient(self, provider=None) -> openai.AsyncOpenAI:
        import openai

        if provider is not None and provider.index:
            return self._other(provider, openai.AsyncOpenAI)
        if self._async is None:
            self._async = make_client(openai.AsyncOpenAI, self.resource)
        return self._async

    def _other(self, provider, cls):
        import openai

        key = (provider.index, cls is openai.AsyncOpenAI)
        if key not in self._others:
            self._others[key] = make_client(cls, self.resource, provider)
        return self._others[key]

    def send(self, request: ChatRequest):
        import httpx

        client = self.client(request.provider)
        if request.kind == "chat":
            return RawChat(client.post(CHAT_PATH, body=chat_body(request), cast_to=httpx.Response))
        return client.embeddings.with_raw_response.create(**_embed_kwargs(request))

    async def asend(self, request: ChatRequest):
        import httpx

        client = self.aclient(request.provider)
        if request.kind == "chat":
            return RawChat(await client.post(CHAT_PATH, body=chat_body(request), cast_to=httpx.Response))
        return await client.embeddings.with_raw_response.create(**_embed_kwargs(request))

    async def aclose(self) -> None:
        """Close the async clients: their connections belong to the event loop that is about to end."""
        for key in [k for k in self._others if k[1]]:
            await self._others.pop(key).close()
        if self._async is not None:
            await self._async.close()
            self._async = None


class _Steps:
    """A layer's generator as the steps a driver performs; the driver sets `reply` or `error` for each."""

    def __init__(self, gen):
        self.gen, self.reply, self.error, self.value = gen, None, None, None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.gen.close()  # interrupted (cancelled, KeyboardInterrupt): the layers' cleanup (ending a claim) runs

    def __iter__(self):
        while True:
            reply, error, self.reply, self.error = self.reply, self.error, None, None
            try:
                yield self.gen.throw(error) if error is not None else self.gen.send(reply)
            except StopIteration as done:
                self.value = done.value
                return


def drive(gen, transport: Transport):
    """Run a layer's generator to its answer, blocking: pauses are slept, requests sent."""
    with _Steps(gen) as steps:
        for step in steps:
            try:
                steps.reply = time.sleep(step) if step.__class__ is float else transport.send(step)
            except Exception as exc:  # handed to the layers (the retry loop decides), never swallowed
                steps.error = exc
    return steps.value


async def adrive(gen, transport: Transport):
    """`drive` on the event loop."""
    with _Steps(gen) as steps:
        for step in steps:
            try:
                steps.reply = await (asyncio.sleep(step) if step.__class__ is float else transport.asend(step))
            except Exception as exc:
                steps.error = exc
    return steps.value
