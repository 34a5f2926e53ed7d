"""Deterministic answer builders for the offline model server (a TEST DOUBLE, not a model).

:func:`answer_chat` answers a chat completion body, :func:`embed` embeds a text (a bag-of-words feature hash:
stemmed words and word bigrams hashed into signed buckets, L2-normalised); the HTTP side is
:mod:`resources.offline.llm_server`. Tokens are counted as words (:func:`count_tokens`).

Everything here is pure and deterministic: the same prompt and the same seed give the same answer.

Plain-text answers are *extractive*: they only contain sentences copied verbatim from the last user message.

* The **source region** of a message is the text after its last line consisting of ``---``; without such a
  line, the text after its first paragraph (blank-line separated) when there are several paragraphs; else the
  whole message. The rest of the message is the **instruction**.
* The region is split into sentences (on ``.!?`` and line breaks; bullet / ``[1]`` / ``1.`` prefixes dropped;
  lines ending in ``:`` are headings and skipped).
* Up to ``n`` (default 5) sentences are chosen, preferring those sharing the most content words with the
  instruction (ties: earlier first); sentences sharing none are left out when at least two do. They are output
  in their original order, joined by a space (or a line break after a fragment without final punctuation). So
  "Write a short article about X using these notes: ..." gives an "article" made of the notes that mention X.

Structured answers (:class:`SchemaAnswerer`) produce a value that validates against a JSON schema:

* a line of the source region that is a JSON object fitting the schema (types, required and allowed keys,
  enums, bounds) is the answer, the last such line when there are several: the structured form of the
  extractive rule, so a prompt that offers a draft answer (a planner's playbook plan) gets it back verbatim.
  Otherwise the value is built from the schema:
* ``$ref``/``$defs``/``definitions`` are resolved; ``allOf`` is merged; ``anyOf``/``oneOf``/type lists take the
  first non-null option; ``const`` is returned as is.
* string ``enum``: the first value whose text (also with ``_``/``-`` read as a space) occurs as a whole word,
  case-insensitively, in the source region, then in the whole last user message; else a seeded choice.
  Other enums: a seeded choice.
* strings: sentences of the source region in turn (the k-th string field gets the k-th sentence), clipped to
  ``maxLength`` and padded to ``minLength``; ``format`` date / date-time / time / email / uri / uuid get a
  well-formed value; ``pattern`` is not honoured.
* integers / numbers: a seeded value within ``minimum``/``maximum``/``exclusive*`` (default 1..100 and
  0..100); a property named like confidence / score / probability / likelihood gets a value in the top
  60%..99% of its range (default range 0..1, so 0.6..0.99).
* booleans are ``true``; ``null`` is ``null``.
* arrays get ``minItems`` items (default 1), capped by ``maxItems``; ``uniqueItems`` is honoured for enums.
* objects get every property in ``properties`` (strict mode requires them all); with no properties,
  ``minProperties`` keys ``key_1``, ``key_2``, ... of ``additionalProperties``' type.
* from nesting depth 6 on, nullable values are ``null`` and arrays get only ``minItems`` items, so recursive
  models end; a schema that requires infinite nesting gets a ``ValueError`` (the server answers 500).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import math
import random
import re
import uuid
from typing import Any

_WORD = re.compile(r"[\w']+")
_SEPARATOR = re.compile(r"^\s*---+\s*$", re.MULTILINE)
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_PREFIX = re.compile(r"^\s*(?:[-*•]\s+|\[\d+\]\s*|\d+[.)]\s+)")
_TERMINAL = ".!?:;\"')]"
STOPWORDS = frozenset(
    "a an the and or but of to in on at for with by from as is are was were be been being it its this that these "
    "those i you he she we they them his her our your their my me us do does did not no so if then than there here "
    "into about over under up down out can could should would will shall may might must has have had using use "
    "write short article notes note following based please make give".split()
)


def count_tokens(text: str) -> int:
    """The server's token count: words (runs of letters, digits, ``_`` and ``'``)."""
    return len(_WORD.findall(text or ""))


def truncate_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """Cut ``text`` to at most ``max_tokens`` tokens at a whitespace boundary; returns (text, truncated)."""
    if max_tokens is None or count_tokens(text) <= max_tokens:
        return text, False
    kept, used = [], 0
    for chunk in text.split():
        n = count_tokens(chunk)
        if used + n > max_tokens:
            break
        kept.append(chunk)
        used += n
    return " ".join(kept), True


def split_source(message: str) -> tuple[str, str]:
    """(instruction, source region) of a user message; see the module docstring."""
    separators = list(_SEPARATOR.finditer(message))
    if separators:
        cut = separators[-1]
        return message[: cut.start()], message[cut.end():]
    parts = _PARAGRAPH.split(message.strip(), maxsplit=1)
    if len(parts) == 2:
        return parts[0], parts[1]
    return "", message


def sentences(text: str) -> list[str]:
    """Sentences of ``text``, verbatim, without list-marker prefixes and heading lines."""
    out: list[str] = []
    for line in text.splitlines():
        line = _PREFIX.sub("", line).strip()
        if not line or line.endswith(":") or _SEPARATOR.match(line):
            continue
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return out


def content_words(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _WORD.findall(text)) if w not in STOPWORDS and len(w) > 1}


def source_sentences(message: str) -> list[str]:
    """Sentences of the source region, falling back to the whole message's."""
    _, region = split_source(message)
    return sentences(region) or sentences(message)


