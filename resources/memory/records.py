"""What memory stores: table schemas, the documents and hits that go in and out, input checks and chunking."""

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from resources.memory.models import MODEL_KEY

UTC = dt.timezone.utc
TS = pa.timestamp("us", tz="UTC")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


class MemoryInputError(ValueError):
    """Bad input to memory (wrong dimension, empty or undecodable text, unknown table): says what and where."""



class MissingTable(MemoryInputError, LookupError):
    """A collection or table that was never written."""


def semantic_schema(dim: int, model: str | None = None) -> pa.Schema:
    """Chunks of documents; `model` is recorded on the vector column (models.py)."""
    return pa.schema([
        ("source", pa.string()), ("chunk", pa.int32()), ("text", pa.string()), ("version", pa.string()),
        ("content_hash", pa.string()), ("valid_from", TS), ("valid_until", TS), ("tags", pa.list_(pa.string())),
        ("metadata", pa.string()), ("ingested_at", TS), vector_field(dim, model),
    ])


def episodic_schema(dim: int, model: str | None = None) -> pa.Schema:
    """Decisions, check outcomes and corrections; vectors may be null (found by key only)."""
    return pa.schema([
        ("id", pa.string()), ("kind", pa.string()), ("workflow", pa.string()), ("asset_key", pa.string()),
        ("partition_key", pa.string()), ("item_key", pa.string()), ("run_id", pa.string()),
        ("input_hash", pa.string()), ("text", pa.string()), ("output", pa.string()), ("model", pa.string()),
        ("prompt_version", pa.string()), ("checks", pa.string()), ("correction", pa.string()),
        ("reviewer", pa.string()), ("reason", pa.string()), ("ts", TS),
        vector_field(dim, model),
    ])


def vector_field(dim: int, model: str | None) -> pa.Field:
    return pa.field("vector", pa.list_(pa.float32(), dim), nullable=True,
                    metadata={MODEL_KEY: model} if model else None)


@dataclass
class Document:
    """A document to remember; re-ingesting the same `source` replaces all its chunks."""

    source: str
    text: str | bytes
    version: str | None = None
    tags: list[str] = field(default_factory=list)
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    metadata: dict = field(default_factory=dict)


@dataclass
class Hit:
    """One retrieved chunk with its provenance; `score` is higher-is-better (cosine similarity, BM25 or RRF)."""

    source: str
    chunk: int
    text: str | None  # None only when the search asked for fewer fields
    score: float
    version: str | None
    tags: list[str]
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None
    metadata: dict


def clean_text(text: Any, where: str) -> str:
    """Text as str: bytes must be UTF-8, and it must not be blank (it would embed to noise and match nothing)."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            raise MemoryInputError(f"{where}: text is not valid UTF-8 (byte {err.start}: {err.reason})") from None
    if not isinstance(text, str):
        raise MemoryInputError(f"{where}: text must be str or UTF-8 bytes, got {type(text).__name__}")
    if "\x00" in text or not text.strip():
        raise MemoryInputError(f"{where}: text is empty" if not text.strip() else f"{where}: text contains NUL bytes")
    return text


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise MemoryInputError(f"collection name {name!r} must be a letter then letters, digits or _ (max 64)")
    return name


def check_vectors(vectors, dim: int | None, where: str):
    """Vectors as a float32 (n, d) array; every row the table's dimension, finite and not all zero."""
    import numpy as np

    try:
        arr = np.asarray(vectors, dtype=np.float32)
    except ValueError as err:
        raise MemoryInputError(f"{where}: vectors have unequal lengths ({err})") from None
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise MemoryInputError(f"{where}: expected a list of vectors, got shape {arr.shape}")
    if dim is not None and arr.shape[1] != dim:
        raise MemoryInputError(f"{where}: vectors have dimension {arr.shape[1]}, the table holds {dim}")
    squares = np.einsum("ij,ij->i", arr, arr)  # one pass, no temporaries (~10x faster at 100k x 384)
    if not (np.isfinite(squares).all() and squares.all()) and (  # then the exact test: overflow, underflow?
            not np.isfinite(arr).all() or not np.abs(arr).sum(axis=1).all()):
        raise MemoryInputError(f"{where}: vectors must be finite and non-zero")
    return arr


def chunk_text(text: str, size: int, overlap: int) -> list[str]:
    """Word windows of `size` words overlapping by `overlap`, so a fact cut at a boundary is whole in one chunk."""
    if size <= 0 or not 0 <= overlap < size:
        raise MemoryInputError(f"chunk size must be > 0 and overlap in [0, size); got {size}/{overlap}")
    if len(text) <= size:  # no more words than characters: one chunk, without splitting
        return [text.strip()]
    words = text.split()
    if len(words) <= size:
        return [text.strip()]  # one chunk keeps the text's own line breaks
    step = size - overlap
    return [" ".join(words[i:i + size]) for i in range(0, max(len(words) - overlap, 1), step)]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def quote(value: str) -> str:
    """A SQL string literal for a LanceDB filter."""
    return "'" + str(value).replace("'", "''") + "'"


def ts_literal(when: dt.datetime) -> str:
    return f"timestamp {quote(as_utc(when).strftime('%Y-%m-%d %H:%M:%S.%f'))}"


def as_utc(when: dt.datetime | None) -> dt.datetime | None:
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def to_json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
