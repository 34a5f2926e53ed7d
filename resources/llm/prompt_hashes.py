"""What a recorded prompt version may not change, and how a refused change is told: the hashes the registry
(resources/llm/prompt_registry.py) compares, the JSON schema hash of a version's output schema class, and the
message and audit payload of a refusal."""

import hashlib
import json

from resources.llm.prompt_files import PromptFile

CHECKED = ("hash", "content_hash", "schema_hash")  # what a recorded version may not change, in the order named
_WHAT = {"hash": "its text", "content_hash": "its params, tier or output schema",
         "schema_hash": "the JSON schema of its output schema class"}


def _where(pf: PromptFile) -> str:
    return f", in {pf.path}" if pf.path else ""


def change(pf: PromptFile, version: str, field: str, recorded: str, now: str | None) -> dict:
    """A refused change: its message and the audit line that names prompt, version, and both hashes."""
    what = _WHAT[field]
    message = (f"prompt {pf.name!r} version {version} changed (recorded hash {recorded}, now {now}{_where(pf)}): "
               "bump the version to change its text" if field == "hash" else
               f"prompt {pf.name!r} version {version} changed: {what} differ from what was recorded ({field} "
               f"{recorded}, now {now}{_where(pf)}): bump the version to change them")
    event = {"prompt": pf.name, "version": version, "changed": what, "hash_field": field, "recorded_hash": recorded,
             "new_hash": now, "path": str(pf.path) if pf.path else None}
    return {"message": message, "event": event}


def schema_hash(ref: str | None) -> str | None:
    """Hash of the JSON schema of a `module:Class` output schema reference (a pydantic model), imported at first
    use, never at load; None when the reference names none (a factory such as the planner's `plan_model`)."""
    if not ref or ":" not in ref:
        return None
    import importlib

    from pydantic import BaseModel

    module, _, name = ref.partition(":")
    try:
        target = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    if not (isinstance(target, type) and issubclass(target, BaseModel)):
        return None
    schema = json.dumps(target.model_json_schema(), sort_keys=True, default=str)
    return hashlib.sha256(schema.encode()).hexdigest()[:16]