def extractive_answer(message: str, n: int = 5) -> str:
    """Up to ``n`` sentences of the message's source region, most relevant to its instruction, in order."""
    instruction, _ = split_source(message)
    pool = list(dict.fromkeys(source_sentences(message)))
    if not pool:
        return ""
    topic = content_words(instruction)
    score = [len(topic & content_words(s)) for s in pool]
    ranked = sorted(range(len(pool)), key=lambda i: (-score[i], i))[: max(1, n)]
    if sum(1 for i in ranked if score[i]) >= 2:  # enough on-topic sentences: leave the off-topic ones out
        ranked = [i for i in ranked if score[i]]
    chosen = [pool[i] for i in sorted(ranked)]
    out = chosen[0]
    for prev, sent in zip(chosen, chosen[1:]):
        out += (" " if prev.endswith(tuple(_TERMINAL)) else "\n") + sent
    return out


def _mentions(text: str, phrase: str) -> bool:
    return bool(phrase) and re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text, re.IGNORECASE) is not None


def pick_enum(values: list[Any], message: str, rng: random.Random) -> Any:
    """The enum value the last user message names (see module docstring), else a seeded choice."""
    candidates = [v for v in values if v is not None] or list(values)
    _, region = split_source(message)
    for text in (region, message):
        for value in candidates:
            if isinstance(value, str) and any(
                _mentions(text, form) for form in {value, value.replace("_", " "), value.replace("-", " ")}
            ):
                return value
    return rng.choice(candidates)


_SCORE_NAME = re.compile(r"confidence|score|probab|likelihood", re.IGNORECASE)


