"""The only part of a model call that differs between sync and async: sending, and sleeping.

The layers above (resources/llm/caching.py ... retrying.py) are generators: they yield a float to pause that many
seconds, or a ChatRequest to send it, and get the raw answer back (or the client's error thrown in). `drive`
runs them with the blocking `openai.OpenAI` client and `time.sleep`, `adrive` with `openai.AsyncOpenAI` and
`asyncio.sleep` (as simonw/llm's Chat/AsyncChat share `_Shared`). Chat goes through the client's documented
`post(CHAT_PATH, body=..., cast_to=httpx.Response)`; a cassette is the clients' httpx transport.
"""

import asyncio
import time

import httpx
import openai

from resources.llm.openai_calls import CHAT_PATH, RawChat, chat_body, make_client
from resources.llm.request import ChatRequest


def _embed_kwargs(request: ChatRequest) -> dict:
    kwargs = {"model": request.model, "input": list(request.inputs)}
    if request.dims:
        kwargs["dimensions"] = request.dims
    return kwargs


class Transport:
    """The innermost layer: one request to the provider through the official client (made on first use)."""

    def __init__(self, resource):
        self.resource = resource
        self._sync: openai.OpenAI | None = None
        self._async: openai.AsyncOpenAI | None = None

    def request(self, request: ChatRequest):
        return (yield request)  # the driver sends it

    def client(self) -> openai.OpenAI:
        if self._sync is None:
            self._sync = make_client(openai.OpenAI, self.resource)
        return self._sync

    def aclient(self) -> openai.AsyncOpenAI:
        if self._async is None:
            self._async = make_client(openai.AsyncOpenAI, self.resource)
        return self._async

    def send(self, request: ChatRequest):
        if request.kind == "chat":
            return RawChat(self.client().post(CHAT_PATH, body=chat_body(request), cast_to=httpx.Response))
        return self.client().embeddings.with_raw_response.create(**_embed_kwargs(request))

    async def asend(self, request: ChatRequest):
        if request.kind == "chat":
            return RawChat(await self.aclient().post(CHAT_PATH, body=chat_body(request), cast_to=httpx.Response))
        return await self.aclient().embeddings.with_raw_response.create(**_embed_kwargs(request))

    async def aclose(self) -> None:
        """Close the async client: its connections belong to the event loop that is about to end."""
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
