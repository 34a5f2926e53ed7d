"""Prompts as versioned YAML files kept next to their workflow, so a wording change is a reviewed file edit
with a version bump rather than a code change nobody sees until production outputs differ.

A file holds one prompt and every version of it:

    name: return_triage
    schema: pipelines.returns_triage.workflow:ReturnTriage   # output schema reference (module:Class)
    compare: [reason, damage, fraud_risk, route]             # fields a shadow run / eval compares
    live: "1"                                                # the version that answers
    candidate: "2"                                           # optional: tried by shadow runs and canaries
    share: 0.1                                               # optional: share of rows a canary sends to it
    versions:
      "1": {tier: cheap, system: "...", user: "...", params: {}}

The file gives the default status; `aiwf prompts promote/rollback` override it in the Store
(resources/llm/prompt_registry.py).
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from resources.llm.prompts import Prompt

_TOP_KEYS = {"name", "schema", "compare", "live", "candidate", "share", "versions", "description"}
_VERSION_KEYS = {"system", "user", "tier", "schema", "params", "note"}


class PromptFileError(ValueError):
    """A prompt file that cannot be used, named with its path."""


@dataclass(frozen=True)
class VersionInfo:
    """What a version carries besides its text: the model tier it is meant for and its output schema."""

    tier: str | None = None
    schema: str | None = None
    note: str = ""


@dataclass(frozen=True)
class PromptFile:
    """One prompt's versions and its file status (live, optional candidate with a canary share)."""

    name: str
    versions: dict[str, Prompt]
    live: str
    candidate: str | None = None
    share: float = 0.0
    compare: tuple[str, ...] = ()
    schema: str | None = None
    info: dict[str, VersionInfo] = field(default_factory=dict)
    path: Path | None = None
    description: str = ""

    @property
    def live_prompt(self) -> Prompt:
        """The file's live version as a handle that follows promotion: an LLM session answers it with the version
        live in the Store (`aiwf prompts promote/rollback`). `version(v)` is that version, always."""
        return dataclasses.replace(self.versions[self.live], live_of=self)

    def version(self, version: str) -> Prompt:
        """The Prompt of one version; an unknown version is a clear error listing the known ones."""
        try:
            return self.versions[str(version)]
        except KeyError:
            raise KeyError(f"prompt {self.name} has no version {version!r} "
                           f"(versions: {', '.join(self.versions)})") from None

    def content_hash(self, version: str) -> str:
        """Hash of everything in the file that shapes a version's request (system, user template, params, tier,
        output schema): the registry refuses a change to any of it under an unchanged version. `Prompt.hash`
        (text only) stays the key of the response cache, ledger and checkpoints."""
        prompt = self.version(version)
        shape = {"system": prompt.system, "user": prompt.template, "params": prompt.params,
                 "tier": self.tier(version), "schema": self.schema_ref(version)}
        return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def tier(self, version: str) -> str | None:
        return self.info.get(str(version), VersionInfo()).tier

    def schema_ref(self, version: str) -> str | None:
        return self.info.get(str(version), VersionInfo()).schema or self.schema

    def file_status(self, version: str) -> str:
        """live / candidate / retired as the file says (the Store may override: see prompt_registry)."""
        version = str(version)
        return "live" if version == self.live else "candidate" if version == self.candidate else "retired"


def _text(value, what: str, path: Path) -> str:
    if not isinstance(value, str):
        raise PromptFileError(f"{path}: {what} must be text, got {type(value).__name__}")
    return value


def parse_prompt_file(data: dict, path: Path | None = None) -> PromptFile:
    """A PromptFile from the parsed YAML mapping; every mistake is one error naming the file and the key."""
    where = path or Path("<prompt>")
    if not isinstance(data, dict):
        raise PromptFileError(f"{where}: a prompt file is a mapping with name, live and versions")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise PromptFileError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(_TOP_KEYS)})")
    for key in ("name", "live", "versions"):
        if key not in data:
            raise PromptFileError(f"{where}: missing {key!r}")
    name = _text(data["name"], "name", where)
    raw = data["versions"]
    if not isinstance(raw, dict) or not raw:
        raise PromptFileError(f"{where}: versions must map version → {{system, user, ...}}")
    versions, info = {}, {}
    for version, spec in raw.items():
        version = str(version)
        if not isinstance(spec, dict) or "user" not in spec:
            raise PromptFileError(f"{where}: version {version} needs a user template")
        extra = set(spec) - _VERSION_KEYS
        if extra:
            raise PromptFileError(f"{where}: version {version} has unknown keys {sorted(extra)}")
        params = spec.get("params") or {}
        if not isinstance(params, dict):
            raise PromptFileError(f"{where}: version {version} params must be a mapping")
        versions[version] = Prompt(name, version, template=_text(spec["user"], f"version {version} user", where),
                                   system=_text(spec.get("system", ""), f"version {version} system", where),
                                   params=dict(params))
        info[version] = VersionInfo(tier=spec.get("tier"), schema=spec.get("schema"), note=spec.get("note", ""))
    live = str(data["live"])
    candidate = None if data.get("candidate") in (None, "") else str(data["candidate"])
    for role, version in (("live", live), ("candidate", candidate)):
        if version is not None and version not in versions:
            raise PromptFileError(f"{where}: {role} version {version!r} is not among versions {list(versions)}")
    if candidate == live:
        raise PromptFileError(f"{where}: candidate and live are both version {live}")
    share = float(data.get("share") or 0.0)
    if not 0.0 <= share <= 1.0 or (share and not candidate):
        raise PromptFileError(f"{where}: share must be in [0, 1] and needs a candidate (got {share})")
    compare = data.get("compare") or []
    if not isinstance(compare, list) or not all(isinstance(c, str) for c in compare):
        raise PromptFileError(f"{where}: compare must be a list of field names")
    return PromptFile(name=name, versions=versions, live=live, candidate=candidate, share=share,
                      compare=tuple(compare), schema=data.get("schema"), info=info, path=path,
                      description=data.get("description", ""))


def load_prompt_file(path: str | Path) -> PromptFile:
    """Read and validate one prompt YAML file."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PromptFileError(f"{path}: not valid YAML: {exc}") from None
    return parse_prompt_file(data, path)


def find_prompt_files(root: str | Path, pattern: str = "*/prompts/*.yaml") -> list[PromptFile]:
    """Every prompt file under root (sorted by path); two files naming the same prompt are an error."""
    files = [load_prompt_file(p) for p in sorted(Path(root).glob(pattern))]
    seen: dict[str, Path | None] = {}
    for pf in files:
        if pf.name in seen:
            raise PromptFileError(f"prompt {pf.name} is defined twice: {seen[pf.name]} and {pf.path}")
        seen[pf.name] = pf.path
    return files