class SchemaAnswerer:
    """Builds a value valid against ``schema`` from the last user message and a seed (see module docstring)."""

    shallow_depth = 6  # from this nesting depth on: optional (nullable) values are null, arrays minItems long
    max_depth = 64  # a schema that cannot be satisfied more shallowly (required self-reference) is refused

    def __init__(self, schema: dict, message: str, seed: int):
        self.root = schema or {}
        self.message = message or ""
        self.rng = random.Random(seed)
        self.pool = source_sentences(self.message) or [self.message.strip() or "offline answer"]
        self.strings = 0

    def answer(self) -> Any:
        quoted = self.quoted()
        return quoted if quoted is not None else self.value(self.root)

    def quoted(self) -> Any:
        """The last line of the source region that is a JSON object fitting the schema, else None."""
        _, region = split_source(self.message)
        for line in reversed(region.splitlines()):
            line = line.strip()
            if not (line.startswith("{") and line.endswith("}")):
                continue
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if self.fits(self.root, value):
                return value
        return None

    def fits(self, schema: Any, value: Any, depth: int = 0) -> bool:
        """Whether ``value`` validates against ``schema`` (the keywords this module answers by)."""
        schema = self.resolve(schema, depth)
        if depth > self.max_depth:
            return False
        if "const" in schema:
            return value == schema["const"]
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            return any(self.fits(o, value, depth + 1) for o in options)
        if "enum" in schema and value not in schema["enum"]:
            return False
        kinds = schema.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
        if kinds and not any(_is_type(value, k) for k in kinds):
            return False
        if isinstance(value, dict):
            props = schema.get("properties") or {}
            extra = schema.get("additionalProperties", True)
            return (all(k in value for k in schema.get("required", []))
                    and all(self.fits(props[k], v, depth + 1) if k in props else extra is not False
                            and (not isinstance(extra, dict) or self.fits(extra, v, depth + 1))
                            for k, v in value.items()))
        if isinstance(value, list):
            items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
            return (int(schema.get("minItems", 0)) <= len(value) <= int(schema.get("maxItems", len(value)))
                    and all(self.fits(items, v, depth + 1) for v in value))
        if isinstance(value, str):
            return int(schema.get("minLength", 0)) <= len(value) <= int(schema.get("maxLength", len(value)))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            lo, hi = self._bounds(schema, -math.inf, math.inf, 1e-9)
            return lo <= value <= hi
        return True

    # -- schema plumbing -------------------------------------------------------------------------------------
    def resolve(self, schema: Any, depth: int = 0) -> dict:
        for _ in range(self.max_depth):
            if not (isinstance(schema, dict) and "$ref" in schema):
                break
            node: Any = self.root
            for part in schema["$ref"].lstrip("#").strip("/").split("/"):
                if part:
                    node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
        if isinstance(schema, dict) and schema.get("allOf"):
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self.resolve(part, depth + 1)
                props = {**merged.get("properties", {}), **part.get("properties", {})}
                req = list(dict.fromkeys(merged.get("required", []) + part.get("required", [])))
                merged = {**merged, **part, "properties": props, "required": req}
            schema = merged
        return schema if isinstance(schema, dict) else {}

    def value(self, schema: Any, name: str = "", depth: int = 0) -> Any:
        if depth > self.max_depth:
            raise ValueError("schema nests too deeply (a required self-reference?)")
        schema = self.resolve(schema, depth)
        if "const" in schema:
            return schema["const"]
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            resolved = [self.resolve(o, depth + 1) for o in options]
            non_null = [o for o in resolved if o.get("type") != "null"]
            nullable = len(non_null) < len(resolved)
            chosen = non_null[0] if non_null and not (nullable and depth >= self.shallow_depth) else {"type": "null"}
            return self.value({**{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}, **chosen},
                              name, depth + 1)
        if "enum" in schema:
            values = list(schema["enum"])
            return pick_enum(values, self.message, self.rng) if values else None
        kind = schema.get("type")
        if isinstance(kind, list):
            shallow = "null" in kind and depth >= self.shallow_depth
            kind = "null" if shallow else next((t for t in kind if t != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        return getattr(self, "_" + kind, self._string)(schema, name, depth)

    # -- types -----------------------------------------------------------------------------------------------
    def _null(self, schema: dict, name: str, depth: int) -> None:
        return None

    def _boolean(self, schema: dict, name: str, depth: int) -> bool:
        return True

    def _object(self, schema: dict, name: str, depth: int) -> dict:
        props = schema.get("properties") or {}
        out = {key: self.value(sub, key, depth + 1) for key, sub in props.items()}
        for key in schema.get("required", []):
            if key not in out:
                out[key] = self.value({}, key, depth + 1)
        extra = schema.get("additionalProperties")
        extra = extra if isinstance(extra, dict) else {}
        for i in range(len(out), int(schema.get("minProperties", 0))):
            out[f"key_{i + 1}"] = self.value(extra, f"key_{i + 1}", depth + 1)
        return out

    def _array(self, schema: dict, name: str, depth: int) -> list:
        prefix = schema.get("prefixItems") or []
        n = max(int(schema.get("minItems", 0)) or 1, len(prefix))
        if "maxItems" in schema:
            n = min(n, int(schema["maxItems"]))
        if depth >= self.shallow_depth:
            n = max(int(schema.get("minItems", 0)), len(prefix))
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        out: list = []
        for i in range(n):
            sub = prefix[i] if i < len(prefix) else items
            value = self.value(sub, name, depth + 1)
            if schema.get("uniqueItems"):
                enum = self.resolve(sub, depth + 1).get("enum")
                unused = [v for v in (enum or []) if v not in out]
                if value in out and unused:
                    value = unused[0]
            out.append(value)
        return out

    @staticmethod
    def _bounds(schema: dict, lo: float, hi: float, step: float) -> tuple[float, float]:
        span, has_lo, has_hi = hi - lo, False, False
        for key, sign in (("minimum", 1), ("maximum", -1)):
            bound, exclusive = schema.get(key), schema.get("exclusiveM" + key[1:])
            found = isinstance(bound, (int, float)) and not isinstance(bound, bool)
            if found and exclusive is True:
                bound += sign * step
            if isinstance(exclusive, (int, float)) and not isinstance(exclusive, bool):
                tighter = exclusive + sign * step
                bound, found = (max if sign > 0 else min)(bound, tighter) if found else tighter, True
            if found and sign > 0:
                lo, has_lo = bound, True
            elif found:
                hi, has_hi = bound, True
        if hi < lo:
            hi, lo = (lo + span, lo) if not has_hi else (hi, hi - span) if not has_lo else (lo, lo)
        return lo, hi

    def _fraction(self, name: str) -> float:
        return self.rng.uniform(0.6, 0.99) if _SCORE_NAME.search(name or "") else self.rng.random()

    def _integer(self, schema: dict, name: str, depth: int) -> int:
        lo, hi = self._bounds(schema, 1, 100, 1)
        lo = int(-(-lo // 1))
        hi = max(lo, int(hi // 1))
        value = lo + round(self._fraction(name) * (hi - lo))
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            value = min(((value + step - 1) // step) * step, (hi // step) * step)
            value = max(value, ((lo + step - 1) // step) * step)
        return int(value)

    def _number(self, schema: dict, name: str, depth: int) -> float:
        default_hi = 1.0 if _SCORE_NAME.search(name or "") else 100.0
        lo, hi = self._bounds(schema, 0.0, default_hi, 1e-6)
        value = lo + self._fraction(name) * (hi - lo)
        rounded = round(value, 2)
        return float(rounded if lo <= rounded <= hi else value)

    def _string(self, schema: dict, name: str, depth: int) -> str:
        fmt = schema.get("format")
        seed = self.rng.getrandbits(32)
        day = _dt.date(2024, 1, 1) + _dt.timedelta(days=seed % 366)
        formatted = {
            "date": day.isoformat(),
            "date-time": f"{day.isoformat()}T{seed % 24:02d}:{seed % 60:02d}:00Z",
            "time": f"{seed % 24:02d}:{seed % 60:02d}:00",
            "email": f"user{seed % 1000}@example.com",
            "uri": f"https://example.com/doc/{seed % 10000}",
            "url": f"https://example.com/doc/{seed % 10000}",
            "uuid": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
        }.get(fmt)
        if formatted is not None:
            return formatted
        text = self.pool[self.strings % len(self.pool)]
        self.strings += 1
        lo, hi = int(schema.get("minLength", 0)), schema.get("maxLength")
        i = self.strings
        while len(text) < lo:
            text = f"{text} {self.pool[i % len(self.pool)]}"
            i += 1
        if hi is not None and len(text) > int(hi):
            text = text[: int(hi)].rstrip() if len(text[: int(hi)].rstrip()) >= lo else text[: int(hi)]
        return text


def _is_type(value: Any, kind: str) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return {"object": isinstance(value, dict), "array": isinstance(value, list), "string": isinstance(value, str),
            "integer": number and float(value).is_integer(), "number": number,
            "boolean": isinstance(value, bool), "null": value is None}.get(kind, True)


# -- chat completions and embeddings -------------------------------------------------------------------------
def message_text(content: Any) -> str:
    """The text of a message ``content`` (a string, or a list of parts with ``text``)."""
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and "text" in p)
    return content if isinstance(content, str) else ""


def digest(body: dict) -> str:
    """Hash of a request body, ignoring ``stream``/``stream_options`` (so both modes give the same answer)."""
    stable = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()


def last_user(messages: list) -> str:
    """Text of the last ``user`` message (else of the last message)."""
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"] or messages[-1:]
    return message_text(users[-1].get("content")) if users and isinstance(users[-1], dict) else ""


def answer_chat(body: dict, answer_sentences: int = 5) -> tuple[dict, str, dict]:
    """(assistant message, finish_reason, usage) for a chat completion request body."""
    messages, key = body["messages"], digest(body)
    question, seed = last_user(messages), int(key[:16], 16)
    fmt, tools = body.get("response_format") or {}, body.get("tools") or []
    choice = body.get("tool_choice")
    forced = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    finish = "stop"
    if tools and (forced or choice == "required"):
        fn = next((t["function"] for t in tools if t.get("function", {}).get("name") == forced), tools[0]["function"])
        args = json.dumps(SchemaAnswerer(fn.get("parameters") or {}, question, seed).answer())
        message["tool_calls"] = [{"id": f"call_{key[:24]}", "type": "function",
                                  "function": {"name": fn["name"], "arguments": args}}]
        finish, produced = "tool_calls", args
    elif fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or {}
        message["content"] = produced = json.dumps(SchemaAnswerer(schema, question, seed).answer())
    elif fmt.get("type") == "json_object":
        message["content"] = produced = json.dumps({"answer": extractive_answer(question, answer_sentences)})
    else:
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        produced, truncated = truncate_tokens(extractive_answer(question, answer_sentences), limit)
        message["content"], finish = produced, "length" if truncated else "stop"
    prompt = sum(count_tokens(message_text(m.get("content"))) for m in messages if isinstance(m, dict))
    completion = count_tokens(produced) * int(body.get("n") or 1)
    return message, finish, {"prompt_tokens": prompt, "completion_tokens": completion,
                             "total_tokens": prompt + completion}


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@functools.lru_cache(maxsize=65536)
def embed(text: str, dim: int = 384) -> tuple[float, ...]:
    """Deterministic L2-normalised bag-of-words embedding (signed feature hashing of words and word bigrams)."""
    words = [_stem(w.lower()) for w in re.findall(r"[\w']+", text)]
    feats = [(w, 0.1 if w in STOPWORDS else 1.0) for w in words]
    feats += [(f"{a} {b}", 0.5) for a, b in zip(words, words[1:])] or ([] if words else [("<empty>", 1.0)])
    vec = [0.0] * dim
    for feat, weight in feats:
        h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "big")
        vec[h % dim] += weight if h >> 63 else -weight
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return tuple(v / norm for v in vec)
