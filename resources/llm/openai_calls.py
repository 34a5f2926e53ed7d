"""What goes over the wire for the LLM session: request bodies and hashes, answers, client construction."""

import functools
import hashlib
import json
import os

import httpx
import openai
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from resources.llm import retry
from resources.llm.completion import OFFLINE_HEADER, Completion  # noqa: F401 (re-exported)


def context_ids(context) -> dict:
    """run id, asset key and partition of whatever context an asset, op or check was given."""
    if context is None:
        return {}
    op_context = getattr(context, "op_execution_context", context)
    ids: dict = {"run_id": op_context.run_id, "asset_key": None, "partition_key": None}
    try:
        ids["asset_key"] = context.asset_key.to_user_string()
    except Exception:  # a check's context, or a multi-asset: name the first key it serves
        keys = [s.asset_key for s in getattr(context, "check_specs", [])] or list(
            getattr(op_context, "selected_asset_keys", []))
        ids["asset_key"] = keys[0].to_user_string() if keys else None
    if op_context.has_partition_key:
        ids["partition_key"] = op_context.partition_key
    return ids


def request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


CHAT_PATH = "/chat/completions"


def chat_body(call, messages=None) -> dict:
    """The chat request as JSON. It goes through the client's documented `post` (auth, timeouts, openai's error
    classes) instead of `chat.completions.create`, whose per-request type transform of an already-plain body costs
    about 1 ms of CPU: a third of a batch row's overhead."""
    body = {"model": call["model"], "messages": messages or call["messages"], **call["params"]}
    if call["response_model"] is not None:  # openai's own strict schema; we validate the answer ourselves
        body["response_format"] = response_format(call["response_model"])
    return body


class RawChat:
    """An answered chat request: its headers, and the ChatCompletion built leniently, as openai itself builds it."""

    def __init__(self, response: httpx.Response):
        self.headers, self._response, self._parsed, self._data = response.headers, response, None, None

    def parse(self) -> ChatCompletion:
        if self._parsed is None:
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
def json_schema(model: type[BaseModel]) -> dict:
    """A model's JSON schema, built once per class (it costs about as much as the rest of a request)."""
    return model.model_json_schema()


@functools.lru_cache(maxsize=512)
def response_format(model: type[BaseModel]) -> dict:
    """Strict structured output for `model`, as openai's own `parse()` sends it: the schema openai's public
    `pydantic_function_tool` makes strict (every property required, no extra keys, refs inlined where needed)."""
    schema = openai.pydantic_function_tool(model)["function"]["parameters"]
    return {"type": "json_schema", "json_schema": {"schema": schema, "name": model.__name__, "strict": True}}


def make_client(cls, resource):
    """The openai client; with a cassette configured (resources/llm/cassette.py) its `http_client` records into
    or replays from it, and a replay needs no key or reachable endpoint."""
    kwargs = resource.client_kwargs()
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


def invalid_json(call, err) -> str:
    return f"model {call['model']!r}, prompt {call['prompt'].ref}: answer is not valid " \
           f"{call['response_model'].__name__} after one repair: {err.errors()[:3]}"


def repair_messages(call, text: str, err: ValidationError) -> list[dict]:
    fix = (f"Your previous answer was not valid JSON for the schema: {err.errors()[:3]}. "
           "Answer again with only the corrected JSON object.")
    return call["messages"] + [{"role": "assistant", "content": text}, {"role": "user", "content": fix}]


def as_cached(result: Completion) -> Completion:
    """A waiter on an identical in-flight request got the answer without paying for it."""
    return Completion(result.text, result.parsed, result.model, True, result.offline, 0, 0, 0.0,
                      result.request_hash, result.answer_cost_usd, result.answer_tokens)
