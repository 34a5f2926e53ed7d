"""Every workflow's prompt files (pipelines/<workflow>/prompts/*.yaml), found once per process.

Resources may not import pipelines, so this is where code that names a prompt by name looks it up; the
file format and the Store registry live in resources/llm (prompt_files.py, prompt_registry.py).
"""

import functools
from pathlib import Path

from resources.llm.prompt_files import PromptFile, find_prompt_files

PIPELINES = Path(__file__).resolve().parent


@functools.cache
def _catalog() -> dict[str, PromptFile]:
    return {pf.name: pf for pf in find_prompt_files(PIPELINES)}


def all_prompt_files() -> list[PromptFile]:
    """Every prompt file of every workflow, by name."""
    return sorted(_catalog().values(), key=lambda pf: pf.name)


def prompt_file(name: str) -> PromptFile:
    """One prompt file by prompt name; an unknown name is a clear error listing the known ones."""
    try:
        return _catalog()[name]
    except KeyError:
        raise KeyError(f"no prompt file for {name!r} (known: {', '.join(sorted(_catalog()))})") from None


def parse_ref(ref: str, live=None) -> tuple[PromptFile, str]:
    """NAME@VERSION (or NAME: the version in force, `live(pf)` — e.g. PromptRegistry.live, which follows
    promote/rollback — else the file's live version) → (prompt file, version), checked."""
    name, _, version = ref.partition("@")
    pf = prompt_file(name)
    version = version or (live(pf) if live else pf.live)
    pf.version(version)
    return pf, version


def check_prompt_files(state=None) -> list[PromptFile]:
    """Refuse prompt text, params, tier or output schema edited under a version this home's Store recorded
    (PromptChanged names each such prompt and says to bump the version), recording versions seen for the first
    time: `aiwf prompts check` does it for every prompt file; a session does it for one file on its first use
    (PromptRegistry.live). Loading Definitions does not: that does no I/O."""
    files = all_prompt_files()
    registry(state).record(files)
    return files


def registry(state=None):
    """The PromptRegistry of this process's state (AIWF_HOME / AIWF_PG_URL)."""
    from pipelines.resource_bindings import local_state
    from resources.llm.prompt_registry import PromptRegistry

    return PromptRegistry((state or local_state()).store())
