"""A model request, built once (render, redact, hash) and then only read by the layers that send it.

The request hash covers exactly what it did before this type existed (`{"model", "messages", "params",
"schema", "prompt": [name, version, hash]}` for chat, `{"model", "input", "dims"}` per embedded text), so
caches written before stay valid.
"""

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

DEFAULT_OUTPUT_TOKENS = 256  # what an answer is assumed to use when the request does not cap it


@dataclass(frozen=True)
class ChatRequest:
    """What one call asks: a chat (prompt, messages, params, schema) or an embedding batch (`inputs`)."""

    kind: str  # "chat" | "embedding"
    model: str
    hash: str
    tier: str | None = None
    messages: list = field(default_factory=list)
    params: dict = field(default_factory=dict)
    response_model: type[BaseModel] | None = None
    schema: dict | None = None
    prompt: Any = None  # the Prompt in force (its version answers)
    est_tokens_in: int = 0
    max_tokens_out: int | None = None
    inputs: tuple = ()  # embedding texts (redacted when the resource redacts PII)
    dims: int | None = None
    provider: Any = None  # the Provider it goes to (resources/llm/providers.py); None: the primary

    @property
    def est_tokens(self) -> int:
        """Tokens the limiter reserves before sending: the input estimate plus the output cap."""
        if self.kind != "chat":
            return self.est_tokens_in
        return self.est_tokens_in + (self.max_tokens_out if self.max_tokens_out is not None else DEFAULT_OUTPUT_TOKENS)

    @property
    def what(self) -> str:
        """How errors and waits name the request."""
        if self.kind != "chat":
            return f"embedding model {self.model!r}"
        return f"model {self.model!r}" + (f", prompt {self.prompt.ref}" if self.prompt is not None else "")


def request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@functools.lru_cache(maxsize=512)
def json_schema(model: type[BaseModel]) -> dict:
    """A model's JSON schema, built once per class (it costs about as much as the rest of a request)."""
    return model.model_json_schema()


def chat_request(resource, prompt, variables: dict, *, tier: str, model: str | None,
                 response_model: type[BaseModel] | None, params: dict) -> ChatRequest:
    """The request for `prompt` (already the version in force) with `variables`: rendered, redacted, hashed."""
    messages = prompt.render(**variables)
    if resource.redacts_pii():
        from resources.safety.pii import redact_messages

        messages = redact_messages(messages)
    model = model or resource.model_for(tier)
    params = {"temperature": 0, **prompt.params, **params}
    schema = json_schema(response_model) if response_model else None
    payload = {"model": model, "messages": messages, "params": params, "schema": schema,
               "prompt": [prompt.name, prompt.version, prompt.hash]}
    chars = sum(len(m.get("content") or "") for m in messages if isinstance(m, dict))
    return ChatRequest("chat", model, request_hash(payload), tier, messages, params, response_model, schema, prompt,
                       chars // 4 + 1, params.get("max_completion_tokens") or params.get("max_tokens"))


def embedding_requests(resource, texts: list[str], model: str | None) -> list[ChatRequest]:
    """One request per text (each is cached and claimed alone); PII-redacted like chat messages."""
    if isinstance(texts, str) or not all(isinstance(t, str) and t.strip() for t in texts):
        raise ValueError("embed() takes a list of non-empty strings")
    if resource.redacts_pii():
        from resources.safety.pii import redact

        texts = [redact(t)[0] for t in texts]
    model, dims = model or resource.embeddings_model(), resource.embedding_dimensions
    return [ChatRequest("embedding", model, request_hash({"model": model, "input": t, "dims": dims}),
                        est_tokens_in=len(t) // 4 + 1, inputs=(t,), dims=dims) for t in texts]


def on_provider(request: ChatRequest, provider) -> ChatRequest | None:
    """`request` as `provider` is asked it, or None when that provider cannot answer it.

    The cache rule across providers: an answer is keyed by the model that answered. A fallback asked for a tier
    whose model it names differently gets the request hashed with its own model name (so its answer is cached
    apart, and reused only for that model); one serving the same model name keeps the hash, as the same model
    behind another OpenAI-compatible endpoint (Azure, a gateway) gives an equivalent answer: give a fallback that
    serves something else under the same name a model name of its own. The primary's hashes never change.
    Embeddings go only to a provider with the same embedding model (other vectors would not match the stored ones).
    """
    if provider.index == 0:
        return request
    if request.kind != "chat":
        same = provider.models.get("embedding") == request.model
        return dataclasses.replace(request, provider=provider) if same else None
    model = request.model
    if request.tier in provider.models and model == provider.primary_models.get(request.tier):
        model = provider.models[request.tier]  # the tier's model there; a model asked by name keeps its name
    if model == request.model:
        return dataclasses.replace(request, provider=provider)
    prompt = request.prompt
    payload = {"model": model, "messages": request.messages, "params": request.params, "schema": request.schema,
               "prompt": [prompt.name, prompt.version, prompt.hash] if prompt is not None else None}
    return dataclasses.replace(request, model=model, hash=request_hash(payload), provider=provider)


def batch_of(requests: list[ChatRequest]) -> ChatRequest:
    """Several embedding requests sent as one (ledger rows and waits name the first)."""
    first = requests[0]
    return dataclasses.replace(first, inputs=tuple(t for r in requests for t in r.inputs),
                               est_tokens_in=sum(r.est_tokens_in for r in requests))


def repair(request: ChatRequest, text: str, err: ValidationError) -> ChatRequest:
    """The one repair request after an invalid structured answer (same hash: it answers the same request)."""
    fix = (f"Your previous answer was not valid JSON for the schema: {err.errors()[:3]}. "
           "Answer again with only the corrected JSON object.")
    messages = request.messages + [{"role": "assistant", "content": text}, {"role": "user", "content": fix}]
    return dataclasses.replace(request, messages=messages)


def invalid_json(request: ChatRequest, err: ValidationError) -> str:
    return f"{request.what}: answer is not valid {request.response_model.__name__} after one repair: " \
           f"{err.errors()[:3]}"
